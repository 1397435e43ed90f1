"""Every decoder: turning a model's scores into outputs: sampling, greedy choice, beam search,
Viterbi."""

from rnnkit.decoding.beam import Hypothesis, beam_search, length_penalty
from rnnkit.decoding.greedy import greedy_search
from rnnkit.decoding.sampling import check_sampling, sample_next
from rnnkit.decoding.search import check_search, search
from rnnkit.decoding.viterbi import viterbi

__all__ = ["Hypothesis", "beam_search", "check_sampling", "check_search", "greedy_search",
           "length_penalty", "sample_next", "search", "viterbi"]
