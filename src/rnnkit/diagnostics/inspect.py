"""What the weights and the activations say: recurrent spectra and gate saturation."""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.layers import StackedRecurrent
from rnnkit.layers.modes import evaluating

GATE_NAMES = {1: ["W"], 3: ["r", "z", "n"], 4: ["i", "f", "g", "o"]}


def _keyed_cells(layer: StackedRecurrent):
    K = layer.num_directions
    for index, cell in enumerate(layer.cells()):
        direction = "backward" if index % K else "forward"
        yield f"layer{index // K}.{direction}", cell


def recurrent_spectrum(layer: StackedRecurrent) -> dict:
    """Per cell and gate block of W_hh: the largest singular value and, for square blocks, the
    spectral radius max |λ|. A radius well below 1 shrinks gradients step after step; well
    above 1 can blow them up (for a linear recurrence, exactly so)."""
    result = {}
    for key, cell in _keyed_cells(layer):
        blocks = {}
        weight = cell.weight_hh.detach().double()
        for name, block in zip(GATE_NAMES[cell.num_gates], weight.split(cell.hidden_size)):
            singular = torch.linalg.svdvals(block)
            entry = {"max_singular": float(singular[0]), "min_singular": float(singular[-1])}
            if block.shape[0] == block.shape[1]:
                entry["spectral_radius"] = float(torch.linalg.eigvals(block).abs().max())
            blocks[name] = entry
        result[key] = blocks
    return result


@torch.no_grad()
def gate_saturation(layer: StackedRecurrent, x: Tensor, lengths: Tensor | None = None) -> dict:
    """Per cell and squashing quantity, the fraction of saturated units over all steps:
    sigmoid gates below 0.01 or above 0.99, |tanh| above 0.99, relu units at exactly 0
    (dead). Saturated units pass almost no gradient: σ′ and tanh′ are near 0 there."""
    result = {}
    inputs = x
    for index, module in enumerate(layer.layers):
        directions = ([module.forward_rnn, module.backward_rnn] if hasattr(module, "forward_rnn")
                      else [module])
        for recurrent in directions:
            key = f"layer{index}.{'backward' if recurrent.reverse else 'forward'}"
            result[key] = _saturation_of(recurrent, inputs, lengths)
        inputs, _ = module(inputs, lengths)
    return result


def _saturated(a: Tensor, kind: str) -> Tensor:
    """Where a squashing function sits on its flat part: σ < 0.01 or > 0.99, |tanh| > 0.99,
    relu = 0."""
    if kind == "sigmoid":
        return (a < 0.01) | (a > 0.99)
    if kind == "tanh":
        return a.abs() > 0.99
    return a == 0


def _saturation_of(recurrent, x: Tensor, lengths: Tensor | None) -> dict:
    """Saturated fractions of one direction, over the valid steps of each sequence: the layer's
    own time loop (and its reversal within lengths) runs, and each step is observed."""
    cell = recurrent.cell
    counts: dict[str, list[float]] = {name: [0.0, 0.0] for name in cell.squashing}

    def observe(gi_t: Tensor, state, m_t: Tensor | None) -> None:
        values = cell.activations(gi_t, state)
        for name, kind in cell.squashing.items():
            inside = torch.ones_like(values[name], dtype=torch.bool) if m_t is None else (
                m_t.expand_as(values[name]))
            counts[name][0] += float((_saturated(values[name], kind) & inside).sum())
            counts[name][1] += float(inside.sum())

    with evaluating(cell):
        recurrent(x, lengths, backend="loop", observe=observe)
    return {name: saturated / max(total, 1.0) for name, (saturated, total) in counts.items()}
