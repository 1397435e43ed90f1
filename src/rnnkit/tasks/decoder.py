"""What the tasks that write text token by token share (seq2seq's translator and caption's
captioner, as labelled.py serves classify and tag): the special tokens, one side's codec
(text <-> ids past the specials), teacher-forced batches, and the decoder's network (the run's
network read left to right)."""

from __future__ import annotations

import dataclasses

import torch

from rnnkit.data.buckets import pad
from rnnkit.data.encoders import TextEncoder
from rnnkit.layers.config import RecurrentConfig

PAD, BOS, EOS = 0, 1, 2
SPECIALS = 3  # ids below this are the padding, begin and end tokens


class Side:
    """One side's codec: text <-> ids, the text encoder's ids shifted past the specials."""

    def __init__(self, encoder: TextEncoder) -> None:
        self.encoder = encoder

    def __len__(self) -> int:
        return len(self.encoder) + SPECIALS

    def encode(self, text: str) -> list[int]:
        return [i + SPECIALS for i in self.encoder.encode(text)]

    def decode(self, ids: list[int]) -> str:
        return self.encoder.decode([i - SPECIALS for i in ids if i >= SPECIALS]).strip()

    def token(self, i: int) -> str:
        """The text of one id (the specials as <pad>, <s>, </s>)."""
        return ("<pad>", "<s>", "</s>")[i] if i < SPECIALS else self.encoder.token(i - SPECIALS)

    def pieces(self, text: str) -> list[str]:
        return self.encoder.pieces(text)

    def to_json(self) -> dict:
        return self.encoder.to_json()

    @classmethod
    def from_json(cls, data: dict) -> Side:
        return cls(TextEncoder.from_json(data))


IGNORED = -100  # target positions past a sentence's end


def teacher_batch(sources: list[list[int]], targets: list[list[int]]):
    """(source (B, S), lengths (B,), target inputs (B, T) with BOS first, target outputs (B, T)
    with EOS last and IGNORED past it)."""
    source, lengths = pad([torch.tensor(s, dtype=torch.long) for s in sources], PAD)
    target_in, _ = pad([torch.tensor([BOS, *t], dtype=torch.long) for t in targets], PAD)
    target_out, _ = pad([torch.tensor([*t, EOS], dtype=torch.long) for t in targets], IGNORED)
    return source, lengths, target_in, target_out


def decoder_network(config) -> RecurrentConfig:
    """The decoder's layer: the run's network read left to right only."""
    fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(RecurrentConfig)}
    return RecurrentConfig(**{**fields, "bidirectional": False})
