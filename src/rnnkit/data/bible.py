"""The verse-aligned Spanish Reina-Valera 1909 and English King James Bible, read from the SWORD
modules of Debian's `sword-text-sparv` and `sword-text-kjv` packages (public domain).

A small reader of SWORD's zText format: per testament, `.bzs` lists the compressed blocks
(offset, size, uncompressed size: three little-endian uint32), `.bzv` lists every entry of the
versification (block, offset in the block: uint32; size: uint16) and `.bzz` holds the
zlib-compressed blocks, one book per block. Both modules use the KJV versification, so entry i
of one is entry i of the other: verses align by position. The OSIS markup is removed (notes and
titles with their text, other tags kept as their text).
"""

from __future__ import annotations

import html
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from rnnkit.errors import DataError

FOLDERS = (Path("/usr/share/sword"), Path.home() / ".sword")
MODULES = {"es": ("spaRV1909eb", "sword-text-sparv"), "en": ("engKJV2006eb", "sword-text-kjv")}
# held-out books (OSIS names): never seen in training
VALID_BOOKS = ("Esth", "Mic", "Titus")
TEST_BOOKS = ("Ruth", "Jonah", "Mark", "Phil", "Jas")

_DROPPED = re.compile(r"<(note|title)\b[^>]*>.*?</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_BOOK = re.compile(r'osisID="([^".]+)"[^>]*type="book"|type="book"[^>]*osisID="([^".]+)"')


@dataclass(frozen=True)
class Verse:
    book: str  # OSIS name: Gen, Exod, ... Rev
    text: str


def module_folder(language: str, roots: tuple = FOLDERS) -> Path:
    name, package = MODULES[language]
    for root in roots:
        folder = root / "modules" / "texts" / "ztext" / name
        if folder.is_dir():
            return folder
    raise DataError(f"the bundled bible-es-en needs Debian's sword-text-sparv and sword-text-kjv "
                    f"packages ({package} is missing): apt-get install sword-text-sparv "
                    f"sword-text-kjv")


def plain_text(markup: str) -> str:
    """OSIS markup of one entry -> its text, notes and titles removed, spaces collapsed."""
    text = _TAG.sub("", _DROPPED.sub("", markup))
    return " ".join(html.unescape(text).split())


def read_testament(folder: Path, testament: str) -> list[Verse | None]:
    """Every entry of one testament in versification order: a Verse, or None for headings and
    empty entries."""
    try:
        blocks_raw = (folder / f"{testament}.bzs").read_bytes()
        index_raw = (folder / f"{testament}.bzv").read_bytes()
        data = (folder / f"{testament}.bzz").read_bytes()
    except OSError as error:
        raise DataError(f"{folder}: cannot read the SWORD module ({error.strerror})") from None
    blocks = [struct.unpack_from("<III", blocks_raw, i) for i in range(0, len(blocks_raw) - 11, 12)]
    cache: dict[int, bytes] = {}
    entries: list[Verse | None] = []
    book = ""
    for i in range(0, len(index_raw) - 9, 10):
        block, offset, size = struct.unpack_from("<IIH", index_raw, i)
        if size == 0 or block >= len(blocks):
            entries.append(None)
            continue
        if block not in cache:
            start, length, _ = blocks[block]
            try:
                cache[block] = zlib.decompress(data[start : start + length])
            except zlib.error:
                raise DataError(f"{folder}: block {block} of {testament}.bzz is damaged") from None
        markup = cache[block][offset : offset + size].decode("utf-8", errors="replace")
        named = _BOOK.search(markup)
        if named:
            book = named.group(1) or named.group(2)
            entries.append(None)  # the book's heading
            continue
        text = plain_text(markup)
        entries.append(Verse(book, text) if text and book else None)
    return entries


def load_bible_pairs(roots: tuple = FOLDERS) -> dict[str, list[tuple[str, str]]]:
    """{"train", "valid", "test"}: (Spanish, English) verse pairs, split by book; the SWORD
    modules are looked for under `roots` (Debian's folder, then ~/.sword)."""
    spanish, english = module_folder("es", roots), module_folder("en", roots)
    splits: dict[str, list[tuple[str, str]]] = {"train": [], "valid": [], "test": []}
    for testament in ("ot", "nt"):
        for es, en in zip(read_testament(spanish, testament), read_testament(english, testament)):
            if es is None or en is None:
                continue
            part = "test" if en.book in TEST_BOOKS else "valid" if en.book in VALID_BOOKS else "train"
            splits[part].append((es.text, en.text))
    if not splits["train"]:
        raise DataError(f"{spanish}: no verses could be read")
    return splits
