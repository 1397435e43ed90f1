"""Training progress on stderr, from fit()'s events: what every `rnnkit train TASK` shows."""

from __future__ import annotations

import math
import sys


def follow(events, say) -> tuple[dict, list]:
    """Report fit()'s events as they come; return the stop event and the smoothed losses."""
    train_points, smoothed, stop = [], None, {}
    for event in events:
        if event["event"] == "step":
            smoothed = event["loss"] if smoothed is None else 0.95 * smoothed + 0.05 * event["loss"]
            train_points.append((event["step"], smoothed))
            say.progress(event, smoothed)
        elif event["event"] == "eval":
            extra = "".join(f", {name.replace('_', '-')} {event['valid_' + name]:.4f}"
                            for name in ("accuracy", "macro_f1", "f1") if "valid_" + name in event)
            perplexity = (f", perplexity {event['valid_perplexity']:.2f}"
                          if "valid_perplexity" in event else "")
            say.line(f"step {event['step']}: validation loss {event['valid_loss']:.4f}"
                     f"{perplexity}{extra}" + (" (best)" if event["improved"] else ""))
        elif event["event"] == "diagnosis":
            say.line(f"step {event['step']}: gradient diagnosis: {event['verdict']}"
                     + (" (saturated units)" if event["saturated"] else ""))
        elif event["event"] == "skip":
            say.line(f"step {event['step']}: non-finite loss or gradient "
                     f"(loss {event['loss']}, grad norm {event['grad_norm']}); step skipped")
        else:
            stop = event
    say.line(f"stopped: {stop['reason']}")
    return stop, train_points


class Reporter:
    """Progress on stderr: a live line on a terminal, a line every 50 steps otherwise."""

    def __init__(self, perplexity: bool = False) -> None:
        self.tty = sys.stderr.isatty()
        self.perplexity = perplexity  # language models: show exp(loss) too

    def line(self, text: str) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")
        print(text, file=sys.stderr, flush=True)

    def progress(self, event: dict, smoothed: float) -> None:
        if not self.tty and event["step"] % 50:
            return
        total = event["total_steps"]
        done = event["step"] / max(total, 1)
        bar = "#" * int(20 * done) + "-" * (20 - int(20 * done))
        text = (f"[{bar}] step {event['step']}/{total} epoch {event['epoch'] + 1} "
                f"loss {smoothed:.4f} "
                + (f"ppl {math.exp(min(smoothed, 50)):.2f} " if self.perplexity else "")
                + f"lr {event['lr']:.2e} "
                f"|g| {event['grad_norm']:.2f} {event['tokens_per_s']:,.0f} tok/s")
        if self.tty:
            sys.stderr.write("\r\033[K" + text)
            sys.stderr.flush()
        else:
            print(text, file=sys.stderr, flush=True)
