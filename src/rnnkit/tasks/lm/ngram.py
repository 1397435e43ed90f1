"""An interpolated Kneser-Ney n-gram model: the baseline a recurrent model has to beat.

Chen & Goodman's interpolated Kneser-Ney with one absolute discount per order,
D_k = n1 / (n1 + 2 n2) (n1, n2: the numbers of k-grams seen once and twice):

    P_k(w | h) = max(c_k(h w) − D_k, 0) / c_k(h) + D_k N1+(h ·) / c_k(h) · P_{k−1}(w | h′)

where h′ drops the oldest token of h; c_n is the raw count at the highest order and c_k,
k < n, the continuation count N1+(· h w), the number of distinct tokens seen before h w.
P_0 is uniform over the vocabulary, so unseen tokens keep some probability. A context never
seen backs off to the lower order entirely.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict


class KneserNey:
    """Interpolated Kneser-Ney of `order` over integer token sequences."""

    def __init__(self, order: int, vocab_size: int) -> None:
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}")
        self.order = order
        self.vocab_size = vocab_size

    def fit(self, tokens: list[int]) -> KneserNey:
        n = self.order
        grams = Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        self.counts: list[Counter] = [Counter() for _ in range(n + 1)]  # by order k
        self.counts[n] = grams
        for k in range(n - 1, 0, -1):  # continuation counts from the order above
            above = self.counts[k + 1]
            lower = Counter()
            for gram in above:
                lower[gram[1:]] += 1
            self.counts[k] = lower
        self.context_total: list[dict] = [{} for _ in range(n + 1)]
        self.context_types: list[dict] = [{} for _ in range(n + 1)]
        self.discount = [0.0] * (n + 1)
        for k in range(1, n + 1):
            total, types = defaultdict(int), defaultdict(int)
            for gram, count in self.counts[k].items():
                total[gram[:-1]] += count
                types[gram[:-1]] += 1
            self.context_total[k], self.context_types[k] = dict(total), dict(types)
            of_counts = Counter(self.counts[k].values())
            n1, n2 = of_counts.get(1, 0), of_counts.get(2, 0)
            self.discount[k] = n1 / (n1 + 2 * n2) if n1 + 2 * n2 else 0.5
        return self

    def probability(self, context: tuple, token: int) -> float:
        """P(token | the last order−1 tokens of context)."""
        p = 1.0 / self.vocab_size
        for k in range(1, self.order + 1):
            h = tuple(context[len(context) - (k - 1):]) if k > 1 else ()
            if len(h) < k - 1:
                break
            total = self.context_total[k].get(h)
            if not total:
                continue
            D = self.discount[k]
            count = self.counts[k].get((*h, token), 0)
            p = max(count - D, 0.0) / total + D * self.context_types[k][h] / total * p
        return p

    def cross_entropy(self, tokens: list[int]) -> float:
        """Mean −ln P over the tokens (each predicted from the ones before it), nats/token."""
        total = 0.0
        width = self.order - 1
        for i, token in enumerate(tokens):
            context = tuple(tokens[max(0, i - width) : i])
            total -= math.log(self.probability(context, token))
        return total / max(1, len(tokens))
