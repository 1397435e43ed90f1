"""Vocabularies: character or word tokens, saved with the model as JSON."""

from __future__ import annotations

import re
from collections import Counter

from rnnkit.errors import DataError

LEVELS = ("char", "word")
UNKNOWN = {"char": "\ufffd", "word": "<unk>"}
_WORD = re.compile(r"\n|[^\W_]+(?:'[^\W_]+)*|\S")
_NO_SPACE_BEFORE = set(".,;:!?)]}'\n")


def tokenize(text: str, level: str) -> list[str]:
    """Characters, or words: runs of letters/digits (with inner apostrophes), each other
    non-space character, and newlines."""
    return list(text) if level == "char" else _WORD.findall(text)


class Vocabulary:
    """Tokens <-> ids. Id 0 is the unknown token; the rest are sorted by frequency, then text."""

    def __init__(self, tokens: list[str], level: str) -> None:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
        if not tokens or tokens[0] != UNKNOWN[level]:
            raise ValueError(f"the first token must be the unknown token {UNKNOWN[level]!r}")
        self.level = level
        self.tokens = list(tokens)
        self.index = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def build(cls, texts: list[str], level: str = "char", max_size: int | None = None,
              min_count: int = 1) -> Vocabulary:
        counts = Counter()
        for text in texts:
            counts.update(tokenize(text, level))
        counts.pop(UNKNOWN[level], None)
        ranked = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[: max_size - 1]
        return cls([UNKNOWN[level], *ranked], level)

    unknown_id = 0  # the unknown token's id: what a token outside the vocabulary reads as

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, text: str, strict: bool = False) -> list[int]:
        """Ids of the text's tokens; unknown tokens map to 0, or raise DataError if `strict`."""
        tokens = tokenize(text, self.level)
        if strict:
            unknown = sorted({t for t in tokens if t not in self.index})
            if unknown:
                shown = ", ".join(repr(t) for t in unknown[:5])
                raise DataError(f"not in the model's vocabulary: {shown}"
                                + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""))
        return [self.index.get(t, 0) for t in tokens]

    def decode(self, ids) -> str:
        tokens = [self.tokens[i] for i in ids]
        if self.level == "char":
            return "".join(tokens)
        out = []
        for token in tokens:
            if out and token not in _NO_SPACE_BEFORE and out[-1] != "\n":
                out.append(" ")
            out.append(token)
        return "".join(out)

    def to_json(self) -> dict:
        return {"level": self.level, "tokens": self.tokens}

    @classmethod
    def from_json(cls, data: dict) -> Vocabulary:
        return cls(data["tokens"], data["level"])

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and (self.level, self.tokens) == (other.level, other.tokens)
