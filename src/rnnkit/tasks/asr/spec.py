"""The speech recognition task for the run API: its config, how a run is prepared (recordings
read, features computed, the character n-gram model trained on the transcripts) and reopened,
scored on a manifest, and asked to transcribe WAV files, whole or as a stream."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.config import option, with_default
from rnnkit.data.feature_cache import FeatureCache
from rnnkit.data.speech import DATASETS
from rnnkit.decoding.ngram import CharNgram
from rnnkit.errors import ConfigError, DataError
from rnnkit.layers.config import RecurrentConfig
from rnnkit.tasks.asr.data import (
    SPEEDS,
    Alphabet,
    bundled_splits,
    check_characters,
    features_of,
    hold_out,
    read_utterances,
    statistics,
)
from rnnkit.tasks.asr.export import graphs as export_graphs
from rnnkit.tasks.asr.task import AsrTask, error_rates, fits
from rnnkit.tasks.asr.transcribe import Streamer, stream, transcribe
from rnnkit.tasks.base import Prepared, TaskSpec, refuse
from rnnkit.train.config import TrainConfig, run_option, training_option


@dataclass(frozen=True)
class AsrConfig(RecurrentConfig, TrainConfig):
    """Recordings to characters: a recurrent acoustic model trained with CTC."""

    hidden_size: int = with_default(RecurrentConfig, "hidden_size", 192)
    num_layers: int = with_default(RecurrentConfig, "num_layers", 3)
    bidirectional: bool = with_default(RecurrentConfig, "bidirectional", True)
    dropout: float = with_default(RecurrentConfig, "dropout", 0.1)
    batch_size: int = with_default(TrainConfig, "batch_size", 32)
    lr: float = with_default(TrainConfig, "lr", 2e-3)
    epochs: int = with_default(TrainConfig, "epochs", 20)
    eval_every: int = with_default(TrainConfig, "eval_every", 250)
    schedule: str = with_default(TrainConfig, "schedule", "cosine")
    warmup_steps: int = with_default(TrainConfig, "warmup_steps", 200)
    data: str | None = option(None, "training recordings: a manifest (CSV/TSV/JSONL, columns "
                              "path and text, paths relative to it) or a folder of x.wav + x.txt")
    valid: str | None = option(None, "validation recordings (default: hold out --valid-fraction)")
    test: str | None = option(None, "test recordings, scored once at the end")
    dataset: str = option("spoken-digits", "the bundled speech used without --data",
                          choices=DATASETS)
    cache_dir: str = option("~/.cache/rnnkit", "where the bundled speech is synthesised once "
                            "and the features are kept")
    feature_cache: bool = option(True, "keep the recordings' features in --cache-dir/features "
                                 "(keyed by the files and the feature settings), so the next "
                                 "run on them reads them instead of computing them")
    encoding: str = option("utf-8", "text encoding of manifests and transcripts")
    lowercase: bool = option(True, "lowercase the transcripts")
    alphabet: str = option("", "the characters the model writes (default: those of the "
                           "training transcripts)")
    unknown_characters: str = option("error", "a transcript with characters outside the "
                                     "alphabet: stop with an error listing them, or skip it",
                                     choices=("error", "skip"))
    valid_fraction: float = option(0.1, "share of --data held out without --valid", low=0.0,
                                   high=0.5)
    features: str = option("logmel", "log-mel filterbanks or MFCCs", group="model",
                           choices=("logmel", "mfcc"))
    n_mels: int = option(80, "mel filters", group="model", low=8, high=256)
    n_mfcc: int = option(13, "cepstra kept (--features mfcc)", group="model", low=2, high=64)
    normalise: str = option("utterance", "mean and variance normalisation per recording, or "
                            "with the training set's statistics (needed to stream)",
                            group="model", choices=("utterance", "global"))
    stack: int = option(3, "frames stacked into one step (the frame rate divided by this)",
                        group="model", low=1, high=16)
    lookahead: int = option(0, "steps after each step that it also reads (a unidirectional "
                            "model's latency: lookahead x stack x 10 ms)", group="model", low=0,
                            high=32)
    spec_augment: bool = training_option(True, "SpecAugment time and frequency masks")
    speed_perturb: bool = training_option(True, "train on each recording at 0.9, 1.0 and 1.1x speed")
    eval_utterances: int = training_option(300, "held-out recordings decoded at each evaluation",
                                           low=1)
    lm_order: int = option(4, "order of the character n-gram model trained on the transcripts "
                           "(0: none)", group="model", low=0, high=8)
    beam: int = run_option(16, "beam of the final figures' prefix beam search (1: greedy only)",
                           low=1)
    lm_weight: float = run_option(0.5, "weight of the n-gram model in beam search", low=0.0)
    lm_bonus: float = run_option(1.0, "score added per character in beam search")

    def check(self) -> None:
        super().check()
        refuse(bool(self.valid or self.test) and not self.data,
               "--valid and --test go with --data (the bundled sets have their own splits)")


def load_splits(config: AsrConfig) -> dict:
    """split -> recordings: --data (with --valid or a held-out share, and --test), else the
    bundled set."""
    if not config.data:
        return bundled_splits(config.dataset, config.cache_dir)
    train = read_utterances(config.data, config.lowercase, config.encoding)
    if config.valid:
        valid = read_utterances(config.valid, config.lowercase, config.encoding)
    else:
        train, valid = hold_out(train, config.valid_fraction or 0.1, config.seed)
    splits = {"train": train, "valid": valid}
    if config.test:
        splits["test"] = read_utterances(config.test, config.lowercase, config.encoding)
    return splits


def feature_cache(config: AsrConfig) -> FeatureCache | None:
    """Where the features of this run's recordings are kept between runs (None: nowhere)."""
    return FeatureCache(Path(config.cache_dir).expanduser() / "features") if config.feature_cache else None


