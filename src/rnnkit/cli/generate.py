"""`rnnkit generate RUN_DIR`: text from a trained language model."""

from __future__ import annotations

import argparse
import json

from rnnkit.cli.options import SEED, add_run_arguments, number
from rnnkit.run import open_run


def add_parser(commands) -> None:
    parser = commands.add_parser("generate", help="generate text from a trained language model",
                                 description="Text from a trained language model: the prime is "
                                 "read once, then each token is sampled from the carried state.")
    section = add_run_arguments(parser, run)
    section.add_argument("--prime", default="", help="text to start from (default: none)")
    section.add_argument("--length", type=number(int), default=500, help="tokens to generate (default: 500)")
    section.add_argument("--temperature", type=float, default=1.0,
                         help="softmax temperature; 0 is greedy (default: 1.0)")
    section.add_argument("--top-k", type=number(int), default=0,
                         help="sample from the k likeliest tokens (default: 0, all)")
    section.add_argument("--top-p", type=float, default=1.0,
                         help="nucleus sampling: the smallest set holding this mass (default: 1.0)")
    section.add_argument("--greedy", action="store_true",
                         help="always take the likeliest token (default: off)")
    section.add_argument("--seed", type=SEED, default=None,
                         help="random seed for sampling (default: none, a fresh draw)")


def run(args: argparse.Namespace) -> int:
    text = open_run(args.run, args.checkpoint, args.device).generate(
        args.prime, args.length, temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
        greedy=args.greedy, seed=args.seed)
    print(json.dumps({"text": text}) if args.format == "json" else text)
    return 0
