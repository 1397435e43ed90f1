"""The captioner: the CNN grid keeps where things are, images are read and checked, a short run
writes its example images, and `rnnkit caption` captions them as the reloaded model does."""

import json

import numpy as np
import pytest
import torch

from helpers import hashes, one_error_line, run_cli
from rnnkit.data.shapes import SIZE
from rnnkit.errors import DataError
from rnnkit.run import open_run
from rnnkit.tasks.caption.data import read_image, save_image
from rnnkit.tasks.caption.model import ConvEncoder

TINY = ["--train-size", "64", "--hidden-size", "16", "--channels", "8", "--max-steps", "2",
        "--eval-every", "2", "--eval-sentences", "16", "--beam", "2"]


def test_the_grid_has_one_cell_per_8_pixels_and_each_cell_its_own_embedding():
    encoder = ConvEncoder(channels=4, position_size=3)
    grid, (final,) = encoder(torch.rand(2, 3, SIZE, SIZE))
    assert grid.shape == (2, 36, 7) and final.shape == (2, 7)
    assert not final.any()  # the decoder learns of the image through attention only
    torch.testing.assert_close(grid[0, :, 4:], encoder.position)
    torch.testing.assert_close(grid[1, :, 4:], encoder.position)
    # a cell's features see its own 8 x 8 pixels and 3 more on each side, nothing further
    image = torch.rand(1, 3, SIZE, SIZE)
    a, _ = encoder(image)

    def seen_by(first: int, last: int) -> set:  # cells whose pixels +- 3 meet [first, last]
        return {r for r in range(6) if 8 * r - 3 <= last and 8 * r + 10 >= first}

    reached = set()
    for y, x in ((20, 20), (12, 28), (2, 44)):
        changed = image.clone()
        changed[:, :, y : y + 2, x : x + 2] += 5.0
        b, _ = encoder(changed)
        moved = {divmod(s, 6) for s in range(36) if not torch.equal(a[0, s], b[0, s])}
        seen = {(r, c) for r in seen_by(y, y + 1) for c in seen_by(x, x + 1)}
        assert moved <= seen, (y, x, moved)
        reached |= moved
    assert reached


def test_images_round_trip_and_bad_ones_are_named(tmp_path):
    image = np.random.default_rng(0).random((3, SIZE, SIZE)).astype(np.float32)
    save_image(image, tmp_path / "a.png")
    back = read_image(tmp_path / "a.png")
    assert float((back - torch.from_numpy(image)).abs().max()) <= 0.5 / 255 + 1e-6
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(DataError, match="not an image"):
        read_image(tmp_path / "text.png")
    save_image(np.zeros((3, 20, 30), dtype=np.float32), tmp_path / "small.png")
    with pytest.raises(DataError, match="30 x 20 pixels; the model reads 48 x 48"):
        read_image(tmp_path / "small.png")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from rnnkit.cli.main import main

    folder = tmp_path_factory.mktemp("caption")
    assert main(["train", "caption", "--out", str(folder / "run"), *TINY, "--format", "json"]) == 0
    return folder / "run"


def test_caption_prints_what_the_reloaded_model_says(trained, capsys, tmp_path):
    examples = sorted((trained / "examples").glob("*.png"))
    assert len(examples) == 8 and (trained / "examples" / "captions.txt").exists()
    code, out, _ = run_cli(["caption", trained, *examples[:2], "--format", "json",
                            "--plot-attention", tmp_path / "a.png"], capsys)
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    direct = open_run(trained).caption([str(p) for p in examples[:2]], beam=3)
    assert [r["caption"] for r in records] == [r["caption"] for r in direct]
    assert len(records[0]["attention"][0]) == 36 and (tmp_path / "a.png").stat().st_size > 0


def test_bad_images_are_one_line_and_nothing_is_written(trained, capsys, tmp_path):
    (tmp_path / "notes.png").write_text("hello")
    save_image(np.zeros((3, 10, 10), dtype=np.float32), tmp_path / "small.png")
    before = hashes(trained)
    for image, message in ((tmp_path / "notes.png", "not an image"),
                           (tmp_path / "small.png", "10 x 10 pixels"),
                           (tmp_path / "missing.png", "no such file")):
        code, out, err = run_cli(["caption", trained, image, "--plot-attention",
                                  tmp_path / "plot.png"], capsys)
        assert code == 2 and out == "" and message in one_error_line(err)
    assert not (tmp_path / "plot.png").exists() and hashes(trained) == before
    code, _, err = run_cli(["caption", trained, trained / "examples" / "0.png", "--beam", "0"], capsys)
    assert code == 2 and "--beam must be an integer >= 1" in one_error_line(err)
