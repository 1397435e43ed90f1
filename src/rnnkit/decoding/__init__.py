"""Decoders: turning a model's scores into outputs: sampling and greedy choice, beam search."""

from rnnkit.decoding.beam import Hypothesis, beam_search, length_penalty
from rnnkit.decoding.greedy import greedy_search
from rnnkit.decoding.sampling import check_sampling, sample_next
from rnnkit.decoding.search import check_search, search

__all__ = ["Hypothesis", "beam_search", "check_sampling", "check_search", "greedy_search",
           "length_penalty", "sample_next", "search"]
