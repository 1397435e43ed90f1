"""A linear-chain conditional random field over per-step tag scores, for sequence tagging.

score(y) = start[y_1] + Σ_t emission[t, y_t] + Σ_{t>1} transition[y_{t−1}, y_t] + end[y_T];
the log-likelihood is score(y) − log Σ_y' exp score(y') (forward algorithm); decoding is
Viterbi over `scores()` (decoding/viterbi.py). Each sequence uses only its first `lengths[b]`
steps. An optional `allowed` mask forbids transitions that a tag scheme rules out (e.g.
O -> I-PER in BIO); forbidden moves get a fixed score of −10⁴, so they are never decoded and
carry no gradient.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.state import length_mask

FORBIDDEN = -1e4


class CRF(nn.Module):
    def __init__(self, num_tags: int, allowed: dict | None = None) -> None:
        super().__init__()
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))
        ones = torch.ones(num_tags, dtype=torch.bool)
        allowed = allowed or {}
        self.register_buffer("allowed_start", allowed.get("start", ones).clone())
        self.register_buffer("allowed_end", allowed.get("end", ones).clone())
        self.register_buffer("allowed_transitions",
                             allowed.get("transitions", torch.ones(num_tags, num_tags,
                                                                   dtype=torch.bool)).clone())

    def scores(self) -> tuple[Tensor, Tensor, Tensor]:
        """(start, transitions, end) with forbidden moves set to −10⁴."""
        return (self.start.masked_fill(~self.allowed_start, FORBIDDEN),
                self.transitions.masked_fill(~self.allowed_transitions, FORBIDDEN),
                self.end.masked_fill(~self.allowed_end, FORBIDDEN))

    def log_likelihood(self, emissions: Tensor, tags: Tensor, lengths: Tensor) -> Tensor:
        """log p(tags | emissions) per sequence: emissions (B, T, K), tags (B, T), lengths (B,)."""
        start, trans, end = self.scores()
        B, T, _ = emissions.shape
        lengths = lengths.to(emissions.device)
        valid = length_mask(lengths, T)
        rows = torch.arange(B, device=emissions.device)
        gold = emissions.gather(2, tags[..., None]).squeeze(-1).masked_fill(~valid, 0).sum(1)
        gold = gold + start[tags[:, 0]] + end[tags[rows, lengths - 1]]
        if T > 1:
            moves = trans[tags[:, :-1], tags[:, 1:]].masked_fill(~valid[:, 1:], 0)
            gold = gold + moves.sum(1)
        alpha = start + emissions[:, 0]  # (B, K)
        for t in range(1, T):
            step = torch.logsumexp(alpha[:, :, None] + trans, dim=1) + emissions[:, t]
            alpha = torch.where(valid[:, t, None], step, alpha)
        return gold - torch.logsumexp(alpha + end, dim=1)


def allowed_moves(tags: list[str], scheme: str) -> dict:
    """Which starts, transitions and ends a tag scheme ("bio", "bioes") permits; any other
    scheme permits everything."""
    K = len(tags)
    start = torch.ones(K, dtype=torch.bool)
    end = torch.ones(K, dtype=torch.bool)
    moves = torch.ones(K, K, dtype=torch.bool)
    if scheme not in ("bio", "bioes"):
        return {"start": start, "end": end, "transitions": moves}
    parts = [(t[0], t[2:]) if t != "O" and "-" in t else ("O", "") for t in tags]
    inside = {"I", "E"} if scheme == "bioes" else {"I"}
    for j, (prefix, kind) in enumerate(parts):
        if prefix in inside:
            start[j] = False
        if scheme == "bioes" and prefix in ("B", "I"):
            end[j] = False
        for i, (before, before_kind) in enumerate(parts):
            continues = before in ("B", "I") and before_kind == kind
            if scheme == "bio":
                moves[i, j] = prefix != "I" or continues
            elif before in ("B", "I"):  # an open entity goes on with I or ends with E, same type
                moves[i, j] = continues and prefix in inside
            else:  # after O, E or S: no I or E
                moves[i, j] = prefix not in inside
    return {"start": start, "end": end, "transitions": moves}
