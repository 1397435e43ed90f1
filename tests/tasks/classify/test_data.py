"""Classification examples from Python: pairs checked, validation held out by label."""

import pytest

from rnnkit.config import load_config
from rnnkit.errors import DataError
from rnnkit.tasks.classify.data import check_labels, load_splits
from rnnkit.tasks.classify.spec import ClassifyConfig


def test_in_memory_examples_are_split_like_files():
    config = load_config(ClassifyConfig, None, {"valid_fraction": 0.25})
    texts, labels = [f"text {i}" for i in range(8)], ["a", "b"] * 4
    splits = load_splits(config, {"train": (texts, labels)})
    assert len(splits["train"].inputs) == 6 and len(splits["valid"].inputs) == 2
    assert sorted(splits["valid"].labels) == ["a", "b"]  # stratified
    assert check_labels(splits) == ["a", "b"]


@pytest.mark.parametrize("given, message", [
    ({"train": (["a", "b"], ["x"])}, "2 inputs and 1 labels"),
    ({"train": ["a", "b"]}, "give a pair"),
    ({"valid": (["a"], ["x"])}, "data from Python is"),
    ({"train": (["a"], ["x"]), "extra": (["a"], ["x"])}, "data from Python is"),
])
def test_bad_in_memory_data_is_named(given, message):
    with pytest.raises(DataError, match=message):
        load_splits(load_config(ClassifyConfig, None, {}), given)
