"""`rnnkit predict RUN_DIR`: labels for texts or series, tags for sentences, from a saved run.

Classifier input: a CSV/TSV/JSONL file (its text column), a .ts file or long-format CSV (series),
or plain text with one example per line (a file or stdin). One output line per input.
Tagger input: a CoNLL file (token first; any other columns are kept and the predicted tag is
appended), or plain text with one whitespace-tokenized sentence per line; output is CoNLL.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from rnnkit.cli.options import add_run_arguments
from rnnkit.data.conll import Sentence, format_conll, read_conll
from rnnkit.data.text import DataError, read_text
from rnnkit.tasks.classify import load_classifier
from rnnkit.tasks.classify_data import Examples, read_examples
from rnnkit.tasks.tag import load_tagger
from rnnkit.train.run_folder import choose_device, open_checkpoint

TABLES = (".csv", ".tsv", ".tab", ".jsonl", ".json", ".ndjson", ".ts")
CONLL = (".conll", ".conllu", ".bio", ".iob", ".iobes", ".bioes", ".tsv")


def add_parser(commands) -> None:
    parser = commands.add_parser("predict", help="labels or tags from a trained classifier or tagger",
                                 description=__doc__.split("\n\n")[0])
    add_run_arguments(parser, run)
    parser.add_argument("input", nargs="?", default="-",
                        help="input file (default: stdin, one example or sentence per line)")
    parser.add_argument("--top", type=int, default=1, help="classifier: the N likeliest labels")
    parser.add_argument("--text-column", help="classifier: the text column (default: the run's)")


def run(args: argparse.Namespace) -> int:
    device = choose_device(args.device)
    path, tensors, meta = open_checkpoint(args.run, args.checkpoint)
    name = meta.get("task", {}).get("name")
    if name == "classify":
        task, model = load_classifier(path, tensors, meta, device)
        return predict_labels(task, model, args)
    if name == "tag":
        task, model = load_tagger(tensors, meta, device)
        return predict_tags(task, model, args)
    raise DataError(f"{path}: predict works on classification and tagging runs; this is a "
                    f"{name or 'unknown'} run (use `rnnkit generate` for a language model)")


def plain_lines(source: str, what: str) -> list[str]:
    text = sys.stdin.read() if source == "-" else read_text(source)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise DataError(f"{'stdin' if source == '-' else source}: no {what} to read")
    return lines


def predict_labels(task, model, args) -> int:
    if args.top < 1:
        raise ValueError(f"--top must be >= 1, got {args.top}")
    config = task.config
    if args.text_column:
        config = dataclasses.replace(config, text_column=args.text_column)
    suffix = Path(args.input).suffix.lower()
    if args.input != "-" and (suffix in TABLES or task.scaler is not None):
        examples = read_examples(args.input, config, labelled=False)
    elif task.scaler is not None:
        raise DataError("a series classifier reads a file (.ts or long-format CSV), not stdin")
    else:
        lines = plain_lines(args.input, "texts")
        examples = Examples(lines, None, [str(i + 1) for i in range(len(lines))],
                            "stdin" if args.input == "-" else args.input)
    inputs, _ = task.encode(examples)
    probabilities = task.probabilities(model, inputs)
    top = min(args.top, len(task.labels))
    values, indices = probabilities.topk(top, dim=1)
    shown = examples.inputs if task.encoder else examples.names
    for item, vs, ks in zip(shown, values.tolist(), indices.tolist()):
        ranked = [(task.labels[k], v) for k, v in zip(ks, vs)]
        if args.format == "json":
            print(json.dumps({"input": item, "label": ranked[0][0], "probability": ranked[0][1],
                              "top": [{"label": k, "probability": v} for k, v in ranked]}))
        else:
            prefix = "" if task.encoder else f"{item}\t"
            print(prefix + "\t".join(f"{k}\t{v:.4f}" for k, v in ranked))
    return 0


def predict_tags(task, model, args) -> int:
    if args.input != "-" and Path(args.input).suffix.lower() in CONLL:
        sentences = read_conll(args.input, tagged=False, encoding=task.config.encoding)
    else:
        sentences = [Sentence(line.split(), None) for line in plain_lines(args.input, "sentences")]
    encoded = [task.vocab.encode(s, task.config.max_word_length) for s in sentences]
    predicted, _ = task.predict(model, encoded)
    if args.format == "json":
        for sentence, tags in zip(sentences, predicted):
            print(json.dumps({"tokens": sentence.tokens, "tags": tags}))
    else:
        sys.stdout.write(format_conll(sentences, predicted))
    return 0
