"""Sequence classification (many-to-one): texts or numeric series -> one label each.

Tokens (or the raw channels of a series, scaled per channel on the training split) -> any rnnkit
layer (deep, bidirectional) with each sequence's length -> pooling over time -> linear head.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.data.buckets import EpochBatches, in_order_batches, pad
from rnnkit.data.encoders import TOKENS, TextEncoder
from rnnkit.data.series import Scaler
from rnnkit.data.text import DataError
from rnnkit.diagnostics import Thresholds, diagnose
from rnnkit.layers import make_layer
from rnnkit.layers.modes import evaluating
from rnnkit.layers.pooling import POOLING, Pooling
from rnnkit.tasks.classify_data import DATASETS, Examples, check_labels, is_series, load_splits
from rnnkit.tasks.metrics import classification_metrics
from rnnkit.tasks.network import NetworkConfig
from rnnkit.train.checkpoint import split_prefix, write_json
from rnnkit.train.config import from_dict, option
from rnnkit.train.run_folder import open_checkpoint, open_run, start_run_folder


@dataclass(frozen=True)
class ClassifyConfig(NetworkConfig):
    """Texts or numeric series, one label each."""

    data: str | None = option(None, "training file: CSV, TSV, JSONL, or a UCR/UEA .ts file")
    valid: str | None = option(None, "validation file (same format); default: hold out "
                               "--valid-fraction of --data")
    test: str | None = option(None, "test file, scored once at the end")
    dataset: str | None = option(None, "a bundled dataset instead of --data", choices=DATASETS)
    encoding: str = option("utf-8", "text encoding of the files")
    text_column: str = option("text", "column holding the text")
    label_column: str = option("label", "column holding the label")
    series_id: str | None = option(None, "numeric series in long format: the column naming each series")
    time_column: str | None = option(None, "long format: the column that orders each series' rows")
    value_columns: str | None = option(None, "long format: comma-separated value columns "
                                       "(default: every other column)")
    tokens: str = option("word", "text tokens", choices=TOKENS)
    vocab_size: int = option(20000, "largest vocabulary (subwords: the BPE vocabulary size)", low=2)
    min_count: int = option(1, "rarer words and characters become the unknown token", low=1)
    lowercase: bool = option(True, "lowercase the text before tokenizing")
    max_length: int = option(0, "keep only the first N tokens of a text (0: all)", low=0)
    embedding_size: int = option(128, "token embedding size", low=1)
    pooling: str = option("last", "pooling over time", choices=POOLING)
    class_weights: str = option("none", "balanced: weight each class by n / (classes · count)",
                                choices=("none", "balanced"))


class Classifier(nn.Module):
    """Token embedding (texts) or the raw channels (series) -> rnnkit layer -> pooling -> head."""

    def __init__(self, config: ClassifyConfig, input_size: int, num_classes: int, text: bool):
        super().__init__()
        self.text = text
        self.embedding = nn.Embedding(input_size, config.embedding_size) if text else None
        self.rnn = make_layer(config.cell, config.embedding_size if text else input_size,
                              config.hidden_size, config.num_layers, **config.layer_options())
        self.pool = Pooling(config.pooling, self.rnn)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(self.pool.output_size, num_classes)

    def features(self, x: Tensor) -> Tensor:
        return self.dropout(self.embedding(x) if self.text else x)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        outputs, final = self.rnn(self.features(x), lengths)
        return self.head(self.dropout(self.pool(outputs, lengths, final)))


class ClassifyTask:
    """The fit() task: length-bucketed batches of the training split, reshuffled every epoch."""

    def __init__(self, config: ClassifyConfig, labels: list[str], device,
                 encoder: TextEncoder | None = None, scaler: Scaler | None = None,
                 splits: dict | None = None, baseline: dict | None = None) -> None:
        """`splits` {"train", "valid", "test"} of Examples; none for a task reopened to predict."""
        self.config, self.labels, self.device = config, labels, device
        self.encoder, self.scaler = encoder, scaler
        self.parts = {name: self.encode(part) for name, part in (splits or {}).items()
                      if part is not None}
        self.weights, self.baseline = None, baseline or {}
        if "train" not in self.parts:
            return
        self.batches = EpochBatches([x.shape[0] for x in self.parts["train"][0]], config.batch_size,
                                    config.seed, config.buckets)
        counts = torch.bincount(self.parts["train"][1], minlength=len(labels)).float()
        if config.class_weights == "balanced":
            self.weights = counts.sum() / (len(labels) * counts.clamp(min=1))
        majority = int(counts.argmax())
        held = self.parts["valid" if "valid" in self.parts else "train"][1]
        self.baseline = {"majority_label": labels[majority],
                         "accuracy": float((held == majority).float().mean())}

    @property
    def input_size(self) -> int:
        return len(self.encoder) if self.encoder else int(self.scaler.mean.shape[0])

    def build_model(self) -> Classifier:
        return Classifier(self.config, self.input_size, len(self.labels), self.encoder is not None)

    def encode(self, examples: Examples) -> tuple[list[Tensor], Tensor | None]:
        """(model inputs, label ids or None) of some examples."""
        if self.encoder is not None:
            inputs = []
            for text, name in zip(examples.inputs, examples.names):
                ids = self.encoder.encode(text)
                if not ids:
                    raise DataError(f"{examples.source} line {name}: no tokens in the text")
                if self.config.max_length:
                    ids = ids[: self.config.max_length]
                inputs.append(torch.tensor(ids, dtype=torch.long))
        else:
            channels = int(self.scaler.mean.shape[0])
            for series, name in zip(examples.inputs, examples.names):
                if series.shape[1] != channels:
                    raise DataError(f"{examples.source}: series {name!r} has {series.shape[1]} "
                                    f"channels; the model reads {channels}")
            inputs = [self.scaler(s) for s in examples.inputs]
        if examples.labels is None:
            return inputs, None
        index = {label: i for i, label in enumerate(self.labels)}
        return inputs, torch.tensor([index[label] for label in examples.labels])

    def windows_per_epoch(self) -> int:
        return len(self.batches)

    def train_loss(self, model, epoch: int, window: int, state):
        inputs, labels = self.parts["train"]
        chosen = self.batches(epoch)[window]
        x, lengths = pad([inputs[i] for i in chosen])
        logits = model(x.to(self.device), lengths)
        weights = None if self.weights is None else self.weights.to(self.device)
        loss = F.cross_entropy(logits, labels[chosen].to(self.device), weight=weights)
        return loss, None, int(lengths.sum())

    @torch.no_grad()
    def probabilities(self, model, inputs: list[Tensor]) -> Tensor:
        """(N, classes) class probabilities in the inputs' order, in evaluation mode."""
        out = torch.empty(len(inputs), len(self.labels))
        with evaluating(model):
            for chosen in in_order_batches([x.shape[0] for x in inputs], 256):
                x, lengths = pad([inputs[i] for i in chosen])
                out[chosen] = torch.softmax(model(x.to(self.device), lengths).float(), -1).cpu()
        return out

    def evaluate(self, model, part: str = "valid", full: bool = False) -> dict:
        inputs, labels = self.parts[part if part in self.parts else "train"]
        probabilities = self.probabilities(model, inputs)
        loss = float(F.nll_loss(probabilities.clamp_min(1e-12).log(), labels))
        report = classification_metrics(labels.tolist(), probabilities.argmax(1).tolist(),
                                         self.labels)
        if full:
            return {"loss": loss, **report}
        return {"loss": loss, "accuracy": report["accuracy"], "macro_f1": report["macro_f1"]}

    def diagnose(self, model, grad_norms: list[float] | None = None,
                 thresholds: Thresholds | None = None) -> dict:
        """The gradient diagnosis on up to 32 held-out sequences cut to their shortest length,
        the loss read through the model's own pooling and head at the last step."""
        inputs, labels = self.parts["valid" if "valid" in self.parts else "train"]
        chosen = list(range(min(32, len(inputs))))
        T = min(inputs[i].shape[0] for i in chosen)
        x = torch.stack([inputs[i][:T] for i in chosen]).to(self.device)
        y = labels[chosen].to(self.device)
        lengths = torch.full((len(chosen),), T)

        def step_losses(outputs: Tensor) -> Tensor:
            losses = torch.zeros(outputs.shape[:2], device=outputs.device)
            R = outputs.shape[-1] // model.pool.directions
            ends = [outputs[:, -1, :R]] + ([outputs[:, 0, R:]] if model.pool.directions == 2 else [])
            pooled = model.pool(outputs, lengths, torch.stack(ends))
            losses[:, -1] = F.cross_entropy(model.head(pooled), y, reduction="none")
            return losses

        with evaluating(model):
            report = diagnose(model.rnn, model.features(x), step_losses, grad_norms=grad_norms,
                              thresholds=thresholds or Thresholds())
        model.zero_grad(set_to_none=True)
        return report

    def meta(self) -> dict:
        return {"name": "classify", "labels": self.labels, "baseline": self.baseline,
                "encoder": self.encoder.to_json() if self.encoder else None,
                "scaler": self.scaler.to_json() if self.scaler else None}


