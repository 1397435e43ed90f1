"""Decoders: turning a model's scores into outputs (sampling and greedy choice so far)."""

from rnnkit.decoding.sampling import check_sampling, sample_next

__all__ = ["check_sampling", "sample_next"]
