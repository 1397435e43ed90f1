"""Reading the user's text: every bad file is one named error."""


import pytest

from rnnkit.data import DataError, load_documents, read_text


@pytest.mark.parametrize("content, match", [
    (b"", "empty"),
    (b"  \n ", "empty"),
    (b"abc\x00def", "binary"),
    (b"caf\xe9 au lait", r"byte 0xe9 at offset 3.*--encoding"),
])
def test_bad_text_files_are_named(tmp_path, content, match):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=match):
        read_text(path)


def test_missing_path_and_other_encoding(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_documents(tmp_path / "nope.txt")
    path = tmp_path / "latin.txt"
    path.write_bytes(b"caf\xe9")
    assert read_text(path, "latin-1") == "café"
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "b.txt").write_text("second")
    (folder / "a.txt").write_text("first")
    assert load_documents(folder) == ["first", "second"]
