"""The hostile battery against the surfaces added last (issue 29): export, search, prune,
speech and image files, crafted checkpoints, numeric flags. Each bad input is one error line
and exit code 2 (never a traceback); nothing of the user's is lost."""

import io
import json
import struct

import numpy as np
import pytest
import soundfile
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from helpers import TINY_LM, hashes, one_error_line, run_cli


def expect_error(capsys, args, expected, stdin=None, monkeypatch=None):
    code, _, err = run_cli(args, capsys, stdin=stdin, monkeypatch=monkeypatch)
    assert code == 2 and expected in one_error_line(err), err
    return err


def craft(path, change):
    with safe_open(str(path), framework="pt") as handle:
        tensors = {k: handle.get_tensor(k) for k in handle.keys()}
        meta = json.loads(handle.metadata()["meta"])
    change(tensors, meta)
    save_file(tensors, str(path), metadata={"meta": json.dumps(meta)})


def both(run, change):
    for name in ("best.safetensors", "last.safetensors"):
        craft(run / name, change)


# ---------------------------------------------------------------- export

def test_export_refuses_a_graph_file_that_the_description_would_replace(run_copy, tmp_path,
                                                                       capsys):
    run, _ = run_copy
    expect_error(capsys, ["export", run, "-o", tmp_path / "model.json"], "the same file as a graph")
    assert list(tmp_path.glob("model*")) == []


def test_export_of_diverged_weights_is_one_line(run_copy, tmp_path, capsys):
    run, _ = run_copy

    def poison(tensors, meta):
        name = next(k for k in tensors if k.startswith("model.") and "weight_hh" in k)
        tensors[name][0, 0] = float("nan")

    both(run, poison)
    expect_error(capsys, ["export", run, "-o", tmp_path / "m.onnx"], "holds NaN or infinity")


def test_torchscript_export_of_a_single_output_model(tmp_path, capsys):
    """A model with one output (the adding problem's regression) traces and passes parity."""
    out = tmp_path / "adding"
    assert run_cli(["train", "adding", "--hidden-size", "8", "--seq-len", "10", "--max-steps", "3",
                    "--eval-every", "3", "--device", "cpu", "--out", out], capsys)[0] == 0
    code, stdout, err = run_cli(["export", out, "--to", "torchscript", "-o",
                                 tmp_path / "adding.pt"], capsys)
    assert code == 0 and "Traceback" not in err and (tmp_path / "adding.pt").is_file()
    assert json.loads((tmp_path / "adding.json").read_text())["max_error"] < 1e-4


# ---------------------------------------------------------------- crafted checkpoints

def hidden_overflowing(tensors, meta):
    meta["config"]["hidden_size"] = 10**9


def without_vocabulary(tensors, meta):
    meta["task"].pop("vocab")


def vocabulary_of_another_type(tensors, meta):
    meta["task"]["vocab"] = 5


@pytest.mark.parametrize("change, expected", [
    (hidden_overflowing, "larger than a tensor can address"),
    (without_vocabulary, "its task metadata is damaged"),
    (vocabulary_of_another_type, "its task metadata is damaged"),
])
def test_crafted_metadata_is_one_line(run_copy, capsys, change, expected):
    run, _ = run_copy
    both(run, change)
    before = hashes(run)
    expect_error(capsys, ["generate", run, "--length", "5"], expected)
    assert hashes(run) == before


def test_a_carried_state_of_the_wrong_shape_cannot_be_resumed(run_copy, capsys, monkeypatch):
    run, text = run_copy

    def wrong_state(tensors, meta):
        for name in [k for k in tensors if k.startswith("state.")]:
            tensors[name] = torch.zeros(3, 3)

    craft(run / "last.safetensors", wrong_state)
    before = hashes(run)
    monkeypatch.chdir(run.parent)
    expect_error(capsys, ["train", "lm", "--data", text, *TINY_LM, "--max-steps", "8", "--out", run,
                          "--resume"], "carried recurrent state has shapes")
    assert hashes(run) == before


