"""Log-mel filterbanks and MFCCs against librosa (the filterbank to float precision, the
features within float32 rounding); the stream of frames equals the whole file's."""

import librosa
import numpy as np
import pytest
import torch

from rnnkit.data.features import FrameStream, LogMel, dct_matrix, mfcc, normalise, spec_augment


@pytest.fixture
def speechlike():
    rng = np.random.default_rng(0)
    t = np.arange(24000) / 16000
    chirp = np.sin(2 * np.pi * (200 + 1500 * t) * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    return (0.3 * chirp + 0.01 * rng.standard_normal(t.shape)).astype(np.float32)


@pytest.mark.parametrize("n_mels,low,high", [(80, 20.0, None), (40, 0.0, 7600.0)])
def test_filterbank_is_librosas_htk_filterbank(n_mels, low, high):
    ours = LogMel(n_mels=n_mels, low=low, high=high).bank.numpy()
    theirs = librosa.filters.mel(sr=16000, n_fft=512, n_mels=n_mels, fmin=low, fmax=high or 8000,
                                 htk=True, norm=None)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_log_mel_equals_librosa(speechlike):
    ours = LogMel()(speechlike).numpy()
    power = np.abs(librosa.stft(speechlike.astype(np.float64), n_fft=512, hop_length=160,
                                win_length=400, window="hann", center=False)) ** 2
    bank = librosa.filters.mel(sr=16000, n_fft=512, n_mels=80, fmin=20, htk=True, norm=None)
    theirs = np.log(bank @ power + 1e-6).T
    assert ours.shape == theirs.shape == (1 + (24000 - 512) // 160, 80)
    np.testing.assert_allclose(ours, theirs, atol=2e-3)  # float32 FFT vs float64


def test_mfcc_is_librosas_orthonormal_dct(speechlike):
    log_mel = LogMel()(speechlike)
    theirs = librosa.feature.mfcc(S=log_mel.numpy().T, n_mfcc=13, dct_type=2, norm="ortho").T
    np.testing.assert_allclose(mfcc(log_mel, 13).numpy(), theirs, atol=1e-4)
    full = dct_matrix(20, 20)
    torch.testing.assert_close(full.T @ full, torch.eye(20), atol=1e-5, rtol=0)  # orthonormal


@pytest.mark.parametrize("chunk", [1, 160, 399, 1000, 7919])
def test_frames_of_a_stream_equal_the_whole_files(speechlike, chunk):
    features = LogMel()
    stream = FrameStream(features)
    pieces = [stream.push(speechlike[i : i + chunk]) for i in range(0, len(speechlike), chunk)]
    torch.testing.assert_close(torch.cat(pieces), features(speechlike), atol=1e-4, rtol=0)


def test_too_short_audio_has_no_frames():
    assert LogMel()(np.zeros(511, np.float32)).shape == (0, 80)
    assert LogMel()(np.zeros(512, np.float32)).shape == (1, 80)


def test_normalisation_and_spec_augment():
    x = torch.randn(200, 40) * 3 + 5
    normal = normalise(x)
    torch.testing.assert_close(normal.mean(0), torch.zeros(40), atol=1e-5, rtol=0)
    torch.testing.assert_close(normal.std(0, unbiased=False), torch.ones(40), atol=1e-4, rtol=0)
    first = spec_augment(normal, torch.Generator().manual_seed(3), time_width=30, frequency_width=8)
    again = spec_augment(normal, torch.Generator().manual_seed(3), time_width=30, frequency_width=8)
    torch.testing.assert_close(first, again)  # the generator decides everything
    masked_bins = (first == 0).all(0).sum()
    masked_frames = (first == 0).all(1).sum()
    assert 0 < masked_bins <= 16 and 0 < masked_frames <= 40  # at most 2 bands of each
    untouched = (first != 0).all(1)[:, None] & (first != 0).all(0)[None]
    torch.testing.assert_close(first[untouched], normal[untouched])
    assert (normal != 0).all()  # the input is not changed
