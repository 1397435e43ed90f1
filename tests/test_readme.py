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
