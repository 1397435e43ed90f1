"""Atomic writes: the file is the old one or the new one, never half; nothing is left behind."""

import json

import pytest

from rnnkit.files import TEMPORARY_PREFIX, write_atomic, write_json, write_json_lines


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "kept.json"
    write_json(path, {"version": 1})

    def half(temporary):
        with open(temporary, "w") as file:
            file.write('{"version": 2, "tru')
        raise OSError("the disk is full")

    with pytest.raises(OSError, match="disk is full"):
        write_atomic(path, half)
    assert json.loads(path.read_text()) == {"version": 1}
    assert not list(tmp_path.glob(TEMPORARY_PREFIX + "*"))


def test_json_and_json_lines_round_trip_into_new_folders(tmp_path):
    write_json(tmp_path / "a" / "b.json", {"x": [1, 2]})
    assert json.loads((tmp_path / "a" / "b.json").read_text()) == {"x": [1, 2]}
    write_json_lines(tmp_path / "log.jsonl", ['{"step": 1}', '{"step": 2}'])
    assert (tmp_path / "log.jsonl").read_text() == '{"step": 1}\n{"step": 2}\n'
    assert oct((tmp_path / "log.jsonl").stat().st_mode & 0o777) == "0o644"
