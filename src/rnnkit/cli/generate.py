"""`rnnkit generate RUN_DIR`: text from a trained language model."""

from __future__ import annotations

import argparse
import json

from rnnkit.cli.options import add_run_arguments
from rnnkit.tasks.lm import generate
from rnnkit.tasks.lm_run import load_run
from rnnkit.train.run_folder import choose_device


def add_parser(commands) -> None:
    parser = commands.add_parser("generate", help="generate text from a trained language model")
    parser.add_argument("--prime", default="", help="text to start from (read once)")
    parser.add_argument("--length", type=int, default=500, help="tokens to generate")
    parser.add_argument("--temperature", type=float, default=1.0, help="softmax temperature")
    parser.add_argument("--top-k", type=int, default=0, help="sample from the k likeliest (0: all)")
    parser.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass")
    parser.add_argument("--greedy", action="store_true", help="always take the likeliest token")
    parser.add_argument("--seed", type=int, default=None, help="random seed for sampling")
    add_run_arguments(parser, run)


def run(args: argparse.Namespace) -> int:
    device = choose_device(args.device)
    model, vocab, _, _ = load_run(args.run, args.checkpoint, device)
    text = generate(model, vocab, args.prime, args.length, temperature=args.temperature,
                    top_k=args.top_k, top_p=args.top_p, greedy=args.greedy, seed=args.seed,
                    device=device)
    print(json.dumps({"text": text}) if args.format == "json" else text)
    return 0
