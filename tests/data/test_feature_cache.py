"""The feature cache: a key changes with any setting and with any file's content, place or
time; what is stored comes back exactly; a damaged entry or an unwritable folder never stops
a run."""

import os

import pytest
import torch

from rnnkit.data.feature_cache import FeatureCache, cache_key


@pytest.fixture
def files(tmp_path):
    paths = [tmp_path / f"{i}.wav" for i in range(3)]
    for i, path in enumerate(paths):
        path.write_bytes(bytes([i]) * 100)
    return paths


def test_a_key_changes_with_settings_files_and_their_order_only(files):
    key = cache_key({"n_mels": 80}, files)
    assert key == cache_key({"n_mels": 80}, list(files))
    assert key != cache_key({"n_mels": 40}, files)
    assert key != cache_key({"n_mels": 80}, files[::-1])
    assert key != cache_key({"n_mels": 80}, files[:2])
    stat = files[0].stat()
    os.utime(files[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert key != cache_key({"n_mels": 80}, files)
    changed = cache_key({"n_mels": 80}, files)
    moved = files[1].with_name("moved.wav")
    files[1].rename(moved)
    assert cache_key({"n_mels": 80}, [files[0], moved, files[2]]) != changed


def test_what_is_stored_comes_back_exactly(tmp_path):
    cache = FeatureCache(tmp_path / "features")
    groups = {"speed-0.9": [torch.randn(5, 4), torch.randn(1, 4)], "speed-1.0": [torch.randn(7, 4)]}
    assert cache.load("k") is None
    cache.save("k", groups)
    back = cache.load("k")
    assert back.keys() == groups.keys()
    for name in groups:
        assert len(back[name]) == len(groups[name])
        for a, b in zip(back[name], groups[name]):
            assert torch.equal(a, b)


def test_a_damaged_entry_is_read_as_missing(tmp_path):
    cache = FeatureCache(tmp_path)
    cache.save("k", {"speed-1.0": [torch.randn(5, 4)]})
    data = cache.path("k").read_bytes()
    cache.path("k").write_bytes(data[: len(data) // 2])
    assert cache.load("k") is None
    cache.path("k").write_bytes(b"not a safetensors file at all")
    assert cache.load("k") is None


def test_an_unwritable_folder_leaves_the_run_going(tmp_path):
    (tmp_path / "file").write_text("a file where the folder would be")
    cache = FeatureCache(tmp_path / "file" / "features")
    cache.save("k", {"speed-1.0": [torch.randn(2, 3)]})  # no exception
    assert cache.load("k") is None
