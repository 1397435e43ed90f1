"""`rnnkit export RUN_DIR --to onnx|torchscript [--int8] -o model.onnx`: the trained model
as files another runtime loads, checked against PyTorch before they are put in place."""

from __future__ import annotations

import argparse
import json
import sys

from rnnkit.cli.options import add_overwrite, output_file
from rnnkit.export import FORMATS, export_run, graphs_of, output_paths
from rnnkit.run import open_run


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "export", help="export a trained model to ONNX or TorchScript",
        description="Write the whole model (padded inputs and their lengths) and, for a model "
        "that streams, a single-step graph, as ONNX (each time loop one Scan: any length, any "
        "cell variant) or TorchScript (fused kernels), with a description file; a parity check "
        "against PyTorch (batch 1 and 8, T = 1, 7, 64, 300, unequal lengths) runs first.")
    parser.add_argument("run", metavar="RUN_DIR", help="a run folder made by `rnnkit train`")
    section = parser.add_argument_group("run options")
    section.add_argument("--checkpoint", choices=("best", "last"), default="best",
                         help="which checkpoint to load (default: best)")
    section.add_argument("--to", choices=FORMATS, default="onnx",
                         help="the model's format: onnx or torchscript (default: onnx)")
    section.add_argument("-o", "--output", required=True, metavar="FILE",
                         help="the model graph's file; others are written beside it "
                         "(default: none; required)")
    section.add_argument("--int8", action="store_true",
                         help="ONNX: dynamic int8 quantisation of the weights (default: off)")
    section.add_argument("--format", type=report_format, default="text",
                         help="the report printed: text, or json (one JSON object) "
                         "(default: text)")
    section.add_argument("--json", action="store_const", const="json", dest="format",
                         help="the same as --format json (default: off)")
    add_overwrite(section)
    parser.set_defaults(run_command=run)


def report_format(text: str) -> str:
    """--format means the printed output in every command; the model's format is --to."""
    if text in FORMATS:
        raise argparse.ArgumentTypeError(f"--format is what is printed (text or json); the "
                                         f"model's format is --to {text}")
    if text not in ("text", "json"):
        raise argparse.ArgumentTypeError(f"invalid choice {text!r} (choose from text, json)")
    return text


def run(args: argparse.Namespace) -> int:
    trained = open_run(args.run, args.checkpoint, "cpu")
    names = [graph.name for graph in graphs_of(trained)]
    for path in output_paths(args.output, names).values():
        output_file(str(path), args.overwrite, "-o")
    report = export_run(trained, args.to, args.output, int8=args.int8)
    if args.format == "json":
        print(json.dumps(report))
        return 0
    for name, graph in report["graphs"].items():
        print(f"wrote {graph['file']}: the {name} graph ({', '.join(graph['inputs'])} -> "
              f"{', '.join(graph['outputs'])})")
    print(f"parity with PyTorch: largest difference {report['max_error']:.2g} over "
          f"{len(report['parity'])} checks (tolerance {report['tolerance']:g})", file=sys.stderr)
    if report["int8_difference"]:
        int8 = max(row["max_error"] for row in report["int8_difference"])
        print(f"int8: largest difference from float32 PyTorch {int8:.3g}", file=sys.stderr)
    return 0
