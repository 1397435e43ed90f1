"""The bundled synthesised speech: seeded and reproducible, whole voices held out."""

import csv

import numpy as np

from rnnkit.data.audio import read_wav
from rnnkit.data.speech import (
    DIGITS,
    TEST_VARIANTS,
    VALID_VARIANTS,
    VOCABULARY,
    digit_string,
    sentence,
    spoken_dataset,
)

SMALL = {"train": 6, "valid": 3, "test": 3}


def rows(folder, split):
    with (folder / f"{split}.csv").open() as file:
        return list(csv.DictReader(file))


def test_generation_is_reproducible_and_holds_out_whole_voices(tmp_path):
    folder = spoken_dataset("spoken-digits", tmp_path / "a", SMALL)
    again = spoken_dataset("spoken-digits", tmp_path / "b", SMALL)
    for split, size in SMALL.items():
        found = rows(folder, split)
        assert len(found) == size and found == rows(again, split)
        for row in found:
            assert set(row["text"].split()) <= {*DIGITS, "oh"}
            audio = read_wav(folder / row["path"])
            # eSpeak NG's output varies by a few samples between runs; the rest is seeded
            assert abs(len(audio) - len(read_wav(again / row["path"]))) < 800
            assert 0.3 < len(audio) / 16000 < 15 and np.abs(audio).max() > 0.05
    variant = {split: {r["voice"].split("+")[1] for r in rows(folder, split)} for split in SMALL}
    assert variant["test"] <= set(TEST_VARIANTS) and variant["valid"] <= set(VALID_VARIANTS)
    assert not variant["train"] & (set(TEST_VARIANTS) | set(VALID_VARIANTS))
    assert spoken_dataset("spoken-digits", tmp_path / "a", SMALL) == folder  # made once
    assert not list((tmp_path / "a").glob("*.partial"))


def test_texts_come_from_their_vocabularies():
    rng = np.random.default_rng(0)
    lengths = [len(digit_string(rng).split()) for _ in range(500)]
    assert min(lengths) == 1 and max(lengths) == 7
    words = {w for _ in range(500) for w in sentence(rng).split()}
    assert words <= set(VOCABULARY) and 200 <= len(VOCABULARY) <= 400
