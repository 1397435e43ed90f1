"""`Recurrent(cell)`: one cell run over time, in one direction."""

from __future__ import annotations

from torch import Tensor, nn

from rnnkit.cells.base import RecurrentCell
from rnnkit.layers.backends import ROWS, Hooks
from rnnkit.layers.backends import run_scan as run_scan  # (re-exported)
from rnnkit.layers.loop import run_loop as run_loop  # (re-exported: the reference path)
from rnnkit.state import reverse_within_lengths, step_mask


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
        on_backward = None
        if recorder is not None:

            def on_backward(norms: dict[str, Tensor]) -> None:
                if self.reverse:  # back to the caller's time order
                    norms = {k: reverse_within_lengths(v, lengths) for k, v in norms.items()}
                recorder.add(key, norms)

        row = ROWS.get(backend)
        if row is None:
            raise ValueError(f"backend must be one of {', '.join(ROWS)}, got {backend!r}")
        if row.run is None:
            raise ValueError(f"backend={backend!r} runs whole stacks; a single layer runs "
                             f"'loop', 'bptt', 'compiled' or 'scan'")
        out, state = row.run(self.cell, x, state, mask, Hooks(observe, on_backward))
        if self.reverse:
            out = reverse_within_lengths(out, lengths)
        return out, state
