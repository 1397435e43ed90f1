"""The examples of a captioning run: the bundled shapes-captions scenes (data/shapes.py), and
images read from the user's files for `rnnkit caption` (PNG, JPEG, ...: any image Pillow reads,
of the size the model was trained on)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from rnnkit.data.shapes import SIZE, Scene, generate
from rnnkit.errors import DataError

DATASETS = ("shapes-captions",)


def load_scenes(train_size: int) -> dict[str, list[Scene]]:
    """{"train", "valid", "test"}: seen colour-shape pairs in train and valid; every test scene
    holds a pair never seen in training."""
    return {"train": generate("train", train_size), "valid": generate("valid"),
            "test": generate("test")}


def images_of(scenes: list[Scene]) -> Tensor:
    return torch.from_numpy(np.stack([s.image for s in scenes]))  # (N, 3, SIZE, SIZE)


def read_image(path: str | Path) -> Tensor:
    """(3, SIZE, SIZE) floats in [0, 1] of an RGB image file; DataError if it is missing, not an
    image, or not SIZE x SIZE."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        with Image.open(path) as image:
            size = image.size  # read from the header: nothing is decoded before it is checked
            if size == (SIZE, SIZE):
                image.load()
                pixels = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError) as error:
        raise DataError(f"{path}: not an image Pillow can read ({error.__class__.__name__})") from None
    if size != (SIZE, SIZE):
        raise DataError(f"{path}: {size[0]} x {size[1]} pixels; the model reads {SIZE} x {SIZE} "
                        "images")
    return torch.from_numpy(pixels).permute(2, 0, 1).contiguous()


def save_image(image: np.ndarray | Tensor, path: Path) -> None:
    """A (3, SIZE, SIZE) image in [0, 1] as a PNG file."""
    from PIL import Image

    array = np.asarray(image).transpose(1, 2, 0)
    Image.fromarray((np.clip(array, 0, 1) * 255).round().astype(np.uint8), "RGB").save(path)
