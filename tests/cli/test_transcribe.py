"""`rnnkit train asr`, `rnnkit transcribe` and `rnnkit evaluate` on a recogniser, from the
command line: one line per file, JSON with timings, and every bad input one error line."""

import json

import numpy as np
import pytest
import soundfile

from helpers import one_error_line, run_cli

TINY = ["--hidden-size", "12", "--num-layers", "1", "--n-mels", "16", "--batch-size", "4",
        "--max-steps", "2", "--eval-every", "2", "--lm-order", "2", "--beam", "2",
        "--device", "cpu"]


@pytest.fixture(scope="module")
def run_dir(spoken, tmp_path_factory):
    from rnnkit.cli.main import main

    out = tmp_path_factory.mktemp("asr") / "run"
    code = main(["train", "asr", "--data", str(spoken / "train.csv"), "--valid",
                 str(spoken / "valid.csv"), *TINY, "--out", str(out), "--format", "json"])
    assert code == 0
    return out


def test_one_line_per_file_and_a_folder_stands_for_its_wavs(run_dir, spoken, capsys):
    files = [spoken / "test" / f"0000{i}.wav" for i in range(4)]
    code, out, err = run_cli(["transcribe", run_dir, *files[:2]], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(f) for f in files[:2]]
    code, out, _ = run_cli(["transcribe", run_dir, spoken / "test"], capsys)
    assert [line.split("\t")[0] for line in out.splitlines()] == [str(f) for f in files]


def test_json_has_n_best_and_word_timings(run_dir, spoken, capsys):
    code, out, err = run_cli(["transcribe", run_dir, spoken / "test" / "00000.wav", "--beam", "3",
                              "--n-best", "2", "--lm-weight", "0.2", "--format", "json"], capsys)
    assert code == 0, err
    record = json.loads(out)
    assert len(record["n_best"]) == 2 and record["text"] == record["n_best"][0]["text"]
    assert [w["word"] for w in record["words"]] == record["text"].split()


def test_evaluate_gives_error_rates_beside_the_empty_transcript(run_dir, spoken, capsys):
    code, out, err = run_cli(["evaluate", run_dir, "--data", spoken / "test.csv", "--format",
                              "json"], capsys)
    assert code == 0, err
    figures = json.loads(out)
    assert figures["empty_transcript"] == {"wer": 100.0, "cer": 100.0}
    assert 0 <= figures["cer"] and "beam_wer" in figures


def test_a_bidirectional_model_does_not_stream(run_dir, spoken, capsys):
    code, _, err = run_cli(["transcribe", run_dir, "--stream", spoken / "test" / "00000.wav"],
                           capsys)
    assert code == 2 and "--no-bidirectional --normalise global" in one_error_line(err)


def test_every_bad_input_is_one_line_and_exit_2(run_dir, spoken, tmp_path, capsys):
    silent, cut, text = tmp_path / "silent.wav", tmp_path / "cut.wav", tmp_path / "notes.wav"
    soundfile.write(silent, np.zeros(16000, np.float32), 16000)
    cut.write_bytes((spoken / "test" / "00000.wav").read_bytes()[:3000])
    text.write_text("not audio at all " * 10)
    good = spoken / "test" / "00000.wav"
    cases = [(["transcribe", run_dir, tmp_path / "none.wav"], "no such audio file"),
             (["transcribe", run_dir, silent], "silence only"),
             (["transcribe", run_dir, good, cut], "truncated"),
             (["transcribe", run_dir, text], "not a readable WAV file"),
             (["transcribe", run_dir, good, "--beam", "0"], "--beam must be >= 1"),
             (["transcribe", run_dir, good, "--beam", "2", "--n-best", "3"], "--n-best must be"),
             (["transcribe", run_dir, good, good, "--stream"], "one file at a time"),
             (["transcribe", run_dir, tmp_path / "nothing"], "no .wav files")]
    (tmp_path / "nothing").mkdir()
    for args, message in cases:
        code, out, err = run_cli(args, capsys)
        assert code == 2 and message in one_error_line(err), (args, err)
        assert out == ""  # nothing half done: every file is checked before any is decoded


def test_training_on_a_bad_manifest_creates_nothing(spoken, tmp_path, capsys):
    manifest = tmp_path / "m.csv"
    manifest.write_text("file,text\nx.wav,one\n")
    code, _, err = run_cli(["train", "asr", "--data", manifest, *TINY, "--out", tmp_path / "r"],
                           capsys)
    assert code == 2 and "no column 'path'" in one_error_line(err)
    assert not (tmp_path / "r").exists()
    code, _, err = run_cli(["train", "asr", "--valid", manifest, "--out", tmp_path / "r"], capsys)
    assert code == 2 and "--valid and --test go with --data" in one_error_line(err)
