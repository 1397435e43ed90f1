"""`rnnkit evaluate RUN_DIR --data FILE`: a trained model's figures on held-out data.

Language models: loss, perplexity, bits per token on a text. Classifiers: accuracy, macro-F1,
per-class figures and the confusion matrix. Taggers: entity-level precision/recall/F1 (seqeval)
per type. Without --data, a run trained on a bundled set is scored on that set's test split.
"""

from __future__ import annotations

import argparse
import json

from rnnkit.cli.options import add_run_arguments
from rnnkit.cli.plots import plot_confusion
from rnnkit.cli.sequences import print_entities, print_per_class
from rnnkit.data.batching import concatenate
from rnnkit.data.conll import read_conll
from rnnkit.data.text import DataError, load_documents
from rnnkit.tasks.classify import load_classifier
from rnnkit.tasks.classify_data import load_splits, read_examples
from rnnkit.tasks.lm import evaluate_stream
from rnnkit.tasks.lm_run import held_out_stream, model_from_checkpoint
from rnnkit.tasks.tag import load_sentences, load_tagger
from rnnkit.train.run_folder import choose_device, open_checkpoint


def add_parser(commands) -> None:
    parser = commands.add_parser("evaluate", help="evaluate a trained model on held-out data",
                                 description=__doc__.split("\n\n")[1])
    parser.add_argument("--data", help="file or folder to evaluate on (a text for a language "
                        "model, a table or .ts file for a classifier, CoNLL for a tagger)")
    parser.add_argument("--encoding", default="utf-8", help="text encoding of --data")
    parser.add_argument("--confusion", metavar="FILE.png", help="classifier: draw the confusion matrix")
    add_run_arguments(parser, run)


def run(args: argparse.Namespace) -> int:
    device = choose_device(args.device)
    path, tensors, meta = open_checkpoint(args.run, args.checkpoint)
    name = meta.get("task", {}).get("name")
    if name == "classify":
        result = evaluate_classifier(args, path, tensors, meta, device)
    elif name == "tag":
        result = evaluate_tagger(args, tensors, meta, device)
    elif name == "lm":
        result = evaluate_lm(args, path, tensors, meta, device)
    else:
        advice = " (use `rnnkit backtest` for a forecaster)" if name == "forecast" else ""
        raise DataError(f"{path}: `evaluate` works on language-model, classification and tagging "
                        f"runs, not on {name or 'unknown'} runs{advice}")
    if args.format == "json":
        print(json.dumps(result))
    elif name == "classify":
        print(f"accuracy {result['accuracy']:.4f}, macro-F1 {result['macro_f1']:.4f} "
              f"({result['examples']} examples)")
        print_per_class(result["per_class"])
    elif name == "tag":
        print_entities("evaluation", result)
    else:
        for key, value in result.items():
            print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
    return 0


def evaluate_lm(args, path, tensors, meta, device) -> dict:
    if not args.data:
        raise DataError("give --data: the text to evaluate the language model on")
    model, vocab, config, _ = model_from_checkpoint(path, tensors, meta, device)
    documents = load_documents(args.data, args.encoding)
    ids, starts = concatenate([vocab.encode(d) for d in documents])
    metrics = evaluate_stream(model, held_out_stream(ids, starts, config, "evaluation"),
                              vocab.level, device=device)
    unknown = sum(1 for i in ids.tolist() if i == 0)
    return {"tokens": int(ids.shape[0]), "unknown_tokens": unknown, **metrics}


def evaluate_classifier(args, path, tensors, meta, device) -> dict:
    task, model = load_classifier(path, tensors, meta, device)
    if args.data:
        examples = read_examples(args.data, task.config)
    elif task.config.dataset:
        examples = load_splits(task.config)["test"]
    else:
        raise DataError("give --data: a labelled file in the format the run was trained on")
    known = set(task.labels)
    for label, line in zip(examples.labels, examples.lines or [0] * len(examples.labels)):
        if label not in known:
            raise DataError(f"{examples.source}{f' line {line}' if line else ''}: label {label!r} "
                            f"is not one the model knows ({', '.join(task.labels)})")
    task.parts["test"] = task.encode(examples)
    result = task.evaluate(model, "test", full=True)
    if args.confusion:
        plot_confusion(result["confusion"], task.labels, args.confusion)
    return result


def evaluate_tagger(args, tensors, meta, device) -> dict:
    task, model = load_tagger(tensors, meta, device)
    if args.data:
        sentences = read_conll(args.data, encoding=args.encoding)
    elif task.config.dataset:
        sentences = load_sentences(task.config)["test"] or []
        if not sentences:
            raise DataError("the run has no test split (train with --folds K to hold one out)")
    else:
        raise DataError("give --data: a CoNLL file with gold tags")
    task.sentences["test"] = sentences
    task.parts["test"] = [task.vocab.encode(s, task.config.max_word_length, args.data or "test")
                          for s in sentences]
    return task.evaluate(model, "test", full=True)
