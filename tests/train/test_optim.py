"""Learning-rate schedules, by the step or over a time budget, and a run that spends one."""

import json
import math

import pytest

from rnnkit.errors import ConfigError
from rnnkit.run import make_config
from rnnkit.train.optim import WARMUP_SHARE, Schedule


def test_cosine_and_linear_decay_over_the_steps_or_over_the_budget():
    cosine = Schedule("cosine", 1.0, total_steps=100)
    assert cosine.lr(0) == 1.0 and cosine.lr(50) == pytest.approx(0.5) and cosine.lr(100) == 0.0
    linear = Schedule("linear", 2.0, total_steps=10)
    assert [linear.lr(s) for s in (0, 5, 10)] == pytest.approx([2.0, 1.0, 0.0])
    budget = Schedule("cosine", 1.0)  # no step count: the share of the minutes spent says
    assert budget.lr(7, fraction=0.5) == pytest.approx(0.5)
    assert budget.lr(9, fraction=1.0) == 0.0
    # the warm-up of a budget: its first WARMUP_SHARE, rising linearly
    assert budget.lr(0, fraction=WARMUP_SHARE / 2) == pytest.approx(
        0.5 * 0.5 * (1 + math.cos(math.pi * WARMUP_SHARE / 2)))
    assert Schedule("constant", 1.0).lr(5, fraction=0.9) == 1.0  # (only decays decay)


def test_max_minutes_alone_is_a_budget_and_with_epochs_or_steps_a_limit():
    alone = make_config("lm", {"max_minutes": 2.0})
    assert alone.budgeted and alone.schedule_kind == "cosine" and alone.planned_epochs > 10**5
    for limit in ({"epochs": 3}, {"max_steps": 50}):
        bounded = make_config("lm", {"max_minutes": 2.0, **limit})
        assert not bounded.budgeted and bounded.schedule_kind == "constant"
    assert make_config("lm", {}).planned_epochs == 10
    assert make_config("lm", {"max_minutes": 2.0, "schedule": "linear"}).schedule_kind == "linear"
    with pytest.raises(ConfigError, match="--prune ramps over a number of steps"):
        make_config("lm", {"max_minutes": 1.0, "prune": "magnitude", "sparsity": 0.5})


def test_a_budget_run_trains_until_the_minutes_are_spent_and_decays_over_them(corpus, tmp_path):
    from rnnkit.run import train

    out = tmp_path / "run"
    summary = train("lm", {"data": str(corpus), "out": str(out), "hidden_size": 8,
                           "embedding_size": 4, "batch_size": 16, "bptt": 50, "ngram_order": 0,
                           "eval_every": 100, "eval_windows": 1, "max_minutes": 0.05,
                           "device": "cpu"})
    assert summary["stop_reason"] == "reached --max-minutes 0.05"
    steps = [json.loads(line) for line in open(out / "steps.jsonl")]
    epochs = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])["epoch"]
    assert epochs >= 10  # past the 10 epochs a run without a budget takes (5 windows each)
    lrs = [r["lr"] for r in steps]
    assert lrs[0] < 0.5 * max(lrs)  # the warm-up
    assert lrs[-1] < 0.05 * max(lrs)  # spent: the cosine has come down


def test_max_minutes_alone_is_a_budget_in_every_task():
    """Speech and captions default to a number of epochs; --max-minutes alone still spends the
    minutes (cosine over them), as in every other task, unless epochs or steps are given."""
    from rnnkit.run import make_config
    from rnnkit.tasks.registry import TASKS

    for task in TASKS:
        config = make_config(task, {"max_minutes": 15.0})
        assert config.budgeted and config.schedule_kind == "cosine", task
    assert make_config("asr", {"max_minutes": 15.0, "epochs": 3}).epochs == 3
    assert make_config("asr", {}).epochs == 20
