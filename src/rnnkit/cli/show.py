"""Printing what the run API returns: figures as lines and tables, the same for every task."""

from __future__ import annotations

import math

from rnnkit.cli.progress import duration, figures_line

HIDDEN = ("labels", "confusion", "sample")


def print_figures(title: str, figures: dict) -> None:
    """`title: scalar figures` on one line, a table of the figures given per model or split
    (a forecaster's model and naive forecasts, a baseline's valid and test), then a table for
    each dict of dicts (per class, per entity type)."""
    line = figures_line(figures)
    rows = {name: row for name, row in figures.items() if name not in HIDDEN
            and isinstance(row, dict) and row and figures_line(row)}
    if line or not rows:
        print(f"{title}: {line or 'no figures'}")
    if rows:
        print_table(title if not line else "", rows)
    for key, value in figures.items():
        if key in HIDDEN or not isinstance(value, dict) or not value:
            continue
        rows = {name: row for name, row in value.items() if isinstance(row, dict)}
        if rows:
            print_table(key.replace("_", " "), rows)


def print_table(title: str, rows: dict[str, dict]) -> None:
    columns = list(dict.fromkeys(c for row in rows.values() for c, v in row.items()
                                 if isinstance(v, (int, float)) and not isinstance(v, bool)))
    width = max(10, len(title), *(len(str(name)) for name in rows)) + 2
    sizes = [max(12, len(heading(c)) + 2) for c in columns]
    print(f"  {title:<{width}}" + "".join(f"{heading(c):>{size}}" for c, size in zip(columns, sizes)))
    for name, row in rows.items():
        print(f"  {str(name):<{width}}" + "".join(
            f"{'-' if row.get(c) is None else cell(row[c]):>{size}}"
            for c, size in zip(columns, sizes)))


PERCENT = ("wer", "cer", "mape", "smape")  # figures given in per cent


def heading(column: str) -> str:
    return column.replace("_", " ") + (" %" if column in PERCENT else "")


def cell(value) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.4g}" if math.isfinite(value) and abs(value) >= 1e4 else f"{value:.4f}"


def time_line(seconds: dict) -> str:
    """Where a training's wall time went: the setup before it (data, features, model,
    baseline), the training itself (what --max-minutes bounds), the final figures after it."""
    return (f"{duration(seconds['total'])} in all: setup {duration(seconds['setup'])}, training "
            f"{duration(seconds['training'])}, final figures {duration(seconds['final'])}")


def print_summary(summary: dict) -> None:
    """The end of `rnnkit train`: where the run is, why it stopped, baseline and figures."""
    print(f"run: {summary['run']} ({summary['steps']} steps; {summary['stop_reason']})")
    if "seconds" in summary:
        print("time: " + time_line(summary["seconds"]))
    if summary.get("checkpoint") is None:
        print("no checkpoint was kept: no figures")
        return
    print(f"figures of the {summary['checkpoint']} checkpoint")
    baseline = summary.get("baseline")
    if baseline:
        flat = {k: v for k, v in baseline.items() if not isinstance(v, dict)}
        if flat:
            print_figures("baseline", flat)
        for name, figures in baseline.items():
            if isinstance(figures, dict):
                print_figures(f"baseline ({name})", figures)
    for part in ("valid", "test"):
        if part in summary:
            print_figures({"valid": "validation", "test": "test"}[part], summary[part])
    if "mixture" in summary:  # the network and the n-gram interpolated, λ chosen on validation
        print_figures("mixed with the n-gram", summary["mixture"])
    if "sample" in summary:
        print("sample:")
        print(summary["sample"])
