"""The sentences of a tagging run (CoNLL files or the bundled WNUT-16), their vocabularies
(words, characters, tags; BIO may be trained as BIOES), and padded batches."""

from __future__ import annotations

from collections import Counter

import torch

from rnnkit.data.buckets import pad
from rnnkit.data.conll import (
    Sentence,
    bio_to_bioes,
    bioes_to_bio,
    detect_scheme,
    read_conll,
    wnut16_path,
)
from rnnkit.data.splits import holdout, k_fold
from rnnkit.data.vocab import UNKNOWN, Vocabulary
from rnnkit.errors import ConfigError, DataError
from rnnkit.state import length_mask
from rnnkit.tasks.base import given_splits


def sentences_given(part: str, pairs) -> list[Sentence]:
    """Tagged sentences from Python: a list of (tokens, tags), each a list of strings of one
    length."""
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, (list, tuple)) or not pairs:
        raise DataError(f"data[{part!r}]: give a list of (tokens, tags) pairs, at least one")
    sentences = []
    for number, pair in enumerate(pairs, 1):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2
                and all(isinstance(side, (list, tuple)) for side in pair)
                and all(isinstance(item, str) and item.strip() and not any(c.isspace() for c in item)
                        for side in pair for item in side)):
            raise DataError(f"data[{part!r}] sentence {number}: give (tokens, tags), two lists "
                            f"of non-empty strings without spaces")
        tokens, tags = list(pair[0]), list(pair[1])
        if not tokens or len(tokens) != len(tags):
            raise DataError(f"data[{part!r}] sentence {number}: {len(tokens)} tokens and "
                            f"{len(tags)} tags; give as many of each, at least one")
        sentences.append(Sentence(tokens, tags))
    return sentences


def load_sentences(config, given: dict | None = None) -> dict[str, list[Sentence] | None]:
    """{"train", "valid", "test"} sentences: files, sentences given from Python (`given`:
    {"train": [(tokens, tags), ...], optionally "valid" and "test"}), or the bundled WNUT-16
    training split (only a training split exists: with --folds K, fold --fold is the test set)."""
    if given is not None:
        train, valid, test = given_splits(given, sentences_given, "[(tokens, tags), ...]").values()
    elif config.dataset == "wnut16":
        train, valid, test = read_conll(wnut16_path()), None, None
    elif config.data:
        train = read_conll(config.data, encoding=config.encoding)
        valid = read_conll(config.valid, encoding=config.encoding) if config.valid else None
        test = read_conll(config.test, encoding=config.encoding) if config.test else None
    else:
        raise DataError("give --data FILE.conll or --dataset wnut16")
    if config.folds:
        if config.folds < 2:
            raise ConfigError("--folds must be 0 (off) or at least 2")
        kept, held = k_fold(len(train), config.folds, config.fold, seed=0)
        train, test = [train[i] for i in kept], [train[i] for i in held]
    if valid is None and config.valid_fraction > 0:
        kept, held = holdout(list(range(len(train))), config.valid_fraction, config.seed,
                             stratify=False)
        train, valid = [train[i] for i in kept], [train[i] for i in held]
    return {"train": train, "valid": valid, "test": test}


class Vocabularies:
    """The training split's words (lowercased, by frequency) and characters (sorted), each a
    `Vocabulary` with id 0 unknown, and its tags (sorted; BIO made BIOES with `bioes`)."""

    def __init__(self, words: Vocabulary, chars: Vocabulary, tags: list[str], scheme: str,
                 bioes: bool) -> None:
        self.words, self.chars, self.tags, self.scheme, self.bioes = words, chars, tags, scheme, bioes
        self.tag_index = {t: i for i, t in enumerate(tags)}

    @classmethod
    def build(cls, sentences: list[Sentence], config) -> Vocabularies:
        scheme = detect_scheme([s.tags for s in sentences]) if config.scheme == "auto" else config.scheme
        if config.bioes and scheme != "bio":
            raise ConfigError(f"--bioes converts BIO tags, but the training tags are {scheme!r}")
        words = Counter(t.lower() for s in sentences for t in s.tokens)
        chars = Counter(c for s in sentences for t in s.tokens for c in t)
        words.pop(UNKNOWN["word"], None)
        chars.pop(UNKNOWN["char"], None)
        tags = sorted({t for s in sentences for t in cls._train_tags(s.tags, config.bioes)})
        ranked = sorted((w for w, n in words.items() if n >= config.min_count),
                        key=lambda w: (-words[w], w))
        return cls(Vocabulary([UNKNOWN["word"], *ranked], "word"),
                   Vocabulary([UNKNOWN["char"], *sorted(chars)], "char"), tags, scheme, config.bioes)

    @staticmethod
    def _train_tags(tags: list[str], bioes: bool) -> list[str]:
        return bio_to_bioes(tags) if bioes else tags

    def model_scheme(self) -> str:
        return "bioes" if self.bioes else self.scheme

    def encode(self, sentence: Sentence, max_word_length: int, source: str = "") -> tuple:
        unknown_word, unknown_char = self.words.unknown_id, self.chars.unknown_id
        words = torch.tensor([self.words.index.get(t.lower(), unknown_word) for t in sentence.tokens])
        spelled = [torch.tensor([self.chars.index.get(c, unknown_char) for c in t[:max_word_length]])
                   for t in sentence.tokens]
        if sentence.tags is None:
            return words, spelled, None
        tags = self._train_tags(sentence.tags, self.bioes)
        unknown = sorted({t for t in tags if t not in self.tag_index})
        if unknown:
            raise DataError(f"{source}: tag {unknown[0]!r} never seen in training; the training "
                            f"tags are: {', '.join(self.tags)}")
        return words, spelled, torch.tensor([self.tag_index[t] for t in tags])

    def output_tags(self, ids: list[int]) -> list[str]:
        tags = [self.tags[i] for i in ids]
        return bioes_to_bio(tags) if self.bioes else tags

    def to_json(self) -> dict:
        return {"words": self.words.tokens, "chars": self.chars.tokens, "tags": self.tags,
                "scheme": self.scheme, "bioes": self.bioes}

    @classmethod
    def from_json(cls, data: dict) -> Vocabularies:
        return cls(Vocabulary(data["words"], "word"), Vocabulary(data["chars"], "char"),
                   data["tags"], data["scheme"], data["bioes"])


def collate(encoded: list[tuple], chosen: list[int]):
    """(words (B, T), chars (B, T, L), char lengths (B, T), lengths (B,), tags (B, T) or None)."""
    words, lengths = pad([encoded[i][0] for i in chosen])
    valid = length_mask(lengths, words.shape[1])  # (B, T), row-major order
    spelled, spelled_lengths = pad([c for i in chosen for c in encoded[i][1]])  # (words, L)
    chars = torch.zeros(*words.shape, spelled.shape[1], dtype=torch.long)
    char_lengths = torch.zeros(words.shape, dtype=torch.long)
    chars[valid], char_lengths[valid] = spelled, spelled_lengths
    tags = None if encoded[chosen[0]][2] is None else pad([encoded[i][2] for i in chosen])[0]
    return words, chars, char_lengths, lengths, tags
