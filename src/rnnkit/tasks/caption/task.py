"""`CaptionTask`: batches of images and their captions for fit(), and the figures: exact match
of whole captions (greedy and beam), and how often the attention, when the decoder begins
naming a shape, peaks inside that shape's box."""

from __future__ import annotations

import math
from collections import Counter

import torch
import torch.nn.functional as F

from rnnkit.data.buckets import EpochBatches
from rnnkit.data.shapes import COLOURS, SHAPES, Scene
from rnnkit.decoding import search
from rnnkit.layers.modes import evaluating
from rnnkit.tasks.base import TaskBase
from rnnkit.tasks.caption.data import images_of
from rnnkit.tasks.caption.model import build_captioner
from rnnkit.tasks.decoder import BOS, EOS, IGNORED, Side, teacher_batch

LONGEST = 40  # tokens: the longest caption of three shapes is 16


class CaptionTask(TaskBase):
    def __init__(self, config, words: Side, device, scenes: dict[str, list[Scene]] | None = None,
                 baseline: dict | None = None) -> None:
        self.config, self.words, self.device = config, words, device
        self.parts = {k: (images_of(v), v) for k, v in (scenes or {}).items()}
        self.baseline = baseline or {}
        if "train" not in self.parts:
            return
        scenes = self.parts["train"][1]
        self.captions = [words.encode(s.caption) for s in scenes]
        self.batches = EpochBatches([1] * len(scenes), config.batch_size, config.seed, buckets=False)
        common, _ = Counter(s.caption for s in scenes).most_common(1)[0]
        self.baseline = {"most_frequent_caption": common, **{
            f"{part}_exact_match": 100.0 * sum(s.caption == common for s in self.parts[part][1])
            / len(self.parts[part][1]) for part in ("valid", "test")}}

    def build_model(self):
        return build_captioner(self.config, len(self.words))

    def epoch_windows(self) -> int:
        return len(self.batches)

    def window_loss(self, model, epoch: int, window: int, state):
        chosen = self.batches(epoch)[window]
        images = self.parts["train"][0][chosen].to(self.device)
        _, _, target_in, target_out = teacher_batch([[EOS]] * len(chosen),
                                                    [self.captions[i] for i in chosen])
        logits = model(images, None, target_in.to(self.device))
        target_out = target_out.to(self.device)
        loss = F.cross_entropy(logits.flatten(0, 1).float(), target_out.flatten(),
                               ignore_index=IGNORED, label_smoothing=self.config.label_smoothing)
        return loss, None, int((target_out != IGNORED).sum())

    def describe(self, model, images, beam: int = 1, n_best: int = 1, alpha: float = 0.0):
        """The n-best hypotheses of every image (N, 3, H, W), batched."""
        found = []
        with evaluating(model):
            for start in range(0, images.shape[0], 128):
                found += search(model, images[start : start + 128].to(self.device), None, bos=BOS,
                                eos=EOS, beam=beam, n_best=n_best, alpha=alpha,
                                max_length=LONGEST)
        return found

    @torch.no_grad()
    def loss_and_peaks(self, model, images, scenes: list[Scene]) -> tuple[float, dict]:
        """(teacher-forced loss per token, peaks): of the shapes the reference captions name,
        the % whose box holds the attention's peak when the decoder begins naming them (at
        the colour word: with input feeding, the decoder reads a shape once, there), and at
        the shape word itself."""
        total, count = 0.0, 0
        inside = {"attention_in_box": 0, "attention_in_box_at_shape_word": 0}
        named = 0
        encoder = model.encoder
        with evaluating(model):
            for start in range(0, len(scenes), 128):
                part = scenes[start : start + 128]
                batch = images[start : start + 128].to(self.device)
                captions = [self.words.encode(s.caption) for s in part]
                _, _, target_in, target_out = teacher_batch([[EOS]] * len(part), captions)
                steps: list = []  # one pass gives the loss and the attention weights
                logits = model(batch, None, target_in.to(self.device), weights=steps)
                total += float(F.cross_entropy(logits.flatten(0, 1).float(),
                                               target_out.flatten().to(self.device),
                                               ignore_index=IGNORED, reduction="sum"))
                count += int((target_out != IGNORED).sum())
                if model.decoder.attention is None:
                    continue
                weights = torch.stack(steps, dim=1).cpu()  # (B, T, S)
                width = images.shape[-1] // encoder.cell
                for b, scene in enumerate(part):
                    words = self.words.pieces(scene.caption)  # output t is word t
                    colour_steps = [t for t, w in enumerate(words) if w in COLOURS]
                    shape_steps = [t for t, w in enumerate(words) if w in SHAPES]
                    for k, steps in enumerate(zip(colour_steps, shape_steps)):
                        x0, y0, x1, y1 = scene.shapes[k][2]
                        for key, t in zip(inside, steps):
                            row, column = divmod(int(weights[b, t].argmax()), width)
                            x = column * encoder.cell + encoder.cell / 2
                            y = row * encoder.cell + encoder.cell / 2
                            inside[key] += (x0 - 1 <= x <= x1 + 1) and (y0 - 1 <= y <= y1 + 1)
                        named += 1
        peaks = {key: 100.0 * hits / named for key, hits in inside.items()} if named else {}
        return total / max(count, 1), peaks

    def evaluate(self, model, part: str = "valid", full: bool = False) -> dict:
        """Loss, attention in the box (all scenes of the part) and exact match of the captions
        decoded greedily (during training: of the first --eval-sentences; with `full`, of all,
        and by beam search too)."""
        images, scenes = self.parts[part]
        loss, peaks = self.loss_and_peaks(model, images, scenes)
        result = {"loss": loss, "perplexity": math.exp(min(loss, 50.0))}
        if not full:
            images, scenes = images[: self.config.eval_sentences], scenes[: self.config.eval_sentences]
        beams = (1, self.config.beam) if full and self.config.beam > 1 else (1,)
        for beam in beams:
            found = self.describe(model, images, beam, 1, self.config.alpha)
            exact = 100.0 * sum(h[0].tokens == self.words.encode(s.caption)
                                for h, s in zip(found, scenes)) / len(scenes)
            result["greedy_exact_match" if beam == 1 and full else "exact_match"] = exact
        if full and self.config.beam == 1:
            result["exact_match"] = result["greedy_exact_match"]
        result.update(peaks if full else {"attention_in_box": peaks.get("attention_in_box")})
        return {k: v for k, v in result.items() if v is not None}

    def diagnosis_inputs(self, model):
        """What recurs here is the decoder's layer: it reads up to 32 held-out reference captions
        (teacher forcing), each step's embedding beside the first attentional state h̃_0 (input
        feeding's later h̃_t depend on the layer itself, so the diagnosis holds them at h̃_0);
        each step's loss comes from its own attention over the image and the head."""
        images, scenes = self.parts["valid"]
        images = images[:32].to(self.device)
        captions = [self.words.encode(s.caption) for s in scenes[:32]]
        _, _, target_in, target_out = teacher_batch([[EOS]] * len(captions), captions)
        target_in, target_out = target_in.to(self.device), target_out.to(self.device)
        decoder = model.decoder
        with torch.no_grad():  # the image's grid and h̃_0 are constants of the diagnosis
            grid, final = model.encoder(images)
            _, feed = decoder.initial(final)
        # inputs of the decoder's layer without input feeding's loop: the embeddings beside h̃_0
        x = torch.cat([decoder.embedding(target_in),
                       feed[:, None].expand(-1, target_in.shape[1], -1)], -1).detach()

        def step_losses(outputs):
            if decoder.attention is None:
                mixed = torch.tanh(decoder.combine(outputs))
            else:
                context = [decoder.attention(outputs[:, t], grid, None)[0]
                           for t in range(outputs.shape[1])]
                mixed = torch.tanh(decoder.combine(torch.cat([torch.stack(context, 1), outputs],
                                                             -1)))
            logits = decoder.head(mixed)
            losses = F.cross_entropy(logits.flatten(0, 1), target_out.flatten(),
                                     ignore_index=IGNORED, reduction="none")
            return losses.view(target_out.shape)

        return decoder.rnn, x, step_losses

    def example_inputs(self) -> tuple:
        images, scenes = self.parts["valid"]
        _, _, target_in, _ = teacher_batch([[EOS]] * 2, [self.words.encode(s.caption)
                                                         for s in scenes[:2]])
        return images[:2].to(self.device), None, target_in.to(self.device)

    def meta(self) -> dict:
        return {"name": "caption", "words": self.words.to_json(), "baseline": self.baseline}
