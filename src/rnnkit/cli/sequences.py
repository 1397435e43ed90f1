"""`rnnkit train classify` and `rnnkit train tag`: many-to-one and aligned many-to-many tasks."""

from __future__ import annotations

import argparse
import json

from rnnkit.cli.options import add_train_task, given_flags
from rnnkit.cli.plots import plot_confusion, plot_curves
from rnnkit.cli.progress import Reporter, follow
from rnnkit.tasks import classify, tag
from rnnkit.tasks.lm_run import read_metrics
from rnnkit.train.checkpoint import split_prefix
from rnnkit.train.config import load_config
from rnnkit.train.fit import fit
from rnnkit.train.run_folder import open_checkpoint


def add_parsers(tasks) -> None:
    add_train_task(tasks, "classify", classify.ClassifyConfig, run_classify,
                   "text or numeric-series classifier",
                   "Train a classifier of texts (CSV, TSV, JSONL) or numeric series (long-format "
                   "CSV, UCR/UEA .ts, bundled sets): one label per sequence.")
    add_train_task(tasks, "tag", tag.TagConfig, run_tag, "sequence tagger (CoNLL)",
                   "Train a tagger on CoNLL files (token ... tag per line, blank line between "
                   "sentences): BiRNN over word embeddings and a character LSTM, softmax or CRF "
                   "output.")


def train_and_report(task, model, config, run_dir, device, say) -> tuple[dict, dict]:
    """fit(), then the curves and the best checkpoint's full figures on validation and test."""
    stop, train_points = follow(fit(model, task, config, run_dir, device), say)
    plot_curves(read_metrics(run_dir), train_points, run_dir / "curves.png")
    _, tensors, _ = open_checkpoint(run_dir, "best")
    model.load_state_dict(split_prefix(tensors, "model"))
    figures = {part: task.evaluate(model, part, full=True) for part in ("valid", "test")
               if part in task.parts}
    return stop, figures


def run_classify(args: argparse.Namespace) -> int:
    config = load_config(classify.ClassifyConfig, args.config,
                         given_flags(args, classify.ClassifyConfig))
    run_dir, task, model, device = classify.prepare_run(config)
    say = Reporter()
    kind = (f"{config.tokens} tokens, vocabulary {len(task.encoder)}" if task.encoder else
            f"series of {task.input_size} channel(s)")
    sizes = ", ".join(f"{k} {len(v[0])}" for k, v in task.parts.items())
    say.line(f"rnnkit: classifying into {len(task.labels)} labels ({kind}; {sizes}) with a "
             f"{config.num_layers}x{config.hidden_size} {'bi' if config.bidirectional else ''}"
             f"{config.cell.upper()}, {config.pooling} pooling, on {device.type} -> {run_dir}")
    stop, figures = train_and_report(task, model, config, run_dir, device, say)
    shown = "test" if "test" in figures else "valid"
    if shown in figures:
        plot_confusion(figures[shown]["confusion"], task.labels, run_dir / "confusion.png",
                       f"confusion matrix ({shown})")
    summary = {"run": str(run_dir), "steps": stop["step"], "stop_reason": stop["reason"],
               "majority_baseline": task.baseline, **figures}
    if args.format == "json":
        print(json.dumps(summary))
    else:
        print(f"run: {run_dir} ({stop['step']} steps; {stop['reason']})")
        for part, report in figures.items():
            print(f"{part}: accuracy {report['accuracy']:.4f}, macro-F1 {report['macro_f1']:.4f} "
                  f"({report['examples']} examples)")
        print(f"majority class {task.baseline['majority_label']!r}: validation accuracy "
              f"{task.baseline['accuracy']:.4f}")
        if shown in figures:
            print_per_class(figures[shown]["per_class"])
    return 1 if stop.get("failed") else 0


def print_per_class(per_class: dict) -> None:
    width = max(8, *(len(k) for k in per_class)) + 2
    print(f"{'label':<{width}}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>9}")
    for label, m in per_class.items():
        print(f"{label:<{width}}{m['precision']:>10.4f}{m['recall']:>10.4f}{m['f1']:>10.4f}"
              f"{m['support']:>9}")


def run_tag(args: argparse.Namespace) -> int:
    config = load_config(tag.TagConfig, args.config, given_flags(args, tag.TagConfig))
    run_dir, task, model, device = tag.prepare_run(config)
    say = Reporter()
    sizes = ", ".join(f"{k} {len(v)}" for k, v in task.parts.items())
    say.line(f"rnnkit: tagging with {len(task.vocab.tags)} tags ({task.vocab.scheme}; "
             f"{'trained as BIOES; ' if config.bioes else ''}sentences: {sizes}), "
             f"{len(task.vocab.words)} words, {config.output} output, on {device.type} -> {run_dir}")
    stop, figures = train_and_report(task, model, config, run_dir, device, say)
    summary = {"run": str(run_dir), "steps": stop["step"], "stop_reason": stop["reason"], **figures}
    if args.format == "json":
        print(json.dumps(summary))
    else:
        print(f"run: {run_dir} ({stop['step']} steps; {stop['reason']})")
        for part, report in figures.items():
            print_entities(part, report)
    return 1 if stop.get("failed") else 0


def print_entities(part: str, report: dict) -> None:
    if "f1" not in report:
        print(f"{part}: token accuracy {report['token_accuracy']:.4f}")
        return
    print(f"{part}: entity F1 {report['f1']:.4f} (precision {report['precision']:.4f}, recall "
          f"{report['recall']:.4f}, {report['entities']} entities); token accuracy "
          f"{report['token_accuracy']:.4f}")
    for kind, m in sorted(report["per_type"].items()):
        print(f"  {kind:<16} P {m['precision']:.4f}  R {m['recall']:.4f}  F1 {m['f1']:.4f}  "
              f"({m['support']})")
