import pytest
import torch

from rnnkit.data import DataError, StreamBatches, Vocabulary, batchify, load_documents, read_text
from rnnkit.data.batching import concatenate
from rnnkit.data.shakespeare import markdown_to_script


def test_vocab_round_trip_char_and_word(tmp_path):
    text = "To be, or not to be: that is the question.\nWhether 'tis nobler"
    for level in ("char", "word"):
        vocab = Vocabulary.build([text], level)
        again = Vocabulary.from_json(vocab.to_json())
        assert again == vocab and again.tokens[0] == vocab.tokens[0]
        ids = vocab.encode(text)
        assert 0 not in ids
        decoded = vocab.decode(ids)
        assert decoded == text if level == "char" else vocab.encode(decoded) == ids
    vocab = Vocabulary.build([text], "char")
    assert vocab.encode("Z") == [0]
    with pytest.raises(DataError, match="'Z'"):
        vocab.encode("Zebra", strict=True)


def test_word_vocab_limit_keeps_most_frequent():
    vocab = Vocabulary.build(["a a a b b c"], "word", max_size=3)
    assert vocab.tokens == ["<unk>", "a", "b"]
    assert vocab.encode("c a") == [0, 1]


def test_batchify_layout_and_windows():
    ids = torch.arange(11)
    assert batchify(ids, 2).tolist() == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    starts = torch.zeros(11, dtype=torch.bool)
    starts[7] = True
    batches = StreamBatches(ids, starts, batch_size=2, bptt=3)
    assert len(batches) == 2
    x, y, resets = batches.window(0)
    assert x.tolist() == [[0, 1, 2], [5, 6, 7]] and y.tolist() == [[1, 2, 3], [6, 7, 8]]
    assert resets.tolist() == [[False] * 3, [False, False, True]]
    x, y, _ = batches.window(1)
    assert x.tolist() == [[3], [8]] and y.tolist() == [[4], [9]]


def test_concatenate_marks_document_starts():
    ids, starts = concatenate([[1, 2], [3], [4, 5]])
    assert ids.tolist() == [1, 2, 3, 4, 5]
    assert starts.tolist() == [False, False, True, True, False]


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


def test_markdown_play_becomes_script_text():
    markdown = ("# A Play\n\n## ACT I\n\n_Enter ROMEO and\nJULIET_\n\n**ROMEO**  \nBut soft!  \n"
                "_\\[Aside]_  \nWhat light?\n\n**JULIET**  \nAy me.\n")
    assert markdown_to_script(markdown) == "ROMEO:\nBut soft!\nWhat light?\n\nJULIET:\nAy me.\n"
