"""`AsrTask`: batches of recordings for fit() (speed perturbation, SpecAugment, CTC loss with
the lengths after stacking), and the figures: CTC loss per character, word and character
error rates (jiwer) with greedy decoding and with prefix beam search and the run's character
n-gram model."""

from __future__ import annotations

import jiwer
import torch
import torch.nn.functional as F

from rnnkit.data.buckets import EpochBatches
from rnnkit.data.features import spec_augment
from rnnkit.decoding.ctc import best_path, greedy, prefix_beam_search
from rnnkit.decoding.ngram import CharNgram
from rnnkit.layers.modes import evaluating
from rnnkit.tasks.asr.data import SPEEDS, Alphabet, Featuriser
from rnnkit.tasks.asr.model import AcousticModel
from rnnkit.tasks.base import TaskBase

EVAL_BATCH = 32


def error_rates(references: list[str], outputs: list[str]) -> dict:
    """Word and character error rates in % (edits / reference length, over the whole set)."""
    return {"wer": 100.0 * jiwer.wer(references, outputs),
            "cer": 100.0 * jiwer.cer(references, outputs)}


def pad(features: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T, M) zero-padded, lengths (B,)."""
    lengths = torch.tensor([f.shape[0] for f in features])
    return torch.nn.utils.rnn.pad_sequence(features, batch_first=True), lengths


def fits(frames: int, labels: list[int], stack: int) -> bool:
    """Whether CTC can place `labels` in the model's frames (a repeat needs a blank between)."""
    needed = len(labels) + sum(a == b for a, b in zip(labels, labels[1:]))
    return frames // stack >= max(needed, 1)


