"""The examples of an encoder-decoder run: source-target pairs from the user's files or a bundled
set, split into train / valid / test, and each side's token codec (its tokens plus the padding,
begin and end tokens)."""

from __future__ import annotations

import random

from rnnkit.data.bible import load_bible_pairs
from rnnkit.data.cmudict import load_pronunciations, split_words
from rnnkit.data.encoders import TextEncoder
from rnnkit.data.pairs import Pairs, read_pairs
from rnnkit.errors import DataError
from rnnkit.tasks.base import given_splits
from rnnkit.tasks.decoder import Side

DATASETS = ("cmudict", "bible-es-en")
def build_sides(config, train: Pairs, saved: dict | None = None) -> tuple[Side, Side]:
    """The source and target codecs, fitted on the training pairs only (or a saved run's own);
    one shared codec for both sides with --shared-vocab. --lowercase lowercases the source (and
    a shared vocabulary's targets); a target keeps its case."""
    if saved is not None:
        return Side.from_json(saved["source_codec"]), Side.from_json(saved["target_codec"])
    sources, targets, _ = train.training_pairs()

    def fit(texts: list[str], kind: str, lowercase: bool) -> Side:
        return Side(TextEncoder.build(texts, kind, config.vocab_size, config.min_count,
                                      lowercase, reversible=True))

    if config.shared_vocab:
        shared = fit(sources + targets, config.source_tokens, config.lowercase)
        return shared, shared
    return (fit(sources, config.source_tokens, config.lowercase),
            fit(targets, config.target_tokens, False))


def pairs_given(part: str, pairs) -> Pairs:
    """Pairs from Python: a list of (source, target) texts."""
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, (list, tuple)) or not pairs:
        raise DataError(f"data[{part!r}]: give a list of (source, target) pairs, at least one")
    for number, pair in enumerate(pairs, 1):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2
                and all(isinstance(side, str) and side.strip() for side in pair)):
            raise DataError(f"data[{part!r}] pair {number}: give (source, target), two "
                            f"non-empty texts")
    return Pairs([source.strip() for source, _ in pairs], [[target.strip()] for _, target in pairs],
                 f"data[{part!r}]", list(range(1, len(pairs) + 1)))


def load_splits(config, given: dict | None = None) -> dict[str, Pairs | None]:
    """{"train", "valid", "test"} of the run's data (test None without one): files, pairs given
    from Python (`given`: {"train": [(source, target), ...], optionally "valid" and "test"}),
    or a bundled set."""
    if given is not None:
        splits = given_splits(given, pairs_given, "[(source, target), ...]")
        if splits["valid"] is None:
            splits["train"], splits["valid"] = held_out(splits["train"], config)
        return splits
    if config.dataset == "cmudict":
        words = load_pronunciations()
        return {part: Pairs(chosen, [words[w] for w in chosen], f"cmudict ({part})",
                            list(range(1, len(chosen) + 1)))
                for part, chosen in split_words(list(words)).items()}
    if config.dataset == "bible-es-en":
        return {part: Pairs([s for s, _ in pairs], [[t] for _, t in pairs], f"bible-es-en ({part})",
                            list(range(1, len(pairs) + 1)))
                for part, pairs in load_bible_pairs().items()}
    if not config.data:
        raise DataError("give --data (a file of source TAB target lines, or CSV/JSONL with "
                        f"source and target columns) or --dataset ({', '.join(DATASETS)})")
    read = lambda path: read_pairs(path, config.encoding, config.source_column,  # noqa: E731
                                   config.target_column)
    train, valid = held_out(read(config.data), config) if not config.valid else (
        read(config.data), read(config.valid))
    return {"train": train, "valid": valid, "test": read(config.test) if config.test else None}


def held_out(train: Pairs, config) -> tuple[Pairs, Pairs]:
    """(train, valid): a seeded `valid_fraction` of the pairs held out for validation."""
    order = list(range(len(train)))
    random.Random(config.seed).shuffle(order)
    n = max(1, round(config.valid_fraction * len(order)))
    if len(order) - n < 1:
        raise DataError(f"{train.source}: {len(order)} pair(s) are too few to hold out "
                        "validation data; give validation pairs or more pairs")
    return train.subset(sorted(order[n:])), train.subset(sorted(order[:n]))


def within_length(pairs: Pairs, source: Side, target: Side, limit: int,
                  too_long: str) -> tuple[list, list, int]:
    """(source ids, target ids) of every training pair, and how many were skipped for a side
    longer than `limit` tokens (or DataError naming the first, with too_long "error")."""
    sources, targets, rows = pairs.training_pairs()
    kept_sources, kept_targets, skipped = [], [], 0
    for text, target_text, row in zip(sources, targets, rows):
        ids, target_ids = source.encode(text), target.encode(target_text)
        if not ids or not target_ids:
            where = f" line {pairs.lines[row]}" if pairs.lines else ""
            raise DataError(f"{pairs.source}{where}: a side with no tokens")
        if max(len(ids), len(target_ids)) > limit:
            if too_long == "error":
                where = f" line {pairs.lines[row]}" if pairs.lines else ""
                raise DataError(f"{pairs.source}{where}: {max(len(ids), len(target_ids))} tokens, "
                                f"more than --max-length {limit} (or pass --too-long skip)")
            skipped += 1
            continue
        kept_sources.append(ids)
        kept_targets.append(target_ids)
    if not kept_sources:
        raise DataError(f"{pairs.source}: every pair is longer than --max-length {limit}")
    return kept_sources, kept_targets, skipped
