"""`rnnkit transcribe RUN_DIR AUDIO...`: transcripts of WAV files from a trained recogniser.

Every file (or every .wav of a folder) is read and checked before any is decoded; one line
per file: its name, a tab, its transcript. `--beam` > 1 decodes by prefix beam search with the
run's character n-gram model (`--lm-weight`, `--lm-bonus`); `--format json` adds the n-best
transcripts with scores and each word's start and end in seconds. `--stream` feeds one file
in chunks to a unidirectional model and prints the partial transcript after each chunk.
"""

from __future__ import annotations

import argparse
import json

from rnnkit.cli.options import add_run_arguments, number
from rnnkit.errors import ConfigError
from rnnkit.run import open_run


def add_parser(commands) -> None:
    parser = commands.add_parser("transcribe", help="transcribe WAV files with a trained "
                                 "recogniser", description=__doc__.split("\n\n")[1])
    section = add_run_arguments(parser, run)
    parser.add_argument("audio", nargs="+", metavar="AUDIO", help="WAV files or folders of them")
    section.add_argument("--beam", type=number(int, high=256), default=1,
                         help="prefix beam search with this beam; 1 is greedy (default: 1)")
    section.add_argument("--n-best", type=number(int, high=256), default=1,
                         help="transcripts per file, best first (default: 1)")
    section.add_argument("--lm-weight", type=number(float), default=None,
                         help="weight of the run's n-gram model in beam search (default: the run's)")
    section.add_argument("--lm-bonus", type=number(float), default=None,
                         help="score added per character in beam search (default: the run's)")
    section.add_argument("--stream", action="store_true",
                         help="feed one file in chunks and print the partial transcript after "
                         "each, with a unidirectional model (default: off)")
    section.add_argument("--chunk-ms", type=number(float, high=60_000.0), default=200.0,
                         help="--stream: milliseconds of audio per chunk (default: 200)")


def run(args: argparse.Namespace) -> int:
    if args.stream and len(args.audio) != 1:
        raise ConfigError("--stream transcribes one file at a time")
    trained = open_run(args.run, args.checkpoint, args.device)
    if args.stream:
        for number, partial in enumerate(trained.stream(args.audio[0], args.chunk_ms), 1):
            if args.format == "json":
                print(json.dumps({"chunk": number, "seconds": number * args.chunk_ms / 1000,
                                  "partial": partial}), flush=True)
            else:
                print(partial, flush=True)
        return 0
    records = trained.transcribe(args.audio, beam=args.beam, lm_weight=args.lm_weight,
                                 bonus=args.lm_bonus, n_best=args.n_best)
    for record in records:
        if args.format == "json":
            print(json.dumps(record))
        elif args.n_best > 1:
            print("\t".join([record["file"], *(f"{h['text']}\t{h['score']:.4f}"
                                               for h in record["n_best"])]))
        else:
            print(f"{record['file']}\t{record['text']}")
    return 0
