"""`LMTask`: streaming language modelling for fit(), windows of a batchified token stream."""

from __future__ import annotations

import torch

from rnnkit.data.vocab import Vocabulary
from rnnkit.errors import ConfigError, DataError
from rnnkit.tasks.base import TaskBase, check_shard
from rnnkit.tasks.lm.data import streams
from rnnkit.tasks.lm.model import (
    diagnosis_inputs,
    evaluate_stream,
    metrics_from_loss,
    stream_sums,
    token_loss,
)
from rnnkit.tasks.lm.ngram import KneserNey


class LMTask(TaskBase):
    """Windows of `bptt` tokens over `batch_size` rows of the training stream; the state is
    carried from window to window (fit() detaches it). Held-out parts stream the same way."""

    def __init__(self, config, vocab: Vocabulary, parts: list[list[str]] | None, device) -> None:
        """Without `parts` (a reopened run), the task only scores and generates."""
        self.config, self.vocab, self.device = config, vocab, device
        self.streams: dict = {}
        self.ngram: KneserNey | None = None  # fitted on the training part when first asked for
        if parts is not None:
            self.attach(parts)

    def attach(self, parts: list[list[str]]) -> None:
        """Stream the training, validation and test parts of the text."""
        self.parts = parts
        self.streams = streams(parts, self.vocab, self.config.batch_size, self.config.bptt)
        self.train = self.streams["training"]

    def shard(self, rank: int, world_size: int) -> None:
        """The training text is cut into world_size × batch contiguous rows and this process
        owns block `rank` of them (batch rows), carrying their state window to window; every
        block has the same windows. The validation rows are cut into blocks the same way
        (`evaluate_across` adds up the blocks' sums)."""
        check_shard(rank, world_size)
        rows, bptt = self.config.batch_size * world_size, self.config.bptt
        try:
            whole = streams(self.parts, self.vocab, rows, bptt)
        except DataError as error:
            raise ConfigError(f"{world_size} processes x --batch-size {self.config.batch_size} = "
                              f"{rows} streams: {error}") from None
        self.rank, self.world_size = rank, world_size
        self.streams = whole  # (held-out figures of rank 0 read the same rows as one process)
        self.train = whole["training"].block(rank, world_size)
        self.held_out = {name: stream.block(rank, world_size)
                         for name, stream in whole.items() if name != "training"}

    def epoch_windows(self) -> int:
        return len(self.train)

    def windows_per_epoch(self) -> int:
        return len(self.train)  # (a shard's block has every window)

    def train_loss(self, model, epoch: int, window: int, state) -> tuple:
        return self.window_loss(model, epoch, window, state)

    def window_loss(self, model, epoch: int, window: int, state):
        x, y, resets = (t.to(self.device) for t in self.train.window(window))
        logits, state = model(x, state, resets)
        return token_loss(logits, y), state, y.numel()

    def evaluate(self, model, part: str = "validation") -> dict:
        stream = self.streams.get(part, self.train if part == "validation" else None)
        windows = self.config.eval_windows if part == "validation" else 0
        return evaluate_stream(model, stream, self.vocab.level, windows, self.device)

    def evaluate_across(self, model, world) -> dict:
        """The validation loss of all ranks' blocks: the sums of token losses and of tokens
        added up over the ranks (the figure one process with every row would get)."""
        stream = self.held_out["validation"] if "validation" in self.held_out else self.train
        total, count = (stream_sums(model, stream, self.config.eval_windows, self.device)
                        if stream is not None else (0.0, 0))
        total, count = world.sum(torch.tensor([total, float(count)], dtype=torch.float64)).tolist()
        return metrics_from_loss(total / count, self.vocab.level)

    def diagnosis_inputs(self, model):
        """The first validation window (the training stream's when there is none)."""
        stream = self.streams.get("validation", self.train)
        x, y, _ = (t.to(self.device) for t in stream.window(0))
        return diagnosis_inputs(model, x, y)

    def example_inputs(self) -> tuple:
        x, _, _ = self.train.window(0)
        return (x[:1].to(self.device),)

    def meta(self) -> dict:
        return {"name": "lm", "vocab": self.vocab.to_json()}

    def ngram_baseline(self, parts: list[list[str]], order: int) -> dict:
        """Kneser-Ney trained on the training part, scored on the validation part."""
        train_ids = [t for d in parts[0] for t in self.vocab.encode(d)]
        valid_ids = [t for d in parts[1] for t in self.vocab.encode(d)] if parts[1] else train_ids
        model = self.fitted_ngram(order, train_ids)
        return {"order": order, **metrics_from_loss(model.cross_entropy(valid_ids), self.vocab.level)}

    def fitted_ngram(self, order: int, train_ids: list[int] | None = None) -> KneserNey:
        """The Kneser-Ney model of the training part, fitted once (the baseline's, and the one
        the network is mixed with)."""
        if self.ngram is None or self.ngram.order != order:
            if train_ids is None:
                train_ids = [t for d in self.parts[0] for t in self.vocab.encode(d)]
            self.ngram = KneserNey(order, len(self.vocab)).fit(train_ids)
        return self.ngram



