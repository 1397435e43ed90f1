"""`TagTask`: length-bucketed batches of tagged sentences for fit(), decoding and figures."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.data.buckets import EpochBatches, in_order_batches
from rnnkit.layers.modes import evaluating
from rnnkit.tasks.base import TaskBase
from rnnkit.tasks.tag.data import Vocabularies, collate
from rnnkit.tasks.tag.metrics import entity_metrics
from rnnkit.tasks.tag.model import Tagger


class TagTask(TaskBase):
    """The fit() task: length-bucketed batches of training sentences."""

    def __init__(self, config, vocab: Vocabularies, device, splits: dict | None = None):
        self.config, self.vocab, self.device = config, vocab, device
        self.sentences = {k: v for k, v in (splits or {}).items() if v}
        self.parts = {k: [vocab.encode(s, config.max_word_length, k) for s in v]
                      for k, v in self.sentences.items()}
        if "train" in self.parts:
            self.batches = EpochBatches([len(e[0]) for e in self.parts["train"]], config.batch_size,
                                        config.seed, config.buckets)
        # the best checkpoint is the one with the best entity F1 (the loss keeps falling on
        # O-heavy data while entities get worse)
        self.selection = ("f1", True) if vocab.scheme != "none" else ("token_accuracy", True)

    def build_model(self) -> Tagger:
        return Tagger(self.config, len(self.vocab.words), len(self.vocab.chars), self.vocab.tags,
                      self.vocab.model_scheme())

    def epoch_windows(self) -> int:
        return len(self.batches)

    def window_loss(self, model, epoch: int, window: int, state):
        words, chars, char_lengths, lengths, tags = collate(self.parts["train"],
                                                            self.batches(epoch)[window])
        if self.config.word_dropout:
            words = words.masked_fill(torch.rand(words.shape) < self.config.word_dropout, 0)
        d = self.device
        emissions = model.emissions(words.to(d), chars.to(d), char_lengths.to(d), lengths)
        return model.loss(emissions, tags.to(d), lengths), None, int(lengths.sum())

    @torch.no_grad()
    def predict(self, model, encoded: list[tuple]) -> tuple[list[list[str]], float | None]:
        """Tags of each sentence (in the scheme of the data) and the mean loss if tags are known."""
        out: list = [None] * len(encoded)
        total, count = 0.0, 0
        d = self.device
        with evaluating(model):
            for chosen in in_order_batches([len(e[0]) for e in encoded], 64):
                words, chars, char_lengths, lengths, tags = collate(encoded, chosen)
                emissions = model.emissions(words.to(d), chars.to(d), char_lengths.to(d), lengths)
                if tags is not None:
                    total += float(model.loss(emissions, tags.to(d), lengths)) * len(chosen)
                    count += len(chosen)
                for i, ids in zip(chosen, model.decode(emissions.float(), lengths)):
                    out[i] = self.vocab.output_tags(ids)
        return out, (total / count if count else None)

    def evaluate(self, model, part: str = "valid", full: bool = False) -> dict:
        name = part if part in self.parts else "train"
        predicted, loss = self.predict(model, self.parts[name])
        gold = [s.tags for s in self.sentences[name]]
        report = entity_metrics(gold, predicted, self.vocab.scheme)
        if full:
            return {"loss": loss, **report}
        return {"loss": loss, **{k: report[k] for k in ("f1", "precision", "recall",
                                                         "token_accuracy") if k in report}}

    def held_out(self) -> list[tuple]:
        return self.parts["valid" if "valid" in self.parts else "train"]

    def diagnosis_inputs(self, model):
        """Up to 32 held-out sentences cut to their shortest length; each step's loss is the
        cross-entropy of its tag scores (the CRF's transitions left out)."""
        sample = self.held_out()[:32]
        T = min(len(words) for words, _, _ in sample)
        encoded = [(words[:T], spelled[:T], tags[:T]) for words, spelled, tags in sample]
        words, chars, char_lengths, lengths, tags = collate(encoded, list(range(len(encoded))))
        d = self.device
        x = model.features(words.to(d), chars.to(d), char_lengths.to(d))

        def step_losses(outputs: Tensor) -> Tensor:
            scores = model.head(outputs)  # (B, T, tags)
            return F.cross_entropy(scores.transpose(1, 2), tags.to(d), reduction="none")

        return model.rnn, x, step_losses

    def example_inputs(self) -> tuple:
        words, chars, char_lengths, lengths, _ = collate(self.held_out(), [0])
        d = self.device
        return words.to(d), chars.to(d), char_lengths.to(d), lengths

    def meta(self) -> dict:
        return {"name": "tag", "vocab": self.vocab.to_json()}
