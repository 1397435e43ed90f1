"""`Seq2SeqTask`: length-bucketed batches of source-target pairs for fit() (teacher forcing or
scheduled sampling, label smoothing), and translation of held-out sources by greedy or beam
search for the figures."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.data.buckets import EpochBatches, in_order_batches, pad
from rnnkit.data.pairs import Pairs
from rnnkit.decoding import Hypothesis, search
from rnnkit.layers.modes import evaluating
from rnnkit.tasks.base import TaskBase, last_step_losses
from rnnkit.tasks.decoder import BOS, EOS, IGNORED, PAD, Side, teacher_batch
from rnnkit.tasks.seq2seq.data import within_length
from rnnkit.tasks.seq2seq.metrics import scores
from rnnkit.tasks.seq2seq.model import build_translator


def score_kind(config) -> str:
    """Which figures the run reports: g2p for CMUdict (or asked for), else translation."""
    if config.score != "auto":
        return config.score
    return "g2p" if config.dataset == "cmudict" else "translation"


def decode_limit(lengths: Tensor) -> int:
    """The longest output decoded for sources of these lengths: 2 S + 10 tokens."""
    return 2 * int(lengths.max()) + 10


class Seq2SeqTask(TaskBase):
    """The fit() task. `parts`: {"valid", "test"} Pairs (and "train"); the training pairs are
    encoded once, those longer than --max-length skipped (or refused)."""

    def __init__(self, config, source: Side, target: Side, device,
                 splits: dict[str, Pairs | None] | None = None, baseline: dict | None = None) -> None:
        self.config, self.source, self.target, self.device = config, source, target, device
        self.kind = score_kind(config)
        self.parts = {name: part for name, part in (splits or {}).items() if part is not None}
        self.baseline, self.skipped = baseline or {}, 0
        if "train" not in self.parts:
            return
        self.train_sources, self.train_targets, self.skipped = within_length(
            self.parts["train"], source, target, config.max_length, config.too_long)
        self.batches = EpochBatches([len(s) for s in self.train_sources], config.batch_size,
                                    config.seed, buckets=True)
        held = self.parts["valid"]
        self.baseline = {"copy_source": scores(self.kind, held.sources, held.references)}

    def build_model(self):
        return build_translator(self.config, len(self.source), len(self.target))

    def epoch_windows(self) -> int:
        return len(self.batches)

    def window_loss(self, model, epoch: int, window: int, state):
        chosen = self.batches(epoch)[window]
        source, lengths, target_in, target_out = teacher_batch(
            [self.train_sources[i] for i in chosen], [self.train_targets[i] for i in chosen])
        generator = None
        if self.config.scheduled_sampling > 0:
            generator = torch.Generator().manual_seed(self.config.seed * 1_000_003 + epoch * 10_007
                                                      + window)
        logits = model(source.to(self.device), lengths, target_in.to(self.device),
                       self.config.scheduled_sampling, generator)
        target_out = target_out.to(self.device)
        loss = F.cross_entropy(logits.flatten(0, 1).float(), target_out.flatten(),
                               ignore_index=IGNORED, label_smoothing=self.config.label_smoothing)
        return loss, None, int((target_out != IGNORED).sum())

    @torch.no_grad()
    def loss(self, model, pairs: Pairs) -> float:
        """Mean cross-entropy per target token (first reference, no smoothing), in eval mode."""
        sources = [self.source.encode(s) or [EOS] for s in pairs.sources]
        targets = [self.target.encode(refs[0]) for refs in pairs.references]
        total, count = 0.0, 0
        with evaluating(model):
            for chosen in in_order_batches([len(s) for s in sources], 128):
                source, lengths, target_in, target_out = teacher_batch(
                    [sources[i] for i in chosen], [targets[i] for i in chosen])
                logits = model(source.to(self.device), lengths, target_in.to(self.device))
                target_out = target_out.to(self.device)
                total += float(F.cross_entropy(logits.flatten(0, 1).float(), target_out.flatten(),
                                               ignore_index=IGNORED, reduction="sum"))
                count += int((target_out != IGNORED).sum())
        return total / max(count, 1)

    def translate(self, model, texts: list[str], beam: int = 1, n_best: int = 1,
                  alpha: float = 0.0, batch_size: int = 64) -> list[list[Hypothesis]]:
        """The n-best hypotheses of every text, in the texts' order (batched by length)."""
        encoded = [self.source.encode(text) or [EOS] for text in texts]
        found: list[list[Hypothesis]] = [[] for _ in texts]
        with evaluating(model):
            for chosen in in_order_batches([len(e) for e in encoded], batch_size):
                source, lengths = pad([torch.tensor(encoded[i], dtype=torch.long) for i in chosen],
                                      PAD)
                results = search(model, source.to(self.device), lengths, bos=BOS, eos=EOS,
                                 beam=beam, n_best=n_best, alpha=alpha,
                                 max_length=decode_limit(lengths))
                for i, hypotheses in zip(chosen, results):
                    found[i] = hypotheses
        return found

    def figures(self, model, pairs: Pairs, beam: int = 1) -> dict:
        outputs = [h[0].tokens for h in self.translate(model, pairs.sources, beam, 1,
                                                       self.config.alpha)]
        return scores(self.kind, [self.target.decode(ids) for ids in outputs], pairs.references)

    def scores_of(self, outputs: list[str], pairs: Pairs) -> dict:
        """The run's figures of some output texts against the pairs' references."""
        return scores(self.kind, outputs, pairs.references)

    def evaluate(self, model, part: str = "valid", full: bool = False) -> dict:
        """Loss and perplexity; the figures of greedy decoding (during training: of the first
        --eval-sentences); with `full`, also of beam search (the run's --beam)."""
        pairs = self.parts[part]
        loss = self.loss(model, pairs)
        result = {"loss": loss, "perplexity": math.exp(min(loss, 50.0))}
        if not full:
            shown = pairs.subset(list(range(min(self.config.eval_sentences, len(pairs)))))
            return {**result, **self.figures(model, shown)}
        greedy = self.figures(model, pairs)
        result.update({f"greedy_{k}": v for k, v in greedy.items()})
        if self.config.beam > 1:
            result.update({**self.figures(model, pairs, self.config.beam), "beam": self.config.beam})
        else:
            result.update(greedy)
        return result

    def diagnosis_inputs(self, model):
        """The encoder's layer over up to 32 held-out sources cut to their shortest length;
        the decoder's teacher-forced loss (its initial state bridged from the encoder's last
        outputs, so the gradient flows back through them and through attention) at the last
        step. An LSTM's final cell state enters as a constant."""
        pairs = self.parts["valid"]
        chosen = [i for i in range(len(pairs)) if self.source.encode(pairs.sources[i])][:32]
        sources = [self.source.encode(pairs.sources[i]) for i in chosen]
        T = min(len(s) for s in sources)
        source, lengths, target_in, target_out = teacher_batch(
            [s[:T] for s in sources], [self.target.encode(pairs.references[i][0]) for i in chosen])
        encoder, decoder = model.encoder, model.decoder
        x = encoder.embedding(source.to(self.device))
        _, final = encoder(source.to(self.device), lengths)
        target_in, target_out = target_in.to(self.device), target_out.to(self.device)

        def step_losses(outputs: Tensor) -> Tensor:
            H = outputs.shape[-1] // encoder.directions
            ends = [outputs[:, -1, :H]] + ([outputs[:, 0, H:]] if encoder.directions == 2 else [])
            last = [torch.cat(ends, -1), *[leaf.detach() for leaf in final[1:]]]

            def loss_at_end() -> Tensor:
                logits = decoder(target_in, outputs, last, lengths)
                per_token = F.cross_entropy(logits.flatten(0, 1), target_out.flatten(),
                                            ignore_index=IGNORED, reduction="none")
                return per_token.view(target_out.shape).sum(1)

            return last_step_losses(outputs, loss_at_end)

        return encoder.rnn, x, step_losses

    def example_inputs(self) -> tuple:
        pairs = self.parts["valid"]
        source, lengths, target_in, _ = teacher_batch(
            [self.source.encode(s) or [EOS] for s in pairs.sources[:2]],
            [self.target.encode(r[0]) for r in pairs.references[:2]])
        return source.to(self.device), lengths, target_in.to(self.device)

    def meta(self) -> dict:
        return {"name": "seq2seq", "source_codec": self.source.to_json(),
                "target_codec": self.target.to_json(), "score": self.kind,
                "baseline": self.baseline, "skipped": self.skipped}
