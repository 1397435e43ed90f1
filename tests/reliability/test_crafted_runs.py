"""A run of every task reopened from a checkpoint whose metadata was tampered with (hypothesis
drops or replaces any field of its task metadata or config with any JSON value): the run
opens, or the answer is one of rnnkit's own errors; never another exception, and nothing is
allocated that the file does not hold."""

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.torch import save_file

from helpers import tiny_task_data
from rnnkit.errors import UserError
from rnnkit.run import open_run, train

FAST = {"max_steps": 2, "eval_every": 2, "device": "cpu", "hidden_size": 8, "batch_size": 4}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory, spoken):
    """task -> (tensors, meta) of a tiny trained run's best checkpoint."""
    root = tmp_path_factory.mktemp("crafted")
    data = tiny_task_data(root)
    runs = {
        "lm": ({"data": str(data.text), "embedding_size": 6, "bptt": 10, "ngram_order": 0}, None),
        "classify": ({"embedding_size": 6}, {"train": (data.texts, data.labels)}),
        "tag": ({"data": str(data.conll), "word_embedding_size": 6, "char_hidden_size": 4}, None),
        "forecast": ({"data": str(data.series), "time_column": "t", "target": "y",
                      "lookback": 12, "horizon": 4}, None),
        "seq2seq": ({"data": str(data.pairs), "embedding_size": 6, "eval_sentences": 4,
                     "beam": 1}, None),
        "adding": ({"seq_len": 10, "valid_size": 8}, None),
        "asr": ({"data": str(spoken / "train.csv"), "valid": str(spoken / "valid.csv"),
                 "num_layers": 1, "n_mels": 16, "eval_utterances": 2, "beam": 1, "lm_order": 0,
                 "bidirectional": False, "normalise": "global"}, None),
    }
    found = {}
    for task, (config, supplied) in runs.items():
        out = root / task
        train(task, {**config, **FAST, "out": str(out)}, data=supplied)
        with safe_open(str(out / "best.safetensors"), framework="pt") as handle:
            found[task] = ({k: handle.get_tensor(k) for k in handle.keys()},
                           json.loads(handle.metadata()["meta"]))
    return found


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
REMOVE = object()


def paths(value, prefix=()):
    """Every key path of a JSON value's objects (lists entered at their first item)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list) and value:
        yield (*prefix, 0)
        yield from paths(value[0], (*prefix, 0))


def changed(meta, path, value):
    meta = json.loads(json.dumps(meta))
    holder = meta
    for key in path[:-1]:
        holder = holder[key]
    if value is REMOVE and isinstance(holder, dict):
        del holder[path[-1]]
    elif value is not REMOVE:
        holder[path[-1]] = value
    return meta


TASKS = ("lm", "classify", "tag", "forecast", "seq2seq", "adding", "asr")


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_tampered_metadata_opens_or_is_one_users_error(checkpoints, data):
    task = data.draw(st.sampled_from(TASKS))
    tensors, meta = checkpoints[task]
    where = sorted(set(paths({"task": meta["task"], "config": meta["config"]})), key=repr)
    path = data.draw(st.sampled_from(where))
    value = data.draw(st.one_of(st.just(REMOVE), JSON))
    folder = Path(tempfile.mkdtemp())
    save_file(tensors, str(folder / "best.safetensors"),
              metadata={"meta": json.dumps(changed(meta, path, value))})
    try:
        run = open_run(folder, "best", "cpu")
    except UserError as error:
        assert str(error) and "\n" not in str(error)
    else:
        assert run.name == task
