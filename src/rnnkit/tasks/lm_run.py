"""A language-model run: its config, its data, and the task object that fit() trains."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rnnkit.data.batching import StreamBatches, concatenate
from rnnkit.data.shakespeare import DATASETS, load_shakespeare
from rnnkit.data.text import DataError, load_documents
from rnnkit.data.vocab import Vocabulary
from rnnkit.diagnostics import Thresholds, diagnose
from rnnkit.layers.modes import evaluating
from rnnkit.tasks.lm import (
    LanguageModel,
    check_corpus,
    diagnosis_inputs,
    evaluate_stream,
    metrics_from_loss,
    token_loss,
)
from rnnkit.tasks.ngram import KneserNey
from rnnkit.train.checkpoint import load_checkpoint, split_prefix, write_json
from rnnkit.train.config import TrainConfig, from_dict, option
from rnnkit.train.run_folder import open_checkpoint, open_run, read_log, start_run_folder


@dataclass(frozen=True)
class LMConfig(TrainConfig):
    """A character- or word-level language model trained by truncated BPTT."""

    data: str | None = option(None, "text file or folder of text files to train on")
    dataset: str | None = option(None, "a bundled dataset instead of --data", choices=DATASETS)
    encoding: str = option("utf-8", "text encoding of --data")
    level: str = option("char", "tokens: characters or words", choices=("char", "word"))
    vocab_size: int = option(10000, "largest word vocabulary (word level)", low=2)
    valid_fraction: float = option(0.1, "share of the text held out for validation", low=0.0,
                                   high=0.5)
    test_fraction: float = option(0.0, "share of the text held out for a final test", low=0.0,
                                  high=0.5)
    cell: str = option("lstm", "recurrent cell", choices=("rnn", "lstm", "gru"))
    nonlinearity: str = option("tanh", "Elman RNN nonlinearity", choices=("tanh", "relu"))
    embedding_size: int = option(128, "token embedding size", low=1)
    hidden_size: int = option(256, "hidden units per layer", low=1)
    num_layers: int = option(2, "stacked recurrent layers", low=1)
    dropout: float = option(0.0, "dropout on embeddings, between layers and before the head",
                            low=0.0, high=0.95)
    recurrent_dropout: float = option(0.0, "one dropout mask per sequence on h (Gal 2016)",
                                      low=0.0, high=0.95)
    zoneout: float = option(0.0, "zoneout probability on h and c", low=0.0, high=0.95)
    layer_norm: bool = option(False, "layer-normalised cell")
    init: str = option("default", "weight initialisation",
                       choices=("default", "xavier", "orthogonal", "identity"))
    tie_weights: bool = option(False, "share the embedding with the output layer")
    bptt: int = option(100, "truncated-BPTT window: steps per update", low=1)
    eval_windows: int = option(0, "validation windows per evaluation (0: all)", low=0)
    ngram_order: int = option(5, "order of the Kneser-Ney baseline (0: none)", low=0, high=10)

    def layer_options(self) -> dict:
        options = {"layer_norm": self.layer_norm, "recurrent_dropout": self.recurrent_dropout,
                   "zoneout": self.zoneout, "init": self.init}
        if self.cell == "rnn":
            options["nonlinearity"] = self.nonlinearity
        return options


def build_model(config: LMConfig, vocab_size: int) -> LanguageModel:
    return LanguageModel(vocab_size, config.embedding_size, config.hidden_size, config.num_layers,
                         cell=config.cell, dropout=config.dropout, tie_weights=config.tie_weights,
                         **config.layer_options())


def read_corpus(config: LMConfig) -> list[str]:
    if (config.data is None) == (config.dataset is None):
        raise DataError("give exactly one of --data FILE_OR_FOLDER and --dataset NAME")
    if config.dataset:
        return load_shakespeare(config.dataset)
    return load_documents(config.data, config.encoding)


def split_documents(documents: list[str], valid: float, test: float):
    """Contiguous split of the whole text: the first part trains, then validation, then test.
    Documents are cut where the split falls, so each part keeps its own document starts."""
    total = sum(len(d) for d in documents)
    bounds = [int(total * (1 - valid - test)), int(total * (1 - test)), total]
    parts: list[list[str]] = [[], [], []]
    position = 0
    for doc in documents:
        start = 0
        for part, bound in enumerate(bounds):
            end = min(len(doc), max(0, bound - position))
            if end > start:
                parts[part].append(doc[start:end])
                start = end
        position += len(doc)
    return parts


class LMTask:
    """Streaming language modelling for fit(): windows of a batchified token stream."""

    def __init__(self, config: LMConfig, vocab: Vocabulary, parts: list[list[str]], device):
        self.config, self.vocab, self.device = config, vocab, device
        names = ("training", "validation", "test")
        self.streams = {}
        for name, docs in zip(names, parts):
            if not docs:
                continue
            ids, starts = concatenate([vocab.encode(d) for d in docs])
            if name == "training":
                check_corpus(ids.shape[0], config.batch_size, config.bptt, name)
                self.streams[name] = StreamBatches(ids, starts, config.batch_size, config.bptt)
            else:
                self.streams[name] = held_out_stream(ids, starts, config, name)
        if "training" not in self.streams:
            raise DataError("no training text left after the validation/test split")
        self.train = self.streams["training"]

    def windows_per_epoch(self) -> int:
        return len(self.train)

    def train_loss(self, model, epoch: int, window: int, state):
        x, y, resets = (t.to(self.device) for t in self.train.window(window))
        logits, state = model(x, state, resets)
        return token_loss(logits, y), state, y.numel()

    def evaluate(self, model, part: str = "validation") -> dict:
        stream = self.streams.get(part, self.train if part == "validation" else None)
        windows = self.config.eval_windows if part == "validation" else 0
        return evaluate_stream(model, stream, self.vocab.level, windows, self.device)

    def diagnose(self, model, grad_norms: list[float] | None = None,
                 thresholds: Thresholds | None = None) -> dict:
        """The gradient diagnosis on the first validation window, in evaluation mode."""
        stream = self.streams.get("validation", self.train)
        x, y, _ = (t.to(self.device) for t in stream.window(0))
        with evaluating(model):
            report = diagnose(*diagnosis_inputs(model, x, y), grad_norms=grad_norms,
                              thresholds=thresholds or Thresholds())
        model.zero_grad(set_to_none=True)
        return report

    def meta(self) -> dict:
        return {"name": "lm", "vocab": self.vocab.to_json()}

    def ngram_baseline(self, parts: list[list[str]], order: int) -> dict:
        """Kneser-Ney trained on the training part, scored on the validation part."""
        train_ids = [t for d in parts[0] for t in self.vocab.encode(d)]
        valid_ids = [t for d in parts[1] for t in self.vocab.encode(d)] if parts[1] else train_ids
        model = KneserNey(order, len(self.vocab)).fit(train_ids)
        return {"order": order, **metrics_from_loss(model.cross_entropy(valid_ids), self.vocab.level)}


def prepare_run(config: LMConfig):
    """Check the run folder, read and split the text, build vocabulary, task and model."""
    run_dir, device = open_run(config)
    parts = split_documents(read_corpus(config), config.valid_fraction, config.test_fraction)
    if config.resume:
        _, meta = load_checkpoint(run_dir / "last.safetensors")
        vocab = Vocabulary.from_json(meta["task"]["vocab"])
    else:
        vocab = Vocabulary.build(parts[0], config.level,
                                 config.vocab_size if config.level == "word" else None)
    task = LMTask(config, vocab, parts, device)
    model = build_model(config, len(vocab)).to(device)
    start_run_folder(run_dir, config)
    write_json(run_dir / "vocab.json", vocab.to_json())
    return run_dir, task, model, parts, device


def load_run(run_dir: str | Path, which: str = "best", device: str = "cpu"):
    """(model, vocab, config, meta) of a saved run, on `device` (any device it was trained on)."""
    return model_from_checkpoint(*open_checkpoint(run_dir, which), device)


def model_from_checkpoint(path: Path, tensors: dict, meta: dict, device="cpu"):
    """(model, vocab, config, meta) from a read language-model checkpoint."""
    if meta.get("task", {}).get("name") != "lm":
        raise DataError(f"{path}: not an rnnkit language-model checkpoint")
    config = from_dict(LMConfig, meta["config"])
    vocab = Vocabulary.from_json(meta["task"]["vocab"])
    model = build_model(config, len(vocab))
    model.load_state_dict(split_prefix(tensors, "model"))
    return model.to(device).eval(), vocab, config, meta


def read_metrics(run_dir: Path) -> list[dict]:
    """The run's evaluations, one dict each (metrics.jsonl)."""
    return read_log(run_dir, "metrics.jsonl")


def held_out_stream(ids, starts, config: LMConfig, name: str) -> StreamBatches:
    """Batches of a held-out text: as many rows as fill a window each, at most batch_size."""
    rows = max(1, min(config.batch_size, ids.shape[0] // (config.bptt + 1)))
    check_corpus(ids.shape[0], rows, config.bptt, name)
    return StreamBatches(ids, starts, rows, config.bptt)
