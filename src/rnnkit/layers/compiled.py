"""The compiled path: the LSTM's whole time loop, forward and backward, in C++ (`csrc/`).

`backend="compiled"` runs the LSTM and its variants — layer normalisation, recurrent dropout,
zoneout — through `csrc/lstm_variants.cpp`, built on first use with
`torch.utils.cpp_extension` and cached (PyTorch's extension folder, ~/.cache/torch_extensions):
the equations and derivatives of `rnnkit.bptt.lstm_variants`, with the per-step elementwise
work of every option fused into loops over (B, H), the recurrent product through ATen, the
input projections of all steps one product (autograd's part, as in the bptt path), and the
chunked recomputation of the gates in the backward pass (so memory stays the bptt path's).

Where no compiler is found, the first use warns once and `compiled_unsupported_reason` says
why; "auto" then keeps to the Python paths. `build_report()` gives the build's seconds (paid
once; later processes load the cached library in well under a second).
"""

from __future__ import annotations

import functools
import time
import warnings
from pathlib import Path

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from rnnkit.cells import LSTMCell, LSTMState

SOURCE = Path(__file__).resolve().parent / "csrc" / "lstm_variants.cpp"
NAME = "rnnkit_lstm_variants_v1"
# -ffast-math lets the compiler call glibc's vector exp and tanh in the gate loops; AVX2/FMA
# where this CPU has them (the build is this machine's own, cached per machine)
FLAGS = ["-O3", "-ffast-math", "-fopenmp-simd",
         *(["-mavx2", "-mfma"] if torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")
           else [])]


@functools.cache
def _built() -> tuple:
    """(extension or None, seconds the build or load took, why it failed or None)."""
    started = time.perf_counter()
    try:
        from torch.utils import cpp_extension

        module = cpp_extension.load(name=NAME, sources=[str(SOURCE)], extra_cflags=FLAGS,
                                    verbose=False)
    except (OSError, RuntimeError, ImportError, SystemExit) as error:
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else repr(error)
        warnings.warn(f"rnnkit: the compiled recurrent path could not be built ({reason}); "
                      f"the Python paths serve instead (a C++ compiler and ninja are needed)",
                      RuntimeWarning, stacklevel=3)
        return None, time.perf_counter() - started, reason
    return module, time.perf_counter() - started, None


def extension():
    """The compiled extension (built or loaded on the first call), or None."""
    return _built()[0]


def build_report() -> dict:
    """{"available", "seconds" (of the build, or of loading the cached build), "reason"}."""
    module, seconds, reason = _built()
    return {"available": module is not None, "seconds": seconds, "reason": reason}


def compiled_unsupported_reason(cell) -> str | None:
    """Why the compiled path cannot serve `cell`, or None."""
    if not isinstance(cell, LSTMCell):
        return (f"the compiled path serves the LSTM and its variants, not {type(cell).__name__} "
                f"(its Python paths serve it)")
    if cell.proj_size:
        return "proj_size"
    if cell.peephole:
        return "peephole"
    if extension() is None:
        return f"the compiled path is not built here ({_built()[2]})"
    return None


def _zoneout(p: float, cell, T: int, like: Tensor):
    """(time-major masks (T, B, H) in training, or None; the constant in evaluation, or -1)."""
    if p == 0.0:
        return None, -1.0
    if cell.training:
        return like.new_empty(T, *like.shape).bernoulli_(p), -1.0
    return None, float(p)


def run_compiled(cell: LSTMCell, x: Tensor, state: LSTMState, mask: Tensor | None):
    """x (B, T, D), the cell's state, mask (B, T, 1) bool or None -> (outputs, final state)."""
    reason = compiled_unsupported_reason(cell)
    if reason is not None:
        raise ValueError(f"backend='compiled' cannot serve this cell: {reason}")
    B, T, _ = x.shape
    gx = cell.input_projection(x)  # (B, T, 4H), autograd's part: one batched operation
    ln = (cell.ln_hh.weight, cell.ln_c.weight, cell.ln_c.bias) if cell.layer_norm else (None,) * 3
    drop = cell.draw_noise(B, x)  # the masks drawn in the bptt path's order: the same noise
    zone_h, zh = _zoneout(cell.zoneout, cell, T, state.h)
    zone_c, zc = _zoneout(cell.zoneout_c, cell, T, state.c)
    out, h, c = CompiledLSTM.apply(gx, state.h, state.c, mask, cell.weight_hh, cell.bias_hh, *ln,
                                   drop, zone_h, zone_c, zh, zc)
    return out, LSTMState(h, c)


class CompiledLSTM(torch.autograd.Function):
    """(gx, h0, c0, mask, W_hh, b_hh, γ_hh, γ_c, β_c, drop, zone_h, zone_c, zh, zc) -> (outputs,
    h_T, c_T): `LSTMVariantBPTT`'s contract, the loops in C++."""

    @staticmethod
    def forward(ctx, gx, h0, c0, mask, weight_hh, bias_hh, ln_hh, ln_c_w, ln_c_b, drop, zone_h,
                zone_c, zh, zc):
        gxb = (gx if bias_hh is None else gx + bias_hh).transpose(0, 1).contiguous()  # (T, B, 4H)
        steps = None if mask is None else mask[..., 0].t().contiguous()  # (T, B)
        inputs = (gxb, h0.contiguous(), c0.contiguous(), steps, weight_hh.contiguous(), ln_hh,
                  ln_c_w, ln_c_b, None if drop is None else drop.contiguous(), zone_h, zone_c,
                  zh, zc)
        Hs, C = extension().forward(*inputs)
        ctx.save_for_backward(*(t for t in inputs[:11]), C, Hs)
        ctx.constants, ctx.bias = (zh, zc), bias_hh is not None
        out = Hs.transpose(0, 1)
        if mask is not None:
            out = out * mask
        # (past a sequence's end its state is held: step T's is the state at its own last step)
        return out.contiguous(), Hs[-1].clone(), C[-1].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_hT, d_cT):
        *inputs, C, Hs = ctx.saved_tensors
        steps = inputs[3]
        d_out = d_out.transpose(0, 1)  # (T, B, H)
        if steps is not None:
            d_out = d_out * steps[..., None]
        dA, dh0, dc0, dW, d_ln_hh, d_ln_c_w, d_ln_c_b = extension().backward(
            *inputs, *ctx.constants, C, Hs, d_out.contiguous(), d_hT.contiguous(),
            d_cT.contiguous())
        d_b_hh = dA.sum((0, 1)) if ctx.bias else None
        grads_ln = tuple(g if g is not None and g.numel() else None
                         for g in (d_ln_hh, d_ln_c_w, d_ln_c_b))
        return (dA.transpose(0, 1), dh0, dc0, None, dW, d_b_hh, *grads_ln, None, None, None,
                None, None)
