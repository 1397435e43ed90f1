"""The compiled path: the whole time loop of a cell, forward and backward, in C++ (`csrc/`).

`backend="compiled"` runs the LSTM, the GRU and the Elman RNN with their variants — layer
normalisation, recurrent dropout, zoneout, length masks — through `csrc/` (`lstm.cpp`,
`gru.cpp`, `elman.cpp`, one extension), built on first use with `torch.utils.cpp_extension`
and cached (PyTorch's extension folder, ~/.cache/torch_extensions): the cells' equations and
their derivatives (the LSTM's are `rnnkit.bptt.lstm_variants`'), with the per-step elementwise
work of every option fused into loops over (B, H), the recurrent product through ATen, the
input projections a chunk of steps at a time (or, with layer norm, autograd's one product for
all steps), and the chunked recomputation of the gates in the backward pass (so memory stays
the bptt path's). The LSTM's loop also serves peepholes and projections.

Where no compiler is found, the first use warns once and `compiled_unsupported_reason` says
why; "auto" then keeps to the Python paths. `build_report()` gives the build's seconds (paid
once; later processes load the cached library in well under a second).
"""

from __future__ import annotations

import functools
import logging
import time
import warnings
from pathlib import Path

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from rnnkit.cells import ElmanCell, GRUCell, LSTMCell, LSTMState

log = logging.getLogger(__name__)  # notices of long waits; the command line shows them

SOURCES = [Path(__file__).resolve().parent / "csrc" / name
           for name in ("module.cpp", "lstm.cpp", "gru.cpp", "elman.cpp")]
NAME = "rnnkit_recurrent_v2"
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

        if not built_before(cpp_extension):
            log.info("building the compiled recurrent path for this machine (once; a few minutes "
                     "on 2 cores)")

        module = cpp_extension.load(name=NAME, sources=[str(path) for path in SOURCES], extra_cflags=FLAGS,
                                    verbose=False)
    except (OSError, RuntimeError, ImportError, SystemExit) as error:
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else repr(error)
        warnings.warn(f"rnnkit: the compiled recurrent path could not be built ({reason}); "
                      f"the Python paths serve instead (a C++ compiler and ninja are needed)",
                      RuntimeWarning, stacklevel=3)
        return None, time.perf_counter() - started, reason
    return module, time.perf_counter() - started, None


def built_before(cpp_extension) -> bool:
    """Whether this machine holds the extension's build already (loading it is then quick)."""
    try:
        folder = Path(cpp_extension._get_build_directory(NAME, verbose=False))
    except Exception:  # noqa: BLE001 - a private helper of PyTorch's: no answer, no notice
        return True
    return any(folder.glob(f"{NAME}*.so"))


def extension():
    """The compiled extension (built or loaded on the first call), or None."""
    return _built()[0]


def build_report() -> dict:
    """{"available", "seconds" (of the build, or of loading the cached build), "reason"}."""
    module, seconds, reason = _built()
    return {"available": module is not None, "seconds": seconds, "reason": reason}


def compiled_unsupported_reason(cell) -> str | None:
    """Why the compiled path cannot serve `cell`, or None."""
    if not isinstance(cell, (LSTMCell, GRUCell, ElmanCell)):
        return (f"the compiled path serves the LSTM, GRU and Elman cells, not "
                f"{type(cell).__name__} (its Python paths serve it)")
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


def run_compiled(cell, x: Tensor, state, mask: Tensor | None):
    """x (B, T, D), the cell's state, mask (B, T, 1) bool or None -> (outputs, final state).
    Without layer norm the C++ loop makes the input side W_ih x_t + b itself, a chunk of steps
    at a time (and again in the backward pass); with it, autograd computes LN(W_ih x) + b_ih
    for all steps at once, as in the bptt path."""
    reason = compiled_unsupported_reason(cell)
    if reason is not None:
        raise ValueError(f"backend='compiled' cannot serve this cell: {reason}")
    if not isinstance(cell, LSTMCell):
        return _run_single_state(cell, x, state, mask)
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
                                   *ln, drop, zone_h, zone_c, zh, zc,
                                   cell.peephole_weight if cell.peephole else None,
                                   cell.weight_hr if cell.proj_size else None)
    return out, LSTMState(h, c)


