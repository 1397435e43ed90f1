"""Attention of a decoder over an encoder's outputs, masked by each source's length.

For a query q (the decoder's state, (B, Q)) and the encoder outputs k_1..k_S ((B, S, K)):

    additive (Bahdanau et al. 2015):  e_s = vᵀ tanh(W_q q + W_k k_s + b)
    dot (Luong et al. 2015):          e_s = qᵀ k_s                (Q = K)
    general (Luong et al. 2015):      e_s = qᵀ W k_s
    a_s = exp(e_s) / Σ_{s' < length} exp(e_s')   (0 past the source's length)
    context = Σ_s a_s k_s

`forward(query, keys, lengths)` returns (context (B, K), weights (B, S)). Positions past a
source's length never change either.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.checks import check_choice, check_size
from rnnkit.state import length_mask

KINDS = ("additive", "dot", "general")


class Attention(nn.Module):
    def __init__(self, kind: str, query_size: int, key_size: int,
                 hidden_size: int | None = None) -> None:
        super().__init__()
        self.kind = check_choice("kind", kind, KINDS)
        self.query_size = check_size("query_size", query_size)
        self.key_size = check_size("key_size", key_size)
        if kind == "dot" and query_size != key_size:
            raise ValueError(f"dot attention needs query_size == key_size, got {query_size} and "
                             f"{key_size}")
        if kind == "additive":
            hidden = check_size("hidden_size", hidden_size or key_size)
            self.query_projection = nn.Linear(query_size, hidden, bias=True)
            self.key_projection = nn.Linear(key_size, hidden, bias=False)
            self.v = nn.Linear(hidden, 1, bias=False)
        elif kind == "general":
            self.key_projection = nn.Linear(key_size, query_size, bias=False)

    def project_keys(self, keys: Tensor) -> Tensor:
        """What the scores read of the keys (B, S, ·): computed once per source sentence and
        passed to every decoding step as `projected`."""
        return keys if self.kind == "dot" else self.key_projection(keys)

    def scores(self, query: Tensor, projected: Tensor) -> Tensor:
        """e (B, S) for query (B, Q) and projected keys (B, S, ·)."""
        if self.kind == "additive":
            return self.v(torch.tanh(self.query_projection(query)[:, None] + projected)).squeeze(-1)
        return torch.einsum("bq,bsq->bs", query, projected)

    def forward(self, query: Tensor, keys: Tensor, lengths: Tensor | None = None,
                projected: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """(context (B, K), weights (B, S)) for query (B, Q), keys (B, S, K), lengths (B,)."""
        projected = self.project_keys(keys) if projected is None else projected
        e = self.scores(query, projected)  # (B, S)
        if lengths is not None:
            e = e.masked_fill(~length_mask(lengths.to(e.device), e.shape[1]), float("-inf"))
        weights = torch.softmax(e, dim=1)
        return torch.einsum("bs,bsk->bk", weights, keys), weights