def test_tensors_declared_beyond_the_file_or_memory_are_refused_before_reading(run_copy, capsys,
                                                                              monkeypatch):
    from rnnkit.train import checkpoint

    run, _ = run_copy
    monkeypatch.setattr(checkpoint, "available_bytes", lambda: 1000)  # a tight memory limit
    expect_error(capsys, ["generate", run, "--length", "5"], "of memory; this machine has")


# ---------------------------------------------------------------- numeric flags

@pytest.mark.parametrize("args, expected", [
    (["generate", "RUN", "--seed", str(2**64)], "argument --seed: must be from 0 to"),
    (["generate", "RUN", "--seed", "-1"], "argument --seed: must be from 0 to"),
    (["transcribe", "RUN", "x.wav", "--beam", "100000"], "argument --beam: must be <= 256"),
    (["transcribe", "RUN", "x.wav", "--stream", "--chunk-ms", "inf"], "must be a finite number"),
    (["transcribe", "RUN", "x.wav", "--lm-weight", "nan"], "must be a finite number"),
    (["transcribe", "RUN", "x.wav", "--lm-weight", "inf"], "must be a finite number"),
    (["transcribe", "RUN", "x.wav", "--lm-bonus", "nan"], "must be a finite number"),
    (["translate", "RUN", "--beam", "100000"], "argument --beam: must be <= 256"),
    (["serve", "RUN", "--timeout", "nan"], "must be a finite number"),
    (["train", "lm", "--seed", str(2**70)], "seed must be <="),
    (["train", "lm", "--max-steps", str(2**70)], "max_steps must be within"),
    (["generate", "RUN", "--length", "abc"], "invalid int value"),
])
def test_numeric_flags_are_checked_in_one_line(run_copy, capsys, args, expected):
    run, _ = run_copy
    expect_error(capsys, [str(run) if a == "RUN" else a for a in args], expected)


def test_the_python_api_refuses_a_seed_past_64_bits(run_copy):
    from rnnkit.errors import ConfigError
    from rnnkit.run import open_run

    run, _ = run_copy
    with pytest.raises(ConfigError, match="--seed must be in"):
        open_run(run).generate("", 5, seed=2**64)


@pytest.mark.parametrize("raw", [b"caf\xe9 au lait\n", b"\x00\x01\x02binary"])
def test_bytes_that_are_not_utf8_on_standard_input(run_copy, capsys, monkeypatch, raw):
    run, _ = run_copy

    class Stdin(io.TextIOWrapper):
        pass

    monkeypatch.setattr("sys.stdin", Stdin(io.BytesIO(raw)))
    code, _, err = run_cli(["translate", run], capsys)
    line = one_error_line(err)
    assert code == 2 and "standard input" in line and ("not valid utf-8" in line or "binary" in line)


# ---------------------------------------------------------------- audio and images

def wav_bytes(rate: int, samples: int) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, 0.5 * np.sin(np.arange(samples) / 5.0), 16000, format="WAV",
                    subtype="PCM_16")
    data = bytearray(buffer.getvalue())
    data[24:28] = struct.pack("<I", rate)
    data[28:32] = struct.pack("<I", (rate * 2) & 0xFFFFFFFF)
    return bytes(data)


