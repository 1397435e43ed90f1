"""Speech recognition's speed (issue: speech), every figure a ratio measured in one run.

1. Feature extraction of an hour of audio (360 recordings of 10 s at 16 kHz): rnnkit's log-mel
   (one torch.stft per recording, the filterbank as one matrix product) against a
   straightforward implementation (each frame windowed, FFT'd and multiplied by the
   filterbank in a Python loop, numpy). The two agree (checked).
2. Prefix beam search with the character n-gram model, beam 16, over 32 utterances of 150
   frames and 29 labels + blank: batched over utterances x beams (decoding/ctc.py) against the
   same search written plainly, a dictionary of prefixes per utterance. Same transcripts (checked).
3. The feature cache: the features of 120 recordings of 10 s (WAV files) at the three speeds of
   speed perturbation, computed (reading every file) against read back from the cache a first
   run kept (`--feature-cache`, on by default). The same tensors (checked).
4. Streaming real-time factor on one core: the default unidirectional recogniser (3x192 LSTM,
   stacking 3) fed 20 s of audio in 200 ms chunks, features and greedy decoding included;
   processing time / audio time. Random weights: the cost does not depend on them.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from rnnkit.data.features import FrameStream, LogMel
from rnnkit.decoding.ctc import greedy, prefix_beam_search, reference_prefix_beam_search
from rnnkit.decoding.ngram import CharNgram
from rnnkit.run import make_config
from rnnkit.tasks.asr.model import AcousticModel


def plain_log_mel(samples: np.ndarray, features: LogMel) -> np.ndarray:
    window = np.zeros(features.n_fft)
    offset = (features.n_fft - features.window) // 2
    window[offset : offset + features.window] = features.hann.numpy()
    bank = features.bank.numpy()
    rows = []
    for start in range(0, len(samples) - features.n_fft + 1, features.hop):
        spectrum = np.fft.rfft(samples[start : start + features.n_fft] * window)
        rows.append(np.log(bank @ (np.abs(spectrum) ** 2) + 1e-6))
    return np.array(rows)


def features_row(quick: bool) -> str:
    recordings = 36 if quick else 360
    rng = np.random.default_rng(0)
    audio = [rng.standard_normal(160000).astype(np.float32) * 0.1 for _ in range(recordings)]
    features = LogMel()
    start = time.perf_counter()
    ours = [features(a) for a in audio]
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    plain = [plain_log_mel(a, features) for a in audio[:max(4, recordings // 10)]]
    plain_s = (time.perf_counter() - start) * recordings / len(plain)
    for a, b in zip(ours, plain):
        np.testing.assert_allclose(a.numpy(), b, atol=2e-3)
    hours = recordings * 10 / 3600
    return (f"| log-mel of {hours:g} h of audio | {ours_s:.2f} s | {plain_s:.1f} s (per-frame loop, "
            f"extrapolated from {len(plain)} recordings) | **{plain_s / ours_s:.0f}x** |")


def cache_row(quick: bool) -> str:
    import tempfile
    from pathlib import Path

    import soundfile

    from rnnkit.data.feature_cache import FeatureCache
    from rnnkit.tasks.asr.data import SPEEDS, Featuriser, Utterance, features_of

    recordings = 12 if quick else 120
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        utterances = []
        for i in range(recordings):
            path = Path(folder) / f"{i}.wav"
            soundfile.write(path, rng.standard_normal(160000).astype(np.float32) * 0.1, 16000)
            utterances.append(Utterance(path, "x"))
        cache = FeatureCache(Path(folder) / "features")
        start = time.perf_counter()
        computed = features_of(utterances, Featuriser(), SPEEDS)
        computed_s = time.perf_counter() - start
        features_of(utterances, Featuriser(), SPEEDS, cache)  # the first run, which keeps them
        start = time.perf_counter()
        read = features_of(utterances, Featuriser(), SPEEDS, cache)
        read_s = time.perf_counter() - start
        size = sum(f.stat().st_size for f in cache.folder.iterdir())
    assert all(torch.equal(a, b) for s in SPEEDS for a, b in zip(computed[s], read[s]))
    return (f"| features of {recordings} x 10 s at 3 speeds, a second run ({size / 1e6:.0f} MB "
            f"kept) | {read_s:.2f} s (read from the cache) | {computed_s:.1f} s (computed) | "
            f"**{computed_s / read_s:.0f}x** |")


def beam_row(quick: bool) -> str:
    torch.manual_seed(0)
    B, T, C = (8 if quick else 32), 150, 30
    peaky = torch.randn(B, T, C) * 4
    peaky[..., 0] += 3  # blank-heavy, as trained CTC outputs are
    log_probs = peaky.double().log_softmax(-1)  # float64: both searches prune the same ties
    lm = CharNgram.train(4, C, [torch.randint(1, C, (40,)).tolist() for _ in range(200)])
    start = time.perf_counter()
    batched = prefix_beam_search(log_probs, None, 16, lm, 0.5, 1.0)
    batched_s = time.perf_counter() - start
    start = time.perf_counter()
    plain = [reference_prefix_beam_search(log_probs[b], 16, lm, 0.5, 1.0) for b in range(B)]
    plain_s = time.perf_counter() - start
    assert [h[0].labels for h in batched] == [h[0].labels for h in plain]
    return (f"| prefix beam search + 4-gram, beam 16, {B} x {T} frames | {batched_s:.2f} s | "
            f"{plain_s:.2f} s (a dictionary of prefixes) | **{plain_s / batched_s:.1f}x** |")


def streaming_row(quick: bool) -> str:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        config = make_config("asr", {"bidirectional": False, "normalise": "global"})
        model = AcousticModel(config, config.n_mels, 30).eval()
        seconds = 5 if quick else 20
        audio = np.random.default_rng(0).standard_normal(16000 * seconds).astype(np.float32) * 0.1
        features, chunk = LogMel(), 3200  # 200 ms
        start = time.perf_counter()
        stream, state, pending, path = FrameStream(features), None, torch.zeros(0, 80), []
        with torch.no_grad():
            for i in range(0, len(audio), chunk):
                pending = torch.cat([pending, stream.push(audio[i : i + chunk])])
                usable = pending.shape[0] // model.stack * model.stack
                if usable:
                    out, _, state = model(pending[None, :usable], None, state)
                    path += out[0].argmax(-1).tolist()
                    pending = pending[usable:]
        elapsed = time.perf_counter() - start
        whole = greedy(model(features(audio)[None])[0])
        assert whole[0] == greedy(torch.nn.functional.one_hot(torch.tensor(path), 30)[None].float())[0]
    finally:
        torch.set_num_threads(threads)
    return (f"| streaming, 3x192 LSTM, 200 ms chunks, 1 thread | {elapsed:.2f} s for {seconds} s "
            f"of audio | real-time factor **{elapsed / seconds:.3f}** (target <= 0.1) | |")


def run(quick: bool = False) -> str:
    rows = ["| speech | rnnkit | baseline | ratio |", "|---|---:|---:|---:|"]
    rows += [features_row(quick), cache_row(quick), beam_row(quick), streaming_row(quick)]
    return "\n".join(rows)


if __name__ == "__main__":
    import sys

    print(run(quick="--quick" in sys.argv))
