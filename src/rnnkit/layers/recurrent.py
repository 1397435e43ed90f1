"""`Recurrent(cell)`: one cell run over time, in one direction."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch._higher_order_ops.scan import scan

from rnnkit.bptt import run_bptt
from rnnkit.cells.base import RecurrentCell
from rnnkit.layers.compiled import run_compiled
from rnnkit.state import (
    reverse_within_lengths,
    state_from_leaves,
    state_leaves,
    step_mask,
    where_state,
)


def run_loop(cell: RecurrentCell, x: Tensor, state, mask: Tensor | None, observe=None):
    """The reference path: call the cell once per step.

    The input projections of all steps are one matrix product (`cell.input_projection`), then
    `cell.step` runs each step: the same computation as calling the cell on every x_t.
    x (B, T, D); mask (B, T, 1) bool or None. Past a sequence's end its state is held and its
    output is zero, so the final state is the state at the sequence's own last step.
    `observe(gi_t, state, m_t)`, if given, sees each step's input projection and the state it
    starts from (m_t (B, 1): which sequences are inside their length), e.g. for the diagnosis.
    Returns outputs (B, T, R) and the final state.
    """
    B, T, _ = x.shape
    noise = cell.draw_noise(B, x)  # one recurrent-dropout mask for the whole sequence
    gi = cell.input_projection(x).unbind(1)  # T × (B, G·H); unbind: one gradient buffer, not T
    outputs = []
    for t in range(T):
        if observe is not None:
            observe(gi[t], state, None if mask is None else mask[:, t])
        h_t, new_state = cell.step(gi[t], state, noise)
        if mask is not None:
            m_t = mask[:, t]  # (B, 1)
            new_state = where_state(m_t, new_state, state)
            h_t = h_t * m_t
        state = new_state
        outputs.append(h_t)
    return torch.stack(outputs, dim=1), state


def run_scan(cell: RecurrentCell, x: Tensor, state, mask: Tensor | None):
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


class StateGradRecorder:
    """Collects ‖∂L/∂s_t‖ for every step t, written by the "bptt" backend during backward().

    `norms[key]` maps "h" (and "c" for an LSTM) to a (B, T) tensor in the caller's time order:
    the norm over units of the total gradient of the loss with respect to the state at step t,
    the part that reaches it from later steps included. Keys are "layer{l}.{direction}".
    """

    def __init__(self) -> None:
        self.norms: dict[str, dict[str, Tensor]] = {}

    def add(self, key: str, norms: dict[str, Tensor]) -> None:
        self.norms[key] = norms


class Recurrent(nn.Module):
    """A cell over time, forward or (with `reverse=True`) backward, batch-first.

    `forward(x, lengths=None, state=None, backend="loop", recorder=None, observe=None)`:
    x (B, T, D) -> outputs (B, T, R), final state. The backward direction reads each sequence
    from its own last valid step to its first, so padding never enters it.
    Backends: "loop" calls the cell step by step (any variant, autograd does the gradients);
    "bptt" runs the cell's hand-derived backward pass (`rnnkit.bptt`), plain cells only;
    "scan" is the loop as one graph node, for export (see `run_scan`).
    """

    def __init__(self, cell: RecurrentCell, reverse: bool = False) -> None:
        super().__init__()
        self.cell = cell
        self.reverse = bool(reverse)

    def forward(
        self,
        x: Tensor,
        lengths: Tensor | None = None,
        state=None,
        *,
        backend: str = "loop",
        recorder=None,
        key: str = "",
        observe=None,
    ):
        if self.reverse:
            x = reverse_within_lengths(x, lengths)
        if state is None:
            state = self.cell.init_state(x.shape[0], like=x)
        mask = None if lengths is None else step_mask(lengths.to(x.device), x.shape[1])
        if backend == "bptt":
            on_backward = None
            if recorder is not None:

                def on_backward(norms: dict[str, Tensor]) -> None:
                    if self.reverse:  # back to the caller's time order
                        norms = {k: reverse_within_lengths(v, lengths) for k, v in norms.items()}
                    recorder.add(key, norms)

            out, state = run_bptt(self.cell, x, state, mask, on_backward)
        elif backend == "compiled":
            out, state = run_compiled(self.cell, x, state, mask)
        elif backend == "scan":
            out, state = run_scan(self.cell, x, state, mask)
        else:
            out, state = run_loop(self.cell, x, state, mask, observe)
        if self.reverse:
            out = reverse_within_lengths(out, lengths)
        return out, state
