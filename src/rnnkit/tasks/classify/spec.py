"""The classification task for the run API: its config, how a run is prepared and reopened,
scored on a labelled file, and asked for the labels of new texts or series."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from rnnkit.config import option, with_default
from rnnkit.data.encoders import TOKENS, TextEncoder
from rnnkit.data.scaling import Scaler
from rnnkit.data.text import read_lines
from rnnkit.errors import ConfigError, DataError
from rnnkit.layers.pooling import POOLING
from rnnkit.tasks.base import Prepared, TaskSpec
from rnnkit.tasks.classify.data import (
    DATASETS,
    Examples,
    check_labels,
    is_series,
    load_splits,
    read_examples,
)
from rnnkit.tasks.classify.export import graphs as export_graphs
from rnnkit.tasks.classify.plots import plot_confusion
from rnnkit.tasks.classify.task import ClassifyTask
from rnnkit.tasks.labelled import LabelledConfig
from rnnkit.train.memory import build_within_memory

TABLES = (".csv", ".tsv", ".tab", ".jsonl", ".json", ".ndjson", ".ts")


@dataclass(frozen=True)
class ClassifyConfig(LabelledConfig):
    """Texts or numeric series, one label each."""

    data: str | None = option(None, "training file: CSV, TSV, JSONL, or a UCR/UEA .ts file")
    valid: str | None = option(None, "validation file (same format); default: hold out "
                               "--valid-fraction of --data")
    test: str | None = option(None, "test file, scored once at the end")
    dataset: str | None = option(None, "a bundled dataset instead of --data", choices=DATASETS)
    encoding: str = option("utf-8", "text encoding of the files")
    text_column: str = option("text", "column holding the text")
    label_column: str = option("label", "column holding the label")
    series_id: str | None = option(None, "numeric series in long format: the column naming each "
                                   "series")
    time_column: str | None = option(None, "long format: the column that orders each series' rows")
    value_columns: str | None = option(None, "long format: comma-separated value columns "
                                       "(default: every other column)")
    lr: float = with_default(LabelledConfig, "lr", 3e-3)
    tokens: str = option("subword", "text tokens", choices=TOKENS)
    vocab_size: int = option(8000, "largest vocabulary (subwords: the BPE vocabulary size)", low=2)
    min_count: int = option(1, "rarer words and characters become the unknown token", low=1)
    lowercase: bool = option(True, "lowercase the text before tokenizing")
    max_length: int = option(0, "keep only the first N tokens of a text (0: all)", low=0)
    embedding_size: int = option(128, "token embedding size", group="model", low=1)
    pooling: str = option("auto", "pooling over time (auto: max for texts, the last state for "
                          "series)", group="model", choices=("auto", *POOLING))
    class_weights: str = option("none", "balanced: weight each class by n / (classes · count)",
                                group="training", choices=("none", "balanced"))

    def pooling_for(self, text: bool) -> str:
        """The pooling a model over texts or series uses: --pooling, or for auto what
        docs/results.md found best (max over subword texts; the last state for most series)."""
        if self.pooling != "auto":
            return self.pooling
        return "max" if text else "last"


def prepare(config: ClassifyConfig, device, resumed: dict | None, data=None) -> Prepared:
    """Read and split the data (or take `data` from Python: {"train": (inputs, labels), ...}),
    fit the tokenizer or scaler on the training split only, build the task and the model."""
    splits = load_splits(config, data)
    labels = check_labels(splits)
    encoder = scaler = None
    if is_series(config) or not isinstance(splits["train"].inputs[0], str):
        scaler = Scaler.fit_channels(splits["train"].inputs)
    else:
        encoder = TextEncoder.build(splits["train"].inputs, config.tokens, config.vocab_size,
                                    config.min_count, config.lowercase)
    task = ClassifyTask(config, labels, device, encoder, scaler, splits)
    longest = max(x.shape[0] for x in task.parts["train"][0])
    model = build_within_memory(task.build_model, config.batch_size * longest).to(device)
    kind = (f"{config.tokens} tokens, vocabulary {len(encoder)}" if encoder else
            f"series of {task.input_size} channel(s)")
    sizes = ", ".join(f"{k} {len(v[0])}" for k, v in task.parts.items())
    facts = (f"classifying into {len(labels)} labels ({kind}; {sizes}) with a {config.num_layers}x"
             f"{config.hidden_size} {'bi' if config.bidirectional else ''}{config.cell.upper()}, "
             f"{config.pooling_for(encoder is not None)} pooling")
    return Prepared(task, model, facts, lambda: {"majority": task.baseline})


def final(task: ClassifyTask, model, run_dir: Path) -> dict:
    """Full figures of the best model on validation and test; confusion.png of the last."""
    figures = {part: task.evaluate(model, part, full=True) for part in ("valid", "test")
               if part in task.parts}
    shown = "test" if "test" in figures else "valid"
    if shown in figures:
        plot_confusion(figures[shown]["confusion"], task.labels, run_dir / "confusion.png",
                       f"confusion matrix ({shown})")
    return figures


def reopen(config: ClassifyConfig, meta: dict, device):
    """(task without data, a function that builds its model) of a saved run."""
    saved = meta["task"]
    encoder = TextEncoder.from_json(saved["encoder"]) if saved.get("encoder") else None
    scaler = Scaler.from_json(saved["scaler"]) if saved.get("scaler") else None
    task = ClassifyTask(config, saved["labels"], device, encoder, scaler,
                        baseline=saved.get("baseline"))
    return task, task.build_model


def attach_data(task: ClassifyTask) -> None:
    splits = load_splits(task.config)
    check_labels(splits)
    task.parts = {k: task.encode(v) for k, v in splits.items() if v is not None}


def evaluate(run, data: str | None, encoding: str | None = None,
             confusion: Path | None = None) -> dict:
    """Accuracy, macro-F1, per-class figures and the confusion matrix on a labelled file in the
    run's format (without one, a bundled run's test split); `confusion`: also draw it there."""
    task = run.task
    if data:
        examples = read_examples(data, dataclasses.replace(
            task.config, encoding=encoding or task.config.encoding))
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
    result = task.evaluate(run.model, "test", full=True)
    if confusion is not None:
        plot_confusion(result["confusion"], task.labels, confusion)
    return result


def predict(run, source: str | list = "-", top: int = 1, text_column: str | None = None,
            stdin_text: str | None = None) -> list[dict]:
    """The `top` likeliest labels of every input: a table or .ts file, or plain lines (one text
    each; `source` "-" reads `stdin_text`), or a Python list of texts or series (T, channels).
    One record per input, in order: the text ("input")
    or the series' name ("series"), the label, its probability, and the `top` ranked."""
    task = run.task
    if top < 1:
        raise ConfigError(f"--top must be >= 1, got {top}")
    config = task.config if not text_column else dataclasses.replace(task.config,
                                                                       text_column=text_column)
    if isinstance(source, list):
        examples = Examples(source, None, [str(i + 1) for i in range(len(source))], "input")
    elif source != "-" and (Path(source).suffix.lower() in TABLES or task.scaler is not None):
        examples = read_examples(source, config, labelled=False)
    elif task.scaler is not None:
        raise DataError("a series classifier reads a file (.ts or long-format CSV), not stdin")
    else:
        lines = read_lines(source, stdin_text, "texts")
        examples = Examples(lines, None, [str(i + 1) for i in range(len(lines))],
                            "stdin" if source == "-" else source)
    inputs, _ = task.encode(examples)
    values, indices = task.probabilities(run.model, inputs).topk(min(top, len(task.labels)), dim=1)
    records = []
    for i, (vs, ks) in enumerate(zip(values.tolist(), indices.tolist())):
        ranked = [{"label": task.labels[k], "probability": v} for k, v in zip(ks, vs)]
        shown = {"input": examples.inputs[i]} if task.encoder else {"series": examples.names[i]}
        records.append({**shown, "label": ranked[0]["label"],
                        "probability": ranked[0]["probability"], "top": ranked})
    return records


SPEC = TaskSpec(
    name="classify", config_class=ClassifyConfig, help="text or numeric-series classifier",
    description="Train a classifier of texts (CSV, TSV, JSONL) or numeric series (long-format "
                "CSV, UCR/UEA .ts, bundled sets): one label per sequence.",
    prepare=prepare, final=final, reopen=reopen, attach_data=attach_data, evaluate=evaluate,
    predict=predict, in_memory=True, graphs=export_graphs)
