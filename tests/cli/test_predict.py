"""`rnnkit predict` and `rnnkit evaluate` on saved classification and tagging runs: round trips
equal the reloaded model, errors are one line."""


import json

import pytest
import torch

from helpers import one_error_line, run_cli
from rnnkit.run import open_run
from rnnkit.tasks.classify.data import Examples

TINY = ["--hidden-size", "12", "--batch-size", "8", "--eval-every", "10"]


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


def conll(sentences):
    return "\n\n".join("\n".join(f"{w}\t{t}" for w, t in s) for s in sentences) + "\n"


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
