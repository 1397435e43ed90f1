"""Bundled speech, synthesised on this machine: `spoken-digits` (connected digit strings, one
to seven digits, 0 said "zero" or "oh") and `spoken-words` (short sentences over a fixed
vocabulary of a few hundred words), spoken by the eSpeak NG engine that the pip package
`espeakng-loader` ships (its library and voice data, called through ctypes). Nothing is
downloaded.

A *voice* is one of eSpeak NG's voice variants (its timbre: formants, pitch, breathiness)
speaking one of its English accents. The variants are split three ways: whole variants are
held out for validation and for test, so the test figure measures how the recogniser does on
voices it never heard. Every utterance varies the rate (words per minute), pitch and pitch
range, its loudness, the silence around it, and adds white noise at a random signal-to-noise
ratio. Generation is seeded (texts, voices, settings, noise; eSpeak NG's own output varies
by a few samples from run to run, so the WAVs are not byte for byte the same) and happens
once, into a cache folder
(`CACHE/NAME-vVERSION/{train,valid,test}.csv` with the WAVs beside them); it is written to
a temporary folder and renamed into place, so a cut generation leaves nothing half made."""

from __future__ import annotations

import csv
import ctypes
import functools
import logging
import shutil
from pathlib import Path

import numpy as np

from rnnkit.data.audio import SAMPLE_RATE, resample, write_wav
from rnnkit.errors import DataError

log = logging.getLogger(__name__)  # notices of long waits; the command line shows them

VERSION = 1
DATASETS = ("spoken-digits", "spoken-words")
SIZES = {"spoken-digits": {"train": 4000, "valid": 300, "test": 500},
         "spoken-words": {"train": 6000, "valid": 300, "test": 500}}
