"""Reading the user's text: files, folders of files, bundled datasets; bad input named clearly."""

from __future__ import annotations

import codecs
from pathlib import Path

from rnnkit.errors import DataError


def read_text(path: str | Path, encoding: str = "utf-8") -> str:
    """The text of one file; DataError if it is missing, empty, binary or not in `encoding`."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if not path.is_file():
        raise DataError(f"{path}: not a regular file")
    check_encoding(encoding)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror})") from None
    if not raw.strip():
        raise DataError(f"{path}: the file is empty")
    return decode_text(raw, str(path), encoding)


def check_encoding(encoding: str) -> None:
    try:
        codec = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        codec = None
    if codec is None or not getattr(codec, "_is_text_encoding", True):
        raise DataError(f"{encoding!r} is not a text encoding (try utf-8, latin-1, cp1252)")


def decode_text(raw: bytes, source: str, encoding: str = "utf-8") -> str:
    """`raw` bytes (of a file, or of standard input: `source` names it) as text; DataError if
    they look binary or are not valid `encoding`."""
    check_encoding(encoding)
    codec = codecs.lookup(encoding)
    decoding = "utf-8-sig" if codec.name == "utf-8" else encoding  # a byte-order mark is not text
    nul = raw.find(b"\x00")
    if nul >= 0 and not encoding.lower().replace("-", "").startswith("utf16"):
        raise DataError(f"{source}: looks binary (a NUL byte at offset {nul}); give a text file")
    try:
        return raw.decode(decoding)
    except UnicodeDecodeError as error:
        bad = raw[error.start]
        raise DataError(
            f"{source}: not valid {encoding}: byte 0x{bad:02x} at offset {error.start}; "
            f"pass --encoding (e.g. --encoding latin-1) if the text uses another encoding"
        ) from None


def load_documents(source: str | Path, encoding: str = "utf-8") -> list[str]:
    """A file gives one document; a folder gives one per regular file in it, sorted by name.

    Hidden files are skipped. A folder with no readable text is an error.
    """
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        if not files:
            raise DataError(f"{path}: the folder has no files")
        return [read_text(file, encoding) for file in files]
    return [read_text(path, encoding)]


def read_lines(source: str, stdin_text: str | None, what: str) -> list[str]:
    """The non-blank lines of a file, or of the text read from stdin (source "-"), stripped;
    DataError if there are none."""
    text = (stdin_text or "") if source == "-" else read_text(source)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise DataError(f"{'stdin' if source == '-' else source}: no {what} to read")
    return lines
