"""`StackedRecurrent`: layers of `Recurrent` or `Bidirectional`, the engine behind RNN/LSTM/GRU.

One set of parameters, several paths to run them: the rows of `layers/backends.py` ("fused",
"compiled", "bptt", "loop", "scan"), each saying why it cannot serve a stack's cells; "auto"
takes the table's order (see `backends.choose`). A cell of the user's own, obeying the cell
contract, runs on the loop.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.cells.base import RecurrentCell, output_size
from rnnkit.checks import check_choice, check_probability, check_size
from rnnkit.layers.backends import NAMES, ROWS, choose
from rnnkit.layers.bidirectional import Bidirectional, merge_directions
from rnnkit.layers.fused import flat_weights, run_fused
from rnnkit.layers.recurrent import Recurrent
from rnnkit.state import stack_states, state_from_leaves, state_leaves, unstack_states

BACKENDS = NAMES  # "auto" and the rows of layers/backends.py


class StackedRecurrent(nn.Module):
    """`num_layers` recurrent layers, each one or two directions of a cell made by `make_cell`.

    `make_cell(input_size)` returns a fresh cell; layer l > 0 reads layer l−1's merged output,
    with `dropout` between layers (training only). Subclasses name their `fused_kind`.
    """

    fused_kind: str = ""

    def __init__(
        self,
        make_cell: Callable[[int], RecurrentCell],
        input_size: int,
        num_layers: int = 1,
        *,
        bidirectional: bool = False,
        merge: str = "concat",
        dropout: float = 0.0,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        self.input_size = check_size("input_size", input_size)
        self.num_layers = check_size("num_layers", num_layers)
        self.bidirectional = bool(bidirectional)
        self.num_directions = 2 if bidirectional else 1
        self.merge = merge
        self.dropout = check_probability("dropout", dropout)
        self.backend = check_choice("backend", backend, BACKENDS)
        layers, size = [], input_size
        for _ in range(num_layers):
            if bidirectional:
                layer = Bidirectional(
                    Recurrent(make_cell(size)), Recurrent(make_cell(size), reverse=True), merge
                )
                size = layer.output_size
            else:
                layer = Recurrent(make_cell(size))
                size = output_size(layer.cell)
            layers.append(layer)
        self.layers = nn.ModuleList(layers)
        self.output_size = size

    # ----------------------------------------------------------------- structure
    def cells(self) -> list[RecurrentCell]:
        """Every cell in the kernels' order: layer by layer, forward direction first."""
        found = []
        for layer in self.layers:
            if isinstance(layer, Bidirectional):
                found += [layer.forward_rnn.cell, layer.backward_rnn.cell]
            else:
                found.append(layer.cell)
        return found

    def unfusable_reason(self) -> str | None:
        """Why the fused kernels cannot serve this stack now, or None."""
        return ROWS["fused"].reason(self.cells(), self.fused_kind)

    def choose_backend(self, recorder=None, override: str | None = None,
                       x: Tensor | None = None) -> str:
        """The backend this forward call (on input `x`, if given) uses (layers/backends.py);
        a clear error if a forced one cannot serve."""
        name = self.backend if override is None else check_choice("backend", override, BACKENDS)
        return choose(name, self.cells(), self.fused_kind, recording=recorder is not None,
                      x=x).name

    # ----------------------------------------------------------------- forward
    def forward(self, x: Tensor, lengths=None, state=None, *, recorder=None, backend=None):
        """x (B, T, D) -> (outputs (B, T, K·R or R), final state (L·K, B, R) / LSTM (h, c)).

        `lengths` (B,) in any order; outputs past a sequence's end are zero; the final state is
        each sequence's state at its own last valid step. `recorder`: a `StateGradRecorder` to
        fill with ‖∂L/∂s_t‖ during backward (uses the "bptt" backend). `backend` overrides the
        layer's own choice for this call.
        """
        lengths = self._check_input(x, lengths, check_values=(backend or self.backend) != "scan")
        backend = self.choose_backend(recorder, backend, x)
        cell_states = self._initial_states(x, state)
        if backend == "fused":
            return self._forward_fused(x, lengths, cell_states)
        out, finals = x, []
        K = self.num_directions
        for index, layer in enumerate(self.layers):
            if index > 0:
                out = F.dropout(out, self.dropout, self.training)
            own = cell_states[index * K : (index + 1) * K]
            key = f"layer{index}" if K == 2 else f"layer{index}.forward"
            options = {"backend": backend, "recorder": recorder, "key": key}
            out, final = layer(out, lengths, own[0] if K == 1 else tuple(own), **options)
            finals += [final] if K == 1 else list(final)
        return out, stack_states(finals)

    def _forward_fused(self, x: Tensor, lengths, cell_states: list):
        """One kernel call for the whole stack, or one per layer when directions are not
        concatenated (the kernels concatenate between layers)."""
        K, L = self.num_directions, self.num_layers
        cells = self.cells()
        groups = [range(L)] if self.merge == "concat" or K == 1 else [[n] for n in range(L)]
        out, finals = x, []
        for group in groups:
            first, last = group[0] * K, (group[-1] + 1) * K
            if first > 0:
                out = F.dropout(out, self.dropout, self.training)
            out, final = run_fused(
                self.fused_kind, out, lengths, stack_states(cell_states[first:last]),
                flat_weights(cells[first:last]), bias=cells[0].bias, num_layers=len(group),
                dropout=self.dropout, training=self.training, bidirectional=K == 2,
            )
            if K == 2 and self.merge != "concat":
                out = merge_directions(*out.chunk(2, dim=-1), self.merge)
            finals += unstack_states(state_from_leaves(cell_states[0], state_leaves(final)))
        return out, stack_states(finals)

    def initial_state(self, batch: int, like: Tensor):
        """The state a sequence starts from, in the layer layout (L·K, B, ·)."""
        return stack_states([cell.init_state(batch, like=like) for cell in self.cells()])

    # ----------------------------------------------------------------- validation
    def _check_input(self, x: Tensor, lengths, check_values: bool = True) -> Tensor | None:
        """x's shape and lengths' dtype and shape; their values too unless `check_values` is
        off (a graph being exported cannot read its inputs' values)."""
        if not isinstance(x, Tensor):
            raise TypeError(f"input must be a torch.Tensor of shape (B, T, D), got {type(x).__name__}")
        if x.dim() != 3:
            raise ValueError(
                f"input must have 3 dimensions (B, T, D), got {x.dim()}: shape {tuple(x.shape)}"
            )
        B, T, D = x.shape
        if D != self.input_size:
            raise ValueError(f"input feature size must be {self.input_size}, got {D}")
        if T == 0 or B == 0:
            raise ValueError(f"input must have at least one sequence and one step, got {tuple(x.shape)}")
        if lengths is None:
            return None
        lengths = torch.as_tensor(lengths)
        if lengths.dtype.is_floating_point or lengths.dtype == torch.bool:
            raise TypeError(f"lengths must be integers, got dtype {lengths.dtype}")
        if lengths.shape != (B,):
            raise ValueError(f"lengths must have shape ({B},) (one per sequence), got {tuple(lengths.shape)}")
        if not check_values:
            return lengths.to(device=x.device, dtype=torch.long)
        low, high = int(lengths.min()), int(lengths.max())
        if low < 1 or high > T:
            raise ValueError(
                f"lengths must be in [1, {T}] (the input's time steps), got values in [{low}, {high}]"
            )
        return lengths.to(device=x.device, dtype=torch.long)

    def _initial_states(self, x: Tensor, state) -> list:
        """Per-cell initial states: the given state checked and split, or each cell's own."""
        cells = self.cells()
        if state is None:
            return [cell.init_state(x.shape[0], like=x) for cell in cells]
        expected = cells[0].init_state(x.shape[0], like=x)
        leaves, given = state_leaves(expected), state_leaves(state)
        names = getattr(expected, "_fields", ("h",))
        if len(given) != len(leaves) or not all(isinstance(g, Tensor) for g in given):
            raise TypeError(f"state must be {'a tuple (h, c)' if len(leaves) > 1 else 'a tensor'} "
                            f"of shape (num_layers * directions, B, ·)")
        for name, leaf, got in zip(names, leaves, given):
            want = (len(cells), *leaf.shape)
            if tuple(got.shape) != want:
                raise ValueError(f"state {name} must have shape {want}, got {tuple(got.shape)}")
        return unstack_states(state_from_leaves(expected, given))
