"""Decoders: turning a model's scores into outputs: sampling and greedy choice, beam search."""

from rnnkit.decoding.beam import Hypothesis, beam_search, length_penalty
from rnnkit.decoding.sampling import check_sampling, sample_next

__all__ = ["Hypothesis", "beam_search", "check_sampling", "length_penalty", "sample_next"]
