"""`rnnkit diagnose RUN_DIR`: vanishing/exploding-gradient diagnosis of a trained model."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rnnkit.cli.options import add_overwrite, add_run_arguments, output_file
from rnnkit.diagnostics import Thresholds
from rnnkit.errors import UserError
from rnnkit.run import DIAGNOSIS_FILES, open_run

THRESHOLDS = (
    ("vanishing_factor", "vanishing: the last loss's gradient falls by more than this"),
    ("exploding_factor", "exploding: it grows by more than this going back"),
    ("jump_factor", "exploding: a pre-clip norm this many times its running average"),
    ("saturation_fraction", "saturated: more than this fraction of a gate's units"),
)


def add_parser(commands) -> None:
    parser = commands.add_parser("diagnose", help="diagnose vanishing/exploding gradients",
                                 description="Gradient flow through time, Jacobian products, "
                                 "recurrent spectra and gate saturation of a trained model, on "
                                 "its own validation data, with a verdict and advice.")
    add_run_arguments(parser, run)
    section = parser.add_argument_group("diagnosis options")
    section.add_argument("--out", help="folder for diagnosis.json and the PNGs (default: RUN_DIR)")
    add_overwrite(section)
    defaults = Thresholds()
    for name, help_text in THRESHOLDS:
        section.add_argument("--" + name.replace("_", "-"), type=float,
                             default=getattr(defaults, name),
                             help=f"{help_text} (default: {getattr(defaults, name):g})")


def run(args: argparse.Namespace) -> int:
    thresholds = Thresholds(*(getattr(args, name) for name, _ in THRESHOLDS))
    out = Path(args.out) if args.out is not None else None
    if out is not None and out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder")
    if out is not None and out.is_dir():  # what the diagnosis writes there must not be the user's
        for name in DIAGNOSIS_FILES:
            output_file(str(out / name), args.overwrite, "--out")
    trained = open_run(args.run, args.checkpoint, args.device)
    report = trained.diagnose(thresholds, args.out)
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
    print(f"wrote {Path(args.out or args.run) / 'diagnosis.json'}, gradient_flow.png, "
          f"saturation.png")
    return 0
