"""`rnnkit train TASK` from the command line: the README's commands, every bad input one line and
exit 2 with nothing written, flags of the network for every task, a short run that learns."""


import json
import subprocess
import sys

import pytest

from helpers import one_error_line, run_cli
from rnnkit.cli.main import main
from rnnkit.run import open_run

TINY = ["--hidden-size", "16", "--num-layers", "1", "--embedding-size", "8", "--batch-size", "4",
        "--bptt", "10", "--eval-every", "5"]


@pytest.mark.parametrize("content, expected", [
    (None, "no such file"),
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
    (b"na\xefve text " * 50, "byte 0xef at offset 2; pass --encoding"),
    (b"too short", "fewer than one window"),
])
def test_bad_training_data_exits_2_with_one_line(tmp_path, capsys, content, expected):
    path = tmp_path / "data.txt"
    if content is not None:
        path.write_bytes(content)
    code, out, err = run_cli(["train", "lm", "--data", str(path), "--out", str(tmp_path / "run"),
                              *TINY], capsys)
    assert code == 2 and expected in one_error_line(err)
    assert not (tmp_path / "run" / "last.safetensors").exists()


@pytest.mark.parametrize("flags, expected", [
    (["--lr", "-1"], "lr must be >= 0.0"),
    (["--dataset", "shakespeare", "--data", "x.txt"], "exactly one of"),
    (["--precision", "bf16", "--device", "cpu"], "needs a GPU"),
])
def test_impossible_flag_values_exit_2(corpus, tmp_path, capsys, flags, expected):
    code, _, err = run_cli(["train", "lm", "--data", str(corpus), "--out", str(tmp_path / "r"),
                            *TINY, *flags], capsys)
    assert code == 2 and expected in one_error_line(err)


