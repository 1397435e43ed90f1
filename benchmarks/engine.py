"""Recurrent engine benchmark (issue: the recurrent engine).

fwd+bwd seconds, median of interleaved runs, for (T, B, D, H) shapes:
- rnnkit fused LSTM/GRU vs bare torch.nn.LSTM/GRU (target >= 0.97x: no overhead);
- rnnkit loop, bptt and compiled backends, as ratios to bare torch;
- LN-LSTM with recurrent dropout and zoneout: rnnkit vs a naive autograd loop of that cell
  (target >= 2x), and every path of it as a ratio to the bare fused plain LSTM (issue "a
  compiled recurrent step": compiled >= 0.7x); the compiled path's build time beside it;
- LN-GRU with recurrent dropout and zoneout: loop and compiled as ratios to the bare fused
  plain GRU (same target);
- memory kept for backward by the bptt backend vs autograd's loop at T = 500 (target <= 0.5x).
Ratios are speed-ups: baseline time / rnnkit time (> 1 means rnnkit is faster).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

import rnnkit
from benchmarks.peak_memory import in_fresh_process
from benchmarks.timing import fwd_bwd, saved_bytes, time_interleaved
from rnnkit.layers.compiled import build_report

SHAPES = [(100, 32, 64, 256), (50, 16, 32, 128), (200, 64, 128, 512)]


class NaiveLNLSTM(torch.nn.Module):
    """A hand-written autograd loop of LN-LSTM + recurrent dropout + zoneout, as a user writes it."""

    def __init__(self, cell: rnnkit.LSTMCell) -> None:
        super().__init__()
        self.cell = cell

    def forward(self, x):
        cell = self.cell
        H = cell.hidden_size
        B, T, _ = x.shape
        h, c = x.new_zeros(B, H), x.new_zeros(B, H)
        keep = 1 - cell.recurrent_dropout
        mask = torch.bernoulli(x.new_full((B, H), keep)) / keep
        outputs = []
        for t in range(T):
            gi = F.layer_norm(x[:, t] @ cell.weight_ih.T, (4 * H,), cell.ln_ih.weight) + cell.bias_ih
            gh = F.layer_norm((h * mask) @ cell.weight_hh.T, (4 * H,), cell.ln_hh.weight) + cell.bias_hh
            i, f, g, o = (gi + gh).chunk(4, 1)
            c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            c_norm = F.layer_norm(c_new, (H,), cell.ln_c.weight, cell.ln_c.bias)
            h_new = torch.sigmoid(o) * torch.tanh(c_norm)
            d_h = torch.bernoulli(torch.full_like(h, cell.zoneout))
            d_c = torch.bernoulli(torch.full_like(c, cell.zoneout_c))
            h = d_h * h + (1 - d_h) * h_new
            c = d_c * c + (1 - d_c) * c_new
            outputs.append(h)
        return torch.stack(outputs, 1), (h, c)


def speed_rows(repeats: int) -> list[dict]:
    rows = []
    for T, B, D, H in SHAPES:
        torch.manual_seed(0)
        x = torch.randn(B, T, D)
        for kind, torch_class in (
            ("LSTM", torch.nn.LSTM),
            ("GRU", torch.nn.GRU),
        ):
            bare = torch_class(D, H, batch_first=True)
            paths = ("fused", "loop", "bptt", "compiled")
            ours = {b: rnnkit.from_torch(bare) for b in paths}
            for backend, layer in ours.items():
                layer.backend = backend
            runs = {"torch": fwd_bwd(bare, x)}
            runs.update({b: fwd_bwd(layer, x) for b, layer in ours.items()})
            times = time_interleaved(runs, repeats=repeats)
            rows.append({"shape": (T, B, D, H), "cell": kind, **times})
        variant = {b: rnnkit.LSTM(D, H, layer_norm=True, recurrent_dropout=0.25, zoneout=0.1,
                                  backend=b) for b in ("loop", "bptt", "compiled")}
        for layer in variant.values():
            layer.load_state_dict(variant["loop"].state_dict())
        naive = NaiveLNLSTM(variant["loop"].cells()[0])
        fused = torch.nn.LSTM(D, H, batch_first=True)
        times = time_interleaved(
            {"naive": fwd_bwd(naive, x), "torch": fwd_bwd(fused, x),
             **{b: fwd_bwd(layer, x) for b, layer in variant.items()}},
            repeats=repeats,
        )
        rows.append({"shape": (T, B, D, H), "cell": "LN-LSTM+rd+zo", **times})
        gru = {b: rnnkit.GRU(D, H, layer_norm=True, recurrent_dropout=0.25, zoneout=0.1,
                             backend=b) for b in ("loop", "compiled")}
        gru["compiled"].load_state_dict(gru["loop"].state_dict())
        times = time_interleaved(
            {"torch": fwd_bwd(torch.nn.GRU(D, H, batch_first=True), x),
             **{b: fwd_bwd(layer, x) for b, layer in gru.items()}},
            repeats=repeats,
        )
        rows.append({"shape": (T, B, D, H), "cell": "LN-GRU+rd+zo", **times})
    return rows


def memory_rows(T: int = 500, B: int = 32, D: int = 64, H: int = 256) -> list[str]:
    """Saved-for-backward MiB and peak-RSS MiB of one fwd+bwd, per backend."""
    x = torch.randn(B, T, D, requires_grad=True)
    layer = rnnkit.LSTM(D, H)
    lines = [
        f"Memory of one fwd+bwd, LSTM (T, B, D, H) = {(T, B, D, H)}:",
        "",
        "| backend | kept for backward MiB | peak RSS rise MiB | peak vs loop (autograd) |",
        "|---|---|---|---|",
    ]
    peaks = {}
    for backend in ("loop", "bptt", "compiled", "fused"):
        layer.backend = backend
        kept = saved_bytes(lambda: layer(x)[0].sum()) / 2**20
        peaks[backend] = in_fresh_process(backend, T, B, D, H)
        lines.append(f"| {backend} | {kept:.1f} | {peaks[backend]:.1f} | "
                     f"{peaks[backend] / peaks['loop']:.2f}x |")
    return lines


def run(quick: bool = False) -> str:
    repeats = 2 if quick else 5
    build = build_report()
    rows = speed_rows(repeats)
    lines = [
        "## Recurrent engine: fwd+bwd, CPU, median of interleaved runs",
        f"torch {torch.__version__}, {torch.get_num_threads()} threads",
        "",
        f"compiled path: built or loaded in {build['seconds']:.1f} s "
        f"({'available' if build['available'] else 'not built: ' + str(build['reason'])})",
        "",
        "| (T, B, D, H) | cell | baseline s | fused | loop | bptt | compiled |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["cell"] in ("LSTM", "GRU"):
            base = row["torch"]
            ratios = " | ".join(f"{base / row[b]:.2f}x" if b in row else "—"
                                for b in ("fused", "loop", "bptt", "compiled"))
            lines.append(f"| {row['shape']} | {row['cell']} vs torch.nn | {base:.4f} | {ratios} |")
    lines += [
        "",
        "| (T, B, D, H) | cell | naive loop s | fused plain LSTM s | loop | bptt | compiled "
        "(auto) | compiled vs fused plain |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["cell"] == "LN-LSTM+rd+zo":
            lines.append(
                f"| {row['shape']} | {row['cell']} | {row['naive']:.4f} | {row['torch']:.4f} | "
                + " | ".join(f"{row['naive'] / row[b]:.2f}x" for b in ("loop", "bptt", "compiled"))
                + f" | {row['torch'] / row['compiled']:.2f}x |"
            )
    lines += [
        "",
        "| (T, B, D, H) | cell | fused plain GRU s | loop | compiled (auto) |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        if row["cell"] == "LN-GRU+rd+zo":
            lines.append(f"| {row['shape']} | {row['cell']} | {row['torch']:.4f} | "
                         f"{row['torch'] / row['loop']:.2f}x | {row['torch'] / row['compiled']:.2f}x |")
    lines += ["", *memory_rows()]
    return "\n".join(lines)
