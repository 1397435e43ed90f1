"""The captioning task for the run API: its config, how a run is prepared and reopened, scored
on the held-out scenes, and asked to caption image files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.config import option, with_default
from rnnkit.data.encoders import TextEncoder
from rnnkit.decoding import check_search
from rnnkit.errors import DataError
from rnnkit.layers.attention import KINDS
from rnnkit.layers.config import RecurrentConfig
from rnnkit.tasks.base import Prepared, TaskSpec
from rnnkit.tasks.caption.data import DATASETS, SIZE, images_of, load_scenes, read_image, save_image
from rnnkit.tasks.caption.plots import plot_image_attention
from rnnkit.tasks.caption.task import CaptionTask
from rnnkit.tasks.decoder import BOS, Side
from rnnkit.train.config import TrainConfig, run_option, training_option
from rnnkit.train.memory import build_within_memory, check_memory

EXAMPLES = 8  # images of the test split written to RUN_DIR/examples/ with their captions


@dataclass(frozen=True)
class CaptionConfig(RecurrentConfig, TrainConfig):
    """Images to captions: a CNN encoder, an attention decoder."""

    hidden_size: int = with_default(RecurrentConfig, "hidden_size", 128)
    cell: str = with_default(RecurrentConfig, "cell", "gru")
    dropout: float = with_default(RecurrentConfig, "dropout", 0.1)
    batch_size: int = with_default(TrainConfig, "batch_size", 64)
    epochs: int = with_default(TrainConfig, "epochs", 8)
    eval_every: int = with_default(TrainConfig, "eval_every", 250)
    dataset: str = option("shapes-captions", "the bundled captioning set", choices=DATASETS)
    train_size: int = option(16000, "training scenes generated", low=10)
    channels: int = option(64, "feature channels of the CNN encoder", group="model", low=1)
    embedding_size: int = option(32, "word embedding size", group="model", low=1)
    attention: str = option("general", "attention of the decoder over the image grid",
                            group="model", choices=(*KINDS, "none"))
    label_smoothing: float = training_option(0.0, "label smoothing of the word distribution",
                                             low=0.0, high=0.9)
    eval_sentences: int = training_option(400, "held-out images captioned at each evaluation",
                                          low=1)
    beam: int = run_option(3, "beam size of the final figures (1: greedy)", low=1)
    alpha: float = run_option(0.0, "length penalty of beam search", low=0.0)


def prepare(config: CaptionConfig, device, resumed: dict | None, data=None) -> Prepared:
    check_memory(config.train_size * 3 * SIZE * SIZE * 4 * 2,  # the images, and their batch copy
                 f"--train-size {config.train_size:,} (generated {SIZE} x {SIZE} scenes)")
    scenes = load_scenes(config.train_size)
    if resumed is not None:
        words = Side.from_json(resumed["task"]["words"])
    else:
        words = Side(TextEncoder.build([s.caption for s in scenes["train"]], "word", 1000, 1,
                                       lowercase=False))
    task = CaptionTask(config, words, device, scenes)
    model = build_within_memory(task.build_model, config.batch_size * 48 * 48).to(device)
    facts = (f"captioning {len(scenes['train'])} scenes (vocabulary {len(words)}; test scenes "
             f"hold colour-shape pairs never seen in training) with a CNN encoder and a "
             f"{config.num_layers}x{config.hidden_size} {config.cell.upper()} decoder, "
             f"{config.attention} attention")
    return Prepared(task, model, facts, lambda: task.baseline)


def final(task: CaptionTask, model, run_dir: Path) -> dict:
    """Figures of the best model on validation and test (unseen pairs); a few test images with
    their captions in RUN_DIR/examples/, and attention.png for the first of them."""
    figures = {part: task.evaluate(model, part, full=True) for part in ("valid", "test")}
    folder = run_dir / "examples"
    folder.mkdir(exist_ok=True)
    images, scenes = task.parts["test"]
    for i in range(EXAMPLES):
        save_image(images[i], folder / f"{i}.png")
    (folder / "captions.txt").write_text("".join(f"{i}.png\t{scenes[i].caption}\n"
                                                 for i in range(EXAMPLES)), encoding="utf-8")
    if model.decoder.attention is not None:
        record = describe(task, model, images[:1], ["examples/0.png"], task.config.beam)[0]
        plot_image_attention(images[0], record["attention"], record["output_tokens"],
                             model.encoder.cell, run_dir / "attention.png")
    return figures


def reopen(config: CaptionConfig, meta: dict, device):
    task = CaptionTask(config, Side.from_json(meta["task"]["words"]), device,
                       baseline=meta["task"].get("baseline"))
    return task, task.build_model


def attach_data(task: CaptionTask) -> None:
    scenes = load_scenes(10)
    task.parts = {k: (images_of(v), v) for k, v in scenes.items() if k != "train"}


def evaluate(run, data: str | None, encoding: str | None = None) -> dict:
    """Exact match and attention-in-box on the test scenes (colour-shape pairs unseen)."""
    if data:
        raise DataError("a captioning run is evaluated on its bundled test scenes: leave out --data")
    attach_data(run.task)
    return run.task.evaluate(run.model, "test", full=True)


def describe(task: CaptionTask, model, images, names: list[str], beam: int = 3,
             n_best: int = 1) -> list[dict]:
    found = task.describe(model, images, beam, n_best, task.config.alpha)
    records = []
    for i, (name, hypotheses) in enumerate(zip(names, found)):
        best = hypotheses[0]
        with torch.no_grad():
            weights = model.alignments(images[i : i + 1].to(task.device), None,
                                       torch.tensor([[BOS, *best.tokens]], device=task.device))[0]
        records.append({"image": name, "caption": task.words.decode(best.tokens),
                        "n_best": [{"text": task.words.decode(h.tokens), "score": h.score}
                                   for h in hypotheses],
                        "output_tokens": [task.words.token(t) for t in best.tokens] + ["</s>"],
                        "attention": weights.cpu().tolist()})
    return records


def caption(run, images: list[str], beam: int = 3, n_best: int = 1,
            attention_plot: Path | None = None) -> list[dict]:
    """A caption (and its n-best) for every image file; every file is read and checked first.
    `attention_plot`: where the decoder looked for each word of the first image's caption."""
    check_search(beam, n_best)
    if not images:
        raise DataError("give at least one image file")
    pixels = torch.stack([read_image(path) for path in images])
    records = describe(run.task, run.model, pixels, [str(p) for p in images], beam, n_best)
    if attention_plot is not None and run.model.decoder.attention is not None:
        plot_image_attention(pixels[0], records[0]["attention"], records[0]["output_tokens"],
                             run.model.encoder.cell, attention_plot)
    return records


SPEC = TaskSpec(
    name="caption", config_class=CaptionConfig, help="image captioning (CNN encoder, attention "
                                                     "decoder)",
    description="Train an image captioner on the bundled shapes-captions scenes: a CNN reads "
                "the image into a grid, an attention decoder writes the caption.",
    prepare=prepare, final=final, reopen=reopen, attach_data=attach_data, evaluate=evaluate,
    caption=caption)
