"""Every path a recurrent layer can run on, one row each, and the one place that chooses.

A row names a path, says why it cannot serve a stack's cells (`reason(cells, kind)` -> a
sentence, or None when it can) and, for the paths that run one layer at a time, runs one cell
over time (`run(cell, x, state, mask, hooks)`). "fused" runs the whole stack in one kernel call
(StackedRecurrent does that itself: its `run` is None).

    fused     PyTorch's fused kernels (oneDNN on CPU, cuDNN on GPU): plain cells of a kernel
    compiled  the time loop, forward and backward, in C++ (layers/compiled.py, csrc/)
    bptt      the hand-derived backward pass of rnnkit/bptt/ (records the state gradients)
    loop      the reference loop over the cell (any cell obeying the cell contract)
    scan      the loop as one `scan` graph node, for export (never chosen by "auto")

`choose` gives "auto" its meaning: a recorder of state gradients takes "bptt"; otherwise the
first row, in AUTO_ORDER, that can serve — with two measured exceptions: one step on the CPU
runs "loop" (the kernels' setup costs more than the step), and a plain GRU on the CPU runs
"compiled" before "fused" (faster than PyTorch's GRU there: docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor
from torch._higher_order_ops.scan import scan  # (private: used by the scan row only)

from rnnkit.bptt import bptt_unsupported_reason, run_bptt
from rnnkit.cells.base import RecurrentCell
from rnnkit.cells.gru import GRUCell
from rnnkit.layers.compiled import compiled_unsupported_reason, run_compiled
from rnnkit.layers.loop import run_loop
from rnnkit.state import state_from_leaves, state_leaves, where_state


@dataclass(frozen=True)
class Hooks:
    """What a caller may watch while a layer runs: `observe(gi_t, state, m_t)` each step of the
    loop; `on_backward(norms)` the state gradients the bptt path computes."""

    observe: Callable | None = None
    on_backward: Callable | None = None


@dataclass(frozen=True)
class Backend:
    name: str
    reason: Callable[[list, str], str | None]  # why it cannot serve (cells, fused kind), or None
    run: Callable | None  # run(cell, x, state, mask, hooks) -> (outputs, state); None: whole stack


def fused_reason(cells: list, kind: str) -> str | None:
    if not kind:
        names = sorted({type(cell).__name__ for cell in cells})
        return f"PyTorch has no fused kernel for {', '.join(names)}"
    for cell in cells:
        unfusable = getattr(cell, "unfusable_reason", None)
        reason = unfusable() if unfusable is not None else f"{type(cell).__name__} is not one of ours"
        if reason is not None:
            return reason
    return None


def first_reason(check: Callable) -> Callable[[list, str], str | None]:
    """A row's reason from a per-cell check: the first cell's that fails."""
    return lambda cells, kind: next(filter(None, map(check, cells)), None)


def run_scan(cell: RecurrentCell, x: Tensor, state, mask: Tensor | None, hooks: Hooks = Hooks()):
    """The time loop as one `scan` (PyTorch's higher-order op): the same steps as `run_loop`,
    but a single node of the graph whatever T is, so `torch.export` and the ONNX exporter
    turn it into one ONNX Scan with a dynamic number of steps. Any cell variant; in training
    only without per-step randomness (zoneout draws a mask at every step).
    x (B, T, D); mask (B, T, 1) or None -> outputs (B, T, R), final state."""
    if cell.training and (cell.zoneout or getattr(cell, "zoneout_c", 0.0)):
        raise ValueError("backend='scan' cannot draw zoneout's per-step masks; use it in "
                         "evaluation or use backend='loop'")
    noise = cell.draw_noise(x.shape[0], x)
    gi = cell.input_projection(x).transpose(0, 1)  # (T, B, G·H)
    steps = (gi,) if mask is None else (gi, mask.transpose(0, 1))

    def one_step(leaves, inputs):  # the carry is the state's tensors (scan takes no tuples)
        carry = state_from_leaves(state, leaves)
        h_t, new_state = cell.step(inputs[0], carry, noise)
        if mask is None:
            return list(state_leaves(new_state)), h_t.clone()  # scan outputs may not alias
        new_state = where_state(inputs[1], new_state, carry)
        return list(state_leaves(new_state)), h_t * inputs[1]

    initial = [leaf.contiguous() for leaf in state_leaves(state)]  # a learned state is expanded
    final, outputs = scan(one_step, initial, steps)
    return outputs.transpose(0, 1), state_from_leaves(state, final)


ROWS = {
    "fused": Backend("fused", fused_reason, None),
    "compiled": Backend("compiled", first_reason(compiled_unsupported_reason),
                        lambda cell, x, state, mask, hooks: run_compiled(cell, x, state, mask)),
    "bptt": Backend("bptt", first_reason(bptt_unsupported_reason),
                    lambda cell, x, state, mask, hooks: run_bptt(cell, x, state, mask,
                                                                 hooks.on_backward)),
    "loop": Backend("loop", lambda cells, kind: None,
                    lambda cell, x, state, mask, hooks: run_loop(cell, x, state, mask,
                                                                 hooks.observe)),
    "scan": Backend("scan", lambda cells, kind: None, run_scan),
}
AUTO_ORDER = ("fused", "compiled", "bptt", "loop")
NAMES = ("auto", *ROWS)


def single_cpu_step(x: Tensor) -> bool:
    """One time step on the CPU: there the cell itself is faster than PyTorch's oneDNN kernel,
    which costs about a millisecond of setup per call (it matters for generation, one token at
    a time)."""
    return x.shape[1] == 1 and x.device.type == "cpu"


def checked(name: str, cells: list, kind: str) -> Backend:
    """Row `name`, or ValueError saying why it cannot serve these cells."""
    row = ROWS[name]
    reason = row.reason(cells, kind)
    if reason is not None:
        raise ValueError(f"backend={name!r} cannot serve this layer's options: {reason}")
    return row


def choose(name: str, cells: list, kind: str, *, recording: bool = False,
           x: Tensor | None = None) -> Backend:
    """The row that runs a stack of `cells` (fused kernel `kind`, "" for none) on input `x`:
    row `name`, checked, or for "auto" the first that can serve (see the module's docstring).
    `recording` state gradients needs "bptt"."""
    if name != "auto":
        if recording and name != "bptt":
            raise ValueError(f"recording state gradients needs backend 'bptt', not {name!r}")
        return checked(name, cells, kind)
    if recording:
        return checked("bptt", cells, kind)
    order = list(AUTO_ORDER)
    if ROWS["fused"].reason(cells, kind) is None:
        if x is not None and single_cpu_step(x):
            order.insert(0, "loop")
        elif all(isinstance(cell, GRUCell) for cell in cells) and \
                cells[0].weight_hh.device.type == "cpu":
            order.insert(0, "compiled")  # PyTorch's GRU has no oneDNN kernel on the CPU
    return next(ROWS[n] for n in order if ROWS[n].reason(cells, kind) is None)
