"""Property-based fuzzing of every reader: whatever the bytes, the answer is a valid result or
one of rnnkit's own user-facing errors, never another exception."""

import json
import tempfile
from pathlib import Path

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save_file

from rnnkit.config import load_config
from rnnkit.data.conll import read_conll
from rnnkit.data.series import read_ts
from rnnkit.data.tables import read_table
from rnnkit.data.text import read_text
from rnnkit.data.timeseries import read_series
from rnnkit.errors import UserError
from rnnkit.tasks.lm.spec import LMConfig
from rnnkit.train.checkpoint import load_checkpoint

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# text that looks like the formats: their punctuation, numbers, words, odd characters
PIECES = st.sampled_from([",", "\t", "\n", ":", "@data", "@classLabel", " true", " a b", "?",
                          "text", "label", "1", "-2.5", "nan", "inf", "1e400", "\ufeff", '"',
                          "{", "}", "[", "]", '"k": ', "B-PER", "O", "=", "hidden_size", "\x00"])
SHAPED = st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=40).map("".join)
RAW = st.one_of(st.binary(max_size=200), SHAPED.map(lambda t: t.encode("utf-8", "surrogatepass")))


def written(suffix: str, content: bytes) -> Path:
    folder = Path(tempfile.mkdtemp())
    path = folder / f"fuzz{suffix}"
    path.write_bytes(content)
    return path


def clear_error_or_result(read):
    try:
        return read()
    except UserError as error:
        assert "\n" not in str(error) and str(error)  # one line that says something
        return None


@FUZZ
@given(content=RAW, encoding=st.sampled_from(["utf-8", "latin-1", "utf-16", "rot13", "nope"]))
def test_text(content, encoding):
    result = clear_error_or_result(lambda: read_text(written(".txt", content), encoding))
    assert result is None or isinstance(result, str)


@FUZZ
@given(content=RAW, suffix=st.sampled_from([".csv", ".tsv", ".jsonl"]))
def test_tables(content, suffix):
    table = clear_error_or_result(lambda: read_table(written(suffix, content)))
    if table is not None:
        assert len(table.rows) == len(table.lines) > 0
        clear_error_or_result(lambda: table.column("text"))
        clear_error_or_result(lambda: read_series(table, table.columns[0], table.columns[-1:]))


@FUZZ
@given(content=RAW, tagged=st.booleans())
def test_conll(content, tagged):
    sentences = clear_error_or_result(lambda: read_conll(written(".conll", content), tagged))
    if sentences is not None:
        assert all(len(s.tokens) == len(s.extra) for s in sentences)


@FUZZ
@given(content=RAW)
def test_ts(content):
    result = clear_error_or_result(lambda: read_ts(written(".ts", content)))
    if result is not None:
        series, labels, _ = result
        assert series and all(torch.isfinite(s).all() for s in series)
        assert not labels or all(labels)


@FUZZ
@given(content=RAW)
def test_toml_config(content):
    config = clear_error_or_result(lambda: load_config(LMConfig, written(".toml", content)))
    assert config is None or isinstance(config, LMConfig)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
META = st.one_of(JSON, st.fixed_dictionaries(
    {"format": st.just("rnnkit-checkpoint"), "config": JSON, "task": JSON},
    optional={"aliases": JSON, "progress": JSON}))


@FUZZ
@given(meta=META)
def test_checkpoint_metadata(meta):
    path = written(".safetensors", b"")
    save_file({"model.x": torch.zeros(2)}, str(path), metadata={"meta": json.dumps(meta)})
    loaded = clear_error_or_result(lambda: load_checkpoint(path))
    if loaded is not None:
        tensors, loaded_meta = loaded
        assert isinstance(loaded_meta["config"], dict) and "model.x" in tensors