def _run_single_state(cell, x: Tensor, h0: Tensor, mask: Tensor | None):
    """The GRU's or the Elman cell's compiled loop (one state tensor h)."""
    B, T, _ = x.shape
    if cell.layer_norm:
        inputs = (cell.input_projection(x), None, None)
    else:
        inputs = (x, cell.weight_ih, cell.bias_ih)
    ln = cell.ln_hh.weight if cell.layer_norm else None
    drop = cell.draw_noise(B, x)
    zone, zh = _zoneout(cell.zoneout, cell, T, h0)
    if isinstance(cell, GRUCell):
        return CompiledGRU.apply(*inputs, h0, mask, cell.weight_hh, cell.bias_hh, ln, drop, zone,
                                 zh)
    return CompiledElman.apply(*inputs, h0, mask, cell.weight_hh, cell.bias_hh, ln, drop, zone,
                               zh, cell.nonlinearity == "relu")


def _time_major(mask: Tensor | None, *tensors):
    """(the (T, B) mask or None, then each (B, T, ·) tensor as a contiguous (T, B, ·) one)."""
    steps = None if mask is None else mask[..., 0].t().contiguous()
    return steps, *(t.transpose(0, 1).contiguous() for t in tensors)


def _outputs(Hs: Tensor, mask: Tensor | None) -> Tensor:
    """Batch-first outputs from the time-major states, zero past each sequence's end."""
    out = Hs.transpose(0, 1)
    return (out if mask is None else out * mask).contiguous()


def _incoming(d_out: Tensor, steps: Tensor | None) -> Tensor:
    """The gradient reaching the outputs, time-major and zero past each end."""
    d_out = d_out.transpose(0, 1)
    return (d_out if steps is None else d_out * steps[..., None]).contiguous()


def _defined(grad):
    return grad if grad is not None and grad.numel() else None


class CompiledGRU(torch.autograd.Function):
    """(input, W_ih, b_ih, h0, mask, W_hh, b_hh, γ_hh, drop, zone, zh) -> (outputs, h_T).
    `input` is x (B, T, D) when W_ih is given, else gi (B, T, 3H) (b_ih inside it); b_hh stays
    apart (r multiplies W_hn h + b_hn). mask (B, T, 1) bool or None, drop (B, H) or None, zone
    a time-major (T, B, H) mask or None and zh its evaluation constant (-1: none)."""

    @staticmethod
    def forward(ctx, input, weight_ih, bias_ih, h0, mask, weight_hh, bias_hh, ln_hh, drop, zone,
                zh):
        steps, source = _time_major(mask, input)
        inputs = (source, weight_ih, bias_ih if weight_ih is not None else None, h0.contiguous(),
                  steps, weight_hh.contiguous(), bias_hh, ln_hh,
                  None if drop is None else drop.contiguous(), zone)
        Hs = extension().gru_forward(*inputs, zh)
        ctx.save_for_backward(*inputs, Hs)
        ctx.zh = zh
        ctx.has_ih = bias_ih is not None
        return _outputs(Hs, mask), Hs[-1].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_hT):
        *inputs, Hs = ctx.saved_tensors
        d_input, dh0, dW_hh, d_ln, dW_ih, db_ih, db_hh = extension().gru_backward(
            *inputs, ctx.zh, Hs, _incoming(d_out, inputs[4]), d_hT.contiguous())
        from_x = inputs[1] is not None
        return (d_input.transpose(0, 1), dW_ih if from_x else None,
                db_ih if from_x and ctx.has_ih else None, dh0, None, dW_hh,
                db_hh if inputs[6] is not None else None, _defined(d_ln), None, None, None)


