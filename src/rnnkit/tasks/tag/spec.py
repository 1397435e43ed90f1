"""The tagging task for the run API: its config, how a run is prepared and reopened, scored
on a CoNLL file, and asked for the tags of new sentences."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rnnkit.config import option, with_default
from rnnkit.data.conll import SCHEMES, Sentence, format_conll, read_conll
from rnnkit.data.text import read_lines
from rnnkit.errors import DataError
from rnnkit.tasks.base import Prepared, TaskSpec
from rnnkit.tasks.labelled import LabelledConfig
from rnnkit.tasks.tag.data import Vocabularies, load_sentences
from rnnkit.tasks.tag.export import graphs as export_graphs
from rnnkit.tasks.tag.task import TagTask
from rnnkit.train.memory import build_within_memory

CONLL = (".conll", ".conllu", ".bio", ".iob", ".iobes", ".bioes", ".tsv")


@dataclass(frozen=True)
class TagConfig(LabelledConfig):
    """One tag per token (CoNLL files)."""

    lr: float = with_default(LabelledConfig, "lr", 5e-3)

    data: str | None = option(None, "training file in CoNLL format (token ... tag per line)")
    valid: str | None = option(None, "validation CoNLL file; default: hold out --valid-fraction")
    test: str | None = option(None, "test CoNLL file, scored once at the end")
    dataset: str | None = option(None, "a bundled dataset instead of --data", choices=("wnut16",))
    encoding: str = option("utf-8", "text encoding of the files")
    folds: int = option(0, "k-fold: hold out fold --fold of K as the test set (0: off)", low=0)
    fold: int = option(0, "which fold is held out (0 .. folds-1)", low=0)
    scheme: str = option("auto", "tag scheme (auto: detected from the training tags)", choices=SCHEMES)
    bioes: bool = option(False, "train on BIOES tags made from BIO ones (output stays BIO)")
    output: str = option("crf", "output layer", group="model", choices=("softmax", "crf"))
    word_embedding_size: int = option(100, "word embedding size", group="model", low=1)
    min_count: int = option(1, "rarer words share the unknown word's embedding", low=1)
    word_dropout: float = option(0.05, "replace a word by the unknown word with this probability "
                                 "while training", group="training", low=0.0, high=0.95)
    char_embedding_size: int = option(25, "character embedding size", group="model", low=1)
    char_hidden_size: int = option(25, "character LSTM units per direction (0: no character LSTM)",
                                   group="model", low=0)
    max_word_length: int = option(30, "characters of a word the character LSTM reads",
                                  group="model", low=1)


def prepare(config: TagConfig, device, resumed: dict | None, data=None) -> Prepared:
    """Read the sentences (or take them from Python: `data={"train": [(tokens, tags), ...]}`),
    build the vocabularies, the task and the model."""
    splits = load_sentences(config, data)
    vocab = Vocabularies.build(splits["train"], config)
    task = TagTask(config, vocab, device, splits)
    longest = max(len(words) for words, _, _ in task.parts["train"])
    tokens = config.batch_size * longest * (1 + config.max_word_length)  # words and characters
    model = build_within_memory(task.build_model, tokens).to(device)
    sizes = ", ".join(f"{k} {len(v)}" for k, v in task.parts.items())
    facts = (f"tagging with {len(vocab.tags)} tags ({vocab.scheme}; "
             f"{'trained as BIOES; ' if config.bioes else ''}sentences: {sizes}), "
             f"{len(vocab.words)} words, {config.output} output")
    return Prepared(task, model, facts)


def final(task: TagTask, model, run_dir: Path) -> dict:
    """Full figures of the best model on validation and test."""
    return {part: task.evaluate(model, part, full=True) for part in ("valid", "test")
            if part in task.parts}


def reopen(config: TagConfig, meta: dict, device):
    """(task without data, a function that builds its model) of a saved run."""
    task = TagTask(config, Vocabularies.from_json(meta["task"]["vocab"]), device)
    return task, task.build_model


def attach_data(task: TagTask) -> None:
    fresh = TagTask(task.config, task.vocab, task.device, load_sentences(task.config))
    task.sentences, task.parts = fresh.sentences, fresh.parts


def evaluate(run, data: str | None, encoding: str | None = None) -> dict:
    """Entity-level precision/recall/F1 per type on a CoNLL file with gold tags (without one,
    a bundled run's held-out fold)."""
    task = run.task
    if data:
        sentences = read_conll(data, encoding=encoding or task.config.encoding)
    elif task.config.dataset:
        sentences = load_sentences(task.config)["test"] or []
        if not sentences:
            raise DataError("the run has no test split (train with --folds K to hold one out)")
    else:
        raise DataError("give --data: a CoNLL file with gold tags")
    task.sentences["test"] = sentences
    task.parts["test"] = [task.vocab.encode(s, task.config.max_word_length, data or "test")
                          for s in sentences]
    return task.evaluate(run.model, "test", full=True)


def predict(run, source: str | list = "-", stdin_text: str | None = None) -> list[dict]:
    """Tags of every sentence: a CoNLL file (its columns kept), plain lines of
    whitespace-separated tokens, or a Python list of sentences (each a string of tokens or a
    list of tokens). One record per sentence: tokens, tags, and its CoNLL text."""
    task = run.task
    if isinstance(source, (list, tuple)):
        sentences = [Sentence(tokens_of(item, number), None)
                     for number, item in enumerate(source, 1)]
        if not sentences:
            raise DataError("predict: the list holds no sentences")
    elif source != "-" and Path(source).suffix.lower() in CONLL:
        sentences = read_conll(source, tagged=False, encoding=task.config.encoding)
    else:
        sentences = [Sentence(line.split(), None)
                     for line in read_lines(source, stdin_text, "sentences")]
    encoded = [task.vocab.encode(s, task.config.max_word_length) for s in sentences]
    predicted, _ = task.predict(run.model, encoded)
    return [{"tokens": s.tokens, "tags": tags, "conll": format_conll([s], [tags])}
            for s, tags in zip(sentences, predicted)]


def tokens_of(item, number: int) -> list[str]:
    """A sentence given from Python: a string of whitespace-separated tokens, or a list."""
    tokens = item.split() if isinstance(item, str) else item
    if not isinstance(tokens, (list, tuple)) or not tokens or not all(
            isinstance(t, str) and t.strip() for t in tokens):
        raise DataError(f"predict: sentence {number} must be a string of tokens or a list of "
                        f"non-empty strings, got {item!r:.60}")
    return list(tokens)


SPEC = TaskSpec(
    name="tag", config_class=TagConfig, help="sequence tagger (CoNLL)", in_memory=True,
    description="Train a tagger on CoNLL files (token ... tag per line, blank line between "
                "sentences): BiRNN over word embeddings and a character LSTM, softmax or CRF "
                "output.",
    prepare=prepare, final=final, reopen=reopen, attach_data=attach_data, evaluate=evaluate,
    predict=predict, graphs=export_graphs)
