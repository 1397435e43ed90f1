"""Every shell block of the README runs, in reading order, as written: a reader who copies the
sections one after another into a terminal gets no error.

The test supplies what a reader brings (their own files: `my.txt`, `train.csv`, `load.csv`,
recordings ...) in a fresh folder and a fresh home (so `~/.cache/rnnkit` starts empty), and
shortens what trains long by appending flags (later flags win): every training stops after 2
steps, a search runs 2 trials, a pruning 2 steps, and the bundled speech sets are synthesised
small (the same generator, fewer recordings). `make demo` is its training command from the
Makefile. The server block starts the server in the background, waits for it and stops it.
Lines that cannot run here are listed in SKIPPED with the reason."""

from __future__ import annotations

import csv
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SKIPPED = {  # line prefix -> why it cannot run here
    "make ": "installs; its training is run from the Makefile's demo line instead",
    "rnnkit train lm --data corpus.txt --nproc 4 --nnodes 2": "needs a second machine (host1)",
}
SHORTER = {"train": ["--max-steps", "2", "--eval-every", "2"],
           "search": ["--trials", "2", "--max-steps", "2", "--eval-every", "2"],
           "prune": ["--steps", "2"]}
LIMIT_S = 900  # the whole README, on 2 cores

pytestmark = pytest.mark.readme  # about 10 minutes: `make test-readme`, which CI runs too


def shell_blocks() -> list[list[str]]:
    """The README's shell blocks (fences without a language), each a list of its lines."""
    blocks, current, fence = [], None, None
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if fence is None:
                fence = line[3:].strip()
                current = []
            else:
                if fence == "" and any(re.match(r"\s*(\S.*\| )?(rnnkit|torchrun) [a-z-]", c)
                                       for c in current):
                    blocks.append(current)
                fence = None
        elif fence == "":
            current.append(line)
    return blocks


def joined(lines: list[str]) -> list[str]:
    """Lines with their backslash continuations joined."""
    out: list[str] = []
    for line in lines:
        if out and out[-1].endswith("\\"):
            out[-1] = out[-1][:-1].rstrip() + " " + line.strip()
        else:
            out.append(line)
    return out


def shortened(line: str) -> str:
    """`line` with the shortening flags of its rnnkit command appended (before a trailing
    comment or an output redirection)."""
    code, comment = re.split(r"\s+#\s", line + " ", maxsplit=1) if re.search(r"\s#\s", line + " ") \
        else (line, "")
    code, redirect = (code.split(" > ", 1) + [""])[:2] if " > " in code else (code, "")
    words = shlex.split(code.split("|")[-1])
    if "rnnkit" not in words:
        return line
    after = words[words.index("rnnkit") + 1:]
    flags = SHORTER.get(after[0], []) if after else []
    if after and after[0] == "search" and after[1:2] == ["show"]:
        flags = []
    if "load.csv" in words or "runs/load" in words:  # hourly data, seasons of 24 and 168
        flags = flags + (["--no-peers"] if after[0] in ("train", "backtest") else [])
    code = code.rstrip() + "".join(f" {flag}" for flag in flags)
    return code + (f" > {redirect}" if redirect else "")


def script_of(block: list[str]) -> str:
    """The bash script one README block becomes: skipped lines left out, commands shortened,
    a server started in the background and stopped at the end."""
    lines, server = [], False
    for line in joined(block):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if any(stripped.startswith(prefix) for prefix in SKIPPED):
            continue
        if stripped.startswith("rnnkit serve"):
            port = re.search(r"--port (\d+)", stripped).group(1)
            lines += [f"{stripped.split('  #')[0].split(' # ')[0]} > serve.log 2>&1 &",
                      "server=$!", "trap 'kill $server 2>/dev/null || true' EXIT",
                      f"for i in $(seq 300); do curl -sf localhost:{port}/health >/dev/null "
                      "&& break; kill -0 $server || exit 3; sleep 0.2; done"]
            server = True
            continue
        if stripped.startswith("curl ") and server:
            line = line.replace("curl -s ", "curl -sf ")
        lines.append(shortened(line) if "rnnkit" in line else line)
    if server:  # stopped, and waited for, before the next block
        lines += ["kill $server", "wait $server || true"]
    return "set -euo pipefail\n" + "\n".join(lines) + "\n"


