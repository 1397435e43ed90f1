"""A real server on 127.0.0.1 over tiny trained runs (a language model, a classifier, a tagger,
a forecaster, a recogniser), started once for the package's tests and stopped after."""

import pytest

from helpers import tiny_task_data
from http_helpers import serving
from rnnkit.run import train

FAST = {"max_steps": 4, "eval_every": 4, "device": "cpu"}


@pytest.fixture(scope="package")
def runs(tmp_path_factory, spoken):
    root = tmp_path_factory.mktemp("served")
    data = tiny_task_data(root)
    text, conll, series, pairs = data.text, data.conll, data.series, data.pairs
    texts, labels = data.texts, data.labels
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
