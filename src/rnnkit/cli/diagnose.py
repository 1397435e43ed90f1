"""`rnnkit diagnose RUN_DIR`: vanishing/exploding-gradient diagnosis of a trained model."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rnnkit.cli.plots import plot_flow_heatmap, plot_gradient_flow, plot_saturation
from rnnkit.diagnostics import Thresholds
from rnnkit.tasks.runs import reopen
from rnnkit.train.checkpoint import write_json
from rnnkit.train.run_folder import choose_device, read_log


def add_parser(commands) -> None:
    parser = commands.add_parser("diagnose", help="diagnose vanishing/exploding gradients",
                                 description="Gradient flow through time, Jacobian products, "
                                 "recurrent spectra and gate saturation of a trained model, on "
                                 "its own validation data, with a verdict and advice.")
    parser.add_argument("run", metavar="RUN_DIR", help="a run folder made by `rnnkit train`")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best")
    parser.add_argument("--out", help="folder for diagnosis.json and the PNGs (default: RUN_DIR)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    defaults = Thresholds()
    for name, help_text in (
        ("vanishing_factor", "vanishing: the last loss's gradient falls by more than this"),
        ("exploding_factor", "exploding: it grows by more than this going back"),
        ("jump_factor", "exploding: a pre-clip norm this many times its running average"),
        ("saturation_fraction", "saturated: more than this fraction of a gate's units"),
    ):
        parser.add_argument("--" + name.replace("_", "-"), type=float, default=getattr(defaults, name),
                            help=f"{help_text} (default: {getattr(defaults, name):g})")
    parser.set_defaults(run_command=run)


def run(args: argparse.Namespace) -> int:
    task, model = reopen(args.run, args.checkpoint, choose_device("cpu"))
    run_dir = Path(args.run)
    grad_norms = [record["grad_norm"] for record in read_log(run_dir, "steps.jsonl")] or None
    thresholds = Thresholds(args.vanishing_factor, args.exploding_factor, args.jump_factor,
                            args.saturation_fraction)
    report = task.diagnose(model, grad_norms, thresholds)
    out = Path(args.out) if args.out else run_dir
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "diagnosis.json", report)
    plot_gradient_flow(report["flow"]["last_loss"], out / "gradient_flow.png")
    plot_saturation(report["saturation"], out / "saturation.png")
    records = read_log(run_dir, "diagnostics.jsonl")
    if records:
        plot_flow_heatmap(records, "layer0.forward", out / "gradient_heatmap.png")
    if args.format == "json":
        print(json.dumps(report))
        return 0
    print(f"verdict: {report['verdict']}" + (" (saturated units)" if report["saturated"] else ""))
    for reason in report["reasons"]:
        print(f"  - {reason}")
    if report["advice"]:
        print("advice:")
        for advice in report["advice"]:
            print(f"  - {advice}")
    for key, norms in report["flow"]["last_loss"].items():
        print(f"{key}: ‖∂L_T/∂s_t‖ from {norms[-1]:.3g} at t=T to {norms[0]:.3g} at t=1")
    print(f"wrote {out / 'diagnosis.json'}, gradient_flow.png, saturation.png")
    return 0
