"""`rnnkit prune RUN_DIR --method magnitude|units --sparsity S --steps N --out R2`: fine-tune a
trained model while pruning it into a new run folder, then report size, sparsity per matrix,
the validation figures before and after, and the inference time of both."""

from __future__ import annotations

import argparse
import json

from rnnkit.cli.options import number
from rnnkit.cli.progress import Reporter, figures_line
from rnnkit.run.prune import prune


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "prune", help="prune a trained model while fine-tuning it",
        description="Gradual magnitude pruning (Zhu & Gupta: each weight matrix thinned to the "
        "sparsity on a cubic schedule) or structured pruning of whole hidden units (all gate "
        "blocks together, then a smaller dense model), while fine-tuning on the run's own data.")
    parser.add_argument("run", metavar="RUN_DIR", help="a run folder made by `rnnkit train`")
    section = parser.add_argument_group("run options")
    section.add_argument("--method", choices=("magnitude", "units"), default="magnitude",
                         help="weights by magnitude, or whole hidden units (default: magnitude)")
    section.add_argument("--sparsity", type=number(float), required=True,
                         help="share removed by the end, in [0, 1) (default: none; required)")
    section.add_argument("--schedule", choices=("cubic", "linear", "oneshot"), default="cubic",
                         help="how the sparsity ramps up (default: cubic)")
    section.add_argument("--steps", type=number(int), default=600,
                         help="fine-tuning steps (default: 600)")
    section.add_argument("--ramp-steps", type=number(int), default=0,
                         help="steps the sparsity ramps over (default: 0, three quarters of --steps)")
    section.add_argument("--every", type=number(int), default=20,
                         help="steps between mask updates (default: 20)")
    section.add_argument("--lr", type=number(float), default=None,
                         help="fine-tuning learning rate (default: a quarter of the run's)")
    section.add_argument("--out", required=True, help="the new run folder (default: none; required)")
    section.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                         help="where to fine-tune (default: auto)")
    section.add_argument("--overwrite", action="store_true",
                         help="replace the run in --out (default: off)")
    section.add_argument("--format", choices=("text", "json"), default="text",
                         help="json: one JSON object (default: text)")
    parser.set_defaults(run_command=run)


def run(args: argparse.Namespace) -> int:
    settings = {"prune": args.method, "sparsity": args.sparsity, "prune_schedule": args.schedule,
                "max_steps": args.steps, "prune_steps": args.ramp_steps, "prune_every": args.every,
                "eval_every": max(1, args.steps // 10), "device": args.device}
    if args.lr is not None:
        settings["lr"] = args.lr
    summary = prune(args.run, settings, args.out, overwrite=args.overwrite, progress=Reporter(),
                    lr_scale=0.25 if args.lr is None else 1.0)
    if args.format == "json":
        print(json.dumps(summary))
        return 1 if summary["failed"] else 0
    report = summary["pruning"]
    before, after = report["before"], report["after"]
    print(f"run: {summary['run']} ({summary['steps']} steps of {report['method']} pruning to "
          f"{report['sparsity']:.0%})")
    for name, part in (("before", before), ("after", after)):
        figures = figures_line(part["valid"] or {})
        print(f"{name}: {part['parameters']:,} parameters, {part['nonzero']:,} non-zero "
              f"({part['megabytes']:.2f} MB dense); {part['seconds'] * 1000:.2f} ms per batch; "
              f"validation: {figures}")
    speed = before["seconds"] / after["seconds"] if after["seconds"] else float("nan")
    print(f"inference: {speed:.2f}x the original's speed on the same inputs")
    print("sparsity per matrix:")
    for name, share in report["matrices"].items():
        print(f"  {name:<40}{share:>8.1%}")
    return 1 if summary["failed"] else 0