@pytest.mark.parametrize("rate, samples, expected", [
    (200_000_000, 1600, "is too high"),
    (2**31 - 1, 1600, "is too high"),
    (16000, 1, "give at least 20 ms"),
])
def test_wav_headers_are_checked_before_the_samples_are_read(tmp_path, rate, samples, expected):
    from rnnkit.data.audio import read_wav
    from rnnkit.errors import DataError

    path = tmp_path / "x.wav"
    path.write_bytes(wav_bytes(rate, samples))
    with pytest.raises(DataError, match=expected):
        read_wav(path)


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels (its data is a few bytes)."""
    import zlib

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) \
        + chunk(b"IEND", b"")


@pytest.mark.parametrize("size, expected", [(10_000, "10000 x 10000 pixels"),
                                            (100_000, "not an image Pillow can read")])
def test_an_image_claiming_a_huge_size_is_refused_before_decoding(tmp_path, size, expected):
    from rnnkit.errors import DataError
    from rnnkit.tasks.caption.data import read_image

    path = tmp_path / "huge.png"
    path.write_bytes(png_header(size, size))
    with pytest.raises(DataError, match=expected):
        read_image(path)


def test_caption_train_size_beyond_memory(tmp_path, capsys):
    expect_error(capsys, ["train", "caption", "--train-size", str(10**9), "--out", tmp_path / "c"],
                 "this machine has")
    assert not (tmp_path / "c").exists()


# ---------------------------------------------------------------- prune

def test_prune_steps_zero_is_refused(run_copy, tmp_path, capsys):
    run, _ = run_copy
    expect_error(capsys, ["prune", run, "--sparsity", "0.5", "--steps", "0", "--out",
                          tmp_path / "p"], "--steps must be a whole number >= 1")
    assert not (tmp_path / "p").exists()


def test_prune_of_diverged_weights_names_the_source(run_copy, tmp_path, capsys):
    run, _ = run_copy

    def poison(tensors, meta):
        name = next(k for k in tensors if k.startswith("model.") and "weight_hh" in k)
        tensors[name][0, 0] = float("inf")

    craft(run / "best.safetensors", poison)
    err = expect_error(capsys, ["prune", run, "--sparsity", "0.5", "--steps", "2", "--out",
                                tmp_path / "p"], "holds NaN or infinity")
    assert str(run / "best.safetensors") in err


def test_a_tagger_can_be_pruned(tmp_path, capsys):
    conll = tmp_path / "train.conll"
    conll.write_text("John B-PER\nlives O\nin O\nParis B-LOC\n\nMary B-PER\nwent O\nhome O\n\n" * 20)
    assert run_cli(["train", "tag", "--data", conll, "--hidden-size", "8", "--max-steps", "3",
                    "--eval-every", "3", "--device", "cpu", "--out", tmp_path / "tag"], capsys)[0] == 0
    code, out, err = run_cli(["prune", tmp_path / "tag", "--sparsity", "0.5", "--steps", "3",
                              "--out", tmp_path / "pruned"], capsys)
    assert code == 0 and "Traceback" not in err and "pruning" in out


# ---------------------------------------------------------------- runs, configs, data

def test_the_temporary_file_safetensors_leaves_is_removed_on_resume(run_copy, capsys, monkeypatch):
    run, text = run_copy
    left = run / ".tmpAb3dE9"
    left.write_bytes(b"\0" * 1000)
    monkeypatch.chdir(run.parent)
    code, _, err = run_cli(["train", "lm", "--data", text, *TINY_LM, "--max-steps", "8", "--out",
                            run, "--resume"], capsys)
    assert code == 0, err
    assert not left.exists()


def test_a_key_given_twice_names_both_spellings(tmp_path):
    from rnnkit.config import read_toml
    from rnnkit.errors import ConfigError

    path = tmp_path / "c.toml"
    path.write_text("hidden-size = 4\nhidden_size = 8\n")
    with pytest.raises(ConfigError, match="as hidden-size and hidden_size"):
        read_toml(path)


def test_an_unlabelled_ts_file_says_it_holds_no_labels(tmp_path, capsys):
    ts = tmp_path / "x.ts"
    ts.write_text("@problemName x\n@timeStamps false\n@univariate true\n@classLabel false\n@data\n"
                  + "".join(f"{i},{i + 1},{i + 2},{i + 3}\n" for i in range(20)))
    expect_error(capsys, ["train", "classify", "--data", ts, "--out", tmp_path / "r"],
                 "holds no labels")


def test_library_warnings_do_not_stand_beside_the_error_line(run_copy, capsys, monkeypatch):
    import warnings

    from rnnkit.cli import generate
    from rnnkit.errors import UserError

    def noisy(args):
        warnings.warn("a library's deprecation", DeprecationWarning, stacklevel=1)
        warnings.warn("a library's notice", UserWarning, stacklevel=1)
        raise UserError("the one thing wrong")

    monkeypatch.setattr(generate, "run", noisy)
    run, _ = run_copy
    code, _, err = run_cli(["generate", run], capsys)
    assert code == 2 and one_error_line(err).endswith("the one thing wrong")


# ---------------------------------------------------------------- search

SEARCH = ["--seq-len", "10", "--hidden-size", "8", "--batch-size", "8", "--valid-size", "32",
          "--steps-per-epoch", "10", "--epochs", "1", "--eval-every", "5", "--device", "cpu",
          "--sampler", "random", "--pruner", "none"]


def searched(tmp_path, capsys, trials=2, space="hidden_size = [4, 8]\n", *extra):
    path = tmp_path / "space.toml"
    path.write_text(space)
    return run_cli(["search", "adding", "--space", path, "--trials", trials, "--out",
                    tmp_path / "s", *SEARCH, *extra], capsys)


def test_a_torn_last_journal_record_is_dropped_with_one_warning(tmp_path, capsys):
    assert searched(tmp_path, capsys)[0] == 0
    journal = tmp_path / "s" / "study.log"
    whole = journal.read_bytes()
    journal.write_bytes(whole + whole.splitlines(keepends=True)[-1][:25])  # a write cut short
    code, out, err = searched(tmp_path, capsys, 3)
    assert code == 0 and "Traceback" not in err, err
    assert [line for line in err.splitlines() if "warning" in line] == [
        line for line in err.splitlines() if "its last record was cut short" in line] != []
    assert "trial 2: complete" in out and "done: 3 complete" in out  # the two of before kept
    code, out, err = run_cli(["search", "show", tmp_path / "s", "--format", "json"], capsys)
    assert code == 0 and len(json.loads(out)["trials"]) == 3


@pytest.mark.parametrize("space, expected", [
    ("hidden_size = { int = [1, 4000000000] }", "a grid may hold at most"),
    ("dropout = { float = [0.0, 0.5], step = 0.0000000001 }", "a grid may hold at most"),
])
def test_a_grid_too_large_to_build_is_one_line(tmp_path, capsys, space, expected):
    code, _, err = searched(tmp_path, capsys, 2, space + "\n", "--sampler", "grid")
    assert code == 2 and expected in one_error_line(err)


@pytest.mark.parametrize("seed, expected", [('"abc"', "seed must be int, got str"),
                                            ("[1, 2]", "seed must be int, got list")])
def test_a_config_seed_of_another_type(tmp_path, capsys, seed, expected):
    config = tmp_path / "base.toml"
    config.write_text(f"seed = {seed}\n")
    code, _, err = searched(tmp_path, capsys, 2, "hidden_size = [4, 8]\n", "--config", config)
    assert code == 2 and expected in one_error_line(err)


def test_search_show_of_a_description_whose_task_is_not_a_name(tmp_path, capsys):
    assert searched(tmp_path, capsys)[0] == 0
    path = tmp_path / "s" / "search.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "task": ["adding"]}))
    code, _, err = run_cli(["search", "show", tmp_path / "s"], capsys)
    assert code == 2 and "unknown task" in one_error_line(err)


def test_a_search_whose_every_trial_fails_is_an_error(tmp_path, capsys):
    space = tmp_path / "space.toml"
    space.write_text("hidden_size = [4, 8]\n")
    code, _, err = run_cli(["search", "lm", "--space", space, "--trials", 2, "--out", tmp_path / "s",
                            "--data", tmp_path / "missing.txt", "--max-steps", "2", "--device",
                            "cpu"], capsys)
    assert code == 2 and "every trial this worker ran failed" in err.splitlines()[-1]
    assert "no such file" in err.splitlines()[-1]


def test_weights_of_another_dtype_are_refused(run_copy, capsys):
    run, _ = run_copy

    def as_integers(tensors, meta):
        name = next(k for k in tensors if k.startswith("model.") and "weight_hh" in k)
        tensors[name] = tensors[name].to(torch.int32)

    both(run, as_integers)
    expect_error(capsys, ["generate", run, "--length", "5"], "holds torch.int32, its model torch.float32")
