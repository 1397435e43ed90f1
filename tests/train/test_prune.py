"""Pruning while training: Zhu & Gupta's schedule; magnitude masks that hold through every
optimiser step on the fused kernels; units masks after which the compacted smaller model
computes exactly what the masked one did; a pruned run resumed equals the run never stopped."""

import dataclasses
import math
from types import SimpleNamespace

import pytest
import torch

from helpers import small_config, train_lm
from rnnkit.errors import ConfigError
from rnnkit.layers.config import RecurrentConfig
from rnnkit.run import prepare
from rnnkit.tasks.lm.model import LanguageModel
from rnnkit.train.fit import fit
from rnnkit.train.prune import (
    Pruner,
    compact,
    keep_largest,
    magnitude_targets,
    sparsity_at,
    stack_of,
)


def schedule(**changes):
    values = {"sparsity": 0.8, "prune_start": 10, "prune_steps": 100, "prune_schedule": "cubic",
              "prune_every": 10, "prune": "magnitude"}
    return SimpleNamespace(**{**values, **changes})


def test_cubic_schedule_is_zhu_and_gupta():
    config = schedule()
    assert sparsity_at(config, 5, 1000) == 0.0
    for step in (10, 35, 60, 110, 500):
        progress = min(1.0, (step - 10) / 100)
        assert sparsity_at(config, step, 1000) == pytest.approx(0.8 * (1 - (1 - progress) ** 3))
    values = [sparsity_at(config, s, 1000) for s in range(200)]
    assert values == sorted(values) and values[-1] == 0.8
    assert sparsity_at(schedule(prune_schedule="linear"), 60, 1000) == pytest.approx(0.4)
    assert sparsity_at(schedule(prune_schedule="oneshot"), 10, 1000) == 0.8
    assert sparsity_at(schedule(prune_steps=0, prune_start=0), 75, 100) == 0.8  # 3/4 of the run


def test_magnitude_pruning_thins_the_recurrent_matrices():
    model = lm_model("lstm", proj_size=2)
    assert sorted(magnitude_targets(model)) == [
        f"rnn.layers.{k}.cell.{w}" for k in (0, 1) for w in ("weight_hh", "weight_hr", "weight_ih")]


def test_keep_largest_keeps_exactly_the_largest():
    scores = torch.tensor([[0.5, -3.0, 2.0], [0.1, 4.0, -0.2]]).abs()
    assert keep_largest(scores, 0.5).tolist() == [[False, True, True], [False, True, False]]
    assert int(keep_largest(torch.rand(100), 0.8).sum()) == 20


def test_magnitude_masks_hold_through_every_step_on_the_fused_kernels(corpus, tmp_path):
    config = small_config(corpus, tmp_path / "run", prune="magnitude", sparsity=0.6,
                          prune_schedule="oneshot", max_steps=10, eval_every=5)
    setup = prepare("lm", config)
    assert setup.model.rnn.choose_backend() == "fused" or not setup.model.training
    zeros = None
    for event in fit(setup.model, setup.task, config, setup.folder, setup.device):
        if event["event"] != "step":
            continue
        now = {n: p.detach() == 0 for n, p in magnitude_targets(setup.model).items()}
        if zeros is not None:  # a pruned weight never comes back, whatever Adam's moments say
            assert all(bool((now[n] | ~zeros[n]).all()) for n in now)
        zeros = now
        for mask in now.values():
            assert float(mask.float().mean()) == pytest.approx(0.6, abs=1.0 / mask.numel())
    setup.close()


def lm_model(cell: str, **options) -> LanguageModel:
    network = dataclasses.replace(RecurrentConfig(), cell=cell, hidden_size=6, num_layers=2,
                                  **options)
    return LanguageModel(11, 5, network)


@pytest.mark.parametrize("cell, options", [
    ("lstm", {"peephole": True, "learn_init": True, "zoneout": 0.2}),
    ("lstm", {"proj_size": 2}),
    ("gru", {"learn_init": True}),
    ("rnn", {}),
])
def test_the_compacted_model_computes_what_the_masked_one_did(cell, options, float64):
    model = lm_model(cell, **options).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))  # learned states and peepholes away from zero
    pruner = Pruner(model, schedule(prune="units", sparsity=0.5, prune_schedule="oneshot",
                                    prune_start=0, prune_every=1), 10)
    pruner.after_step(1)
    tokens = torch.randint(0, 11, (3, 9))
    want, _ = model(tokens)
    hidden_size, state = compact(model)
    assert hidden_size == 3
    smaller = LanguageModel(11, 5, dataclasses.replace(
        RecurrentConfig(), cell=cell, hidden_size=3, num_layers=2, **options))
    smaller.load_state_dict(state)
    smaller.eval()
    got, _ = smaller(tokens)
    torch.testing.assert_close(got, want)


def test_units_pruning_refuses_what_it_cannot_remove():
    with pytest.raises(ConfigError, match="layer-normalised"):
        stack_of(lm_model("lstm", layer_norm=True))
    with pytest.raises(ConfigError, match="would leave 3 of 6 units, too few"):
        stack_of(lm_model("lstm", proj_size=3), 0.5)
    tied = LanguageModel(11, 6, dataclasses.replace(RecurrentConfig(), cell="gru", hidden_size=6),
                         tie_weights=True)
    with pytest.raises(ConfigError, match="tied to the embedding"):
        stack_of(tied)


def test_a_pruned_run_resumed_equals_the_run_never_stopped(corpus, tmp_path):
    settings = {"prune": "magnitude", "sparsity": 0.7, "max_steps": 12, "eval_every": 4,
                "prune_every": 3}
    whole, _, _ = train_lm(small_config(corpus, tmp_path / "a", **settings))
    train_lm(small_config(corpus, tmp_path / "b", **settings), stop_after_step=4)
    resumed, _, _ = train_lm(small_config(corpus, tmp_path / "b", resume=True, **settings))
    for (name, a), (_, b) in zip(whole.state_dict().items(), resumed.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    assert math.isclose(float((whole.rnn.cells()[0].weight_hh == 0).float().mean()), 0.7,
                        abs_tol=0.01)
