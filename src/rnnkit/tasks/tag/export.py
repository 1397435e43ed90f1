"""The tagger's graph for `rnnkit export`: padded word ids (B, T), their spellings (B, T, L)
and the spellings' lengths (B, T), the sentence lengths -> per-tag scores (B, T, K); a CRF
tagger's graph also gives the CRF's start, transition and end scores for Viterbi decoding."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.tasks.base import Graph, sample_lengths


class Emissions(nn.Module):
    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, words: Tensor, chars: Tensor, char_lengths: Tensor, lengths: Tensor):
        emissions = self.model.emissions(words, chars, char_lengths, lengths)
        if self.model.crf is None:
            return (emissions,)
        return (emissions, *self.model.crf.scores())


def graphs(run) -> list[Graph]:
    model = run.model
    words_count = model.word_embedding.num_embeddings
    letters = model.char_embedding.num_embeddings if model.char_rnn is not None else 2

    def sample(batch: int, time: int, generator: torch.Generator):
        lengths = sample_lengths(batch, time, generator)
        inside = torch.arange(time)[None, :] < lengths[:, None]  # (B, T)
        words = torch.randint(1, words_count, (batch, time), generator=generator) * inside
        longest = int(torch.randint(1, 9, (), generator=generator))
        char_lengths = torch.randint(1, longest + 1, (batch, time), generator=generator) * inside
        chars = torch.randint(1, letters, (batch, time, longest), generator=generator)
        chars = chars * (torch.arange(longest) < char_lengths[..., None])
        return words, chars, char_lengths, lengths

    crf = ("start", "transitions", "end") if model.crf is not None else ()
    return [Graph("model", Emissions(model), ("words", "chars", "char_lengths", "lengths"),
                  ("emissions", *crf),
                  {"words": {0: "batch", 1: "time"}, "chars": {0: "batch", 1: "time", 2: "letters"},
                   "char_lengths": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}, sample)]
