"""Decoding a batch of sources with any encoder-decoder that offers the decoders' protocol:
`start(source, lengths) -> state`, `step(tokens, state) -> (log-probabilities, state)` and
`reorder(state, index)` (layers/seq2seq.py's EncoderDecoder does). A beam of 1 is greedy."""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.checks import check_size
from rnnkit.decoding.beam import Hypothesis, beam_search
from rnnkit.decoding.greedy import greedy_search
from rnnkit.errors import ConfigError


def check_search(beam: int, n_best: int) -> None:
    """ConfigError naming a beam or n-best setting that cannot be used."""
    if not (isinstance(beam, int) and beam >= 1):
        raise ConfigError(f"--beam must be an integer >= 1, got {beam}")
    if not (isinstance(n_best, int) and 1 <= n_best <= beam):
        raise ConfigError(f"--n-best must be between 1 and --beam ({beam}), got {n_best}")


@torch.no_grad()
def search(model, source: Tensor, lengths: Tensor | None, *, bos: int, eos: int, beam: int = 1,
           n_best: int = 1, alpha: float = 0.0, max_length: int = 100) -> list[list[Hypothesis]]:
    """The `n_best` hypotheses of every source in the batch, best first."""
    check_search(beam, n_best)
    check_size("max_length", max_length)
    state = model.start(source, lengths)
    batch = source.shape[0]
    if beam == 1:
        return [[h] for h in greedy_search(model.step, state, batch, bos=bos, eos=eos,
                                           max_length=max_length)]
    return beam_search(model.step, state, batch, bos=bos, eos=eos, beam=beam,
                       max_length=max_length, alpha=alpha, n_best=n_best, reorder=model.reorder)
