"""Cases 4-6, 10-16, 19, 20, 23, 24 of the hostile-use report: every bad input is one line and
exit code 2 (never a traceback), and files named on the command line are not replaced."""

import json

import pytest

from helpers import TINY_LM, hashes, one_error_line, run_cli, sha256


def write(folder, name, text):
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def expect_error(capsys, args, expected, code=2):
    got, _, err = run_cli(args, capsys)
    assert got == code and expected in one_error_line(err), err


def test_a_codec_that_is_not_a_text_encoding(trained_run, tmp_path, capsys):
    _, text = trained_run
    expect_error(capsys, ["train", "lm", "--data", text, "--encoding", "rot13", *TINY_LM, "--out",
                          tmp_path / "run"], "'rot13' is not a text encoding")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("task, flags", [
    ("lm", ["--hidden-size", "1000000000"]),
    ("lm", ["--embedding-size", "1000000000"]),
    ("adding", ["--seq-len", "1000000000"]),
    ("copy", ["--valid-size", "1000000000"]),
])
def test_sizes_beyond_the_machine_are_refused_before_allocating(trained_run, tmp_path, capsys,
                                                               task, flags):
    _, text = trained_run
    data = ["--data", text, "--ngram-order", "0", "--batch-size", "4", "--bptt", "10"] if (
        task == "lm") else []
    expect_error(capsys, ["train", task, *data, *flags, "--out", tmp_path / "run"],
                 "; this machine has")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("flags", [["--lr", "1e30"], ["--momentum", "nan"], ["--lr", "inf"]])
def test_a_run_that_breaks_reports_from_its_kept_checkpoint_or_not_at_all(trained_run, tmp_path,
                                                                         capsys, flags):
    _, text = trained_run
    code, out, err = run_cli(["train", "lm", "--data", text, *TINY_LM, "--max-steps", "20",
                              "--optimizer", "sgd", *flags, "--out", tmp_path / "run"], capsys)
    assert "Traceback" not in err
    if "nan" in flags or "inf" in flags:  # impossible values never start
        assert code == 2 and "must be a finite number" in one_error_line(err)
    else:  # it trains into absurd weights: figures of the kept checkpoint, no sample of them
        assert code in (0, 1) and out.startswith("run:")


@pytest.mark.parametrize("flags, expected", [
    (["--temperature", "nan"], "--temperature must be a finite number >= 0"),
    (["--top-p", "0"], "--top-p must be in (0, 1]"),
    (["--length", "-3"], "--length must be >= 0"),
])
def test_impossible_sampling_flags(run_copy, capsys, flags, expected):
    run, _ = run_copy
    expect_error(capsys, ["generate", run, *flags], expected)


def test_a_tiny_temperature_is_greedy(run_copy, capsys):
    run, _ = run_copy
    code, out, _ = run_cli(["generate", run, "--temperature", "1e-45", "--length", "10"], capsys)
    greedy = run_cli(["generate", run, "--greedy", "--length", "10"], capsys)[1]
    assert code == 0 and out == greedy


@pytest.mark.parametrize("name, content, flags, expected", [
    ("deep.jsonl", '{"text": ' + "[" * 100000 + "]" * 100000 + ', "label": "a"}\n', [],
     "deep.jsonl line 1: JSON nested too deeply"),
    ("big.jsonl", '{"text": ' + "9" * 5000 + ', "label": "a"}\n', [],
     "big.jsonl line 1: a JSON value rnnkit cannot read"),
    ("nolabel.ts", "@classLabel\n@data\n1,2,3:a\n", [], "nolabel.ts line 1: @classLabel needs"),
    ("dims.ts", "@classLabel true a b\n@data\n1,2:3,4:a\n1,2:b\n", [],
     "dims.ts line 4: 1 dimensions where the first case has 2"),
    ("empty.ts", "@classLabel true a b\n@data\n1,2,3:\n", [], "empty.ts line 3: a case without"),
    ("bom.csv", "\ufefftext,label\nfine,a\nbad,b\n" * 1, ["--valid-fraction", "0"], None),
])
def test_malformed_classification_files(tmp_path, capsys, name, content, flags, expected):
    path = write(tmp_path, name, content)
    args = ["train", "classify", "--data", path, "--out", tmp_path / "run", "--max-steps", "1",
            "--hidden-size", "4", *flags]
    if expected is None:  # a byte-order mark, as spreadsheets write, is read as text
        assert run_cli(args, capsys)[0] == 0
    else:
        expect_error(capsys, args, expected)


@pytest.mark.parametrize("cell", ["inf", "-inf", "1e400"])
def test_non_finite_forecast_cells_name_their_line(tmp_path, capsys, cell):
    rows = ["t,y,x"] + [f"{t},{t % 5},{t % 3}" for t in range(60)]
    rows[30] = f"29,{cell},1"
    path = write(tmp_path, "s.csv", "\n".join(rows) + "\n")
    expect_error(capsys, ["train", "forecast", "--data", path, "--time-column", "t", "--target",
                          "y", "--out", tmp_path / "run"], "s.csv line 31: column 'y' holds")


