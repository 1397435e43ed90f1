"""Recordings and their transcripts: a manifest (CSV / TSV / JSONL with columns `path` and
`text`, paths relative to the manifest) or a folder (each `x.wav` beside `x.txt`), or a
bundled synthesised set; the alphabet of a run's characters; features of every recording."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rnnkit.data.audio import SAMPLE_RATE, change_speed, read_wav
from rnnkit.data.feature_cache import FeatureCache, cache_key
from rnnkit.data.features import LogMel, mfcc, normalise
from rnnkit.data.speech import DATASETS, spoken_dataset
from rnnkit.data.tables import read_table
from rnnkit.data.text import read_text
from rnnkit.errors import DataError

log = logging.getLogger(__name__)  # notices of long waits; the command line shows them

SPEEDS = (0.9, 1.0, 1.1)  # speed perturbation's factors (Ko et al. 2015)
FEATURES_VERSION = 1  # raise it when the audio reading or the features change: new cache keys
PROGRESS_EVERY_S = 10.0  # seconds between progress lines while features are computed


@dataclass(frozen=True)
class Utterance:
    path: Path
    text: str


def clean_text(text: str, lowercase: bool = True) -> str:
    """One line, single spaces, lowercase unless asked otherwise."""
    text = " ".join(text.split())
    return text.lower() if lowercase else text


def read_utterances(source: str | Path, lowercase: bool = True,
                    encoding: str = "utf-8") -> list[Utterance]:
    """The recordings a manifest or a folder names (every file is checked to exist)."""
    source = Path(source)
    if source.is_dir():
        return _read_folder(source, lowercase, encoding)
    table = read_table(source, encoding)
    paths, texts = table.column("path"), table.column("text")
    found = []
    for path, text, line in zip(paths, texts, table.lines):
        audio = (source.parent / path.strip())
        if not audio.is_file():
            raise DataError(f"{source} line {line}: no audio file {path.strip()!r} (paths are "
                            f"relative to the manifest's folder)")
        found.append(Utterance(audio, clean_text(text, lowercase)))
    return found


def _read_folder(folder: Path, lowercase: bool, encoding: str) -> list[Utterance]:
    waves = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".wav")
    if not waves:
        raise DataError(f"{folder}: no .wav files (a folder holds x.wav beside x.txt)")
    found = []
    for wave in waves:
        text_file = wave.with_suffix(".txt")
        if not text_file.is_file():
            raise DataError(f"{wave}: no transcript {text_file.name} beside it")
        found.append(Utterance(wave, clean_text(read_text(text_file, encoding), lowercase)))
    return found


def bundled_splits(name: str, cache: str) -> dict[str, list[Utterance]]:
    if name not in DATASETS:
        raise DataError(f"unknown bundled speech {name!r}; there are: {', '.join(DATASETS)}")
    folder = spoken_dataset(name, cache)
    return {split: read_utterances(folder / f"{split}.csv") for split in ("train", "valid", "test")}


class Alphabet:
    """Characters of the transcripts as labels 1..V (0 is CTC's blank)."""

    def __init__(self, characters: list[str]) -> None:
        self.characters = list(characters)
        self.index = {c: i + 1 for i, c in enumerate(self.characters)}

    @classmethod
    def of(cls, texts: list[str]) -> Alphabet:
        return cls(sorted({c for text in texts for c in text}))

    def __len__(self) -> int:
        return len(self.characters) + 1  # with the blank

    def unknown(self, text: str) -> set[str]:
        return {c for c in text if c not in self.index}

    def encode(self, text: str) -> list[int]:
        return [self.index[c] for c in text]

    def decode(self, labels: list[int]) -> str:
        return "".join(self.characters[i - 1] for i in labels)

    def to_json(self) -> list[str]:
        return self.characters


def check_characters(utterances: list[Utterance], alphabet: Alphabet, action: str,
                     where: str) -> tuple[list[Utterance], int]:
    """(utterances whose characters the alphabet has, how many were skipped); with action
    "error", a DataError listing the characters it lacks and how many transcripts hold them."""
    bad = [u for u in utterances if alphabet.unknown(u.text)]
    if bad and action == "error":
        characters = sorted(set().union(*(alphabet.unknown(u.text) for u in bad)))
        raise DataError(f"{where}: {len(bad)} transcripts hold characters outside the alphabet "
                        f"({json.dumps(''.join(characters), ensure_ascii=False)}); pass "
                        f"--unknown-characters skip to leave them out")
    return [u for u in utterances if not alphabet.unknown(u.text)], len(bad)


class Featuriser:
    """Audio -> the model's input frames (T, M): log-mel filterbanks or MFCCs, normalised per
    utterance or left for the model's global normalisation."""

    def __init__(self, kind: str = "logmel", n_mels: int = 80, n_mfcc: int = 13,
                 per_utterance: bool = True) -> None:
        self.kind, self.n_mfcc, self.per_utterance = kind, n_mfcc, per_utterance
        self.log_mel, self.log_mel_size = LogMel(SAMPLE_RATE, n_mels), n_mels
        self.size = n_mfcc if kind == "mfcc" else n_mels

    def raw(self, samples) -> torch.Tensor:
        """Features before any per-utterance normalisation (T, size)."""
        return self.from_log_mel(self.log_mel(samples))

    def settings(self) -> dict:
        """What the features depend on (a cache key's part)."""
        return {"kind": self.kind, "n_mels": self.log_mel_size, "n_mfcc": self.n_mfcc,
                "per_utterance": self.per_utterance}

    def from_log_mel(self, frames: torch.Tensor) -> torch.Tensor:
        return mfcc(frames, self.n_mfcc) if self.kind == "mfcc" else frames

    def __call__(self, samples) -> torch.Tensor:
        frames = self.raw(samples)
        return normalise(frames) if self.per_utterance and frames.shape[0] > 1 else frames


def features_of(utterances: list[Utterance], featuriser: Featuriser,
                speeds: tuple[float, ...] = (1.0,),
                cache: FeatureCache | None = None) -> dict[float, list[torch.Tensor]]:
    """Features of every recording at every speed factor (each recording read once). With a
    `cache`, features made before from the same files with the same settings are read back
    instead, and new ones are kept there. A progress line every 10 s says how far it is."""
    key = None
    if cache is not None and utterances:
        key = cache_key({"version": FEATURES_VERSION, "speeds": list(speeds),
                         **featuriser.settings()}, [u.path for u in utterances])
        kept = cache.load(key)
        if kept is not None and all(len(kept.get(f"speed-{s}", [])) == len(utterances)
                                    for s in speeds):
            return {s: kept[f"speed-{s}"] for s in speeds}
    found: dict[float, list[torch.Tensor]] = {s: [] for s in speeds}
    many = len(utterances) * len(speeds) >= 1000
    if many:
        log.info(f"computing the features of {len(utterances):,} recordings"
                 + (f" at {len(speeds)} speeds" if len(speeds) > 1 else "")
                 + (f" (kept in {cache.folder} for the next run)" if cache is not None else ""))
    said = time.monotonic()
    for done, utterance in enumerate(utterances):
        samples = read_wav(utterance.path)
        for speed in speeds:
            found[speed].append(featuriser(change_speed(samples, speed)))
        if many and time.monotonic() - said >= PROGRESS_EVERY_S:
            said = time.monotonic()
            log.info(f"features: {done + 1:,} of {len(utterances):,} recordings "
                     f"({100 * (done + 1) / len(utterances):.0f} %)")
    if key is not None:
        cache.save(key, {f"speed-{s}": found[s] for s in speeds})
    return found


def statistics(features: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation of every feature over all frames of all recordings."""
    frames = torch.cat(features)
    return frames.mean(0), frames.std(0).clamp_min(1e-5)


def hold_out(utterances: list[Utterance], fraction: float, seed: int):
    """(train, valid): a seeded `fraction` of the utterances held out."""
    order = np.random.default_rng(seed).permutation(len(utterances))
    count = max(1, int(round(fraction * len(utterances)))) if fraction > 0 else 0
    if count >= len(utterances):
        raise DataError(f"{len(utterances)} recordings are too few to hold out a validation set; "
                        f"give --valid")
    held = set(order[:count].tolist())
    return ([u for i, u in enumerate(utterances) if i not in held],
            [u for i, u in enumerate(utterances) if i in held])
