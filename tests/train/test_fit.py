"""fit(): resume equals the uninterrupted run, non-finite steps skipped, state detached between
windows, every step's pre-clip gradient norm logged."""



import torch

from helpers import small_config, train_lm
from rnnkit.run import open_run, prepare
from rnnkit.tasks.lm.model import generate
from rnnkit.train.fit import fit
from rnnkit.train.run_folder import RunFolder, read_log


def test_resume_after_interruption_equals_uninterrupted_run(corpus, tmp_path):
    whole, _, whole_dir = train_lm(small_config(corpus, tmp_path / "whole"))
    _, _, part_dir = train_lm(small_config(corpus, tmp_path / "part"), stop_after_step=8)
    resumed, events, _ = train_lm(small_config(corpus, tmp_path / "part", resume=True))
    assert events[0]["event"] == "step" and events[0]["step"] == 9
    for p, q in zip(whole.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(p, q)
    losses = [m["valid_loss"] for m in read_log(whole_dir, "metrics.jsonl")]
    assert losses == [m["valid_loss"] for m in read_log(part_dir, "metrics.jsonl")]


def test_state_is_detached_between_windows(corpus, tmp_path):
    config = small_config(corpus, tmp_path / "run", max_steps=5)
    setup = prepare("lm", config)
    run_dir, task, model, device = setup.run_dir, setup.task, setup.model, setup.device
    seen = []
    original = task.train_loss

    def recording(model, epoch, window, state):
        seen.append(state)
        return original(model, epoch, window, state)

    task.train_loss = recording
    list(fit(model, task, config, RunFolder(run_dir), device))
    assert seen[0] is None
    for state in seen[1:]:
        assert state is not None and state.h.grad_fn is None and state.c.grad_fn is None
        assert state.h.abs().sum() > 0  # values carried


def test_nan_loss_is_skipped_then_stops_keeping_the_last_good_checkpoint(corpus, tmp_path):
    config = small_config(corpus, tmp_path / "run", max_steps=40, max_bad_steps=3)
    setup = prepare("lm", config)
    run_dir, task, model, device = setup.run_dir, setup.task, setup.model, setup.device
    original = task.train_loss
    calls = {"n": 0}

    def poisoned(model, epoch, window, state):
        calls["n"] += 1
        loss, state, tokens = original(model, epoch, window, state)
        if calls["n"] == 3 or calls["n"] >= 6:  # one bad step, later a run of them
            loss = loss * float("nan")
        return loss, state, tokens

    task.train_loss = poisoned
    before = None
    events = []
    for event in fit(model, task, config, RunFolder(run_dir), device):
        events.append(event)
        if event["event"] == "eval":
            before = (run_dir / "last.safetensors").read_bytes()
    kinds = [e["event"] for e in events]
    assert kinds[:3] == ["step", "step", "skip"]  # the third window is skipped...
    assert kinds[3] == "step"  # ...and training goes on
    assert events[-1]["event"] == "stop" and events[-1]["failed"]
    assert "non-finite" in events[-1]["reason"]
    assert (run_dir / "last.safetensors").read_bytes() == before
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_checkpoint_round_trip_gives_identical_parameters_and_generation(corpus, tmp_path):
    model, _, run_dir = train_lm(small_config(corpus, tmp_path / "run"))
    reopened = open_run(run_dir, "last")
    for p, q in zip(model.state_dict().values(), reopened.model.state_dict().values()):
        assert torch.equal(p, q)
    a = generate(model.eval(), reopened.task.vocab, "the ", 40, temperature=0.9, seed=3)
    b = reopened.generate("the ", 40, temperature=0.9, seed=3)
    assert a == b and a.startswith("the ")


def test_every_step_logs_the_pre_clip_gradient_norm(corpus, tmp_path):
    _, events, run_dir = train_lm(small_config(corpus, tmp_path / "run", max_steps=6, clip_norm=1e-3))
    import json

    lines = [json.loads(x) for x in (run_dir / "steps.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == list(range(1, 7))
    assert all(x["grad_norm"] > 1e-3 for x in lines)  # measured before clipping
