"""`rnnkit export` for every task that has graphs: the ONNX file run by ONNX Runtime equals the
PyTorch model (its own fused or reference path) within 1e-4 for batch 1 and 8 and T = 1, 7, 64,
300 with unequal lengths, bidirectional and layer-normalised variants included; the language
model's step graph fed one step at a time equals the whole sequence; TorchScript likewise; int8
stays close; what cannot be exported is one error naming why, with nothing written."""

import json

import numpy as np
import onnxruntime
import pytest
import torch

from helpers import one_error_line, run_cli, tiny_task_data
from rnnkit.errors import UserError
from rnnkit.export import export_run
from rnnkit.export.parity import TOLERANCE
from rnnkit.run import open_run, train

FAST = {"max_steps": 2, "eval_every": 2, "device": "cpu"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, spoken):
    """Tiny trained runs of each task, made once for the module."""
    root = tmp_path_factory.mktemp("runs")
    data = tiny_task_data(root)
    text, conll, series, pairs = data.text, data.conll, data.series, data.pairs
    texts, labels = data.texts, data.labels
    made = {}
    configs = {
        "lm": ("lm", {"data": str(text), "hidden_size": 12, "num_layers": 2, "embedding_size": 6,
                      "batch_size": 4, "bptt": 10, "ngram_order": 0}, None),
        "lm-variants": ("lm", {"data": str(text), "hidden_size": 8, "num_layers": 1,
                               "embedding_size": 6, "batch_size": 4, "bptt": 10, "ngram_order": 0,
                               "layer_norm": True, "zoneout": 0.1, "peephole": True,
                               "learn_init": True}, None),
        "classify": ("classify", {"hidden_size": 8, "bidirectional": True, "layer_norm": True,
                                  "pooling": "attention", "embedding_size": 6, "batch_size": 4},
                     {"train": (texts, labels)}),
        "tag": ("tag", {"data": str(conll), "hidden_size": 8, "word_embedding_size": 6,
                        "char_hidden_size": 4, "char_embedding_size": 4, "batch_size": 4,
                        "cell": "gru"}, None),
        "forecast": ("forecast", {"data": str(series), "time_column": "t", "target": "y",
                                  "lookback": 12, "horizon": 4, "hidden_size": 8, "batch_size": 8},
                     None),
        "asr": ("asr", {"data": str(spoken / "train.csv"), "valid": str(spoken / "valid.csv"),
                        "hidden_size": 8, "num_layers": 1, "n_mels": 16, "batch_size": 4,
                        "eval_utterances": 2, "beam": 1, "lm_order": 0}, None),
        "asr-stream": ("asr", {"data": str(spoken / "train.csv"), "valid": str(spoken / "valid.csv"),
                               "hidden_size": 8, "num_layers": 2, "n_mels": 16, "batch_size": 4,
                               "eval_utterances": 2, "beam": 1, "lm_order": 0, "lookahead": 1,
                               "bidirectional": False, "normalise": "global", "cell": "gru"},
                       None),
        "seq2seq": ("seq2seq", {"data": str(pairs), "hidden_size": 8, "embedding_size": 6,
                                "batch_size": 8, "eval_sentences": 4, "beam": 1}, None),
        "adding": ("adding", {"seq_len": 10, "hidden_size": 8, "valid_size": 16, "cell": "rnn"},
                   None),
    }
    for name, (task, config, data) in configs.items():
        summary = train(task, {**config, **FAST, "out": str(root / name)}, data=data)
        made[name] = open_run(summary["run"], device="cpu")
    return made, root


@pytest.mark.parametrize("name", ["lm", "lm-variants", "classify", "tag", "forecast", "asr",
                                  "asr-stream", "adding"])
def test_onnx_equals_pytorch_at_every_length(runs, name, tmp_path):
    made, _ = runs
    report = export_run(made[name], "onnx", tmp_path / "model.onnx")
    sequence = [row for row in report["parity"] if row["graph"] == "model"]
    assert {(row["batch"], row["time"]) for row in sequence} == {
        (b, t) for b in (1, 8) for t in (1, 7, 64, 300)}
    assert all(row["max_error"] <= TOLERANCE for row in report["parity"]), report["parity"]
    streams = made[name].spec.session is not None and not made[name].model.rnn.bidirectional
    assert any(row["graph"].startswith("step") for row in report["parity"]) == streams
    description = json.loads((tmp_path / "model.json").read_text())
    assert description["graphs"]["model"]["file"] == "model.onnx"
    assert description["task_meta"]["name"] == made[name].name


