"""The run API end to end, for every registered task: train a few steps with the diagnosis
on, reopen the run folder, and use it as the task allows (evaluate, predict, generate,
forecast, backtest, diagnose). Final figures are the best checkpoint's."""

import json
import math

import numpy as np
import pytest
import torch

from rnnkit.errors import ConfigError, UserError
from rnnkit.run import open_run, prepare, train
from rnnkit.tasks.base import Task
from rnnkit.tasks.registry import TASKS
from rnnkit.train.run_folder import read_log

TINY = {"hidden_size": 8, "max_steps": 4, "eval_every": 2, "diagnose_every": 2, "device": "cpu"}


def text_file(folder):
    path = folder / "text.txt"
    path.write_text("the cat sat on the mat. the dog sat on the log. " * 30)
    return path


def table_file(folder):
    rows = ["text,label"] + [f"{'good fine' if i % 2 else 'bad poor'} film {i % 3},"
                             f"{'pos' if i % 2 else 'neg'}" for i in range(40)]
    path = folder / "reviews.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def conll_file(folder):
    sentence = "John\tB-PER\nflew\tO\nto\tO\nLima\tB-LOC\n"
    path = folder / "train.conll"
    path.write_text("\n".join([sentence] * 30))
    return path


def series_file(folder):
    rows = ["t,y"] + [f"{t},{10 + np.sin(2 * np.pi * t / 12):.4f}" for t in range(160)]
    path = folder / "series.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def speech_folder(folder):
    from rnnkit.data.speech import spoken_dataset

    return spoken_dataset("spoken-digits", folder, {"train": 8, "valid": 2, "test": 2})


def pairs_file(folder):
    path = folder / "pairs.tsv"
    path.write_text("".join(f"{w}\t{w[::-1]}\n" for w in ["abc", "bca", "cab", "aab"] * 10))
    return path


CASES = {
    "lm": (text_file, lambda f: {"data": str(f), "embedding_size": 8, "num_layers": 1,
                                 "batch_size": 4, "bptt": 10, "ngram_order": 2}),
    "classify": (table_file, lambda f: {"data": str(f), "embedding_size": 8, "batch_size": 8}),
    "tag": (conll_file, lambda f: {"data": str(f), "word_embedding_size": 8, "batch_size": 8,
                                   "char_hidden_size": 4}),
    "forecast": (series_file, lambda f: {"data": str(f), "time_column": "t", "target": "y",
                                         "lookback": 24, "horizon": 6, "test_size": 12}),
    "seq2seq": (pairs_file, lambda f: {"data": str(f), "source_tokens": "char",
                                       "target_tokens": "char", "embedding_size": 8, "beam": 2}),
    "caption": (None, lambda f: {"train_size": 32, "channels": 4, "eval_sentences": 8,
                                 "batch_size": 8}),
    "asr": (speech_folder, lambda f: {"data": str(f / "train.csv"), "valid": str(f / "valid.csv"),
                                      "n_mels": 16, "batch_size": 4, "beam": 2, "lm_order": 2}),
    "adding": (None, lambda f: {"seq_len": 12, "valid_size": 16, "batch_size": 8}),
    "copy": (None, lambda f: {"seq_len": 5, "valid_size": 16, "batch_size": 8}),
    "temporal-order": (None, lambda f: {"seq_len": 12, "valid_size": 16, "batch_size": 8}),
    "digits": (None, lambda f: {"batch_size": 32}),
}


def test_every_registered_task_has_a_case():
    assert set(CASES) == set(TASKS)


@pytest.fixture(params=sorted(CASES))
def trained(request, tmp_path):
    name = request.param
    make_file, settings = CASES[name]
    data = make_file(tmp_path) if make_file else None
    events = []
    summary = train(name, {**TINY, **settings(data), "out": str(tmp_path / "run")},
                    progress=events.append)
    return name, data, summary, events, tmp_path / "run"


def test_train_then_reopen_and_use(trained):
    name, data, summary, events, run_dir = trained
    assert summary["task"] == name and summary["steps"] == 4 and not summary["failed"]
    assert summary["checkpoint"] == "best" and (run_dir / "curves.png").stat().st_size > 0
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "stop" and kinds.count("step") == 4
    assert kinds.count("diagnosis") == 2
    diagnoses = read_log(run_dir, "diagnostics.jsonl")
    assert [d["step"] for d in diagnoses] == [2, 4]
    assert all(d["verdict"] in ("healthy", "vanishing", "exploding") for d in diagnoses)
    run = open_run(run_dir)
    assert run.name == name and not run.model.training
    report = run.diagnose()
    assert report["verdict"] in ("healthy", "vanishing", "exploding")
    assert (run_dir / "gradient_heatmap.png").stat().st_size > 0  # drawn from training's diagnoses
    use(name, run, data)


