"""`train classify`, `train tag`, `predict` and `evaluate` end to end: round trips from a saved
run, and every bad input is one line, exit 2, with nothing written."""

import io
import json

import pytest
import torch

from rnnkit.cli.main import main
from rnnkit.run import open_run
from rnnkit.tasks.classify.data import Examples

TINY = ["--hidden-size", "12", "--batch-size", "8", "--eval-every", "10"]


def run_cli(args, capsys, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("rnnkit: error:"), err
    return lines[0]


@pytest.fixture
def reviews(tmp_path):
    generator = torch.Generator().manual_seed(0)
    good, bad, filler = ["great", "superb", "fine"], ["awful", "dull", "poor"], ["film", "plot", "the"]
    rows = ["text,label"]
    for i in range(120):
        label = "pos" if i % 2 else "neg"
        words = [(good if label == "pos" else bad)[int(torch.randint(3, (1,), generator=generator))]]
        words += [filler[int(torch.randint(3, (1,), generator=generator))] for _ in range(i % 5)]
        rows.append(f"{' '.join(words)},{label}")
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_classify_train_predict_evaluate_round_trip(reviews, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    code, out, _ = run_cli(["train", "classify", "--data", reviews, "--out", run, "--epochs", 8,
                            "--pooling", "attention", "--format", "json", *TINY], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["valid"]["accuracy"] == 1.0
    assert (run / "confusion.png").stat().st_size > 0 and (run / "best.safetensors").exists()
    code, out, _ = run_cli(["predict", run, "--top", "2", "--format", "json"], capsys,
                           stdin="superb plot\nthe dull film\n", monkeypatch=monkeypatch)
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["label"] for line in lines] == ["pos", "neg"]
    assert [len(line["top"]) for line in lines] == [2, 2]
    # the same probabilities as the reloaded model gives directly
    reopened = open_run(run)
    inputs, _ = reopened.task.encode(Examples(["superb plot"], None, ["1"]))
    probabilities = reopened.task.probabilities(reopened.model, inputs)
    assert lines[0]["probability"] == pytest.approx(float(probabilities.max()))
    code, out, _ = run_cli(["predict", run, reviews], capsys)
    assert len(out.splitlines()) == 120 and out.splitlines()[0].split("\t")[0] == "neg"
    confusion = tmp_path / "c.png"
    code, out, _ = run_cli(["evaluate", run, "--data", reviews, "--format", "json",
                            "--confusion", confusion], capsys)
    result = json.loads(out)
    assert code == 0 and result["accuracy"] > 0.95 and set(result["per_class"]) == {"neg", "pos"}
    assert result["macro_f1"] > 0.95 and confusion.stat().st_size > 0
    code, out, _ = run_cli(["diagnose", run, "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["verdict"] in ("healthy", "vanishing", "exploding")


def test_series_from_long_format_csv(tmp_path, capsys):
    rows = ["sid,step,a,b,label"]
    for i in range(40):
        slope = 1 if i % 2 else -1
        rows += [f"s{i},{t},{slope * t + 0.1 * (i % 3)},{t % 2},{'up' if slope > 0 else 'down'}"
                 for t in range(3 + i % 4)]
    path = tmp_path / "series.csv"
    path.write_text("\n".join(rows) + "\n")
    run = tmp_path / "run"
    code, out, _ = run_cli(["train", "classify", "--data", path, "--series-id", "sid",
                            "--time-column", "step", "--value-columns", "a,b", "--out", run,
                            "--epochs", 15, "--format", "json", "--lr", "0.01", *TINY], capsys)
    assert code == 0 and json.loads(out)["valid"]["accuracy"] == 1.0
    code, out, _ = run_cli(["predict", run, path], capsys)
    first = out.splitlines()[0].split("\t")
    assert code == 0 and first[:2] == ["s0", "down"] and len(out.splitlines()) == 40


def conll(sentences):
    return "\n\n".join("\n".join(f"{w}\t{t}" for w, t in s) for s in sentences) + "\n"


def test_tag_train_predict_evaluate_round_trip(tmp_path, capsys, monkeypatch):
    names, places = ["John", "Mary", "Ahmed", "Li"], ["Paris", "Rome", "Lagos", "Lima"]
    sentences = []
    for i in range(40):
        name, place = names[i % 4], places[(i // 4) % 4]
        sentences.append([(name, "B-PER"), ("flew", "O"), ("to", "O"), (place, "B-LOC")])
        sentences.append([("in", "O"), (place, "B-LOC"), (name, "B-PER"), ("Smith", "I-PER")])
    data = tmp_path / "train.conll"
    data.write_text(conll(sentences))
    run = tmp_path / "run"
    code, out, _ = run_cli(["train", "tag", "--data", data, "--out", run, "--epochs", 10,
                            "--format", "json", "--lr", "0.01", *TINY], capsys)
    assert code == 0 and json.loads(out)["valid"]["f1"] > 0.9
    code, out, _ = run_cli(["predict", run], capsys, stdin="Mary flew to Lima\n",
                           monkeypatch=monkeypatch)
    assert out.splitlines() == ["Mary\tB-PER", "flew\tO", "to\tO", "Lima\tB-LOC"]
    code, out, _ = run_cli(["predict", run, data], capsys)  # gold kept, prediction appended
    assert out.splitlines()[0] == "John\tB-PER\tB-PER"
    code, out, _ = run_cli(["evaluate", run, "--data", data, "--format", "json"], capsys)
    result = json.loads(out)
    assert result["f1"] > 0.9 and set(result["per_type"]) == {"PER", "LOC"}


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


def test_predict_and_evaluate_errors(tmp_path, reviews, capsys):
    code, _, err = run_cli(["predict", tmp_path / "nowhere"], capsys)
    assert code == 2 and "no such run folder" in one_error_line(err)
    run = tmp_path / "run"
    run_cli(["train", "classify", "--data", reviews, "--out", run, "--epochs", 1, *TINY], capsys)
    other = tmp_path / "other.csv"
    other.write_text("text,label\nfine,maybe\n")
    code, _, err = run_cli(["evaluate", run, "--data", other], capsys)
    assert code == 2 and "label 'maybe' is not one the model knows" in one_error_line(err)
    code, _, err = run_cli(["predict", run, reviews, "--top", "0"], capsys)
    assert code == 2 and "--top must be >= 1" in one_error_line(err)


@pytest.mark.slow
def test_wnut16_fold_beats_the_all_outside_tagger(tmp_path, capsys):
    """The majority tagger says O everywhere: entity F1 0. A short run on one fold does better."""
    code, out, _ = run_cli(["train", "tag", "--dataset", "wnut16", "--folds", 5, "--fold", 0,
                            "--out", tmp_path / "run", "--epochs", 4, "--eval-every", 100,
                            "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["test"]["f1"] > 0.05
