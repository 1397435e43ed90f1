"""A real server on 127.0.0.1 over tiny trained runs (a language model, a classifier, a tagger,
a forecaster, a recogniser), started once for the package's tests and stopped after."""

import numpy as np
import pytest

from http_helpers import serving
from rnnkit.run import train

FAST = {"max_steps": 4, "eval_every": 4, "device": "cpu"}


@pytest.fixture(scope="package")
def runs(tmp_path_factory, spoken):
    root = tmp_path_factory.mktemp("served")
    text = root / "corpus.txt"
    text.write_text("It is a truth universally acknowledged, that a single man in possession "
                    "of a good fortune, must be in want of a wife.\n" * 20)
    conll = root / "train.conll"
    conll.write_text("John B-PER\nlives O\nin O\nParis B-LOC\n\nMary B-PER\nwent O\nhome O\n\n" * 10)
    series = root / "series.csv"
    series.write_text("t,y\n" + "".join(f"{t},{np.sin(t / 3) + t / 50:.4f}\n" for t in range(200)))
    pairs = root / "pairs.tsv"
    words = ["red", "blue", "green", "small", "big", "cat", "dog"]
    pairs.write_text("".join(f"{a} {b} {c}\t{c} {b} {a}\n" for a in words for b in words[:3]
                             for c in words[3:]))
    texts = ["a superb, moving film", "dull and far too long", "great acting", "an awful mess"] * 4
    labels = ["pos", "neg", "pos", "neg"] * 4
    configs = {
        "lm": ("lm", {"data": str(text), "hidden_size": 12, "embedding_size": 6, "batch_size": 4,
                      "bptt": 10, "ngram_order": 0}, None),
        "sentiment": ("classify", {"hidden_size": 8, "embedding_size": 6, "batch_size": 4},
                      {"train": (texts, labels)}),
        "ner": ("tag", {"data": str(conll), "hidden_size": 8, "word_embedding_size": 6,
                        "char_hidden_size": 4, "batch_size": 4}, None),
        "series": ("forecast", {"data": str(series), "time_column": "t", "target": "y",
                                "lookback": 12, "horizon": 4, "hidden_size": 8}, None),
        "reverse": ("seq2seq", {"data": str(pairs), "hidden_size": 8, "embedding_size": 6,
                                "batch_size": 8, "eval_sentences": 4, "beam": 1}, None),
        "speech": ("asr", {"data": str(spoken / "train.csv"), "valid": str(spoken / "valid.csv"),
                           "hidden_size": 8, "num_layers": 1, "n_mels": 16, "batch_size": 4,
                           "eval_utterances": 2, "beam": 1, "lm_order": 0,
                           "bidirectional": False, "normalise": "global"}, None),
    }
    for name, (task, config, data) in configs.items():
        train(task, {**config, **FAST, "out": str(root / name)}, data=data)
    return root


@pytest.fixture(scope="package")
def server(runs):
    with serving([runs / n for n in ("lm", "sentiment", "ner", "series", "reverse", "speech")],
                 "--session-idle", "3", "--max-request-kb", "256") as base:
        yield base
