"""Sequence tagging (many-to-many, aligned): one tag per token, e.g. named entities.

Each word is its (lowercased) word embedding beside a character-level bidirectional LSTM's
final states (so unseen words still get a representation, Lample et al. 2016); a bidirectional
rnnkit layer reads the sentence; a linear layer gives per-tag scores, read by a softmax or by a
CRF (Viterbi decoding). BIO tags may be trained as BIOES and are given back as BIO.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.data.buckets import EpochBatches, in_order_batches, pad
from rnnkit.data.conll import (
    SCHEMES,
    Sentence,
    bio_to_bioes,
    bioes_to_bio,
    detect_scheme,
    k_fold,
    read_conll,
    wnut16_path,
)
from rnnkit.data.text import DataError
from rnnkit.layers import make_layer
from rnnkit.layers.crf import CRF, allowed_moves
from rnnkit.layers.modes import evaluating
from rnnkit.tasks.metrics import entity_metrics
from rnnkit.tasks.network import NetworkConfig, holdout
from rnnkit.train.checkpoint import split_prefix
from rnnkit.train.config import from_dict, option
from rnnkit.train.run_folder import open_run, start_run_folder

UNKNOWN = "<unk>"


@dataclass(frozen=True)
class TagConfig(NetworkConfig):
    """One tag per token (CoNLL files)."""

    lr: float = option(5e-3, "learning rate", low=0.0)

    data: str | None = option(None, "training file in CoNLL format (token ... tag per line)")
    valid: str | None = option(None, "validation CoNLL file; default: hold out --valid-fraction")
    test: str | None = option(None, "test CoNLL file, scored once at the end")
    dataset: str | None = option(None, "a bundled dataset instead of --data", choices=("wnut16",))
    encoding: str = option("utf-8", "text encoding of the files")
    folds: int = option(0, "k-fold: hold out fold --fold of K as the test set (0: off)", low=0)
    fold: int = option(0, "which fold is held out (0 .. folds-1)", low=0)
    scheme: str = option("auto", "tag scheme (auto: detected from the training tags)", choices=SCHEMES)
    bioes: bool = option(False, "train on BIOES tags made from BIO ones (output stays BIO)")
    output: str = option("crf", "output layer", choices=("softmax", "crf"))
    word_embedding_size: int = option(100, "word embedding size", low=1)
    min_count: int = option(1, "rarer words share the unknown word's embedding", low=1)
    word_dropout: float = option(0.05, "replace a word by the unknown word with this probability "
                                 "while training", low=0.0, high=0.95)
    char_embedding_size: int = option(25, "character embedding size", low=1)
    char_hidden_size: int = option(25, "character LSTM units per direction (0: no character LSTM)",
                                   low=0)
    max_word_length: int = option(30, "characters of a word the character LSTM reads", low=1)


class Tagger(nn.Module):
    def __init__(self, config: TagConfig, words: int, chars: int, tags: list[str], scheme: str):
        super().__init__()
        self.word_embedding = nn.Embedding(words, config.word_embedding_size)
        size = config.word_embedding_size
        self.char_rnn = None
        if config.char_hidden_size:
            self.char_embedding = nn.Embedding(chars, config.char_embedding_size)
            self.char_rnn = make_layer("lstm", config.char_embedding_size, config.char_hidden_size,
                                       bidirectional=True)
            size += 2 * config.char_hidden_size
        self.dropout = nn.Dropout(config.dropout)
        self.rnn = make_layer(config.cell, size, config.hidden_size, config.num_layers,
                              **config.layer_options())
        self.head = nn.Linear(self.rnn.output_size, len(tags))
        self.crf = CRF(len(tags), allowed_moves(tags, scheme)) if config.output == "crf" else None

    def emissions(self, words: Tensor, chars: Tensor, char_lengths: Tensor, lengths: Tensor):
        """Per-tag scores (B, T, tags): words (B, T), chars (B, T, L), char_lengths (B, T)."""
        features = [self.word_embedding(words)]
        if self.char_rnn is not None:
            valid = char_lengths > 0
            _, (h, _) = self.char_rnn(self.char_embedding(chars[valid]), char_lengths[valid].cpu())
            per_word = h.transpose(0, 1).reshape(h.shape[1], -1)
            spelled = per_word.new_zeros(*words.shape, per_word.shape[-1])
            spelled[valid] = per_word
            features.append(spelled)
        outputs, _ = self.rnn(self.dropout(torch.cat(features, -1)), lengths)
        return self.head(self.dropout(outputs))

    def loss(self, emissions: Tensor, tags: Tensor, lengths: Tensor) -> Tensor:
        if self.crf is not None:
            return -self.crf.log_likelihood(emissions, tags, lengths).mean()
        valid = torch.arange(tags.shape[1], device=tags.device)[None] < lengths.to(tags.device)[:, None]
        return F.cross_entropy(emissions[valid], tags[valid])

    def decode(self, emissions: Tensor, lengths: Tensor) -> list[list[int]]:
        if self.crf is not None:
            return self.crf.decode(emissions, lengths)
        best = emissions.argmax(-1).tolist()
        return [row[: int(n)] for row, n in zip(best, lengths)]


def load_sentences(config: TagConfig) -> dict[str, list[Sentence] | None]:
    """{"train", "valid", "test"} sentences: files, or the bundled WNUT-16 training split
    (only a training split exists: with --folds K, fold --fold is the test set)."""
    if config.dataset == "wnut16":
        train, valid, test = read_conll(wnut16_path()), None, None
    elif config.data:
        train = read_conll(config.data, encoding=config.encoding)
        valid = read_conll(config.valid, encoding=config.encoding) if config.valid else None
        test = read_conll(config.test, encoding=config.encoding) if config.test else None
    else:
        raise DataError("give --data FILE.conll or --dataset wnut16")
    if config.folds:
        if config.folds < 2:
            raise ValueError("--folds must be 0 (off) or at least 2")
        kept, held = k_fold(len(train), config.folds, config.fold, seed=0)
        train, test = [train[i] for i in kept], [train[i] for i in held]
    if valid is None and config.valid_fraction > 0:
        kept, held = holdout(list(range(len(train))), config.valid_fraction, config.seed,
                             stratify=False)
        train, valid = [train[i] for i in kept], [train[i] for i in held]
    return {"train": train, "valid": valid, "test": test}


class Vocabularies:
    """Words (lowercased), characters and tags of the training split, id 0 unknown."""

    def __init__(self, words: list[str], chars: list[str], tags: list[str], scheme: str,
                 bioes: bool) -> None:
        self.words, self.chars, self.tags, self.scheme, self.bioes = words, chars, tags, scheme, bioes
        self.word_index = {w: i for i, w in enumerate(words)}
        self.char_index = {c: i for i, c in enumerate(chars)}
        self.tag_index = {t: i for i, t in enumerate(tags)}

    @classmethod
    def build(cls, sentences: list[Sentence], config: TagConfig) -> Vocabularies:
        scheme = detect_scheme([s.tags for s in sentences]) if config.scheme == "auto" else config.scheme
        if config.bioes and scheme != "bio":
            raise ValueError(f"--bioes converts BIO tags, but the training tags are {scheme!r}")
        words = Counter(t.lower() for s in sentences for t in s.tokens)
        chars = Counter(c for s in sentences for t in s.tokens for c in t)
        tags = sorted({t for s in sentences for t in cls._train_tags(s.tags, config.bioes)})
        ranked = sorted((w for w, n in words.items() if n >= config.min_count),
                        key=lambda w: (-words[w], w))
        return cls([UNKNOWN, *ranked], [UNKNOWN, *sorted(chars)], tags, scheme, config.bioes)

    @staticmethod
    def _train_tags(tags: list[str], bioes: bool) -> list[str]:
        return bio_to_bioes(tags) if bioes else tags

    def model_scheme(self) -> str:
        return "bioes" if self.bioes else self.scheme

    def encode(self, sentence: Sentence, max_word_length: int, source: str = "") -> tuple:
        words = torch.tensor([self.word_index.get(t.lower(), 0) for t in sentence.tokens])
        spelled = [torch.tensor([self.char_index.get(c, 0) for c in t[:max_word_length]])
                   for t in sentence.tokens]
        if sentence.tags is None:
            return words, spelled, None
        tags = self._train_tags(sentence.tags, self.bioes)
        unknown = sorted({t for t in tags if t not in self.tag_index})
        if unknown:
            raise DataError(f"{source}: tag {unknown[0]!r} never seen in training; the training "
                            f"tags are: {', '.join(self.tags)}")
        return words, spelled, torch.tensor([self.tag_index[t] for t in tags])

    def output_tags(self, ids: list[int]) -> list[str]:
        tags = [self.tags[i] for i in ids]
        return bioes_to_bio(tags) if self.bioes else tags

    def to_json(self) -> dict:
        return {"words": self.words, "chars": self.chars, "tags": self.tags, "scheme": self.scheme,
                "bioes": self.bioes}

    @classmethod
    def from_json(cls, data: dict) -> Vocabularies:
        return cls(data["words"], data["chars"], data["tags"], data["scheme"], data["bioes"])


def collate(encoded: list[tuple], chosen: list[int]):
    """(words (B, T), chars (B, T, L), char lengths (B, T), lengths (B,), tags (B, T) or None)."""
    words, lengths = pad([encoded[i][0] for i in chosen])
    valid = torch.arange(words.shape[1])[None, :] < lengths[:, None]  # (B, T), row-major order
    spelled, spelled_lengths = pad([c for i in chosen for c in encoded[i][1]])  # (words, L)
    chars = torch.zeros(*words.shape, spelled.shape[1], dtype=torch.long)
    char_lengths = torch.zeros(words.shape, dtype=torch.long)
    chars[valid], char_lengths[valid] = spelled, spelled_lengths
    tags = None if encoded[chosen[0]][2] is None else pad([encoded[i][2] for i in chosen])[0]
    return words, chars, char_lengths, lengths, tags


class TagTask:
    """The fit() task: length-bucketed batches of training sentences."""

    def __init__(self, config: TagConfig, vocab: Vocabularies, device, splits: dict | None = None):
        self.config, self.vocab, self.device = config, vocab, device
        self.sentences = {k: v for k, v in (splits or {}).items() if v}
        self.parts = {k: [vocab.encode(s, config.max_word_length, k) for s in v]
                      for k, v in self.sentences.items()}
        if "train" in self.parts:
            self.batches = EpochBatches([len(e[0]) for e in self.parts["train"]], config.batch_size,
                                        config.seed, config.buckets)
        # the best checkpoint is the one with the best entity F1 (the loss keeps falling on
        # O-heavy data while entities get worse)
        self.selection = ("f1", True) if vocab.scheme != "none" else ("token_accuracy", True)

    def build_model(self) -> Tagger:
        return Tagger(self.config, len(self.vocab.words), len(self.vocab.chars), self.vocab.tags,
                      self.vocab.model_scheme())

    def windows_per_epoch(self) -> int:
        return len(self.batches)

    def train_loss(self, model, epoch: int, window: int, state):
        words, chars, char_lengths, lengths, tags = collate(self.parts["train"],
                                                            self.batches(epoch)[window])
        if self.config.word_dropout:
            words = words.masked_fill(torch.rand(words.shape) < self.config.word_dropout, 0)
        d = self.device
        emissions = model.emissions(words.to(d), chars.to(d), char_lengths.to(d), lengths)
        return model.loss(emissions, tags.to(d), lengths), None, int(lengths.sum())

    @torch.no_grad()
    def predict(self, model, encoded: list[tuple]) -> tuple[list[list[str]], float | None]:
        """Tags of each sentence (in the scheme of the data) and the mean loss if tags are known."""
        out: list = [None] * len(encoded)
        total, count = 0.0, 0
        d = self.device
        with evaluating(model):
            for chosen in in_order_batches([len(e[0]) for e in encoded], 64):
                words, chars, char_lengths, lengths, tags = collate(encoded, chosen)
                emissions = model.emissions(words.to(d), chars.to(d), char_lengths.to(d), lengths)
                if tags is not None:
                    total += float(model.loss(emissions, tags.to(d), lengths)) * len(chosen)
                    count += len(chosen)
                for i, ids in zip(chosen, model.decode(emissions.float(), lengths)):
                    out[i] = self.vocab.output_tags(ids)
        return out, (total / count if count else None)

    def evaluate(self, model, part: str = "valid", full: bool = False) -> dict:
        name = part if part in self.parts else "train"
        predicted, loss = self.predict(model, self.parts[name])
        gold = [s.tags for s in self.sentences[name]]
        report = entity_metrics(gold, predicted, self.vocab.scheme)
        if full:
            return {"loss": loss, **report}
        return {"loss": loss, **{k: report[k] for k in ("f1", "precision", "recall",
                                                         "token_accuracy") if k in report}}

    def meta(self) -> dict:
        return {"name": "tag", "vocab": self.vocab.to_json()}


def prepare_run(config: TagConfig):
    """Check the run folder, read the sentences, build the vocabularies, task and model."""
    run_dir, device = open_run(config)
    splits = load_sentences(config)
    vocab = Vocabularies.build(splits["train"], config)
    task = TagTask(config, vocab, device, splits)
    model = task.build_model().to(device)
    start_run_folder(run_dir, config)
    return run_dir, task, model, device


def load_tagger(tensors: dict, meta: dict, device="cpu"):
    """(task with no data, model) from a read tagging checkpoint."""
    config = from_dict(TagConfig, meta["config"])
    task = TagTask(config, Vocabularies.from_json(meta["task"]["vocab"]), torch.device(device))
    model = task.build_model()
    model.load_state_dict(split_prefix(tensors, "model"))
    return task, model.to(device).eval()
