"""The README's Python example runs as written and does what its comments say."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README has no python example"
    printed = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(blocks[0], str(README), "exec"), namespace)
    assert printed.getvalue().strip() == "torch.Size([4, 20])"
    assert namespace["outputs"].shape == (4, 20, 64)
    assert namespace["outputs"][1, 5:].abs().sum() == 0
    assert type(namespace["torch_lstm"]).__name__ == "LSTM"


def test_readme_run_api_example_runs(tmp_path, monkeypatch):
    """The second example: train a classifier from a list of texts, predict new ones."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(blocks[1], str(README), "exec"), namespace)
    assert printed.getvalue().split() == ["1.0", "pos", "neg"]
    assert (tmp_path / "runs" / "sentiment" / "best.safetensors").exists()


def test_readme_encoder_decoder_example_runs():
    """The third example: an attention encoder-decoder on tensors, beam searched."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    printed = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(blocks[2], str(README), "exec"), namespace)
    assert printed.getvalue().split() == ["torch.Size([4,", "6,", "60])", "4", "3"]
    scores = [h.score for h in namespace["best"][0]]
    assert scores == sorted(scores, reverse=True)