def test_readme_commands_short_versions(corpus, tmp_path, capsys):
    run_dir = tmp_path / "runs" / "my"
    config = tmp_path / "lm.toml"
    config.write_text("hidden_size = 16\nnum_layers = 1\nembedding_size = 8\n")
    code, out, _ = run_cli(["train", "lm", "--data", str(corpus), "--cell", "lstm", "--config",
                            str(config), "--batch-size", "4", "--bptt", "10", "--max-steps", "10",
                            "--eval-every", "5", "--out", str(run_dir), "--format", "json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["steps"] == 10 and summary["baseline"]["order"] == 5
    assert (run_dir / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((run_dir / "config.json").read_text())["hidden_size"] == 16
    code, out, _ = run_cli(["generate", str(run_dir), "--prime", "It is", "--length", "30",
                            "--temperature", "0.8", "--top-k", "5", "--seed", "1"], capsys)
    assert code == 0 and out.startswith("It is") and len(out.rstrip("\n")) == len("It is") + 30
    code, out, _ = run_cli(["evaluate", str(run_dir), "--data", str(corpus), "--format", "json"],
                           capsys)
    figures = json.loads(out)
    assert code == 0 and figures["perplexity"] > 1 and figures["unknown_tokens"] == 0
    # resuming the finished run continues from its checkpoint; overwriting needs asking
    code, _, err = run_cli(["train", "lm", "--data", str(corpus), "--out", str(run_dir), *TINY],
                           capsys)
    assert code == 2 and "--resume" in one_error_line(err)


def test_traceback_never_reaches_the_user(tmp_path):
    result = subprocess.run([sys.executable, "-m", "rnnkit", "train", "lm", "--data",
                             str(tmp_path / "missing.txt")], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("rnnkit: error:")


@pytest.mark.slow
def test_short_training_beats_the_ngram_baseline(tmp_path, capsys):
    """Counting to ten is beyond a 5-gram's context; the LSTM learns it."""
    path = tmp_path / "count.txt"
    path.write_text(("0" * 9 + "1") * 1500)
    code, out, _ = run_cli(["train", "lm", "--data", str(path), "--hidden-size", "32",
                            "--num-layers", "1", "--embedding-size", "8", "--batch-size", "16",
                            "--bptt", "40", "--max-steps", "150", "--eval-every", "50",
                            "--out", str(tmp_path / "run"), "--format", "json"], capsys)
    summary = json.loads(out)
    assert code == 0
    assert summary["valid"]["loss"] < summary["baseline"]["loss"]


@pytest.mark.parametrize("files, flags, expected", [
    ({"t.csv": "review,label\nok,pos\n"}, [], "no text column 'text'; the columns are: review, label"),
    ({"t.csv": "text,label\nok,pos\nfine,\n"}, [], "line 3: empty label column 'label'"),
    ({"t.csv": "text,label\nok,pos\nbad,neg\n", "v.csv": "text,label\nmeh,meh\n"},
     ["--valid", "v.csv"], "v.csv line 2: label 'meh' never seen in training"),
    ({"t.csv": "id,t,x,label\na,0,1,A\na,1,,A\nb,0,1,B\n"}, ["--series-id", "id", "--time-column", "t"],
     "t.csv line 3: column 'x' holds an empty cell"),
    ({"t.csv": "id,t,x,label\na,0,1,A\na,1,n/a,A\nb,0,1,B\n"}, ["--series-id", "id"],
     "t.csv line 3: column 'x' holds 'n/a', not a number"),
    ({"t.conll": "John B-PER\nruns\n"}, ["tag"], "t.conll line 2: 1 columns where the file's lines have 2"),
    ({}, [], "t.csv: no such file"),
    ({"t.csv": b"\xff\xfe\x00\x00"}, [], "binary"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, monkeypatch, files,
                                                          flags, expected):
    monkeypatch.chdir(tmp_path)
    for name, content in files.items():
        (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    task = "tag" if flags[:1] == ["tag"] else "classify"
    data = "t.conll" if task == "tag" else "t.csv"
    code, _, err = run_cli(["train", task, "--data", data, "--out", "run", "--valid-fraction", 0,
                            *flags[1 if task == "tag" else 0 :]], capsys)
    assert code == 2 and expected in one_error_line(err)
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_wnut16_fold_beats_the_all_outside_tagger(tmp_path, capsys):
    """The majority tagger says O everywhere: entity F1 0. A short run on one fold does better."""
    code, out, _ = run_cli(["train", "tag", "--dataset", "wnut16", "--folds", 5, "--fold", 0,
                            "--out", tmp_path / "run", "--epochs", 4, "--eval-every", 100,
                            "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["test"]["f1"] > 0.05


def test_impossible_benchmark_flags_exit_2(tmp_path, capsys):
    assert main(["train", "temporal-order", "--seq-len", "5", "--out", str(tmp_path / "r")]) == 2
    assert "--seq-len >= 10" in capsys.readouterr().err
    assert main(["train", "copy", "--hidden-size", "0", "--out", str(tmp_path / "r")]) == 2
    assert "hidden_size must be >= 1" in capsys.readouterr().err


NETWORK_FLAGS = {  # per task: the flags of RecurrentConfig it is trained with here
    "lm": ["--peephole", "--proj-size", "6", "--zoneout", "0.1", "--learn-init",
           "--forget-bias", "2"],
    "classify": ["--merge", "sum", "--peephole", "--learn-init"],
    "tag": ["--zoneout", "0.2", "--proj-size", "4"],
    "forecast": ["--learn-init", "--peephole", "--forget-bias", "0"],
    "adding": ["--cell", "gru", "--zoneout", "0.1", "--learn-init"],
    "seq2seq": ["--peephole", "--learn-init", "--zoneout", "0.1", "--num-layers", "2"],
}


@pytest.fixture
def task_data(tmp_path, corpus):
    reviews = tmp_path / "r.csv"
    reviews.write_text("text,label\n" + "".join(f"{'good' if i % 2 else 'bad'} film,{i % 2}\n"
                                                for i in range(20)))
    tagged = tmp_path / "t.conll"
    tagged.write_text("\n".join(["Ann\tB-PER\nruns\tO\n"] * 10))
    series = tmp_path / "s.csv"
    series.write_text("y\n" + "".join(f"{i % 7}\n" for i in range(80)))
    pairs = tmp_path / "p.tsv"
    pairs.write_text("abc\tcba\nab\tba\n" * 10)
    return {"lm": ["--data", corpus, "--embedding-size", "6", "--bptt", "10", "--ngram-order", "0"],
            "classify": ["--data", reviews], "tag": ["--data", tagged],
            "forecast": ["--data", series, "--target", "y", "--lookback", "14", "--horizon", "3"],
            "adding": ["--seq-len", "10", "--valid-size", "8"],
            "seq2seq": ["--data", pairs, "--source-tokens", "char", "--target-tokens", "char",
                        "--beam", "1"]}


@pytest.mark.parametrize("task", sorted(NETWORK_FLAGS))
def test_every_task_takes_the_network_flags(task, task_data, tmp_path, capsys):
    run = tmp_path / "run"
    code, _, err = run_cli(["train", task, *task_data[task], *NETWORK_FLAGS[task], "--hidden-size",
                            "8", "--batch-size", "4", "--max-steps", "2", "--eval-every", "2",
                            "--out", run, "--format", "json"], capsys)
    assert code == 0, err
    config = open_run(run).config
    flags = NETWORK_FLAGS[task]
    for flag in ("--proj-size", "--zoneout", "--forget-bias", "--merge"):
        if flag in flags:
            expected = flags[flags.index(flag) + 1]
            value = getattr(config, flag[2:].replace("-", "_"))
            assert str(value) == expected or value == float(expected), (flag, value)
    for flag in ("--peephole", "--learn-init"):
        assert getattr(config, flag[2:].replace("-", "_")) == (flag in flags)
    model = open_run(run).model
    cell = (model.rnn if task in ("lm", "classify", "tag", "adding") else model.encoder.rnn).cells()[0]
    assert cell.learn_init == ("--learn-init" in flags)


def test_an_lstm_flag_with_another_cell_is_one_line(tmp_path, capsys, corpus):
    code, _, err = run_cli(["train", "lm", "--data", corpus, "--cell", "gru", "--peephole",
                            "--out", tmp_path / "run"], capsys)
    assert code == 2 and "peephole is an LSTM option; --cell is gru" in one_error_line(err)


def test_resume_alone_takes_the_runs_own_settings(tmp_path, capsys, corpus, monkeypatch):
    """`--resume` with only the folder (and a new step limit): every other setting is the run's
    own, read from its checkpoint; nothing has to be retyped."""
    import json

    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    flags = ["--data", corpus, "--hidden-size", "12", "--embedding-size", "6", "--bptt", "10",
             "--batch-size", "4", "--lr", "0.004", "--ngram-order", "0", "--eval-every", "3"]
    assert run_cli(["train", "lm", *flags, "--max-steps", "3", "--out", run], capsys)[0] == 0
    before = json.loads((run / "config.json").read_text())
    code, _, err = run_cli(["train", "lm", "--out", run, "--resume", "--max-steps", "6"], capsys)
    assert code == 0, err
    after = json.loads((run / "config.json").read_text())
    assert {k: v for k, v in after.items() if k not in ("max_steps", "resume")} == \
        {k: v for k, v in before.items() if k not in ("max_steps", "resume")}
    assert after["max_steps"] == 6 and open_run(run, "last").meta["progress"]["step"] == 6
