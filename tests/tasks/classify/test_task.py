"""The classifier: padding never changes a probability (every cell and pooling); balanced class weights."""


import pytest
import torch

from rnnkit.config import load_config
from rnnkit.data.encoders import TextEncoder
from rnnkit.data.scaling import Scaler
from rnnkit.layers.pooling import POOLING
from rnnkit.tasks.classify.data import Examples
from rnnkit.tasks.classify.spec import ClassifyConfig
from rnnkit.tasks.classify.task import ClassifyTask

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
