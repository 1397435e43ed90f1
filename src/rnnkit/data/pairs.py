"""Parallel data for encoder-decoders: a source and one or more target texts per example.

From the user's files: a tab-separated file of `source TAB target` lines (.tsv, .tab, .txt; no
header), or a CSV / JSON-lines file with named columns. Every ragged or empty line is named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rnnkit.data.tables import read_table
from rnnkit.data.text import read_text
from rnnkit.errors import DataError

PLAIN = (".tsv", ".tab", ".txt")


@dataclass
class Pairs:
    """Sources and their targets: `references[i]` lists every accepted target of source i
    (several for a word with several pronunciations); `lines` where each came from."""

    sources: list[str]
    references: list[list[str]]
    source: str = ""
    lines: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sources)

    def subset(self, indices: list[int]) -> Pairs:
        return Pairs([self.sources[i] for i in indices], [self.references[i] for i in indices],
                     self.source, [self.lines[i] for i in indices] if self.lines else [])

    def training_pairs(self) -> tuple[list[str], list[str], list[int]]:
        """(sources, targets, example index) with one row per accepted target."""
        rows = [(s, t, i) for i, (s, targets) in enumerate(zip(self.sources, self.references))
                for t in targets]
        return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def read_pairs(path: str | Path, encoding: str = "utf-8", source_column: str = "source",
               target_column: str = "target") -> Pairs:
    """The pairs of one file; DataError naming the first line that is not a pair."""
    path = str(path)
    if Path(path).suffix.lower() not in PLAIN:
        table = read_table(path, encoding)
        sources = table.column(source_column, what="source column")
        targets = table.column(target_column, what="target column")
        return Pairs([s.strip() for s in sources], [[t.strip()] for t in targets], path,
                     list(table.lines))
    sources, references, lines = [], [], []
    for number, line in enumerate(read_text(path, encoding).splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise DataError(f"{path} line {number}: {len(fields)} tab-separated fields; a line "
                            f"is source TAB target")
        source, target = (f.strip() for f in fields)
        if not source or not target:
            raise DataError(f"{path} line {number}: an empty {'source' if not source else 'target'}")
        sources.append(source)
        references.append([target])
        lines.append(number)
    if not sources:
        raise DataError(f"{path}: no pairs (blank lines only)")
    return Pairs(sources, references, path, lines)


def read_sources(path: str, stdin_text: str | None, encoding: str = "utf-8") -> tuple[list[str], str]:
    """The lines to translate: of a file, or of `stdin_text` when `path` is "-"; blank lines are
    kept (they translate to blank lines), but there must be some text."""
    text = stdin_text if path == "-" else read_text(path, encoding)
    lines = (text or "").splitlines()
    if not any(line.strip() for line in lines):
        raise DataError(f"{'stdin' if path == '-' else path}: nothing to translate")
    return [line.strip() for line in lines], "stdin" if path == "-" else path