def prepare(config: AsrConfig, device, resumed: dict | None, data=None) -> Prepared:
    """Read every recording (all checked before training), fix the alphabet, compute the
    features (the training set at three speeds with --speed-perturb), train the n-gram model."""
    splits = load_splits(config)
    if resumed is not None:
        alphabet = Alphabet(resumed["task"]["alphabet"])
    elif config.alphabet:
        alphabet = Alphabet(sorted(set(config.alphabet)))
    else:
        alphabet = Alphabet.of([u.text for u in splits["train"]])
    skipped = 0
    for name in splits:
        splits[name], dropped = check_characters(splits[name], alphabet, config.unknown_characters,
                                                 f"{name} transcripts")
        skipped += dropped
        if not splits[name]:
            raise DataError(f"no {name} recordings are left")
    task = AsrTask(config, alphabet, device)
    speeds = SPEEDS if config.speed_perturb else (1.0,)
    cache = feature_cache(config)
    train = features_of(splits["train"], task.featuriser, speeds, cache)
    keep = [i for i, u in enumerate(splits["train"])
            if fits(min(train[s][i].shape[0] for s in speeds), alphabet.encode(u.text), config.stack)]
    too_short = len(splits["train"]) - len(keep)
    if not keep:
        raise DataError("every training recording is too short for its transcript")
    parts = {"train": ({s: [train[s][i] for i in keep] for s in speeds},
                       [splits["train"][i].text for i in keep])}
    for name in ("valid", "test"):
        if name in splits:
            parts[name] = (features_of(splits[name], task.featuriser, cache=cache)[1.0],
                           [u.text for u in splits[name]])
    lm = None
    if config.lm_order:
        lm = CharNgram.train(config.lm_order, len(alphabet),
                             [alphabet.encode(t) for t in parts["train"][1]])
    task = AsrTask(config, alphabet, device, parts, lm)
    model = task.build_model()
    if config.normalise == "global":
        model.mean, model.spread = statistics(parts["train"][0][1.0])
    model = model.to(device)
    notes = "".join(f"; {n} {what}" for n, what in ((skipped, "with unknown characters skipped"),
                                                    (too_short, "too short for their "
                                                                "transcripts skipped")) if n)
    tests = f", {len(parts['test'][1])} test" if "test" in parts else ""
    facts = (f"{len(keep)} training recordings, {len(parts['valid'][1])} validation{tests} "
             f"({len(alphabet) - 1} "
             f"characters{notes}); {config.features} x{task.featuriser.size}, stacked "
             f"{config.stack}, a {config.num_layers}x{config.hidden_size} "
             f"{'bi' if config.bidirectional else ''}{config.cell.upper()}, CTC")
    return Prepared(task, model, facts, lambda: task.baseline)


def final(task: AsrTask, model, run_dir: Path) -> dict:
    """Full figures (greedy, and beam search with the n-gram model) on validation and test."""
    return {part: task.evaluate(model, part, full=True) for part in ("valid", "test")
            if part in task.parts}


def reopen(config: AsrConfig, meta: dict, device):
    saved = meta["task"]
    lm = CharNgram.from_json(saved["lm"]) if saved.get("lm") else None
    task = AsrTask(config, Alphabet(saved["alphabet"]), device, lm=lm,
                   baseline=saved.get("baseline"))
    return task, task.build_model


def attach_data(task: AsrTask) -> None:
    valid = load_splits(task.config)["valid"]
    valid, _ = check_characters(valid, task.alphabet, "skip", "validation transcripts")
    task.parts["valid"] = (features_of(valid, task.featuriser, cache=feature_cache(task.config))[1.0],
                           [u.text for u in valid])


def evaluate(run, data: str | None, encoding: str | None = None, beam: int | None = None) -> dict:
    """Loss, WER and CER (greedy, and beam search with the n-gram model) on a manifest or a
    folder (without one, a bundled run's test split), beside the empty transcript's."""
    task, config = run.task, run.task.config
    if data:
        utterances = read_utterances(data, config.lowercase, encoding or config.encoding)
    elif not config.data:
        utterances = load_splits(config)["test"]
    else:
        raise DataError("give --data: a manifest or folder of recordings with transcripts")
    if beam is not None:
        if beam < 1:
            raise ConfigError(f"--beam must be at least 1, got {beam}")
        task.config = dataclasses.replace(config, beam=beam)
    texts = [u.text for u in utterances]
    task.parts["test"] = (features_of(utterances, task.featuriser, cache=feature_cache(config))[1.0],
                          texts)
    result = task.evaluate(run.model, "test", full=True)
    result["empty_transcript"] = error_rates(texts, [""] * len(texts))
    return result


class Session:
    """A recogniser fed audio as it arrives (16 kHz samples): `push(samples, final)` returns the
    transcript so far (see `transcribe.Streamer`)."""

    def __init__(self, run) -> None:
        self.streamer = Streamer(run)

    def push(self, samples: list | None = None, final: bool = False) -> dict:
        return {"text": self.streamer.push(torch.tensor(samples or [], dtype=torch.float32),
                                                 final)}


SPEC = TaskSpec(
    name="asr", config_class=AsrConfig, help="speech recognition (recurrent acoustic model, CTC)",
    description="Train a speech recogniser on WAV recordings and their transcripts (a manifest, "
                "a folder, or the bundled synthesised spoken-digits and spoken-words): log-mel "
                "features, a deep bidirectional recurrent network, CTC; decoded greedily or by "
                "prefix beam search with a character n-gram model.",
    prepare=prepare, final=final, reopen=reopen, attach_data=attach_data, evaluate=evaluate,
    transcribe=transcribe, stream=stream, graphs=export_graphs, session=Session)
