"""`rnnkit train TASK`: train a model from one command line."""

from __future__ import annotations

import argparse
import json

from rnnkit.cli import forecast, sequences
from rnnkit.cli.options import add_train_task, given_flags
from rnnkit.cli.plots import plot_curves
from rnnkit.cli.progress import Reporter, follow
from rnnkit.tasks.lm import generate
from rnnkit.tasks.lm_run import LMConfig, prepare_run, read_metrics
from rnnkit.tasks.synthetic import TASKS, SyntheticConfig, SyntheticTask
from rnnkit.train.config import load_config
from rnnkit.train.fit import fit
from rnnkit.train.run_folder import open_run, start_run_folder


def add_parser(commands) -> None:
    parser = commands.add_parser("train", help="train a model", description="Train a model.")
    tasks = parser.add_subparsers(dest="task", title="tasks", metavar="TASK", required=True)
    add_train_task(tasks, "lm", LMConfig, run_lm, "character or word language model",
                   "Train a character- or word-level language model by truncated BPTT.")
    for name in TASKS:
        add_train_task(tasks, name, SyntheticConfig, run_synthetic, f"the {name} long-range benchmark",
                       f"Train on the {name} benchmark and report the score beside its analytic "
                       "baseline.", skip=("task",))
    sequences.add_parsers(tasks)
    forecast.add_train_parser(tasks)


def run_lm(args: argparse.Namespace) -> int:
    config = load_config(LMConfig, args.config, given_flags(args, LMConfig))
    run_dir, task, model, parts, device = prepare_run(config)
    say = Reporter(perplexity=True)
    say.line(f"rnnkit: training a {config.num_layers}x{config.hidden_size} {config.cell.upper()} "
             f"{config.level}-level language model on {device.type}; "
             f"{task.train.tokens_per_pass:,} training tokens, vocabulary {len(task.vocab)}, "
             f"{sum(p.numel() for p in model.parameters()):,} parameters -> {run_dir}")
    baseline = None
    if config.ngram_order and not config.resume:
        baseline = task.ngram_baseline(parts, config.ngram_order)
        say.line(f"{config.ngram_order}-gram Kneser-Ney baseline: validation loss "
                 f"{baseline['loss']:.4f} nats/token")
    stop, train_points = follow(fit(model, task, config, run_dir, device), say)
    history = read_metrics(run_dir)
    plot_curves(history, train_points, run_dir / "curves.png")
    summary = {"run": str(run_dir), "stop_reason": stop["reason"], "steps": stop["step"],
               "best_valid_loss": stop["best_loss"], "ngram_baseline": baseline}
    if history:
        summary["valid"] = {k[6:]: v for k, v in history[-1].items() if k.startswith("valid_")}
    if "test" in task.streams:
        summary["test"] = task.evaluate(model, "test")
    summary["sample"] = generate(model, task.vocab, "", 300 if config.level == "char" else 60,
                                 temperature=0.8, seed=config.seed, device=device)
    if args.format == "json":
        print(json.dumps(summary))
    else:
        print_summary(summary, config.level)
    return 1 if stop.get("failed") else 0


def run_synthetic(args: argparse.Namespace) -> int:
    config = load_config(SyntheticConfig, args.config,
                         {**given_flags(args, SyntheticConfig), "task": args.task})
    run_dir, device = open_run(config)
    task = SyntheticTask(config, device)
    model = task.build_model().to(device)
    start_run_folder(run_dir, config)
    say = Reporter()
    say.line(f"rnnkit: {config.task} (T={config.seq_len}) with a {config.num_layers}x"
             f"{config.hidden_size} {config.cell.upper()} (init {config.init}) on {device.type}")
    stop, train_points = follow(fit(model, task, config, run_dir, device), say)
    history = read_metrics(run_dir)
    plot_curves(history, train_points, run_dir / "curves.png")
    valid = {k[6:]: v for k, v in history[-1].items() if k.startswith("valid_")} if history else {}
    summary = {"task": config.task, "seq_len": config.seq_len, "cell": config.cell,
               "init": config.init, "steps": stop["step"], "stop_reason": stop["reason"],
               "valid": valid, "baseline": task.baseline, "best_valid_loss": stop["best_loss"],
               "run": str(run_dir)}
    if args.format == "json":
        print(json.dumps(summary))
    else:
        shape = f"digits by {config.digits_mode}" if config.task == "digits" else (
            f"{config.task} T={config.seq_len}")
        print(f"{shape}: validation loss {valid.get('loss', float('nan')):.4f}"
              f" vs baseline {task.baseline['loss']:.4f}"
              + (f"; accuracy {valid['accuracy']:.4f}" if "accuracy" in valid else "")
              + (f" vs baseline {task.baseline['accuracy']:.4f}" if "accuracy" in task.baseline
                 else ""))
    return 1 if stop.get("failed") else 0


def print_summary(summary: dict, level: str) -> None:
    bits = "bits_per_char" if level == "char" else "bits_per_token"
    print(f"run: {summary['run']} ({summary['steps']} steps; {summary['stop_reason']})")
    rows = []
    if "valid" in summary:
        rows.append(("RNN (last)", summary["valid"]))
    if summary["ngram_baseline"]:
        rows.append((f"{summary['ngram_baseline']['order']}-gram Kneser-Ney",
                     summary["ngram_baseline"]))
    if rows:
        print(f"{'validation':<22}{'loss':>10}{'perplexity':>12}{bits.replace('_', ' '):>16}")
        for name, m in rows:
            print(f"{name:<22}{m['loss']:>10.4f}{m['perplexity']:>12.3f}{m[bits]:>16.4f}")
    if "test" in summary:
        print(f"test loss {summary['test']['loss']:.4f}, perplexity {summary['test']['perplexity']:.3f}")
    print("sample:")
    print(summary["sample"])
