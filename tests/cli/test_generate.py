"""`rnnkit generate`: a missing or corrupt run and an unknown prime are one line and exit 2."""



from helpers import one_error_line, run_cli

TINY = ["--hidden-size", "16", "--num-layers", "1", "--embedding-size", "8", "--batch-size", "4",
        "--bptt", "10", "--eval-every", "5"]


def test_corrupt_or_missing_run_exits_2(tmp_path, capsys):
    code, _, err = run_cli(["generate", str(tmp_path / "nothing")], capsys)
    assert code == 2 and "no such run folder" in one_error_line(err)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "best.safetensors").write_bytes(b"not a checkpoint at all")
    code, _, err = run_cli(["generate", str(run_dir)], capsys)
    assert code == 2 and "not a readable rnnkit checkpoint" in one_error_line(err)


def test_unknown_prime_character_exits_2(corpus, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert run_cli(["train", "lm", "--data", str(corpus), "--out", str(run_dir), *TINY,
                    "--max-steps", "5", "--ngram-order", "0"], capsys)[0] == 0
    code, _, err = run_cli(["generate", str(run_dir), "--prime", "Zebra"], capsys)
    assert code == 2 and "'Z'" in one_error_line(err)