def write_user_files(home: Path) -> None:
    """What a reader brings to the README's commands, in the folder they run them from."""
    rng = np.random.default_rng(0)
    play = ("ROMEO: But soft, what light through yonder window breaks?\n"
            "JULIET: O Romeo, Romeo, wherefore art thou Romeo?\n") * 150
    (home / "my.txt").write_text(play)
    (home / "held_out.txt").write_text(play[:3000])
    (home / "corpus.txt").write_text(play)
    (home / "lm.toml").write_text("hidden_size = 32\nembedding_size = 16\nbptt = 20\n")
    texts = [("a superb, moving film", "pos"), ("dull and far too long", "neg"),
             ("great acting, great story", "pos"), ("an awful, boring mess", "neg")] * 10
    (home / "train.csv").write_text("text,label\n" + "".join(f'"{t}",{y}\n' for t, y in texts))
    rows = ["unit,t,a,b,label"]
    for unit in range(12):
        label = "up" if unit % 2 else "down"
        for t in range(20):
            sign = 1 if label == "up" else -1
            rows.append(f"u{unit},{t},{sign * t / 20 + rng.normal(0, .1):.3f},{rng.normal():.3f},{label}")
    (home / "sensors.csv").write_text("\n".join(rows) + "\n")
    sentence = "John B-PER\nlives O\nin O\nParis B-LOC\n\nMary B-PER\nwent O\nhome O\n\n"
    for name in ("train.conll", "dev.conll", "test.conll"):
        (home / name).write_text(sentence * (10 if name == "train.conll" else 2))
    (home / "sentences.conll").write_text("Ann\nlives\nin\nRome\n\n")
    hours = np.arange(1500)
    times = np.datetime64("2024-01-01T00") + hours.astype("timedelta64[h]")
    temperature = 10 + 5 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 1, len(hours))
    demand = 100 + 20 * np.sin(2 * np.pi * hours / 24) + 0.5 * temperature + rng.normal(0, 2, len(hours))
    table = ["ts,demand,temperature"] + [f"{t},{d:.2f},{c:.2f}" for t, d, c in
                                         zip(times.astype(str), demand, temperature)]
    (home / "load.csv").write_text("\n".join(table) + "\n")
    (home / "recent.csv").write_text("\n".join([table[0], *table[-400:]]) + "\n")
    words = ["red", "blue", "green", "small", "big", "cat", "dog"]
    pairs = [f"{a} {b} {c}\t{c} {b} {a}" for a in words for b in words[:3] for c in words[3:]]
    (home / "pairs.tsv").write_text("\n".join(pairs) + "\n")
    (home / "test.tsv").write_text("\n".join(pairs[:10]) + "\n")
    (home / "input.txt").write_text("red blue cat\nsmall green dog\n")


def write_recordings(home: Path) -> None:
    """The bundled speech sets, synthesised small into the fresh home's cache under their own
    names, and a reader's recordings (a manifest, a folder, single files) taken from them."""
    from rnnkit.data.speech import spoken_dataset

    cache = home / ".cache" / "rnnkit"
    for name in ("spoken-digits", "spoken-words"):
        small = spoken_dataset(name, cache, {"train": 100, "valid": 4, "test": 4})
        small.rename(re.sub(r"-\d+-\d+-\d+$", "", str(small)))
    digits = next(cache.glob("spoken-digits-v*"))

    def rows(split: str, count: int) -> list[tuple[str, str]]:
        with open(digits / f"{split}.csv", newline="") as handle:
            return [(row["path"], row["text"]) for row in csv.DictReader(handle)][:count]

    recordings = home / "recordings"
    recordings.mkdir()
    for manifest, split, count in (("manifest.csv", "train", 40), ("test_manifest.csv", "test", 4)):
        lines = ["path,text"]
        for path, text in rows(split, count):
            name = f"{split}-{Path(path).stem}.wav"
            shutil.copy(digits / path, home / name)
            lines.append(f"{name},{text}")
            if split == "train" and len(lines) <= 21:  # a folder of 20: x.wav beside x.txt
                shutil.copy(digits / path, recordings / name)
                (recordings / name).with_suffix(".txt").write_text(text + "\n")
        (home / manifest).write_text("\n".join(lines) + "\n")
    first, second = (home / line.split(",")[0] for line in
                     (home / "test_manifest.csv").read_text().splitlines()[1:3])
    shutil.copy(first, home / "a.wav")
    shutil.copy(second, home / "b.wav")


def demo_command() -> str:
    """`make demo`'s training line, with $(BIN)/ taken off."""
    line = next(line for line in (ROOT / "Makefile").read_text().splitlines()
                if "rnnkit train lm --config examples/demo.toml" in line)
    return shortened(line.strip().replace("$(BIN)/", ""))


def test_every_readme_shell_block_runs_in_order_as_written(tmp_path):
    home = tmp_path / "reader"
    home.mkdir()
    shutil.copytree(ROOT / "examples", home / "examples")
    write_user_files(home)
    write_recordings(home)
    built = os.environ.get("TORCH_EXTENSIONS_DIR", str(Path.home() / ".cache" / "torch_extensions"))
    env = {**os.environ, "HOME": str(home), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "TORCH_EXTENSIONS_DIR": built}  # (the C++ path built once, as on the reader's machine)
    if shutil.which("curl", path=env["PATH"]) is None:
        pytest.skip("curl is not installed (the server block calls it)")
    scripts = [f"set -euo pipefail\n{demo_command()}\n"] + [script_of(b) for b in shell_blocks()]
    assert len(scripts) >= 10
    for number, script in enumerate(scripts):
        done = subprocess.run(["bash", "-c", script], cwd=home, env=env, capture_output=True,
                              text=True, timeout=LIMIT_S)
        assert done.returncode == 0, (f"README block {number} failed:\n{script}\n"
                                      f"--- stderr ---\n{done.stderr[-3000:]}")
    # what the commands said they would write is there
    tagged = [line.split("\t") for line in (home / "tagged.conll").read_text().splitlines()]
    assert [word for word, _ in tagged] == ["Ann", "lives", "in", "Rome"]
    assert (home / "forecast.csv").is_file() and (home / "forecast.png").is_file()
    assert len((home / "output.txt").read_text().splitlines()) == 2
    for name in ("demo.onnx", "demo.step.onnx", "demo.json", "demo-int8.onnx", "demo-ts.pt",
                 "demo-ts.json", "best.toml", "confusion.png", "alignment.png", "looked.png"):
        assert (home / name).is_file(), name
