"""The SWORD zText reader, against modules written here entry by entry, and (where Debian's
packages are installed) the real verse-aligned Bible."""

import struct
import zlib

import pytest

from rnnkit.data.bible import MODULES, TEST_BOOKS, load_bible_pairs, plain_text, read_testament
from rnnkit.errors import DataError


def write_module(folder, testament, books):
    """A zText testament: `books` [(osis name, [verse markup, ...])], one block per book,
    entries: module heading, testament heading, then per book its heading, a chapter heading
    and the verses."""
    folder.mkdir(parents=True, exist_ok=True)
    blocks, index = [], [(0, 0, 0), (0, 0, 0)]
    for b, (name, verses) in enumerate(books):
        entries = [f'<div osisID="{name}" type="book"/><title>The book of {name}</title>',
                   f'<chapter n="1" osisID="{name}.1"/>', *verses]
        raw, offsets = b"", []
        for entry in entries:
            data = entry.encode()
            offsets.append((b, len(raw), len(data)))
            raw += data
        blocks.append(raw)
        index += offsets
    bzz, bzs = b"", b""
    for raw in blocks:
        packed = zlib.compress(raw)
        bzs += struct.pack("<III", len(bzz), len(packed), len(raw))
        bzz += packed
    (folder / f"{testament}.bzs").write_bytes(bzs)
    (folder / f"{testament}.bzv").write_bytes(b"".join(struct.pack("<IIH", *e) for e in index))
    (folder / f"{testament}.bzz").write_bytes(bzz)


def test_markup_is_removed_with_notes_and_titles():
    assert plain_text('<w lemma="x">In the</w> <w>beginning</w><note>a note</note>, God'
                      ' &amp; <title>Psalm</title>earth.') == "In the beginning, God & earth."


def test_verses_align_by_position_and_split_by_book(tmp_path):
    spanish = [("Gen", ["<w>En el</w> principio", "Y la tierra"]),
               ("Ruth", ["Y aconteció", ""])]
    english = [("Gen", ["<w>In the</w> beginning", "And the earth"]),
               ("Ruth", ["Now it came to pass", "An empty Spanish verse is skipped"])]
    for language, books in (("es", spanish), ("en", english)):
        folder = tmp_path / "modules" / "texts" / "ztext" / MODULES[language][0]
        write_module(folder, "ot", books)
        write_module(folder, "nt", [("Mark", [f"{language} verse"])])
    entries = read_testament(tmp_path / "modules/texts/ztext" / MODULES["en"][0], "ot")
    assert [(v.book, v.text) for v in entries if v] == [
        ("Gen", "In the beginning"), ("Gen", "And the earth"), ("Ruth", "Now it came to pass"),
        ("Ruth", "An empty Spanish verse is skipped")]
    splits = load_bible_pairs(roots=(tmp_path,))
    assert splits["train"] == [("En el principio", "In the beginning"),
                               ("Y la tierra", "And the earth")]
    assert splits["test"] == [("Y aconteció", "Now it came to pass"), ("es verse", "en verse")]
    assert "Ruth" in TEST_BOOKS and "Mark" in TEST_BOOKS


def test_missing_modules_name_the_debian_packages(tmp_path):
    with pytest.raises(DataError, match="apt-get install sword-text-sparv sword-text-kjv"):
        load_bible_pairs(roots=(tmp_path,))


def test_the_installed_bible_has_its_verses():
    try:
        splits = load_bible_pairs()
    except DataError as error:
        pytest.skip(str(error))
    assert len(splits["train"]) > 25_000 and len(splits["test"]) > 500
    assert ("En el principio crió Dios los cielos y la tierra.".lower()
            in splits["train"][0][0].lower())
    assert splits["train"][0][1].startswith("In the beginning God created the heaven")
