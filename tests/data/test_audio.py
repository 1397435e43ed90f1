"""Reading WAV files: formats and rates in, mono 16 kHz float out; every broken file one
DataError line."""

import math

import numpy as np
import pytest
import soundfile

from rnnkit.data.audio import change_speed, read_wav, resample
from rnnkit.errors import DataError


def tone(rate, seconds=0.5, frequency=440.0):
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100])
@pytest.mark.parametrize("subtype", ["PCM_16", "FLOAT"])
def test_any_rate_and_sample_type_comes_out_at_16_khz(tmp_path, rate, subtype):
    path = tmp_path / "a.wav"
    soundfile.write(path, tone(rate), rate, subtype=subtype)
    samples = read_wav(path)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert abs(len(samples) - 8000) <= 1  # half a second at 16 kHz
    # the tone survives resampling: its spectrum peaks at 440 Hz
    spectrum = np.abs(np.fft.rfft(samples))
    assert abs(np.argmax(spectrum) * 16000 / len(samples) - 440) < 4


def test_stereo_is_averaged_to_mono(tmp_path):
    left, right = tone(16000), tone(16000, frequency=880.0)
    soundfile.write(tmp_path / "s.wav", np.stack([left, right], 1), 16000, subtype="FLOAT")
    np.testing.assert_allclose(read_wav(tmp_path / "s.wav"), (left + right) / 2, atol=1e-6)


def test_resampling_and_speed_change_keep_the_duration_they_promise():
    samples = tone(22050, seconds=1.0)
    assert len(resample(samples, 22050, 16000)) == 16000
    assert len(change_speed(samples, 1.1)) == math.ceil(22050 / 1.1)
    assert change_speed(samples, 1.0) is samples


def broken_files(folder):
    good = folder / "good.wav"
    soundfile.write(good, tone(16000), 16000, subtype="PCM_16")
    cases = {"missing": (folder / "none.wav", "no such audio file"),
             "empty": (folder / "empty.wav", "the file is empty"),
             "truncated": (folder / "cut.wav", "truncated"),
             "not audio": (folder / "text.wav", "not a readable WAV file"),
             "flac": (folder / "a.flac", "a FLAC file; give a WAV file"),
             "channels": (folder / "surround.wav", "3 channels"),
             "rate": (folder / "low.wav", "sample rate 4000 Hz is too low"),
             "silence": (folder / "quiet.wav", "silence only")}
    cases["empty"][0].write_bytes(b"")
    cases["truncated"][0].write_bytes(good.read_bytes()[:5000])
    cases["not audio"][0].write_text("this is not a wave file " * 20)
    soundfile.write(cases["flac"][0], tone(16000), 16000, format="FLAC")
    soundfile.write(cases["channels"][0], np.stack([tone(16000)] * 3, 1), 16000)
    soundfile.write(cases["rate"][0], tone(4000), 4000)
    soundfile.write(cases["silence"][0], np.zeros(16000, np.float32), 16000)
    return cases


def test_every_broken_file_is_one_clear_error(tmp_path):
    for name, (path, message) in broken_files(tmp_path).items():
        with pytest.raises(DataError, match=message) as caught:
            read_wav(path)
        assert "\n" not in str(caught.value), name
