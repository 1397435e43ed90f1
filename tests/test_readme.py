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


def test_readme_commands_never_write_into_each_others_outputs():
    """Read in order, no command of the README writes a run folder or file that an earlier
    one wrote (which would be refused, or overwrite it), unless it says --resume or
    --overwrite: a reader can run the sections one after another."""
    import shlex
    from pathlib import PurePath

    from rnnkit.train.config import TrainConfig

    default_out = TrainConfig.__dataclass_fields__["out"].default
    lines, fence = [], None
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fence = None if fence is not None else line[3:].strip()
        elif fence == "":  # a shell block (the Python examples are run above)
            if lines and lines[-1].endswith("\\"):
                lines[-1] = lines[-1][:-1] + " " + line
            else:
                lines.append(line)
    written: dict[str, str] = {}
    commands = 0
    for line in lines:
        if "rnnkit " not in line:
            continue
        words = shlex.split(line.split(" # ")[0].split("   #")[0].split("|")[-1], comments=True)
        if "rnnkit" not in words:
            continue
        words = words[words.index("rnnkit") + 1:]
        if not words or words[0] not in ("train", "prune", "search", "export", "forecast",
                                         "translate", "caption"):
            continue
        commands += 1

        def value(flag, words=words):
            return words[words.index(flag) + 1] if flag in words else None

        targets = []
        if words[0] in ("train", "prune") or (words[0] == "search" and words[1] != "show"):
            targets.append(value("--out") or default_out)
        if words[0] == "export":
            graph = PurePath(value("-o"))
            targets += [str(graph), str(graph.with_suffix(".json")),
                        str(graph.with_name(f"{graph.stem}.step{graph.suffix}"))]
        for flag in ("-o", "--plot", "--plot-attention"):
            if words[0] in ("forecast", "translate", "caption") and value(flag):
                targets.append(value(flag))
        if "--resume" in words or "--overwrite" in words:
            continue
        for target in targets:
            assert target not in written, f"{line!r} writes {target}, as {written[target]!r} did"
            written[target] = line
    assert commands > 30
