"""`rnnkit predict RUN_DIR [FILE]`: labels for texts or series, tags for sentences.

Classifier input: a CSV/TSV/JSONL file (its text column), a .ts file or long-format CSV
(series), or plain text with one example per line (a file or stdin); one output line per
input. Tagger input: a CoNLL file (token first; other columns kept, the predicted tag
appended), or plain text with one whitespace-tokenized sentence per line; output is CoNLL.
"""

from __future__ import annotations

import argparse
import json
import sys

from rnnkit.cli.options import add_encoding, add_run_arguments, number, read_stdin
from rnnkit.run import open_run


def add_parser(commands) -> None:
    parser = commands.add_parser("predict", help="labels or tags from a trained classifier or tagger",
                                 description=__doc__.split("\n\n")[1])
    section = add_run_arguments(parser, run)
    parser.add_argument("input", nargs="?", default="-",
                        help="input file (default: stdin, one example or sentence per line)")
    section.add_argument("--top", type=number(int), default=None,
                         help="classifier: the N likeliest labels (default: 1)")
    section.add_argument("--text-column", help="classifier: the text column (default: the run's)")
    add_encoding(section, "standard input (a file is read in the run's own)")


def run(args: argparse.Namespace) -> int:
    trained = open_run(args.run, args.checkpoint, args.device)
    options = {"stdin_text": read_stdin(args.encoding) if args.input == "-" else None}
    if args.top is not None:
        options["top"] = args.top
    if args.text_column:
        options["text_column"] = args.text_column
    records = trained.predict(args.input, **options)
    for record in records:
        if args.format == "json":
            print(json.dumps({k: v for k, v in record.items() if k != "conll"}))
        elif "conll" in record:
            sys.stdout.write(record["conll"] + ("\n" if record is not records[-1] else ""))
        else:
            ranked = "\t".join(f"{r['label']}\t{r['probability']:.4f}" for r in record["top"])
            print(f"{record['series']}\t{ranked}" if "series" in record else ranked)
    return 0
