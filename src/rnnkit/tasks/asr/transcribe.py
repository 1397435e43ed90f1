"""Transcribing WAV files with a trained recogniser: whole files (greedy or prefix beam search
with the run's n-gram model, n-best lists, word timings from the alignment of the chosen
transcript), or one file as a stream fed in chunks, giving the partial transcript after each
chunk (a unidirectional model with global normalisation: then every frame's output depends
only on the audio before it, and the stream's final transcript is the whole file's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import torch

from rnnkit.data.audio import SAMPLE_RATE, read_wav
from rnnkit.data.features import FrameStream
from rnnkit.decoding.ctc import collapse, forced_align
from rnnkit.errors import ConfigError, DataError


def audio_files(paths: list[str | Path]) -> list[Path]:
    """The files named, a folder standing for its .wav files (sorted)."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            waves = sorted(p for p in path.iterdir() if p.suffix.lower() == ".wav")
            if not waves:
                raise DataError(f"{path}: no .wav files in this folder")
            found += waves
        else:
            found.append(path)
    if not found:
        raise DataError("give at least one WAV file or folder")
    return found


def word_timings(labels: list[int], log_probs: torch.Tensor, alphabet, seconds: float) -> list[dict]:
    """Each word's start and end in seconds, from the most likely alignment of `labels`."""
    if not labels:
        return []
    spans = forced_align(log_probs, labels)
    words, current = [], []
    for label, span in [*zip(labels, spans), (None, None)]:
        if label is None or alphabet.decode([label]) == " ":
            if current:
                words.append({"word": alphabet.decode([c for c, _ in current]),
                              "start": round(current[0][1][0] * seconds, 3),
                              "end": round((current[-1][1][1] + 1) * seconds, 3)})
            current = []
        else:
            current.append((label, span))
    return words


def transcribe(run, paths: list[str | Path], beam: int = 1, lm_weight: float | None = None,
               bonus: float | None = None, n_best: int = 1) -> list[dict]:
    """One record per file: its transcript, n-best (with scores when beam > 1) and word
    timings. Every file is read and checked before any is decoded."""
    if not (isinstance(beam, int) and beam >= 1):
        raise ConfigError(f"--beam must be >= 1, got {beam}")
    if not 1 <= n_best <= beam:
        raise ConfigError(f"--n-best must be between 1 and --beam ({beam}), got {n_best}")
    task, config = run.task, run.task.config
    lm_weight = config.lm_weight if lm_weight is None else lm_weight
    bonus = config.lm_bonus if bonus is None else bonus
    if lm_weight < 0:
        raise ConfigError(f"--lm-weight must be >= 0, got {lm_weight}")
    if lm_weight and task.lm is None and beam > 1:
        lm_weight = 0.0  # the run trained no n-gram model (--lm-order 0)
    files = audio_files(paths)
    features = [task.featuriser(read_wav(path)) for path in files]
    outputs = task.log_probs(run.model, features)
    found = task.decode(outputs, beam, lm_weight, bonus, n_best)
    seconds = task.featuriser.log_mel.hop / SAMPLE_RATE * run.model.stack
    records = []
    for path, out, hypotheses in zip(files, outputs, found):
        best = hypotheses[0][0] if hypotheses else []
        records.append({"file": str(path), "text": task.alphabet.decode(best),
                        "n_best": [{"text": task.alphabet.decode(labels), "score": score}
                                   for labels, score in hypotheses],
                        "words": word_timings(best, out, task.alphabet, seconds),
                        "seconds": round(out.shape[0] * seconds, 3)})
    return records


class Streamer:
    """A recogniser fed audio as it arrives: `push(samples, final)` takes the next 16 kHz
    samples and returns the greedy transcript so far. The steps whose lookahead has not
    arrived wait; `final=True` says the audio ended (they then look ahead at zeros). Fed in
    any chunks, the pushes give the whole file's transcript."""

    def __init__(self, run) -> None:
        model, task = run.model, run.task
        if model.rnn.bidirectional or not model.global_normalisation:
            raise ConfigError("streaming needs a unidirectional model with global normalisation: "
                              "train with --no-bidirectional --normalise global")
        self.model, self.task = model, task
        self.frames = FrameStream(task.featuriser.log_mel)
        self.pending = torch.zeros(0, task.featuriser.size)  # frames not yet stacked into a step
        self.waiting = torch.zeros(1, 0, task.featuriser.size * model.stack)  # steps, no output yet
        self.state, self.path_symbols = None, []

    @torch.no_grad()
    def push(self, samples, final: bool = False) -> str:
        model, task, ahead = self.model, self.task, self.model.lookahead
        new = task.featuriser.from_log_mel(self.frames.push(samples))
        self.pending = torch.cat([self.pending, new])
        usable = self.pending.shape[0] // model.stack * model.stack
        self.waiting = torch.cat([self.waiting, model.steps(self.pending[None, :usable])], 1)
        self.pending = self.pending[usable:]
        if final:  # the end: the last steps look ahead at zeros
            self.waiting = torch.cat([self.waiting, self.waiting.new_zeros(
                1, ahead, self.waiting.shape[2])], 1)
        ready = self.waiting.shape[1] - ahead  # steps whose lookahead has arrived
        if ready > 0:
            x = torch.cat([self.waiting[:, k : k + ready] for k in range(ahead + 1)], -1)
            log_probs, _, self.state = model.recur(x.to(task.device), None, self.state)
            self.path_symbols += log_probs[0].argmax(-1).tolist()
            self.waiting = self.waiting[:, ready:]
        return task.alphabet.decode(collapse(self.path_symbols))


def stream(run, path: str | Path, chunk_ms: float = 200.0) -> Iterator[str]:
    """The partial transcript (greedy) after each `chunk_ms` of `path`'s audio is fed in."""
    streamer = Streamer(run)
    if not chunk_ms > 0:
        raise ConfigError(f"--chunk-ms must be > 0, got {chunk_ms}")
    samples = read_wav(path)
    size = max(1, int(SAMPLE_RATE * chunk_ms / 1000))
    for start in range(0, len(samples), size):
        yield streamer.push(samples[start : start + size], final=start + size >= len(samples))
