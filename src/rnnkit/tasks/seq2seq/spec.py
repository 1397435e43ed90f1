"""The encoder-decoder task for the run API: its config, how a run is prepared and reopened,
scored on a file of pairs, and asked to translate new sources (n-best lists, scores and the
attention matrix)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.config import option, with_default
from rnnkit.data.encoders import TOKENS
from rnnkit.data.pairs import read_pairs, read_sources
from rnnkit.decoding import check_search
from rnnkit.errors import ConfigError, DataError
from rnnkit.layers.attention import KINDS
from rnnkit.layers.config import RecurrentConfig
from rnnkit.tasks.base import Prepared, TaskSpec, refuse
from rnnkit.tasks.decoder import BOS, EOS
from rnnkit.tasks.seq2seq.data import DATASETS, build_sides, load_splits
from rnnkit.tasks.seq2seq.metrics import SCORES
from rnnkit.tasks.seq2seq.plots import plot_attention
from rnnkit.tasks.seq2seq.task import Seq2SeqTask
from rnnkit.train.config import TrainConfig, run_option, training_option
from rnnkit.train.memory import build_within_memory


@dataclass(frozen=True)
class Seq2SeqConfig(RecurrentConfig, TrainConfig):
    """Source-target pairs: translation, grapheme-to-phoneme conversion, any text to text."""

    hidden_size: int = with_default(RecurrentConfig, "hidden_size", 256)
    bidirectional: bool = with_default(RecurrentConfig, "bidirectional", True)
    dropout: float = with_default(RecurrentConfig, "dropout", 0.2)
    batch_size: int = with_default(TrainConfig, "batch_size", 64)
    lr: float = with_default(TrainConfig, "lr", 2e-3)
    eval_every: int = with_default(TrainConfig, "eval_every", 500)
    schedule: str = with_default(TrainConfig, "schedule", "cosine")
    warmup_steps: int = with_default(TrainConfig, "warmup_steps", 200)
    data: str | None = option(None, "training pairs: source TAB target lines (.tsv, .txt), or "
                              "CSV / JSONL with --source-column and --target-column")
    valid: str | None = option(None, "validation pairs (default: hold out --valid-fraction)")
    test: str | None = option(None, "test pairs, scored once at the end")
    dataset: str | None = option(None, "a bundled dataset instead of --data", choices=DATASETS)
    encoding: str = option("utf-8", "text encoding of the files")
    source_column: str = option("source", "CSV / JSONL: the source column")
    target_column: str = option("target", "CSV / JSONL: the target column")
    source_tokens: str = option("word", "source tokens (subword: byte-pair encoding)",
                                choices=TOKENS)
    target_tokens: str = option("word", "target tokens", choices=TOKENS)
    shared_vocab: bool = option(False, "one vocabulary for both sides (same token kind)")
    vocab_size: int = option(8000, "largest vocabulary per side (subwords: BPE size)", low=4)
    min_count: int = option(1, "rarer words or characters become the unknown token", low=1)
    lowercase: bool = option(False, "lowercase the source text before tokenizing (targets keep "
                             "their case)")
    max_length: int = option(100, "longest side of a training pair, in tokens", low=1)
    too_long: str = option("skip", "a longer training pair: skip it (counted) or stop with an "
                           "error", choices=("skip", "error"))
    valid_fraction: float = option(0.05, "share of --data held out without --valid", low=0.0,
                                   high=0.5)
    score: str = option("auto", "figures: translation (BLEU, chrF) or g2p (word and phoneme "
                        "error rates); auto: g2p for cmudict", choices=("auto", *SCORES))
    embedding_size: int = option(128, "token embedding size", group="model", low=1)
    attention: str = option("general", "attention of the decoder over the source (none: the "
                            "same network without it)", group="model", choices=(*KINDS, "none"))
    label_smoothing: float = training_option(0.1, "label smoothing of the target distribution",
                                             low=0.0, high=0.9)
    scheduled_sampling: float = training_option(0.0, "probability of feeding the model its own "
                                                "previous prediction (Bengio et al. 2015)",
                                                low=0.0, high=1.0)
    eval_sentences: int = training_option(300, "held-out sources decoded (greedy) at each "
                                          "evaluation", low=1)
    beam: int = run_option(5, "beam size of the final figures (1: greedy)", low=1)
    alpha: float = run_option(0.6, "length penalty ((5 + n) / 6) ** alpha of beam search", low=0.0)

    def check(self) -> None:
        super().check()
        refuse(self.shared_vocab and self.source_tokens != self.target_tokens,
               "--shared-vocab needs the same --source-tokens and --target-tokens")
        refuse(self.attention == "dot" and (2 if self.bidirectional else 1) * self.hidden_size
               != (self.proj_size or self.hidden_size),
               "dot attention needs the decoder's state as wide as the encoder's output: use "
               "--attention general or additive, or --no-bidirectional")


def prepare(config: Seq2SeqConfig, device, resumed: dict | None, data=None) -> Prepared:
    """Read the pairs, fit each side's codec on the training pairs only (a resumed run keeps
    its own), build the task and the model. `data` from Python: {"train": [(source, target),
    ...]}, optionally "valid" and "test" alike."""
    splits = load_splits(config, data)
    source, target = build_sides(config, splits["train"],
                                 resumed["task"] if resumed is not None else None)
    task = Seq2SeqTask(config, source, target, device, splits)
    longest = max(len(t) for t in task.train_targets)
    model = build_within_memory(task.build_model, config.batch_size * longest).to(device)
    sizes = ", ".join(f"{k} {len(v)}" for k, v in task.parts.items())
    skipped = f"; {task.skipped} longer than {config.max_length} tokens skipped" if task.skipped else ""
    facts = (f"{config.source_tokens} -> {config.target_tokens} tokens (vocabularies "
             f"{len(source)} / {len(target)}; {sizes}{skipped}) with a {config.num_layers}x"
             f"{config.hidden_size} {'bi' if config.bidirectional else ''}{config.cell.upper()} "
             f"encoder and {config.attention} attention")
    return Prepared(task, model, facts, lambda: task.baseline)


def final(task: Seq2SeqTask, model, run_dir: Path) -> dict:
    """Full figures (greedy and beam) of the best model on validation and test, the copy
    baseline on the same split, and attention.png of the first held-out sentence."""
    figures = {}
    for part in ("valid", "test"):
        if part in task.parts:
            figures[part] = task.evaluate(model, part, full=True)
            pairs = task.parts[part]
            figures[part]["copy_source"] = task.scores_of(pairs.sources, pairs)
    shown = task.parts["test" if "test" in task.parts else "valid"]
    if model.decoder.attention is not None:
        record = translate_texts(task, model, shown.sources[:1], beam=task.config.beam)[0]
        plot_attention(record["attention"], record["source_tokens"], record["output_tokens"],
                       run_dir / "attention.png", "attention of the first held-out sentence")
    return figures


def reopen(config: Seq2SeqConfig, meta: dict, device):
    source, target = build_sides(config, None, meta["task"])
    task = Seq2SeqTask(config, source, target, device, baseline=meta["task"].get("baseline"))
    return task, task.build_model


def attach_data(task: Seq2SeqTask) -> None:
    splits = load_splits(task.config)
    task.parts = {k: v for k, v in splits.items() if v is not None and k != "train"}


def evaluate(run, data: str | None, encoding: str | None = None, beam: int | None = None) -> dict:
    """Loss, then BLEU and chrF (or word and phoneme error rates) of greedy and beam decoding
    on a file of pairs (without one, a bundled run's test split), beside copying the source."""
    task, config = run.task, run.task.config
    if data:
        pairs = read_pairs(data, encoding or config.encoding, config.source_column,
                           config.target_column)
    elif config.dataset:
        pairs = load_splits(config)["test"]
    else:
        raise DataError("give --data: a file of pairs in the format the run was trained on")
    if beam is not None:
        check_search(beam, 1)
        task.config = dataclasses.replace(config, beam=beam)
    task.parts["test"] = pairs
    result = task.evaluate(run.model, "test", full=True)
    result["copy_source"] = task.scores_of(pairs.sources, pairs)
    return result


def translate_texts(task: Seq2SeqTask, model, texts: list[str], beam: int = 5, n_best: int = 1,
                    alpha: float | None = None) -> list[dict]:
    """One record per text: its n-best translations with scores, and the attention matrix of
    the best (output tokens down, source tokens across)."""
    alpha = task.config.alpha if alpha is None else alpha
    found = task.translate(model, texts, beam, n_best, alpha)
    records = []
    for text, hypotheses in zip(texts, found):
        best = hypotheses[0]
        source_ids = task.source.encode(text) or [EOS]
        with torch.no_grad():
            weights = model.alignments(
                torch.tensor([source_ids], device=task.device), torch.tensor([len(source_ids)]),
                torch.tensor([[BOS, *best.tokens]], device=task.device))[0]
        records.append({
            "source": text, "translation": task.target.decode(best.tokens),
            "n_best": [{"text": task.target.decode(h.tokens), "score": h.score,
                        "log_probability": h.log_probability, "finished": h.finished}
                       for h in hypotheses],
            "source_tokens": task.source.pieces(text) or ["</s>"],
            "output_tokens": [task.target.token(t) for t in best.tokens] + ["</s>"],
            "attention": weights.cpu().tolist()})
    return records


def translate(run, source: str | list[str] = "-", stdin_text: str | None = None, beam: int = 5,
              n_best: int = 1, alpha: float | None = None, allow_unknown: bool = True,
              attention_plot: Path | None = None, texts: list[str] | None = None,
              encoding: str | None = None) -> list[dict]:
    """Translate the lines of a file, of `stdin_text` (source "-"), or texts from Python (a list
    as `source`, or `texts`); a
    blank line gives a blank translation, so every line gets one. A token the model never saw
    is read as the unknown token and counted in its record's "unknown" (unseen words are the
    normal case in translation); with `allow_unknown` off it is an error naming it instead.
    `attention_plot`: draw the alignment of the first sentence there. `encoding`: the file's
    (default: the run's)."""
    check_search(beam, n_best)
    if alpha is not None and not alpha >= 0:
        raise ConfigError(f"--alpha must be >= 0, got {alpha}")
    task = run.task
    if isinstance(source, (list, tuple)):
        texts = list(source)
    if texts is not None and not all(isinstance(text, str) for text in texts):
        raise DataError("translate: give a list of texts")
    lines, where = (texts, "input") if texts is not None else read_sources(
        source, stdin_text, encoding or task.config.encoding)
    unknown = [task.source.encoder.unknown(line) for line in lines]
    if not allow_unknown:
        for number, tokens in enumerate(unknown, 1):
            if tokens:
                shown = ", ".join(repr(t) for t in dict.fromkeys(tokens))
                raise DataError(f"{where} line {number}: not in the model's source vocabulary: "
                                f"{shown} (without --strict it is read as the unknown token)")
    wanted = [line for line in lines if line.strip()]
    done = iter(translate_texts(task, run.model, wanted, beam, n_best, alpha)) if wanted else iter(())
    records = [{**(next(done) if line.strip() else {"source": "", "translation": "", "n_best": []}),
                "unknown": len(tokens)} for line, tokens in zip(lines, unknown)]
    if attention_plot is not None and wanted:
        first = next(r for r in records if r["source"])
        plot_attention(first["attention"], first["source_tokens"], first["output_tokens"],
                       attention_plot, first["source"][:60])
    return records


SPEC = TaskSpec(
    name="seq2seq", config_class=Seq2SeqConfig, in_memory=True,
    help="encoder-decoder with attention (translation, grapheme-to-phoneme)",
    description="Train an attention encoder-decoder on source-target pairs (TSV, CSV, JSONL, or "
                "the bundled cmudict and bible-es-en): translation, grapheme-to-phoneme, any "
                "text to text; decoded by greedy or batched beam search.",
    prepare=prepare, final=final, reopen=reopen, attach_data=attach_data, evaluate=evaluate,
    translate=translate)
