"""The language-model task for the run API: its config, and how a run is prepared, reopened,
scored on a text and asked to generate."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rnnkit.config import option, with_default
from rnnkit.data.shakespeare import DATASETS
from rnnkit.data.text import load_documents
from rnnkit.data.vocab import Vocabulary
from rnnkit.errors import DataError
from rnnkit.layers.config import RecurrentConfig
from rnnkit.tasks.base import Prepared, TaskSpec
from rnnkit.tasks.lm.data import documents_given, read_corpus, split_documents, text_stream
from rnnkit.tasks.lm.export import graphs as export_graphs
from rnnkit.tasks.lm.mixture import mixture_figures
from rnnkit.tasks.lm.model import LanguageModel, evaluate_stream, generate, metrics_from_loss
from rnnkit.tasks.lm.task import LMTask
from rnnkit.train.config import TrainConfig, training_option
from rnnkit.train.memory import build_within_memory


@dataclass(frozen=True)
class LMConfig(RecurrentConfig, TrainConfig):
    """A character- or word-level language model trained by truncated BPTT."""

    hidden_size: int = with_default(RecurrentConfig, "hidden_size", 256)
    num_layers: int = with_default(RecurrentConfig, "num_layers", 2)
    data: str | None = option(None, "text file or folder of text files to train on")
    dataset: str | None = option(None, "a bundled dataset instead of --data", choices=DATASETS)
    encoding: str = option("utf-8", "text encoding of --data")
    level: str = option("char", "tokens: characters or words", choices=("char", "word"))
    vocab_size: int = option(10000, "largest word vocabulary (word level)", low=2)
    valid_fraction: float = option(0.1, "share of the text held out for validation", low=0.0,
                                   high=0.5)
    test_fraction: float = option(0.0, "share of the text held out for a final test", low=0.0,
                                  high=0.5)
    embedding_size: int = option(128, "token embedding size", group="model", low=1)
    tie_weights: bool = option(False, "share the embedding with the output layer", group="model")
    bptt: int = training_option(100, "truncated-BPTT window: steps per update", low=1)
    eval_windows: int = training_option(0, "validation windows per evaluation (0: all)", low=0)
    ngram_order: int = training_option(5, "order of the Kneser-Ney baseline (0: none)", low=0,
                                       high=10)

    @staticmethod
    def fitted_defaults(given: dict) -> dict:
        """The model and optimiser for a time budget (--max-minutes alone), as measured on the
        bundled Shakespeare (docs/benchmarks.md): under 15 minutes the demo's 1x512 LSTM
        (batch 32, Adam 3e-3, dropout 0.1: 1.649 nats/char in 4.5 minutes, where the 2x256
        default reached 1.70 in 4 on a play corpus), from 15 minutes the 30-minute quality
        run's 2x512 (batch 64, Adam 2e-3, dropout 0.25: 1.601). Without a budget, the
        defaults above. Only what the user did not give."""
        minutes = float(given.get("max_minutes") or 0)
        if minutes <= 0 or given.get("epochs") or given.get("max_steps"):
            return {}
        if minutes < 15:
            return {"num_layers": 1, "hidden_size": 512, "embedding_size": 64, "dropout": 0.1,
                    "batch_size": 32, "lr": 3e-3}
        return {"num_layers": 2, "hidden_size": 512, "embedding_size": 128, "dropout": 0.25,
                "batch_size": 64, "lr": 2e-3}

    def build_model(self, vocab_size: int) -> LanguageModel:
        return LanguageModel(vocab_size, self.embedding_size, self, self.tie_weights)


def prepare(config: LMConfig, device, resumed: dict | None, data=None) -> Prepared:
    """Read and split the text (or take it from Python: `data={"train": text or [documents]}`),
    build the vocabulary (a resumed run keeps its own), the task and the model."""
    documents = documents_given(data) if data is not None else read_corpus(config)
    parts = split_documents(documents, config.valid_fraction, config.test_fraction)
    if resumed is not None:
        vocab = Vocabulary.from_json(resumed["task"]["vocab"])
    else:
        vocab = Vocabulary.build(parts[0], config.level,
                                 config.vocab_size if config.level == "word" else None)
    task = LMTask(config, vocab, parts, device)
    model = build_within_memory(lambda: config.build_model(len(vocab)),
                                config.batch_size * config.bptt).to(device)
    facts = (f"a {config.num_layers}x{config.hidden_size} {config.cell.upper()} {config.level}-level "
             f"language model; {task.train.tokens_per_pass:,} training tokens, vocabulary "
             f"{len(vocab)}")
    baseline = None
    if config.ngram_order and resumed is None:
        def baseline():
            return task.ngram_baseline(parts, config.ngram_order)
    return Prepared(task, model, facts, baseline)


def final(task: LMTask, model, run_dir) -> dict:
    """Validation (and test) figures of the best model, and a sample of its text."""
    figures = {"valid": task.evaluate(model)}
    if "test" in task.streams:
        figures["test"] = task.evaluate(model, "test")
    if task.config.ngram_order and "validation" in task.streams:
        figures["mixture"] = mixture_figures(
            model, task.fitted_ngram(task.config.ngram_order), task.streams,
            lambda loss: metrics_from_loss(loss, task.config.level), task.device)
    try:
        figures["sample"] = generate(model, task.vocab, "", 300 if task.config.level == "char"
                                     else 60, temperature=0.8, seed=task.config.seed,
                                     device=task.device)
    except DataError as error:  # a model broken by its training writes no sample
        figures["sample_error"] = str(error)
    return figures


def reopen(config: LMConfig, meta: dict, device):
    """(task without text, a function that builds its model) of a saved run."""
    vocab = Vocabulary.from_json(meta["task"]["vocab"])
    return LMTask(config, vocab, None, device), lambda: config.build_model(len(vocab))


def attach_data(task: LMTask) -> None:
    config = task.config
    task.attach(split_documents(read_corpus(config), config.valid_fraction, config.test_fraction))


def evaluate(run, data: str | None, encoding: str | None = None) -> dict:
    """Loss, perplexity and bits per token on a text, the state carried as in training."""
    task = run.task
    if data is None:
        raise DataError("give --data: the text to evaluate the language model on")
    stream, tokens, unknown = text_stream(load_documents(data, encoding or task.config.encoding), task.vocab,
                                          task.config.batch_size, task.config.bptt)
    metrics = evaluate_stream(run.model, stream, task.vocab.level, device=task.device)
    return {"tokens": tokens, "unknown_tokens": unknown, **metrics}


def generate_text(run, prime: str = "", length: int = 500, **sampling) -> str:
    """The prime followed by `length` generated tokens (see `tasks.lm.model.generate`)."""
    return generate(run.model, run.task.vocab, prime, length, device=run.task.device, **sampling)


class Session:
    """A language model reading text as it arrives: each `push(text)` scores the text's tokens
    given everything pushed before (state carried) and says what it expects next."""

    def __init__(self, run) -> None:
        self.model, self.vocab, self.device = run.model, run.task.vocab, run.task.device
        self.state, self.logits = None, None

    @torch.no_grad()
    def push(self, text: str = "", top: int = 5) -> dict:
        ids = self.vocab.encode(text, strict=True) if text else []
        nats = []
        if ids:  # the whole chunk in one forward pass, from the carried state
            out, self.state = self.model(torch.tensor([ids], device=self.device), self.state)
            out = out[0].float().cpu()  # (n, V): what came after each token of the chunk
            before = out[:-1] if self.logits is None else torch.cat([self.logits[None], out[:-1]])
            scored = torch.tensor(ids[len(ids) - before.shape[0]:])  # the first has no history
            nats = (-torch.log_softmax(before, -1).gather(1, scored[:, None])[:, 0]).tolist()
            self.logits = out[-1]
        if self.logits is None:
            return {"tokens": 0, "nats": [], "next": []}
        probs = torch.softmax(self.logits, -1)
        best = probs.topk(min(top, probs.numel()))
        return {"tokens": len(ids), "nats": nats,
                "next": [{"token": self.vocab.decode([int(i)]), "probability": float(p)}
                         for p, i in zip(best.values, best.indices)]}


SPEC = TaskSpec(
    name="lm", config_class=LMConfig, help="character or word language model",
    description="Train a character- or word-level language model by truncated BPTT, beside a "
                "Kneser-Ney n-gram baseline. The defaults below hold when the run is bounded by "
                "--epochs or --max-steps; --max-minutes alone fits the model to the budget "
                "(unless given): under 15 minutes a 1x512 LSTM (embedding 64, dropout 0.1, batch "
                "32, lr 3e-3), from 15 minutes 2x512 (embedding 128, dropout 0.25, batch 64, lr "
                "2e-3).",
    prepare=prepare, final=final, reopen=reopen, attach_data=attach_data, evaluate=evaluate,
    generate=generate_text, graphs=export_graphs, session=Session, in_memory=True)
