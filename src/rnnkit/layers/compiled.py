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
    """x (B, T, D), the cell's state, mask (B, T, 1) bool or None -> (outputs, final state).
    Without layer norm the C++ loop makes the input side W_ih x_t + b itself, a chunk of steps
    at a time (and again in the backward pass); with it, autograd computes LN(W_ih x) + b_ih
    for all steps at once, as in the bptt path."""
    reason = compiled_unsupported_reason(cell)
    if reason is not None:
        raise ValueError(f"backend='compiled' cannot serve this cell: {reason}")
    B, T, _ = x.shape
    if cell.layer_norm:
        inputs = (cell.input_projection(x), None, None)  # (B, T, 4H): autograd's part
        ln = (cell.ln_hh.weight, cell.ln_c.weight, cell.ln_c.bias)
    else:
        inputs, ln = (x, cell.weight_ih, cell.bias_ih), (None,) * 3
    drop = cell.draw_noise(B, x)  # the masks drawn in the bptt path's order: the same noise
    zone_h, zh = _zoneout(cell.zoneout, cell, T, state.h)
    zone_c, zc = _zoneout(cell.zoneout_c, cell, T, state.c)
    out, h, c = CompiledLSTM.apply(*inputs, state.h, state.c, mask, cell.weight_hh, cell.bias_hh,
                                   *ln, drop, zone_h, zone_c, zh, zc)
    return out, LSTMState(h, c)


class CompiledLSTM(torch.autograd.Function):
    """(input, W_ih, b_ih, h0, c0, mask, W_hh, b_hh, γ_hh, γ_c, β_c, drop, zone_h, zone_c, zh,
    zc) -> (outputs, h_T, c_T). `input` is x (B, T, D) when W_ih is given, else the input side
    gx (B, T, 4H) (b_ih inside it). mask (B, T, 1) bool or None; drop (B, H) or None; zone_h,
    zone_c time-major (T, B, H) masks or None, and zh, zc the evaluation constants (-1: none).
    `LSTMVariantBPTT`'s equations and derivatives, the loops in C++."""

    @staticmethod
    def forward(ctx, input, weight_ih, bias_ih, h0, c0, mask, weight_hh, bias_hh, ln_hh, ln_c_w,
                ln_c_b, drop, zone_h, zone_c, zh, zc):
        from_x = weight_ih is not None
        if from_x:
            bias = bias_ih if bias_hh is None else (bias_hh if bias_ih is None else bias_ih + bias_hh)
            source = input
        else:
            bias, source = None, input if bias_hh is None else input + bias_hh
        steps = None if mask is None else mask[..., 0].t().contiguous()  # (T, B)
        inputs = (source.transpose(0, 1).contiguous(), weight_ih, bias, h0.contiguous(),
                  c0.contiguous(), steps, weight_hh.contiguous(), ln_hh, ln_c_w, ln_c_b,
                  None if drop is None else drop.contiguous(), zone_h, zone_c)
        Hs, C = extension().forward(*inputs, zh, zc)
        ctx.save_for_backward(*inputs, C, Hs)
        ctx.constants = (zh, zc)
        ctx.biases = (bias_ih is not None, bias_hh is not None)
        out = Hs.transpose(0, 1)
        if mask is not None:
            out = out * mask
        # (past a sequence's end its state is held: step T's is the state at its own last step)
        return out.contiguous(), Hs[-1].clone(), C[-1].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_hT, d_cT):
        *inputs, C, Hs = ctx.saved_tensors
        steps = inputs[5]
        d_out = d_out.transpose(0, 1)  # (T, B, H)
        if steps is not None:
            d_out = d_out * steps[..., None]
        d_input, dh0, dc0, dW_hh, d_ln_hh, d_ln_c_w, d_ln_c_b, dW_ih, db = extension().backward(
            *inputs, *ctx.constants, C, Hs, d_out.contiguous(), d_hT.contiguous(),
            d_cT.contiguous())
        from_x = inputs[1] is not None
        has_ih, has_hh = ctx.biases
        grads_ln = tuple(g if g is not None and g.numel() else None
                         for g in (d_ln_hh, d_ln_c_w, d_ln_c_b))
        return (d_input.transpose(0, 1), dW_ih if from_x else None,
                db if from_x and has_ih else None, dh0, dc0, None, dW_hh, db if has_hh else None,
                *grads_ln, None, None, None, None, None)
