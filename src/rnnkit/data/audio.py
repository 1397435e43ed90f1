"""Audio in: WAV files read with soundfile (any sample rate, mono or stereo, integer or float
samples), mixed to mono and resampled to the rate the features expect, and the speed
perturbation of training (the same resampler, Ko et al. 2015).

Every failure of a file a person gave is one DataError line: missing, empty, truncated, not
a WAV, more channels than two, a rate too low to hold speech, or silence only."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import resample_poly

from rnnkit.errors import DataError

SAMPLE_RATE = 16000  # what the features are computed at
LOWEST_RATE = 8000  # below this, speech's formants are gone
HIGHEST_RATE = 384000  # the highest rate recorders use
LONGEST_S = 600  # one file: more is a recording to cut first, not an utterance
SHORTEST_S = 0.02  # one analysis window: less holds nothing to recognise
SILENT = 1e-4  # a file whose loudest sample is below this holds nothing to hear


def read_wav(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Samples (N,) float32 in [-1, 1] at `sample_rate`, mono (channels averaged)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such audio file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    try:
        info = soundfile.info(str(path))
        if info.format != "WAV":
            raise DataError(f"{path}: a {info.format} file; give a WAV file")
        check_header(path, info.samplerate, info.frames)
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as error:
        reason = str(error).split(":")[-1].strip() or "unreadable"
        raise DataError(f"{path}: not a readable WAV file ({reason})") from None
    missing = missing_bytes(path)
    if missing:
        raise DataError(f"{path}: truncated ({missing} bytes of its audio are missing)")
    if samples.shape[1] > 2:
        raise DataError(f"{path}: {samples.shape[1]} channels; give a mono or stereo WAV")
    if samples.shape[0] == 0:
        raise DataError(f"{path}: the file holds no samples")
    mono = samples.mean(axis=1)
    if not np.isfinite(mono).all():
        raise DataError(f"{path}: the file holds samples that are not finite numbers")
    if float(np.abs(mono).max()) < SILENT:
        raise DataError(f"{path}: silence only")
    return resample(mono, rate, sample_rate)


def check_header(path: Path, rate: int, frames: int) -> None:
    """DataError for what the header promises before any sample is read: a rate outside what
    audio is recorded at, or more audio than `LONGEST_S` seconds, or too little to hear."""
    if not LOWEST_RATE <= rate <= HIGHEST_RATE:
        low = "low" if rate < LOWEST_RATE else "high"
        raise DataError(f"{path}: sample rate {rate} Hz is too {low}; give {LOWEST_RATE} to "
                        f"{HIGHEST_RATE} Hz")
    if frames > LONGEST_S * rate:
        raise DataError(f"{path}: {frames / rate:.0f} s of audio; give at most {LONGEST_S} s a file")
    if frames < SHORTEST_S * rate:
        raise DataError(f"{path}: {frames} samples ({1000 * frames / rate:.1f} ms); give at least "
                        f"{1000 * SHORTEST_S:.0f} ms of audio")


def missing_bytes(path: Path) -> int:
    """How many bytes of audio the RIFF header promises beyond the end of the file (0: whole).
    libsndfile reads a cut file without complaint, up to where it ends."""
    size = path.stat().st_size
    with path.open("rb") as file:
        head = file.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return 0
        position = 12
        while position + 8 <= size:
            file.seek(position)
            chunk = file.read(8)
            length = int.from_bytes(chunk[4:8], "little")
            if chunk[:4] == b"data":
                available = size - position - 8
                streamed = length in (0, 0xFFFFFFFF)  # writers that could not seek back
                return 0 if streamed else max(0, length - available)
            position += 8 + length + (length & 1)
    return 0


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Polyphase resampling from `rate` to `target` Hz (anti-aliased)."""
    if rate == target:
        return np.ascontiguousarray(samples, dtype=np.float32)
    ratio = Fraction(target, rate).limit_denominator(1000)
    return resample_poly(samples, ratio.numerator, ratio.denominator).astype(np.float32)


def change_speed(samples: np.ndarray, factor: float) -> np.ndarray:
    """The audio played `factor` times as fast (pitch and tempo together, as a tape would)."""
    if factor == 1.0:
        return samples
    ratio = Fraction(factor).limit_denominator(100)
    return resample_poly(samples, ratio.denominator, ratio.numerator).astype(np.float32)


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """16-bit PCM WAV."""
    soundfile.write(str(path), np.clip(samples, -1.0, 1.0), sample_rate, subtype="PCM_16")
