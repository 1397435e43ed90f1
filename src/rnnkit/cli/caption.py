"""`rnnkit caption RUN_DIR IMAGE...`: captions of image files from a trained captioner.

Every image is read and checked (an image file of the size the model was trained on) before
any is captioned; one line per image: its name, a tab, its caption. `--format json` adds the
n-best captions with scores and the attention of each word over the image grid.
"""

from __future__ import annotations

import argparse
import json

from rnnkit.cli.options import add_overwrite, add_run_arguments, number, output_file
from rnnkit.run import open_run


def add_parser(commands) -> None:
    parser = commands.add_parser("caption", help="caption images with a trained captioner",
                                 description=__doc__.split("\n\n")[1])
    section = add_run_arguments(parser, run)
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, ...)")
    section.add_argument("--beam", type=number(int, high=256), default=3,
                         help="beam size; 1 is greedy (default: 3)")
    section.add_argument("--n-best", type=number(int, high=256), default=1,
                         help="captions per image, best first (default: 1)")
    section.add_argument("--plot-attention", metavar="FILE.png",
                         help="draw where each word of the first caption looked (default: none)")
    add_overwrite(section)


def run(args: argparse.Namespace) -> int:
    plot = output_file(args.plot_attention, args.overwrite, "--plot-attention")
    records = open_run(args.run, args.checkpoint, args.device).caption(
        args.images, beam=args.beam, n_best=args.n_best, attention_plot=plot)
    for record in records:
        if args.format == "json":
            print(json.dumps(record))
        else:
            print(f"{record['image']}\t{record['caption']}")
    return 0