def test_decimal_times_and_the_line_of_a_bad_time(tmp_path, capsys):
    rows = ["t,y"] + [f"{t / 10},{t % 7}" for t in range(80)]
    path = write(tmp_path, "decimal.csv", "\n".join(rows) + "\n")
    code, _, err = run_cli(["train", "forecast", "--data", path, "--time-column", "t", "--target",
                            "y", "--lookback", "14", "--horizon", "3", "--max-steps", "1",
                            "--out", tmp_path / "run"], capsys)
    assert code == 0, err
    rows[51] = "oops,1"
    bad = write(tmp_path, "bad.csv", "\n".join(rows) + "\n")
    expect_error(capsys, ["train", "forecast", "--data", bad, "--time-column", "t", "--target", "y",
                          "--out", tmp_path / "run2"], "bad.csv line 52: time 'oops'")
    mixed = write(tmp_path, "zones.csv", "t,y\n2021-01-01T00:00,1\n2021-01-01T01:00+01:00,2\n")
    expect_error(capsys, ["train", "forecast", "--data", mixed, "--time-column", "t", "--target",
                          "y", "--out", tmp_path / "run3"], "zones.csv line 3: time")


def test_predict_input_of_the_other_kind(tmp_path, capsys):
    texts = write(tmp_path, "t.csv", "text,label\n" + "good,a\nbad,b\n" * 10)
    series = write(tmp_path, "s.ts", "@classLabel true a b\n@data\n" + "1,2,3:a\n3,2,1:b\n" * 10)
    for data, other, expected in ((texts, series, "holds numeric series; this run classifies texts"),
                                  (series, texts, "holds texts; this run classifies numeric series")):
        run = tmp_path / f"run-{data.suffix[1:]}"
        assert run_cli(["train", "classify", "--data", data, "--out", run, "--max-steps", "2",
                        "--hidden-size", "4", "--valid-fraction", "0"], capsys)[0] == 0
        expect_error(capsys, ["predict", run, other], expected)


def test_output_files_named_on_the_command_line_are_kept(run_copy, tmp_path, capsys):
    run, _ = run_copy
    out = tmp_path / "diag"
    out.mkdir()
    write(out, "diagnosis.json", "the user's")
    before = hashes(out)
    expect_error(capsys, ["diagnose", run, "--out", out], "diagnosis.json exists; pass --overwrite")
    assert hashes(out) == before
    assert run_cli(["diagnose", run, "--out", out, "--overwrite"], capsys)[0] == 0
    expect_error(capsys, ["diagnose", run, "--out", out / "diagnosis.json"], "is a file")


def test_forecast_and_evaluate_outputs(tmp_path, capsys):
    rows = ["y"] + [str(i % 6) for i in range(60)]
    data = write(tmp_path, "s.csv", "\n".join(rows) + "\n")
    run = tmp_path / "run"
    assert run_cli(["train", "forecast", "--data", data, "--target", "y", "--lookback", "12",
                    "--horizon", "3", "--max-steps", "2", "--out", run], capsys)[0] == 0
    user = write(tmp_path, "user.png", b"my picture")
    expect_error(capsys, ["forecast", run, "--data", data, "--plot", user], "exists; pass --overwrite")
    assert user.read_bytes() == b"my picture"
    expect_error(capsys, ["forecast", run, "--data", data, "--plot", tmp_path / "no" / "f.png"],
                 "does not exist")
    expect_error(capsys, ["forecast", run, "--data", data, "-o", tmp_path], "is a folder")
    texts = write(tmp_path, "t.csv", "text,label\n" + "good,a\nbad,b\n" * 10)
    run_cli(["train", "classify", "--data", texts, "--out", tmp_path / "c", "--max-steps", "1",
             "--hidden-size", "4"], capsys)
    expect_error(capsys, ["evaluate", tmp_path / "c", "--data", texts, "--confusion", user],
                 "exists; pass --overwrite")
    assert sha256(user) == sha256(tmp_path / "user.png")


@pytest.mark.parametrize("args, expected", [
    (["--seed", str(10**30)], "seed must be <="),
    (["--config", "CONFIG"], "valid_fraction must be a finite number, got nan"),
    (["--config", "TWICE"], "'hidden_size' is given twice"),
])
def test_unclear_settings_get_clear_lines(trained_run, tmp_path, capsys, args, expected):
    _, text = trained_run
    write(tmp_path, "nan.toml", "valid_fraction = nan\n")
    write(tmp_path, "twice.toml", "hidden_size = 8\nhidden-size = 9\n")
    args = [{"CONFIG": tmp_path / "nan.toml", "TWICE": tmp_path / "twice.toml"}.get(a, a)
            for a in args]
    expect_error(capsys, ["train", "lm", "--data", text, *args, "--out", tmp_path / "run"], expected)


def test_a_damaged_log_under_diagnose(run_copy, capsys):
    run, _ = run_copy
    with open(run / "steps.jsonl", "a") as log:
        log.write("{not json\n")
    expect_error(capsys, ["diagnose", run], "steps.jsonl line 6: not a JSON record")


def test_diagnosis_thresholds_are_checked(run_copy, capsys):
    run, _ = run_copy
    expect_error(capsys, ["diagnose", run, "--vanishing-factor", "nan"], "vanishing_factor must be")
    expect_error(capsys, ["diagnose", run, "--exploding-factor", "-1"], "exploding_factor must be")


def test_a_run_that_stops_on_non_finite_steps_keeps_its_last_good_checkpoint(trained_run, tmp_path,
                                                                          capsys):
    _, text = trained_run
    code, out, err = run_cli(["train", "lm", "--data", text, *TINY_LM, "--optimizer", "sgd",
                              "--lr", "1e38", "--clip-norm", "0", "--max-steps", "30",
                              "--eval-every", "1", "--format", "json", "--out", tmp_path / "run"],
                             capsys)
    summary = json.loads(out)
    assert "Traceback" not in err and code in (0, 1)
    if summary["checkpoint"] is not None:  # figures of a checkpoint whose weights are finite
        assert summary["valid"]["loss"] == summary["valid"]["loss"]
