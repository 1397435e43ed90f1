"""Training progress on stderr, from the run API's events: on a terminal a progress bar
(tqdm: steps, elapsed time, ETA, loss, learning rate, gradient norm, tokens/s) with one line
per evaluation; otherwise quiet JSON lines (evaluations, diagnoses, skips, every 50th step)."""

from __future__ import annotations

import json
import math
import sys

from tqdm import tqdm

QUIET_EVERY = 50  # steps between JSON progress lines when stderr is not a terminal


def duration(seconds: float) -> str:
    """`3 min 05 s`, `12 s`, `0.4 s`."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


class Reporter:
    """Call it with every event of `rnnkit.run.train`."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.bar: tqdm | None = None

    def __call__(self, event: dict) -> None:
        if not self.tty:
            if event["event"] != "step" or event["step"] % QUIET_EVERY == 0:
                print(json.dumps(event, default=str), file=self.stream, flush=True)
            return
        kind = event["event"]
        if kind == "start":
            if event.get("removed"):
                self.line(f"--overwrite: removed the earlier run's {', '.join(event['removed'])}")
            self.line(f"rnnkit: {event['facts']} on {event['device']} -> {event['run']}")
            if event.get("setup_s", 0) >= 10:  # outside --max-minutes: say where it went
                self.line(f"setup took {duration(event['setup_s'])} (data, model; not counted "
                          f"in --max-minutes, which bounds the training)")
            for name, count in event["parameters"]:
                self.line(f"  {name:<24}{count:>14,} parameters")
        elif kind == "baseline":
            self.line("baseline: " + figures_line({k: v for k, v in event.items() if k != "event"}))
        elif kind == "step":
            self.step(event)
        elif kind == "eval":
            figures = {k[6:]: v for k, v in event.items() if k.startswith("valid_")}
            self.line(f"step {event['step']}: validation " + figures_line(figures)
                      + (" (best)" if event["improved"] else ""))
        elif kind == "diagnosis":
            self.line(f"step {event['step']}: gradient diagnosis: {event['verdict']}"
                      + (" (saturated units)" if event["saturated"] else ""))
        elif kind == "threads":
            self.line(f"step {event['step']}: other processes keep about "
                      f"{event['busy_elsewhere']:.1f} of {event['usable']} cores busy; training on "
                      f"{event['threads']} thread{'s' if event['threads'] > 1 else ''}")
        elif kind == "skip":
            self.line(f"step {event['step']}: non-finite loss or gradient (loss {event['loss']}, "
                      f"grad norm {event['grad_norm']}); step skipped")
        elif kind == "stop":
            if self.bar is not None:
                self.bar.close()
                self.bar = None
            self.line(f"stopped: {event['reason']}")

    def step(self, event: dict) -> None:
        if self.bar is None:
            self.bar = tqdm(total=event["total_steps"], initial=event["step"] - 1, unit="step",
                            file=self.stream, dynamic_ncols=True, leave=False)
        self.bar.update(1)
        self.bar.set_postfix_str(
            f"epoch {event['epoch'] + 1} loss {event['smoothed_loss']:.4f} lr {event['lr']:.2e} "
            f"|g| {event['grad_norm']:.2f} {event['tokens_per_s']:,.0f} tok/s", refresh=False)

    def line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)


def figures_line(figures: dict) -> str:
    """"loss 1.2345, perplexity 3.44, accuracy 0.9000": the scalar figures of a dict."""
    shown = []
    for key, value in figures.items():
        if isinstance(value, float):
            unit = " %" if key in ("wer", "cer", "mape", "smape") else ""
            shown.append(f"{key.replace('_', ' ')} {value:.4f}{unit}" if math.isfinite(value)
                         else f"{key.replace('_', ' ')} {value}")
        elif isinstance(value, int) and not isinstance(value, bool):
            shown.append(f"{key.replace('_', ' ')} {value}")
    return ", ".join(shown)