def test_the_file_alone_reproduces_the_model(runs, tmp_path):
    """Independent of the report: load the written file and compare on a fresh ragged batch."""
    made, _ = runs
    run = made["classify"]
    export_run(run, "onnx", tmp_path / "c.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "c.onnx"))
    x = torch.randint(0, run.model.embedding.num_embeddings, (5, 23))
    lengths = torch.tensor([23, 1, 9, 17, 4])
    (got,) = session.run(None, {"inputs": x.numpy(), "lengths": lengths.numpy()})
    with torch.no_grad():
        want = run.model(x, lengths)
    np.testing.assert_allclose(got, want.numpy(), atol=1e-5)
    for i in range(5):  # and each sequence alone, without padding
        alone = run.model(x[i : i + 1, : lengths[i]], lengths[i : i + 1]).detach().numpy()
        np.testing.assert_allclose(got[i : i + 1], alone, atol=1e-5)


def test_step_graph_reproduces_the_sequence_and_generation(runs, tmp_path):
    made, _ = runs
    run = made["lm-variants"]
    report = export_run(run, "onnx", tmp_path / "lm.onnx")
    steps = [row for row in report["parity"] if row["graph"].startswith("step")]
    assert len(steps) == 2 and all(row["max_error"] <= TOLERANCE for row in steps)
    step = onnxruntime.InferenceSession(str(tmp_path / "lm.step.onnx"))
    tokens = torch.tensor([[3, 1, 4, 1, 5, 9, 2]])
    h, c = (leaf.detach().numpy() for leaf in run.model.rnn.initial_state(1, like=tokens.float()))
    with torch.no_grad():
        logits, _ = run.model(tokens)
    for t in range(7):
        out, h, c = step.run(None, {"token": tokens[:, t].numpy(), "h": h, "c": c})
        np.testing.assert_allclose(out, logits[:, t].numpy(), atol=1e-5)


def test_torchscript_equals_pytorch(runs, tmp_path):
    made, _ = runs
    report = export_run(made["lm"], "torchscript", tmp_path / "lm.pt")
    assert all(row["max_error"] <= TOLERANCE for row in report["parity"])
    loaded = torch.jit.load(str(tmp_path / "lm.pt"))
    tokens, lengths = torch.randint(0, 10, (3, 11)), torch.tensor([11, 2, 6])
    with torch.no_grad():
        torch.testing.assert_close(loaded(tokens, lengths)[0],
                                   made["lm"].model.head(made["lm"].model.rnn(
                                       made["lm"].model.embedding(tokens), lengths)[0]))


def test_torchscript_names_a_variant_the_kernels_cannot_run(runs, tmp_path):
    made, _ = runs
    with pytest.raises(UserError, match="fused kernels, which cannot run peephole; use --format onnx"):
        export_run(made["lm-variants"], "torchscript", tmp_path / "lm.pt")
    assert list(tmp_path.iterdir()) == []


def test_int8_is_smaller_and_close(runs, tmp_path):
    made, _ = runs
    report = export_run(made["lm"], "onnx", tmp_path / "lm.onnx", int8=True)
    assert report["int8_difference"]
    assert max(row["max_error"] for row in report["int8_difference"]) < 0.1
    kinds = {node.op_type for node in __import__("onnx").load(str(tmp_path / "lm.onnx")).graph.node}
    assert kinds & {"DynamicQuantizeLinear", "MatMulInteger", "DynamicQuantizeMatMul"}, kinds


def test_export_command_writes_and_refuses_to_overwrite(runs, tmp_path, capsys):
    _, root = runs
    code, out, err = run_cli(["export", root / "adding", "-o", tmp_path / "a.onnx"], capsys)
    assert code == 0 and "wrote a.onnx" in out and "largest difference" in err
    before = (tmp_path / "a.onnx").read_bytes()
    code, _, err = run_cli(["export", root / "adding", "-o", tmp_path / "a.onnx"], capsys)
    assert code == 2 and "exists; pass --overwrite" in one_error_line(err)
    assert (tmp_path / "a.onnx").read_bytes() == before


def test_an_encoder_decoder_is_refused_with_the_reason(runs, tmp_path, capsys):
    _, root = runs
    code, _, err = run_cli(["export", root / "seq2seq", "-o", tmp_path / "s.onnx"], capsys)
    assert code == 2 and "search loop over its decoder" in one_error_line(err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, expected", [
    (["--to", "torchscript", "--int8"], "--int8 quantises ONNX graphs"),
    (["--format", "onnx"], "the model's format is --to onnx"),
    ([], "no such run folder"),
])
def test_bad_exports_are_one_line(tmp_path, capsys, runs, args, expected):
    _, root = runs
    target = root / "adding" if args else tmp_path / "nothing"
    code, _, err = run_cli(["export", target, "-o", tmp_path / "x.onnx", *args], capsys)
    assert code == 2 and expected in one_error_line(err)
    assert not (tmp_path / "x.onnx").exists()