def prepare_run(config: ClassifyConfig):
    """Check the run folder, read and split the data, fit the tokenizer or scaler on the
    training split only, build the task and the model."""
    run_dir, device = open_run(config)
    splits = load_splits(config)
    labels = check_labels(splits)
    encoder = scaler = None
    if is_series(config):
        scaler = Scaler.fit(splits["train"].inputs)
    else:
        encoder = TextEncoder.build(splits["train"].inputs, config.tokens, config.vocab_size,
                                    config.min_count, config.lowercase)
    task = ClassifyTask(config, labels, device, encoder, scaler, splits)
    model = task.build_model().to(device)
    start_run_folder(run_dir, config)
    write_json(run_dir / "labels.json", {"labels": labels})
    return run_dir, task, model, device


def load_classifier(path: Path, tensors: dict, meta: dict, device="cpu"):
    """(task with no data, model) from a read classification checkpoint."""
    config = from_dict(ClassifyConfig, meta["config"])
    saved = meta["task"]
    encoder = TextEncoder.from_json(saved["encoder"]) if saved.get("encoder") else None
    scaler = Scaler.from_json(saved["scaler"]) if saved.get("scaler") else None
    task = ClassifyTask(config, saved["labels"], torch.device(device), encoder, scaler,
                        baseline=saved.get("baseline"))
    model = task.build_model()
    model.load_state_dict(split_prefix(tensors, "model"))
    return task, model.to(device).eval()


def load_run(run_dir, which: str = "best", device="cpu"):
    path, tensors, meta = open_checkpoint(run_dir, which)
    if meta.get("task", {}).get("name") != "classify":
        raise DataError(f"{path}: not a classification run")
    return load_classifier(path, tensors, meta, device)