class AsrTask(TaskBase):
    selection = ("wer", False)

    def __init__(self, config, alphabet: Alphabet, device, parts: dict | None = None,
                 lm: CharNgram | None = None, baseline: dict | None = None) -> None:
        """`parts`: split -> (features, texts); the train split's features are a dict of
        speed factor -> list (one entry per SPEEDS factor with --speed-perturb)."""
        self.config, self.alphabet, self.device, self.lm = config, alphabet, device, lm
        self.featuriser = Featuriser(config.features, config.n_mels, config.n_mfcc,
                                     config.normalise == "utterance")
        self.parts = parts or {}
        self.baseline = baseline or {}
        if "train" not in self.parts:
            return
        speeds, texts = self.parts["train"]
        self.labels = [alphabet.encode(t) for t in texts]
        self.batches = EpochBatches([f.shape[0] for f in speeds[1.0]], config.batch_size,
                                    config.seed)
        self.baseline = {"empty_transcript": {part: error_rates(self.parts[part][1],
                                                                [""] * len(self.parts[part][1]))
                                              for part in ("valid", "test") if part in self.parts}}

    def build_model(self) -> AcousticModel:
        return AcousticModel(self.config, self.featuriser.size, len(self.alphabet))

    def epoch_windows(self) -> int:
        return len(self.batches)

    def window_loss(self, model, epoch: int, window: int, state):
        """CTC loss per character of one batch; each recording at a speed drawn from SPEEDS
        (with --speed-perturb) and masked by SpecAugment (with --spec-augment)."""
        chosen = self.batches(epoch)[window]
        speeds, _ = self.parts["train"]
        generator = torch.Generator().manual_seed((self.config.seed * 1_000_003 + epoch) * 100_003
                                                  + window)
        features = []
        for i in chosen:
            factor = SPEEDS[int(torch.randint(len(SPEEDS), (), generator=generator))] \
                if len(speeds) > 1 else 1.0
            frames = speeds[factor][i]
            if self.config.spec_augment:
                frames = spec_augment(frames, generator)
            features.append(frames)
        x, lengths = pad(features)
        log_probs, out_lengths, _ = model(x.to(self.device), lengths.to(self.device))
        labels = [self.labels[i] for i in chosen]
        targets = torch.tensor([c for label in labels for c in label], device=self.device)
        target_lengths = torch.tensor([len(label) for label in labels], device=self.device)
        loss = F.ctc_loss(log_probs.transpose(0, 1), targets, out_lengths, target_lengths,
                          blank=0, reduction="sum", zero_infinity=True)
        characters = int(target_lengths.sum())
        return loss / max(characters, 1), None, characters

    @torch.no_grad()
    def log_probs(self, model, features: list[torch.Tensor]) -> list[torch.Tensor]:
        """(T', C) log-probabilities of every recording, batched by similar length."""
        order = sorted(range(len(features)), key=lambda i: features[i].shape[0])
        found: list = [None] * len(features)
        with evaluating(model):
            for start in range(0, len(order), EVAL_BATCH):
                chosen = order[start : start + EVAL_BATCH]
                x, lengths = pad([features[i] for i in chosen])
                out, out_lengths, _ = model(x.to(self.device), lengths.to(self.device))
                for k, i in enumerate(chosen):
                    found[i] = out[k, : int(out_lengths[k])].cpu()
        return found

    def decode(self, outputs: list[torch.Tensor], beam: int = 1, lm_weight: float = 0.0,
               bonus: float = 0.0, n_best: int = 1) -> list[list]:
        """Per recording, its n-best (labels, score): greedy when beam is 1."""
        if beam == 1:
            return [[(labels, None)] for labels in greedy_each(outputs)]
        found = []
        for start in range(0, len(outputs), EVAL_BATCH):
            x, lengths = pad(outputs[start : start + EVAL_BATCH])
            for hypotheses in prefix_beam_search(x, lengths, beam, self.lm, lm_weight, bonus,
                                                 n_best):
                found.append([(h.labels, h.score) for h in hypotheses])
        return found

    def evaluate(self, model, part: str = "valid", full: bool = False) -> dict:
        """Loss per character, and WER / CER of greedy decoding (during training: of the first
        --eval-utterances; with `full`, of all, and of beam search with the n-gram model)."""
        features, texts = self.parts[part]
        if not full:
            features, texts = features[: self.config.eval_utterances], texts[: self.config.eval_utterances]
        outputs = self.log_probs(model, features)
        total, characters = 0.0, 0
        for out, text in zip(outputs, texts):
            if out.shape[0] == 0 or self.alphabet.unknown(text):
                continue  # (a file to score may hold characters the model cannot write)
            labels = self.alphabet.encode(text)
            total += float(F.ctc_loss(out, torch.tensor(labels), [out.shape[0]], [len(labels)],
                                      reduction="sum", zero_infinity=True))
            characters += len(labels)
        result = {"loss": total / max(characters, 1)}
        heard = [self.alphabet.decode(labels) for labels in greedy_each(outputs)]
        result.update(error_rates(texts, heard))
        if full and self.config.beam > 1:
            weight = self.config.lm_weight if self.lm is not None else 0.0
            found = self.decode(outputs, self.config.beam, weight, self.config.lm_bonus)
            beamed = error_rates(texts, [self.alphabet.decode(h[0][0]) if h else "" for h in found])
            result.update({f"beam_{k}": v for k, v in beamed.items()})
        return result

    def diagnosis_inputs(self, model):
        """The recurrent layer over up to 16 held-out recordings (stacked, normalised frames);
        each step's loss is the cross-entropy of its frame against the most likely alignment
        of the reference transcript (CTC's loss does not split into steps; its best path does)."""
        features, texts = self.parts["valid"]
        chosen = list(range(min(16, len(features))))
        x, lengths = pad([features[i] for i in chosen])
        x, lengths = x.to(self.device), lengths.to(self.device)
        with torch.no_grad():
            out, out_lengths, _ = model(x, lengths)
        targets = torch.zeros(out.shape[:2], dtype=torch.long, device=self.device)
        for k, i in enumerate(chosen):
            steps = int(out_lengths[k])
            labels = self.alphabet.encode(texts[i])
            if fits(steps * model.stack, labels, model.stack):
                targets[k, :steps] = torch.tensor(best_path(out[k, :steps], labels)[0])
        mask = torch.arange(out.shape[1], device=self.device)[None] < out_lengths[:, None]
        inputs = model.with_lookahead(model.steps(x, lengths))  # what the layer reads

        def step_losses(outputs):
            logits = model.head(outputs)
            losses = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none")
            return losses.view(targets.shape) * mask

        return model.rnn, inputs.detach(), step_losses

    def example_inputs(self) -> tuple:
        features, _ = self.parts["valid"]
        x, lengths = pad(features[:2])
        return x.to(self.device), lengths.to(self.device)

    def meta(self) -> dict:
        return {"name": "asr", "alphabet": self.alphabet.to_json(), "baseline": self.baseline,
                "lm": self.lm.to_json() if self.lm is not None else None}


def greedy_each(outputs: list[torch.Tensor]) -> list[list[int]]:
    return [greedy(out[None])[0] for out in outputs]
