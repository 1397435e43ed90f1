"""`rnnkit evaluate RUN_DIR --data FILE`: a trained model's figures on held-out text."""

from __future__ import annotations

import argparse
import json

from rnnkit.cli.options import add_run_arguments
from rnnkit.data.batching import concatenate
from rnnkit.data.text import load_documents
from rnnkit.tasks.lm import evaluate_stream
from rnnkit.tasks.lm_run import held_out_stream, load_run
from rnnkit.train.run_folder import choose_device


def add_parser(commands) -> None:
    parser = commands.add_parser("evaluate", help="evaluate a trained model on held-out data")
    parser.add_argument("--data", required=True, help="text file or folder to evaluate on")
    parser.add_argument("--encoding", default="utf-8", help="text encoding of --data")
    add_run_arguments(parser, run)


def run(args: argparse.Namespace) -> int:
    device = choose_device(args.device)
    model, vocab, config, _ = load_run(args.run, args.checkpoint, device)
    documents = load_documents(args.data, args.encoding)
    ids, starts = concatenate([vocab.encode(d) for d in documents])
    metrics = evaluate_stream(model, held_out_stream(ids, starts, config, "evaluation"),
                              vocab.level, device=device)
    unknown = sum(1 for i in ids.tolist() if i == 0)
    result = {"tokens": int(ids.shape[0]), "unknown_tokens": unknown, **metrics}
    if args.format == "json":
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
    return 0
