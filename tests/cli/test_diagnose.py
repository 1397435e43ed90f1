import json

from rnnkit.cli.main import main


def test_diagnose_a_tiny_trained_run(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("abcabcabd, the cat sat on the mat.\n" * 60)
    run_dir = tmp_path / "run"
    code = main(["train", "lm", "--data", str(corpus), "--out", str(run_dir), "--hidden-size", "12",
                 "--num-layers", "2", "--embedding-size", "6", "--batch-size", "4", "--bptt", "12",
                 "--max-steps", "8", "--eval-every", "4", "--diagnose-every", "4",
                 "--ngram-order", "0"])
    assert code == 0
    records = [json.loads(x) for x in (run_dir / "diagnostics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [4, 8]
    capsys.readouterr()
    assert main(["diagnose", str(run_dir), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] in {"healthy", "vanishing", "exploding"}
    assert len(report["flow"]["last_loss"]["layer1.forward"]) == 12
    assert json.loads((run_dir / "diagnosis.json").read_text())["verdict"] == report["verdict"]
    for png in ("gradient_flow.png", "saturation.png", "gradient_heatmap.png"):
        assert (run_dir / png).read_bytes()[:4] == b"\x89PNG"
    assert main(["diagnose", str(run_dir)]) == 0
    assert capsys.readouterr().out.startswith("verdict: ")
    # thresholds are flags: nothing can vanish by a factor of 1e300
    assert main(["diagnose", str(run_dir), "--vanishing-factor", "1e300", "--exploding-factor",
                 "1e300", "--jump-factor", "1e300", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "healthy" and report["thresholds"]["vanishing_factor"] == 1e300


def test_diagnose_missing_or_corrupt_run_exits_2(tmp_path, capsys):
    assert main(["diagnose", str(tmp_path / "nope")]) == 2
    assert "no such run folder" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "last.safetensors").write_bytes(b"\x00" * 20)
    assert main(["diagnose", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not a readable rnnkit checkpoint" in err


def test_train_a_benchmark_task_and_diagnose_it(tmp_path, capsys):
    run_dir = tmp_path / "adding"
    code = main(["train", "adding", "--seq-len", "12", "--hidden-size", "8", "--max-steps", "6",
                 "--eval-every", "3", "--valid-size", "64", "--cell", "rnn", "--init", "identity",
                 "--nonlinearity", "relu", "--out", str(run_dir), "--format", "json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["baseline"]["loss"] == 1 / 6 and summary["steps"] == 6
    assert main(["diagnose", str(run_dir), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["flow"]["last_loss"]["layer0.forward"]) == 12