SEEDS = {"train": 11, "valid": 12, "test": 13}
ACCENTS = ("en-us", "en", "en-029", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd", "en-us-nyc")
VALID_VARIANTS = ("f3", "m5", "klatt2", "Annie", "benjamin", "iven2", "robosoft2", "steph2")
TEST_VARIANTS = ("f2", "m3", "m7", "klatt4", "Alicia", "david", "grandma", "iven3", "linda",
                 "norbert", "robosoft5", "travis")
LEFT_OUT = ("Demonic", "whisper", "whisperf")  # not speech a recogniser should learn from
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

_PEOPLE = "anna ben clara david emma frank grace henry iris jack kate leo maria nick olivia paul"
_NOUNS = ("dog cat bird horse fish cow sheep mouse rabbit lion tiger bear wolf fox duck goat "
          "house car boat train plane bike road bridge river lake sea hill mountain forest tree "
          "flower garden field farm city town village school church shop market park street "
          "door window table chair bed kitchen room wall floor roof box bag book letter paper "
          "pen cup glass plate bottle bread cake apple egg milk water tea coffee soup cheese "
          "rice meat fruit salt sugar coat hat shoe shirt dress ring key clock phone lamp radio "
          "picture song story game ball toy doctor teacher farmer child friend mother father "
          "sister brother king queen baby girl boy man woman team family neighbour captain "
          "morning evening night winter summer spring rain snow wind sun moon star")
_ADJECTIVES = ("big small old young new long short tall happy sad quick slow quiet loud warm "
               "cold hot dark bright clean dirty empty full heavy light soft hard red blue "
               "green yellow black white brown kind brave busy lazy hungry tired rich poor "
               "strange early late")
_VERBS = ("saw found took made gave left kept lost brought bought sold washed painted opened "
          "closed carried cleaned cooked fixed moved pushed pulled watched visited helped "
          "wanted liked needed followed")
_INTRANSITIVE = ("ran walked slept sang danced jumped waited laughed cried smiled swam "
                 "stayed arrived returned")
_ADVERBS = "quickly slowly quietly happily early again today yesterday together there"
_PLACES = "in on near under behind beside into across from to"
NOUNS, ADJECTIVES, VERBS = _NOUNS.split(), _ADJECTIVES.split(), _VERBS.split()
INTRANSITIVE, ADVERBS, PLACES, PEOPLE = (_INTRANSITIVE.split(), _ADVERBS.split(),
                                         _PLACES.split(), _PEOPLE.split())
VOCABULARY = sorted({*NOUNS, *ADJECTIVES, *VERBS, *INTRANSITIVE, *ADVERBS, *PLACES, *PEOPLE,
                     "the", "a", "my", "our", "this", "that"})


def digit_string(rng: np.random.Generator) -> str:
    """One to seven digits, each said as its word; a zero is "oh" half the time."""
    digits = rng.integers(0, 10, size=int(rng.integers(1, 8)))
    return " ".join(("oh" if rng.random() < 0.5 else "zero") if d == 0 else DIGITS[d]
                    for d in digits)


def sentence(rng: np.random.Generator) -> str:
    """A short sentence of three to eleven words from a small grammar over VOCABULARY."""
    def pick(words):
        return words[int(rng.integers(len(words)))]

    def phrase():
        if rng.random() < 0.25:
            return pick(PEOPLE)
        words = [pick(("the", "a", "my", "our", "this", "that"))]
        if rng.random() < 0.5:
            words.append(pick(ADJECTIVES))
        return " ".join([*words, pick(NOUNS)])

    if rng.random() < 0.5:
        words = [phrase(), pick(VERBS), phrase()]
    else:
        words = [phrase(), pick(INTRANSITIVE)]
    if rng.random() < 0.5:
        words += [pick(PLACES), phrase()]
    if rng.random() < 0.3:
        words.append(pick(ADVERBS))
    return " ".join(words)


TEXTS = {"spoken-digits": digit_string, "spoken-words": sentence}


@functools.lru_cache(maxsize=1)
def speaker() -> Speaker:
    """The process's one eSpeak NG engine: the C library keeps global state and starts once."""
    return Speaker()


class Speaker:
    """eSpeak NG through ctypes, synthesising into memory (22050 Hz, 16-bit). Use `speaker()`."""

    RATE, PITCH, RANGE = 1, 3, 4  # espeak_PARAMETER values

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError:
            raise DataError("the bundled speech needs the pip package espeakng-loader "
                            "(pip install espeakng-loader)") from None
        library = ctypes.CDLL(espeakng_loader.get_library_path())
        library.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                              ctypes.c_int]
        library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        library.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint,
                                         ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                         ctypes.c_void_p, ctypes.c_void_p]
        retrieval = 1  # AUDIO_OUTPUT_RETRIEVAL: samples come to the callback
        self.rate = library.espeak_Initialize(retrieval, 0,
                                              espeakng_loader.get_data_path().encode(), 0)
        if self.rate <= 0:
            raise DataError("eSpeak NG could not start (espeakng-loader's data is incomplete)")
        self.chunks: list[np.ndarray] = []

        def take(wave, count, events):
            if count > 0:
                self.chunks.append(np.ctypeslib.as_array(wave, shape=(count,)).copy())
            return 0

        self.callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short),
                                         ctypes.c_int, ctypes.c_void_p)(take)
        library.espeak_SetSynthCallback(self.callback)
        self.library = library

    def variants(self) -> list[str]:
        import espeakng_loader
        folder = Path(espeakng_loader.get_data_path()) / "voices" / "!v"
        return sorted(p.name for p in folder.iterdir() if p.name not in LEFT_OUT)

    def say(self, text: str, voice: str, rate: int, pitch: int, pitch_range: int) -> np.ndarray:
        """Samples (N,) float32 at `self.rate`."""
        if self.library.espeak_SetVoiceByName(voice.encode()) != 0:
            raise DataError(f"eSpeak NG has no voice {voice!r}")
        for parameter, value in ((self.RATE, rate), (self.PITCH, pitch), (self.RANGE, pitch_range)):
            self.library.espeak_SetParameter(parameter, value, 0)
        self.chunks.clear()
        data = text.encode() + b"\0"
        self.library.espeak_Synth(data, len(data), 0, 0, 0, 0, None, None)
        self.library.espeak_Synchronize()
        return np.concatenate(self.chunks).astype(np.float32) / 32768.0


