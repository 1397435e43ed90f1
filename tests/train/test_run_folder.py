"""A run folder is never replaced without asking."""


import dataclasses

import pytest

from rnnkit.run import prepare
from rnnkit.tasks.lm.spec import LMConfig
from rnnkit.train.fit import fit

TEXT = ("the quick brown fox jumps over the lazy dog. " * 40
        + "pack my box with five dozen liquor jugs. " * 40)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT)
    return path


def small_config(corpus, out, **changes):
    base = LMConfig(data=str(corpus), out=str(out), hidden_size=16, num_layers=1,
                    embedding_size=8, batch_size=4, bptt=12, eval_every=4, max_steps=12,
                    ngram_order=0, dropout=0.1, lr=0.01)
    return dataclasses.replace(base, **changes)


def run(config, stop_after_step=None):
    setup = prepare("lm", config)
    model, run_dir = setup.model, setup.run_dir
    events = []
    for event in fit(model, setup.task, config, run_dir, setup.device):
        events.append(event)
        if stop_after_step is not None and event["event"] == "eval" and event["step"] == stop_after_step:
            break  # a kill right after a checkpoint
    return model, events, run_dir


def test_existing_run_is_not_overwritten_without_asking(corpus, tmp_path):
    run(small_config(corpus, tmp_path / "run", max_steps=4))
    with pytest.raises(ValueError, match="--resume.*--overwrite"):
        prepare("lm", small_config(corpus, tmp_path / "run"))
