"""A run folder is never replaced without asking."""



import pytest

from helpers import small_config, train_lm
from rnnkit.run import prepare


def test_existing_run_is_not_overwritten_without_asking(corpus, tmp_path):
    train_lm(small_config(corpus, tmp_path / "run", max_steps=4))
    with pytest.raises(ValueError, match="--resume.*--overwrite"):
        prepare("lm", small_config(corpus, tmp_path / "run"))