def split_variants(variants: list[str]) -> dict[str, list[str]]:
    held = set(VALID_VARIANTS) | set(TEST_VARIANTS)
    return {"train": [v for v in variants if v not in held], "valid": list(VALID_VARIANTS),
            "test": list(TEST_VARIANTS)}


def utterance(speaker: Speaker, text: str, voice: str, rng: np.random.Generator) -> np.ndarray:
    """One recording: `text` said by `voice` at a random rate and pitch, quieter or louder,
    with 0.05-0.4 s of silence around it and white noise at 15-40 dB SNR; 16 kHz."""
    speech = speaker.say(text, voice, int(rng.integers(120, 231)), int(rng.integers(20, 81)),
                         int(rng.integers(20, 81)))
    speech = resample(speech, speaker.rate, SAMPLE_RATE)
    speech *= rng.uniform(0.3, 0.9) / max(float(np.abs(speech).max()), 1e-3)
    pad = [np.zeros(int(rng.uniform(0.05, 0.4) * SAMPLE_RATE), np.float32) for _ in range(2)]
    audio = np.concatenate([pad[0], speech, pad[1]])
    power = float(np.mean(speech ** 2))
    noise = rng.standard_normal(audio.shape[0]) * np.sqrt(power / 10 ** (rng.uniform(15, 40) / 10))
    return (audio + noise).astype(np.float32)


def generate(name: str, folder: Path, sizes: dict[str, int]) -> None:
    """Write every split of dataset `name` into `folder` (WAVs and a manifest per split)."""
    engine = speaker()
    voices = split_variants(engine.variants())
    for split, size in sizes.items():
        rng = np.random.default_rng(SEEDS[split])
        (folder / split).mkdir(parents=True)
        rows = []
        for i in range(size):
            text = TEXTS[name](rng)
            voice = f"{ACCENTS[int(rng.integers(len(ACCENTS)))]}+" \
                    f"{voices[split][int(rng.integers(len(voices[split])))]}"
            own = np.random.default_rng(int(rng.integers(2**63)))  # its draws depend on its length
            write_wav(folder / split / f"{i:05d}.wav", utterance(engine, text, voice, own))
            rows.append((f"{split}/{i:05d}.wav", text, voice))
        with (folder / f"{split}.csv").open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(("path", "text", "voice"))
            writer.writerows(rows)


def spoken_dataset(name: str, cache: str | Path, sizes: dict[str, int] | None = None) -> Path:
    """The folder of bundled dataset `name` in `cache`, generated there on first use.
    `sizes` (split -> utterances) makes a smaller copy of its own (tests)."""
    if name not in DATASETS:
        raise DataError(f"unknown bundled speech {name!r}; there are: {', '.join(DATASETS)}")
    sizes = sizes or SIZES[name]
    tag = "" if sizes == SIZES[name] else "-" + "-".join(str(sizes[k]) for k in sorted(sizes))
    folder = Path(cache).expanduser() / f"{name}-v{VERSION}{tag}"
    if (folder / "test.csv").exists():
        return folder
    partial = folder.with_name(folder.name + ".partial")
    log.info(f"synthesising the bundled {name} recordings ({sum(sizes.values()):,}) into {folder} "
             f"(once; this takes minutes)")
    try:
        shutil.rmtree(partial, ignore_errors=True)
        generate(name, partial, sizes)
        partial.rename(folder)
    except OSError as error:
        raise DataError(f"cannot write the {name} data to {folder.parent} ({error.strerror}); "
                        f"choose another --cache-dir") from None
    return folder
