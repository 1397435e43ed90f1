"""Classifier and tagger: padding never changes a prediction; scaling on train only; class
weights; short training on slices of the bundled sets beats the majority class."""

import pytest
import torch

from rnnkit.config import load_config
from rnnkit.data.conll import Sentence
from rnnkit.data.encoders import TextEncoder
from rnnkit.data.scaling import Scaler
from rnnkit.layers.pooling import POOLING
from rnnkit.run import prepare
from rnnkit.tasks.classify.data import Examples
from rnnkit.tasks.classify.spec import ClassifyConfig
from rnnkit.tasks.classify.task import ClassifyTask
from rnnkit.tasks.tag.data import Vocabularies, collate
from rnnkit.tasks.tag.spec import TagConfig
from rnnkit.tasks.tag.task import TagTask
from rnnkit.train.fit import fit

CPU = torch.device("cpu")


def text_task(pooling="last", **extra):
    texts = ["good fine great film", "bad awful film", "great great", "awful bad bad bad film"] * 3
    labels = ["pos", "neg", "pos", "neg"] * 3
    config = load_config(ClassifyConfig, None, {"pooling": pooling, "hidden_size": 8,
                                                "embedding_size": 6, "num_layers": 2, **extra})
    encoder = TextEncoder.build(texts, "word")
    splits = {"train": Examples(texts, labels, [str(i) for i in range(12)])}
    return ClassifyTask(config, ["neg", "pos"], CPU, encoder, splits=splits)


@pytest.mark.parametrize("pooling", POOLING)
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_a_text_alone_or_in_a_padded_batch_gets_the_same_probabilities(pooling, cell):
    task = text_task(pooling, cell=cell)
    model = task.build_model().eval()
    inputs = task.parts["train"][0]
    together = task.probabilities(model, inputs)
    for i, x in enumerate(inputs):
        torch.testing.assert_close(task.probabilities(model, [x])[0], together[i])


def test_a_series_alone_or_in_a_padded_batch_gets_the_same_probabilities():
    series = [torch.randn(n, 3) for n in (5, 9, 2, 7)]
    config = load_config(ClassifyConfig, None, {"pooling": "mean", "hidden_size": 8})
    splits = {"train": Examples(series, ["a", "b", "a", "b"], list("0123"))}
    task = ClassifyTask(config, ["a", "b"], CPU, scaler=Scaler.fit_channels(series), splits=splits)
    model = task.build_model().eval()
    together = task.probabilities(model, task.parts["train"][0])
    for i, x in enumerate(task.parts["train"][0]):
        torch.testing.assert_close(task.probabilities(model, [x])[0], together[i])


def test_balanced_class_weights():
    texts = ["a"] * 6 + ["b"] * 2
    labels = ["x"] * 6 + ["y"] * 2
    config = load_config(ClassifyConfig, None, {"class_weights": "balanced"})
    splits = {"train": Examples(texts, labels, [str(i) for i in range(8)])}
    task = ClassifyTask(config, ["x", "y"], CPU, TextEncoder.build(texts), splits=splits)
    torch.testing.assert_close(task.weights, torch.tensor([8 / 12, 8 / 4]))


def test_the_scaler_sees_only_the_training_split(tmp_path):
    rows = ["id,t,v,label"]
    for i in range(10):
        rows += [f"s{i},{t},{i + t},{'a' if i % 2 else 'b'}" for t in range(4)]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    valid = ["id,t,v,label"] + [f"v{i},{t},1000,{'a' if i % 2 else 'b'}" for i in range(2)
                                for t in range(4)]
    (tmp_path / "valid.csv").write_text("\n".join(valid) + "\n")
    config = load_config(ClassifyConfig, None, {
        "data": str(tmp_path / "train.csv"), "valid": str(tmp_path / "valid.csv"),
        "series_id": "id", "time_column": "t", "out": str(tmp_path / "run")})
    task = prepare("classify", config).task
    assert float(task.scaler.mean[0]) == pytest.approx(sum(i + t for i in range(10)
                                                           for t in range(4)) / 40)


def tag_task(output):
    sentences = [Sentence("John lives in Paris".split(), ["B-PER", "O", "O", "B-LOC"]),
                 Sentence("Mary Ann went home".split(), ["B-PER", "I-PER", "O", "O"]),
                 Sentence("Rome".split(), ["B-LOC"])]
    config = load_config(TagConfig, None, {"output": output, "hidden_size": 6, "bioes": True,
                                           "word_embedding_size": 5, "char_hidden_size": 4})
    vocab = Vocabularies.build(sentences, config)
    return TagTask(config, vocab, CPU, {"train": sentences}), sentences


@pytest.mark.parametrize("output", ["softmax", "crf"])
def test_a_sentence_alone_or_in_a_padded_batch_gets_the_same_tags_and_scores(output):
    task, _ = tag_task(output)
    model = task.build_model().eval()
    encoded = task.parts["train"]
    words, chars, char_lengths, lengths, _ = collate(encoded, [0, 1, 2])
    together = model.emissions(words, chars, char_lengths, lengths)
    for i in range(3):
        alone = model.emissions(*collate(encoded, [i])[:4])
        n = int(lengths[i])
        torch.testing.assert_close(alone[0, :n], together[i, :n])
    predicted, _ = task.predict(model, encoded)
    assert [len(p) for p in predicted] == [4, 4, 1]
    assert all(t[:2] in ("O", "B-", "I-") for p in predicted for t in p)  # BIOES given back as BIO


def test_italy_power_demand_slice_beats_the_majority_class(tmp_path):
    config = load_config(ClassifyConfig, None, {
        "dataset": "italypowerdemand", "out": str(tmp_path / "run"), "epochs": 40,
        "hidden_size": 32, "batch_size": 16, "lr": 3e-3, "eval_every": 20, "valid_fraction": 0.2,
        "dropout": 0.0})
    setup = prepare("classify", config)
    task, model = setup.task, setup.model
    for _ in fit(model, task, setup.config, setup.run_dir, setup.device):
        pass
    test = task.evaluate(model, "test", full=True)
    majority = max(test["per_class"].values(), key=lambda m: m["support"])["support"] / test["examples"]
    assert test["accuracy"] > majority + 0.2, (test["accuracy"], majority)


@pytest.mark.slow
def test_rotten_tomatoes_slice_beats_the_majority_class(tmp_path):
    config = load_config(ClassifyConfig, None, {
        "dataset": "rotten-tomatoes", "out": str(tmp_path / "run"), "epochs": 1, "max_steps": 200,
        "hidden_size": 64, "eval_every": 100, "pooling": "max"})
    setup = prepare("classify", config)
    task, model = setup.task, setup.model
    for _ in fit(model, task, setup.config, setup.run_dir, setup.device):
        pass
    test = task.evaluate(model, "test", full=True)
    majority = max(test["per_class"].values(), key=lambda m: m["support"])["support"] / test["examples"]
    assert test["accuracy"] > majority + 0.03, (test["accuracy"], majority)
