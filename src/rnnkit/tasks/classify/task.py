"""`ClassifyTask`: length-bucketed batches of labelled sequences for fit(), and the figures."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.data.buckets import EpochBatches, in_order_batches, pad
from rnnkit.data.encoders import TextEncoder
from rnnkit.data.scaling import Scaler
from rnnkit.errors import DataError
from rnnkit.layers.modes import evaluating
from rnnkit.tasks.base import TaskBase, last_step_losses
from rnnkit.tasks.classify.data import Examples
from rnnkit.tasks.classify.metrics import classification_metrics
from rnnkit.tasks.classify.model import Classifier


class ClassifyTask(TaskBase):
    """The fit() task: length-bucketed batches of the training split, reshuffled every epoch."""

    def __init__(self, config, labels: list[str], device,
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
        return len(self.encoder) if self.encoder else self.scaler.channels

    def build_model(self) -> Classifier:
        return Classifier(self.config, self.input_size, len(self.labels), self.encoder is not None)

    def encode(self, examples: Examples) -> tuple[list[Tensor], Tensor | None]:
        """(model inputs, label ids or None) of some examples; DataError if they are of the
        other kind (series for a text classifier, texts for a series classifier)."""
        texts = self.encoder is not None
        if any(isinstance(x, str) != texts for x in examples.inputs):
            have, want = ("numeric series", "texts") if texts else ("texts", "numeric series")
            raise DataError(f"{examples.source}: holds {have}; this run classifies {want}")
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
            channels = self.scaler.channels
            for series, name in zip(examples.inputs, examples.names):
                if series.shape[1] != channels:
                    raise DataError(f"{examples.source}: series {name!r} has {series.shape[1]} "
                                    f"channels; the model reads {channels}")
            inputs = [self.scaler(s) for s in examples.inputs]
        if examples.labels is None:
            return inputs, None
        index = {label: i for i, label in enumerate(self.labels)}
        return inputs, torch.tensor([index[label] for label in examples.labels])

    def epoch_windows(self) -> int:
        return len(self.batches)

    def window_loss(self, model, epoch: int, window: int, state):
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

    def diagnosis_inputs(self, model):
        """Up to 32 held-out sequences cut to their shortest length; the loss is read through
        the model's own pooling and head at the last step."""
        inputs, labels = self.parts["valid" if "valid" in self.parts else "train"]
        chosen = list(range(min(32, len(inputs))))
        T = min(inputs[i].shape[0] for i in chosen)
        x = torch.stack([inputs[i][:T] for i in chosen]).to(self.device)
        y = labels[chosen].to(self.device)
        lengths = torch.full((len(chosen),), T)

        def step_losses(outputs: Tensor) -> Tensor:
            R = outputs.shape[-1] // model.pool.directions
            ends = [outputs[:, -1, :R]] + ([outputs[:, 0, R:]] if model.pool.directions == 2 else [])
            pooled = model.pool(outputs, lengths, torch.stack(ends))
            return last_step_losses(outputs, lambda: F.cross_entropy(model.head(pooled), y,
                                                                     reduction="none"))

        return model.rnn, model.features(x), step_losses

    def example_inputs(self) -> tuple:
        inputs, _ = self.parts["valid" if "valid" in self.parts else "train"]
        x, lengths = pad(inputs[:2])
        return x.to(self.device), lengths

    def meta(self) -> dict:
        return {"name": "classify", "labels": self.labels, "baseline": self.baseline,
                "encoder": self.encoder.to_json() if self.encoder else None,
                "scaler": self.scaler.to_json() if self.scaler else None}
