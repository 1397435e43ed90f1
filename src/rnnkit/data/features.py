"""Speech features in torch: log-mel filterbanks and MFCCs, normalisation, SpecAugment.

Frames are 25 ms Hann windows every 10 ms, taken without padding (frame i covers samples
[i·hop, i·hop + n_fft), the window centred in it), so a stream of audio fed in chunks gives
exactly the frames of the whole file (`FrameStream`). The filterbank is the HTK mel scale's
triangles over the FFT bins' frequencies (librosa's `htk=True, norm=None`, which a test
checks it against).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

FLOOR = 1e-6  # added to the mel energies before the log


def hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int, low: float = 20.0,
                   high: float | None = None) -> Tensor:
    """(n_mels, n_fft // 2 + 1): triangle m rises from mel point m to m+1 and falls to m+2,
    the n_mels + 2 points equally spaced on the mel scale from `low` to `high` Hz."""
    high = sample_rate / 2 if high is None else high
    points = mel_to_hz(np.linspace(hz_to_mel(low), hz_to_mel(high), n_mels + 2))  # (M+2,)
    bins = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)  # frequency of each FFT bin
    left, centre, right = points[:-2, None], points[1:-1, None], points[2:, None]
    rising = (bins[None] - left) / (centre - left)
    falling = (right - bins[None]) / (right - centre)
    return torch.from_numpy(np.maximum(0.0, np.minimum(rising, falling))).float()


class LogMel:
    """Samples -> log-mel frames. `__call__(samples (N,)) -> (T, n_mels)` with
    T = 1 + (N - n_fft) // hop (0 when N < n_fft): the window, zero-padded to n_fft samples
    around its centre, as torch.stft and librosa do."""

    def __init__(self, sample_rate: int = 16000, n_mels: int = 80, window_ms: float = 25.0,
                 hop_ms: float = 10.0, low: float = 20.0, high: float | None = None) -> None:
        self.sample_rate, self.n_mels = sample_rate, n_mels
        self.window = int(round(sample_rate * window_ms / 1000))
        self.hop = int(round(sample_rate * hop_ms / 1000))
        self.n_fft = 2 ** math.ceil(math.log2(self.window))
        self.hann = torch.hann_window(self.window, periodic=True)
        self.bank = mel_filterbank(n_mels, self.n_fft, sample_rate, low, high)  # (M, F)

    def frames(self, samples: int) -> int:
        """Whole frames in `samples` samples: each spans n_fft samples, the window centred."""
        return 0 if samples < self.n_fft else 1 + (samples - self.n_fft) // self.hop

    def power(self, samples: Tensor) -> Tensor:
        """(T, F) power spectrum |STFT|² of every whole frame."""
        if self.frames(samples.shape[-1]) == 0:
            return samples.new_zeros(0, self.n_fft // 2 + 1)
        spectrum = torch.stft(samples, self.n_fft, self.hop, self.window, self.hann,
                              center=False, return_complex=True)  # (F, T)
        return spectrum.abs().square().T

    def __call__(self, samples) -> Tensor:
        samples = torch.as_tensor(samples, dtype=torch.float32)
        return torch.log(self.power(samples) @ self.bank.T + FLOOR)  # (T, M)


def dct_matrix(n_in: int, n_out: int) -> Tensor:
    """(n_in, n_out) orthonormal DCT-II: x (.., n_in) @ D gives the first n_out coefficients."""
    n = torch.arange(n_in, dtype=torch.float64)
    k = torch.arange(n_out, dtype=torch.float64)
    basis = torch.cos(math.pi / n_in * (n[:, None] + 0.5) * k[None])
    basis *= math.sqrt(2.0 / n_in)
    basis[:, 0] /= math.sqrt(2.0)
    return basis.float()


def mfcc(log_mel: Tensor, n_coefficients: int = 13) -> Tensor:
    """(T, M) log-mel -> (T, n_coefficients) cepstra (orthonormal DCT-II of each frame)."""
    return log_mel @ dct_matrix(log_mel.shape[-1], n_coefficients).to(log_mel)


def normalise(features: Tensor) -> Tensor:
    """Per-utterance mean and variance normalisation of each feature over time."""
    mean = features.mean(0, keepdim=True)
    spread = features.std(0, keepdim=True, unbiased=False).clamp_min(1e-5)
    return (features - mean) / spread


def spec_augment(features: Tensor, generator: torch.Generator, time_masks: int = 2,
                 time_width: int = 20, frequency_masks: int = 2, frequency_width: int = 10) -> Tensor:
    """SpecAugment (Park et al. 2019) without warping: a copy of (T, M) with `time_masks` bands
    of up to `time_width` frames and `frequency_masks` bands of up to `frequency_width` bins
    set to zero (the mean, after normalisation). Bands never exceed a fifth of the frames."""
    masked = features.clone()
    steps, bins = masked.shape
    for _ in range(frequency_masks):
        width = int(torch.randint(0, frequency_width + 1, (), generator=generator))
        start = int(torch.randint(0, max(1, bins - width), (), generator=generator))
        masked[:, start : start + width] = 0.0
    widest = min(time_width, steps // 5)
    for _ in range(time_masks):
        width = int(torch.randint(0, widest + 1, (), generator=generator))
        start = int(torch.randint(0, max(1, steps - width), (), generator=generator))
        masked[start : start + width] = 0.0
    return masked


class FrameStream:
    """Log-mel frames of audio that arrives in chunks: `push(chunk) -> (t, M)` gives the frames
    completed by the chunk; all pushes together give exactly `LogMel` of the whole audio."""

    def __init__(self, features: LogMel) -> None:
        self.features = features
        self.pending = torch.zeros(0)

    def push(self, chunk) -> Tensor:
        self.pending = torch.cat([self.pending, torch.as_tensor(chunk, dtype=torch.float32)])
        frames = self.features.frames(self.pending.shape[0])
        out = self.features(self.pending[: (frames - 1) * self.features.hop + self.features.n_fft]
                            if frames else self.pending[:0])
        self.pending = self.pending[frames * self.features.hop :]
        return out