def use(name, run, data):
    """What each kind of run can do after it is reopened."""
    if name == "lm":
        figures = run.evaluate(str(data))
        assert figures["tokens"] > 0 and math.isfinite(figures["loss"])
        text = run.generate("the ", 20, temperature=0.5, seed=1)
        assert text.startswith("the ") and len(text) == 24
    elif name == "classify":
        records = run.predict(["good fine film", "bad poor film"], top=2)
        assert [len(r["top"]) for r in records] == [2, 2]
        assert run.evaluate(str(data))["examples"] == 40
    elif name == "tag":
        (record,) = run.predict("-", stdin_text="John flew to Lima\n")
        assert len(record["tags"]) == 4
        assert run.evaluate(str(data))["sentences"] == 30
    elif name == "forecast":
        (result,) = run.forecast(str(data))
        assert len(result["point"]) == 6 and len(result["lower"]) == 6
        assert set(run.backtest(str(data), folds=2)["mean"]) >= {"model", "persistence"}
    elif name == "seq2seq":
        (record,) = run.translate(texts=["abc"], beam=2, n_best=2)
        assert len(record["n_best"]) == 2 and len(record["attention"][0]) == 3
        assert "chrf" in run.evaluate(str(data))
    elif name == "caption":
        (record,) = run.caption([str(run.run_dir / "examples" / "0.png")], beam=2)
        assert record["caption"] == run.caption([str(run.run_dir / "examples" / "0.png")],
                                                beam=2)[0]["caption"]
        assert "exact_match" in run.evaluate()
    elif name == "asr":
        records = run.transcribe([data / "test"], beam=2)
        assert [r["file"] for r in records] == [str(data / "test" / f"0000{i}.wav") for i in (0, 1)]
        figures = run.evaluate(str(data / "test.csv"))
        assert {"wer", "cer", "beam_wer", "loss"} <= set(figures)
        assert figures["empty_transcript"] == {"wer": 100.0, "cer": 100.0}
    else:
        with pytest.raises(UserError, match="`predict` works on classify, tag runs"):
            run.predict()




def best_record(records, metric, higher):
    key = (lambda r: -r[f"valid_{metric}"]) if higher else (lambda r: r[f"valid_{metric}"])
    return min(records, key=key)  # the first of equals, as fit() keeps it


def test_the_summary_says_where_the_wall_time_went(trained):
    """Setup (data, model, baseline), training (what --max-minutes bounds) and the final figures
    are timed apart, in the summary and its file."""
    *_, summary, _, run_dir = trained
    seconds = summary["seconds"]
    assert min(seconds.values()) >= 0 and seconds["training"] > 0
    assert seconds["setup"] + seconds["training"] + seconds["final"] == pytest.approx(
        seconds["total"])
    assert json.loads((run_dir / "summary.json").read_text())["seconds"] == seconds


def test_summary_figures_come_from_the_best_evaluation(trained):
    name, _, summary, _, run_dir = trained
    setup_metric = {"tag": ("f1", True), "asr": ("wer", False)}.get(name, ("loss", False))
    records = read_log(run_dir, "metrics.jsonl")
    best = best_record(records, *setup_metric)
    if name == "forecast":
        assert summary["selection"]["mae"] == pytest.approx(best["valid_mae"])  # every window
    elif name == "tag":
        assert summary["valid"]["f1"] == pytest.approx(best["valid_f1"])
    else:
        assert summary["valid"]["loss"] == pytest.approx(best["valid_loss"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_task_follows_the_protocol_and_shards_its_windows(name, tmp_path):
    make_file, settings = CASES[name]
    data = make_file(tmp_path) if make_file else None
    setup = prepare(name, {**TINY, **settings(data), "out": str(tmp_path / "run")})
    task = setup.task
    assert isinstance(task, Task)
    assert isinstance(task.example_inputs(), tuple) and task.example_inputs()
    if name == "lm":  # the stream is cut into 2 x batch rows; each rank owns a block of them
        rows = task.train.batch_size
        task.shard(1, 2)
        assert task.train.batch_size == rows
        assert torch.equal(task.train.data, task.streams["training"].data[rows:])
        return
    total = task.windows_per_epoch()
    shares = []
    size = min(3, total)
    for rank in range(size):  # as many windows each (none left over for one rank), disjoint
        task.shard(rank, size)
        shares.append([rank + w * size for w in range(task.windows_per_epoch())])
    assert sorted(sum(shares, [])) == list(range(total - total % size))


def test_in_memory_data_is_refused_where_a_task_reads_files(tmp_path):
    with pytest.raises(ConfigError, match="works for: lm, classify"):
        prepare("asr", {"out": str(tmp_path / "run")}, data={"train": (["a"], ["b"])})


def test_a_config_of_another_task_is_a_type_error(tmp_path):
    from rnnkit.tasks.lm.spec import LMConfig

    with pytest.raises(TypeError, match="takes a ClassifyConfig"):
        prepare("classify", LMConfig(out=str(tmp_path / "run")))


def test_prepare_seeds_once_before_the_model_is_built(tmp_path):
    """The initial weights and the random numbers training draws next follow from the seed
    alone: nothing reseeds between building the model and training it."""
    import torch

    text = text_file(tmp_path)
    with prepare("lm", {**TINY, **CASES["lm"][1](text), "seed": 5, "out": str(tmp_path / "run")}) as setup:
        after = torch.get_rng_state()
        torch.manual_seed(5)
        again = setup.config.build_model(len(setup.task.vocab))
        assert torch.equal(torch.get_rng_state(), after)
        for mine, theirs in zip(setup.model.parameters(), again.parameters()):
            assert torch.equal(mine, theirs)
