"""The study's journal: a record a crash cut short is cut off, whole records are kept."""

from rnnkit.search.journal import mend_journal


def test_a_torn_last_record_is_cut_and_whole_ones_kept(tmp_path):
    path = tmp_path / "study.log"
    whole = b'{"op": 0}\n{"op": 1}\n'
    path.write_bytes(whole + b'{"op": 2, "tri')
    assert mend_journal(path) == len(b'{"op": 2, "tri')
    assert path.read_bytes() == whole
    assert mend_journal(path) == 0 and path.read_bytes() == whole


def test_a_missing_or_wholly_torn_journal(tmp_path):
    assert mend_journal(tmp_path / "none.log") == 0
    path = tmp_path / "study.log"
    path.write_bytes(b'{"op"')
    assert mend_journal(path) == 5 and path.read_bytes() == b""
