"""`rnnkit translate RUN_DIR [FILE]`: outputs of a trained encoder-decoder, one line per input.

Reads the lines of FILE (default: stdin) and writes one translation per line, in order; a
blank line gives a blank line. `--beam` sets the beam (1: greedy), `--n-best` how many
hypotheses each line gets; `--format json` writes one object per line with every hypothesis,
its score and log-probability, and the attention matrix of the best.
"""

from __future__ import annotations

import argparse
import json
import sys

from rnnkit.cli.options import (
    add_encoding,
    add_overwrite,
    add_run_arguments,
    number,
    output_file,
    read_stdin,
)
from rnnkit.run import open_run

HIDDEN = ("source_tokens",)


def add_parser(commands) -> None:
    parser = commands.add_parser("translate", help="translate lines with a trained seq2seq model",
                                 description=__doc__.split("\n\n")[1])
    section = add_run_arguments(parser, run)
    parser.add_argument("input", nargs="?", default="-",
                        help="file of source lines (default: stdin)")
    section.add_argument("--beam", type=number(int, high=256), default=5,
                         help="beam size; 1 is greedy (default: 5)")
    section.add_argument("--n-best", type=number(int, high=256), default=1,
                         help="hypotheses per line, best first (default: 1)")
    section.add_argument("--alpha", type=number(float), default=None,
                         help="length penalty ((5 + n) / 6) ** alpha (default: the run's)")
    section.add_argument("--strict", action="store_true",
                         help="stop with an error at the first token the model never saw, "
                         "instead of reading it as the unknown token (default: off)")
    section.add_argument("--allow-unknown", action="store_true",
                         help="what translate does anyway now: read unseen tokens as the "
                         "unknown token; kept for old scripts (default: on)")
    section.add_argument("--plot-attention", metavar="FILE.png",
                         help="draw the alignment of the first line there (default: none)")
    add_encoding(section)
    add_overwrite(section)


def run(args: argparse.Namespace) -> int:
    plot = output_file(args.plot_attention, args.overwrite, "--plot-attention")
    trained = open_run(args.run, args.checkpoint, args.device)
    records = trained.translate(
        args.input, stdin_text=read_stdin(args.encoding) if args.input == "-" else None, beam=args.beam,
        n_best=args.n_best, alpha=args.alpha, allow_unknown=not args.strict,
        attention_plot=plot, encoding=args.encoding)
    unseen = [record["unknown"] for record in records if record["unknown"]]
    if unseen:
        print(f"rnnkit: {sum(unseen):,} source token(s) on {len(unseen):,} of {len(records):,} "
              f"lines were not in the model's vocabulary and were read as the unknown token "
              f"(--strict stops instead)", file=sys.stderr)
    for record in records:
        if args.format == "json":
            print(json.dumps({k: v for k, v in record.items() if k not in HIDDEN}))
        elif args.n_best > 1:
            print("\t".join(f"{h['text']}\t{h['score']:.4f}" for h in record["n_best"]))
        else:
            print(record["translation"])
    return 0
