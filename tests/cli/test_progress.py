"""Progress: a bar and one line per evaluation on a terminal, quiet JSON lines otherwise."""

import io
import json

from rnnkit.cli.progress import QUIET_EVERY, Reporter, figures_line


class Terminal(io.StringIO):
    def isatty(self):
        return True


START = {"event": "start", "task": "lm", "run": "runs/x", "device": "cpu", "facts": "a model",
         "parameters": [("embedding", 10), ("total", 10)]}
EVAL = {"event": "eval", "step": 2, "improved": True, "valid_loss": 1.5, "valid_accuracy": 0.75}


def step(n, total=100):
    return {"event": "step", "step": n, "epoch": 0, "loss": 2.0, "smoothed_loss": 2.0, "lr": 1e-3,
            "grad_norm": 0.5, "total_steps": total, "tokens_per_s": 1000.0}


def test_not_a_terminal_gives_json_lines_and_few_steps():
    stream = io.StringIO()
    report = Reporter(stream)
    for event in [START, *(step(n) for n in range(1, 2 * QUIET_EVERY + 1)), EVAL]:
        report(event)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["event"] for r in records] == ["start", "step", "step", "eval"]
    assert [r["step"] for r in records if r["event"] == "step"] == [QUIET_EVERY, 2 * QUIET_EVERY]


def test_a_terminal_gets_a_bar_the_model_summary_and_one_line_per_evaluation():
    stream = Terminal()
    report = Reporter(stream)
    for event in (START, step(1, 4), step(2, 4), EVAL, {"event": "stop", "reason": "done",
                                                        "step": 2, "failed": False}):
        report(event)
    text = stream.getvalue()
    assert "rnnkit: a model on cpu -> runs/x" in text and "embedding" in text
    assert "2/4" in text and "loss 2.0000" in text  # the bar: steps done of total, the loss
    assert "step 2: validation loss 1.5000, accuracy 0.7500 (best)" in text
    assert text.rstrip().endswith("stopped: done")


def test_figures_line_shows_scalars_only():
    assert figures_line({"loss": 0.5, "steps": 3, "per_class": {}, "flag": True}) == (
        "loss 0.5000, steps 3")


def test_a_long_setup_is_said_beside_the_budget():
    for seconds, said in ((12.0, True), (2.0, False)):
        stream = Terminal()
        Reporter(stream)({**START, "setup_s": seconds})
        assert ("setup took 12 s (data, model; not counted in --max-minutes" in stream.getvalue()) == said
