"""What the tests share: run `rnnkit` in-process and read its one error line; a small language
model run, stopped where a test wants."""

import dataclasses
import hashlib
import io

from rnnkit.cli.main import main
from rnnkit.run import prepare
from rnnkit.tasks.lm.spec import LMConfig
from rnnkit.train.fit import fit
from rnnkit.train.run_folder import RunFolder


def run_cli(args, capsys, stdin=None, monkeypatch=None):
    """(exit code, stdout, stderr) of `rnnkit ARGS` (arguments turned to strings); `stdin` is
    fed to the command through `monkeypatch`."""
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    """The single `rnnkit: error:` line of stderr; fails if there is more, or a traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("rnnkit: error:"), err
    assert "Traceback" not in err
    return lines[0]


def small_config(corpus, out, **changes) -> LMConfig:
    """A tiny language model on `corpus` into run folder `out`: 12 steps, evaluated every 4."""
    base = LMConfig(data=str(corpus), out=str(out), hidden_size=16, num_layers=1,
                    embedding_size=8, batch_size=4, bptt=12, eval_every=4, max_steps=12,
                    ngram_order=0, dropout=0.1, lr=0.01)
    return dataclasses.replace(base, **changes)


def train_lm(config, stop_after_step=None):
    """(model, events, run folder) of fit() on `config`, stopped right after the evaluation
    at `stop_after_step` (as a kill after a checkpoint would) if given."""
    setup = prepare("lm", config)
    model, run_dir = setup.model, setup.run_dir
    events = []
    for event in fit(model, setup.task, config, RunFolder(run_dir), setup.device):
        events.append(event)
        if stop_after_step is not None and event["event"] == "eval" and event["step"] == stop_after_step:
            break
    return model, events, run_dir


TINY_LM = ["--hidden-size", "8", "--embedding-size", "8", "--num-layers", "1", "--bptt", "10",
           "--batch-size", "4", "--max-steps", "5", "--eval-every", "5", "--device", "cpu",
           "--ngram-order", "0"]  # a language model that trains in a second


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hashes(folder) -> dict:
    """sha256 of every file below `folder`, by relative path."""
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def tiny_task_data(root):
    """Small files for a run of every task, written into `root`: a text (language models), CoNLL
    (taggers), a series CSV (forecasters), translation pairs, and texts with labels given from
    Python (classifiers)."""
    import types

    import numpy as np

    found = types.SimpleNamespace(text=root / "corpus.txt", conll=root / "train.conll",
                                  series=root / "series.csv", pairs=root / "pairs.tsv")
    found.text.write_text("It is a truth universally acknowledged, that a single man in "
                          "possession of a good fortune, must be in want of a wife.\n" * 20)
    found.conll.write_text("John B-PER\nlives O\nin O\nParis B-LOC\n\nMary B-PER\nAnn I-PER\n"
                           "went O\nhome O\n\n" * 10)
    found.series.write_text("t,y\n" + "".join(f"{t},{np.sin(t / 3) + t / 50:.4f}\n"
                                              for t in range(200)))
    words = ["red", "blue", "green", "small", "big", "cat", "dog"]
    found.pairs.write_text("".join(f"{a} {b} {c}\t{c} {b} {a}\n" for a in words for b in words[:3]
                                   for c in words[3:]))
    found.texts = ["a superb, moving film", "dull and far too long", "great acting",
                   "an awful mess"] * 4
    found.labels = ["pos", "neg", "pos", "neg"] * 4
    return found


def naive_variant_lstm(cell, x, drop, zone_h, zone_c, mask=None):
    """LN-LSTM + recurrent dropout + zoneout gate by gate (and the cell's peepholes and
    projection, if it has them), with the masks given (zoneout's time-major (T, B, R) and
    (T, B, H)); with a length `mask` (B, T, 1) the state is held past each end and
    the outputs there are zero. Returns (outputs, h_T, c_T)."""
    import torch

    B, T, _ = x.shape
    H, R = cell.hidden_size, cell.recurrent_size
    ln = torch.nn.functional.layer_norm
    h, c, outs = torch.zeros(B, R), torch.zeros(B, H), []
    for t in range(T):
        gi = ln(x[:, t] @ cell.weight_ih.T, (4 * H,), cell.ln_ih.weight) + cell.bias_ih
        gh = ln((h * drop) @ cell.weight_hh.T, (4 * H,), cell.ln_hh.weight) + cell.bias_hh
        i, f, g, o = (gi + gh).chunk(4, 1)
        if cell.peephole:  # w_ci ⊙ c_{t−1}, w_cf ⊙ c_{t−1}, then w_co ⊙ c_t
            w_ci, w_cf, w_co = cell.peephole_weight.chunk(3)
            i, f = i + w_ci * c, f + w_cf * c
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        if cell.peephole:
            o = o + w_co * c_new
        h_new = torch.sigmoid(o) * torch.tanh(ln(c_new, (H,), cell.ln_c.weight, cell.ln_c.bias))
        if cell.proj_size:
            h_new = h_new @ cell.weight_hr.T
        h_new = zone_h[t] * h + (1 - zone_h[t]) * h_new
        c_new = zone_c[t] * c + (1 - zone_c[t]) * c_new
        if mask is None:
            h, c = h_new, c_new
            outs.append(h)
        else:
            keep = mask[:, t]
            h, c = torch.where(keep, h_new, h), torch.where(keep, c_new, c)
            outs.append(h * keep)
    return torch.stack(outs, 1), h, c


def naive_variant_gru(cell, x, drop, zone, mask=None):
    """LN-GRU + recurrent dropout + zoneout written out, with the masks given (zoneout's
    time-major (T, B, H)); a length `mask` (B, T, 1) holds h past each end. (outputs, h_T)."""
    import torch

    B, T, _ = x.shape
    H = cell.hidden_size
    ln = torch.nn.functional.layer_norm
    h, outs = torch.zeros(B, H), []
    for t in range(T):
        gi = ln(x[:, t] @ cell.weight_ih.T, (3 * H,), cell.ln_ih.weight) + cell.bias_ih
        gh = ln((h * drop) @ cell.weight_hh.T, (3 * H,), cell.ln_hh.weight) + cell.bias_hh
        (i_r, i_z, i_n), (h_r, h_z, h_n) = gi.chunk(3, 1), gh.chunk(3, 1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        h_new = (1 - z) * torch.tanh(i_n + r * h_n) + z * h
        h_new = zone[t] * h + (1 - zone[t]) * h_new
        h = h_new if mask is None else torch.where(mask[:, t], h_new, h)
        outs.append(h if mask is None else h * mask[:, t])
    return torch.stack(outs, 1), h


def naive_variant_elman(cell, x, drop, zone, mask=None):
    """LN-Elman + recurrent dropout + zoneout written out, as `naive_variant_gru`."""
    import torch

    B, T, _ = x.shape
    H = cell.hidden_size
    ln = torch.nn.functional.layer_norm
    f = torch.tanh if cell.nonlinearity == "tanh" else torch.relu
    h, outs = torch.zeros(B, H), []
    for t in range(T):
        a = (ln(x[:, t] @ cell.weight_ih.T, (H,), cell.ln_ih.weight) + cell.bias_ih
             + ln((h * drop) @ cell.weight_hh.T, (H,), cell.ln_hh.weight) + cell.bias_hh)
        h_new = zone[t] * h + (1 - zone[t]) * f(a)
        h = h_new if mask is None else torch.where(mask[:, t], h_new, h)
        outs.append(h if mask is None else h * mask[:, t])
    return torch.stack(outs, 1), h