class CompiledElman(torch.autograd.Function):
    """(input, W_ih, b_ih, h0, mask, W_hh, b_hh, γ_hh, drop, zone, zh, relu) -> (outputs, h_T).
    `input` is x (B, T, D) when W_ih is given, else gx (B, T, H) (b_ih inside it); both biases
    enter the loop as one sum. Masks as `CompiledGRU`'s."""

    @staticmethod
    def forward(ctx, input, weight_ih, bias_ih, h0, mask, weight_hh, bias_hh, ln_hh, drop, zone,
                zh, relu):
        from_x = weight_ih is not None
        steps, source = _time_major(mask, input)
        bias = bias_ih if from_x else None
        if bias_hh is not None:
            bias = bias_hh if bias is None else bias + bias_hh
        if not from_x and bias is not None:
            source, bias = source + bias, None
        inputs = (source, weight_ih, bias, h0.contiguous(), steps, weight_hh.contiguous(), ln_hh,
                  None if drop is None else drop.contiguous(), zone)
        Hs = extension().elman_forward(*inputs, zh, relu)
        ctx.save_for_backward(*inputs, Hs)
        ctx.constants = (zh, relu)
        ctx.biases = (bias_ih is not None, bias_hh is not None)
        return _outputs(Hs, mask), Hs[-1].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_hT):
        *inputs, Hs = ctx.saved_tensors
        d_input, dh0, dW_hh, d_ln, dW_ih, db = extension().elman_backward(
            *inputs, *ctx.constants, Hs, _incoming(d_out, inputs[4]), d_hT.contiguous())
        from_x = inputs[1] is not None
        has_ih, has_hh = ctx.biases  # (δb = Σ δa: given gx, the biases were added to it)
        return (d_input.transpose(0, 1), dW_ih if from_x else None,
                db if from_x and has_ih else None, dh0, None, dW_hh,
                db if has_hh else None, _defined(d_ln), None, None, None, None)


class CompiledLSTM(torch.autograd.Function):
    """(input, W_ih, b_ih, h0, c0, mask, W_hh, b_hh, γ_hh, γ_c, β_c, drop, zone_h, zone_c, zh,
    zc, peephole, W_hr) -> (outputs, h_T, c_T). `input` is x (B, T, D) when W_ih is given, else
    the input side gx (B, T, 4H) (b_ih inside it). mask (B, T, 1) bool or None; drop (B, R) or
    None; zone_h (T, B, R), zone_c (T, B, H) time-major masks or None, and zh, zc the evaluation
    constants (-1: none); peephole (3H) [w_ci | w_cf | w_co] or None; W_hr (R, H) or None.
    `LSTMVariantBPTT`'s equations and derivatives (and those of peepholes and projections), the
    loops in C++."""

    @staticmethod
    def forward(ctx, input, weight_ih, bias_ih, h0, c0, mask, weight_hh, bias_hh, ln_hh, ln_c_w,
                ln_c_b, drop, zone_h, zone_c, zh, zc, peephole, weight_hr):
        from_x = weight_ih is not None
        if from_x:
            bias = bias_ih if bias_hh is None else (bias_hh if bias_ih is None else bias_ih + bias_hh)
            source = input
        else:
            bias, source = None, input if bias_hh is None else input + bias_hh
        steps = None if mask is None else mask[..., 0].t().contiguous()  # (T, B)
        inputs = (source.transpose(0, 1).contiguous(), weight_ih, bias, h0.contiguous(),
                  c0.contiguous(), steps, weight_hh.contiguous(), ln_hh, ln_c_w, ln_c_b,
                  None if drop is None else drop.contiguous(), zone_h, zone_c, peephole,
                  None if weight_hr is None else weight_hr.contiguous())
        Hs, C = extension().lstm_forward(*inputs, zh, zc)
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
        (d_input, dh0, dc0, dW_hh, d_ln_hh, d_ln_c_w, d_ln_c_b, dW_ih, db, d_peephole,
         dW_hr) = extension().lstm_backward(
            *inputs, *ctx.constants, C, Hs, d_out.contiguous(), d_hT.contiguous(),
            d_cT.contiguous())
        from_x = inputs[1] is not None
        has_ih, has_hh = ctx.biases
        grads_ln = tuple(g if g is not None and g.numel() else None
                         for g in (d_ln_hh, d_ln_c_w, d_ln_c_b))
        return (d_input.transpose(0, 1), dW_ih if from_x else None,
                db if from_x and has_ih else None, dh0, dc0, None, dW_hh, db if has_hh else None,
                *grads_ln, None, None, None, None, None, _defined(d_peephole), _defined(dW_hr))
