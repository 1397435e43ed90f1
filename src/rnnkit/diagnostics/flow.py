"""How far the gradient reaches back in time.

`gradient_flow` measures, with the hand-derived BPTT of `rnnkit.bptt`, the norm of
∂L_T/∂s_t (the last step's loss alone) and of ∂L/∂s_t (all steps' losses) for every t,
per layer and direction. `jacobian_products` measures the norms ‖∂s_{t0+k}/∂s_{t0}‖₂ =
‖Π_j ∂s_{j+1}/∂s_j‖₂ over k steps: the factor by which a gradient is scaled travelling k
steps back, whose shrinking or growth is the vanishing or exploding gradient itself.
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.layers import StackedRecurrent, StateGradRecorder
from rnnkit.layers.modes import evaluating
from rnnkit.state import flatten_state, unflatten_state


def gradient_flow(layer: StackedRecurrent, x: Tensor, step_losses) -> dict:
    """{"last_loss": {key: [T norms]}, "all_losses": {key: [T norms]}}, batch-averaged.

    `step_losses(outputs) -> (B, T)`: the loss of every step from the layer's outputs. Keys
    are "layer{l}.{direction}" (and ".c" for an LSTM's cell state).
    """
    result = {}
    for name, pick in (("last_loss", lambda losses: losses[:, -1].sum()),
                       ("all_losses", lambda losses: losses.sum())):
        recorder = StateGradRecorder()
        x_leaf = x.detach().requires_grad_(True)
        outputs, _ = layer(x_leaf, recorder=recorder, backend="bptt")
        pick(step_losses(outputs)).backward()
        flows = {}
        for key, norms in recorder.norms.items():
            flows[key] = norms["h"].mean(0).tolist()
            if "c" in norms:
                flows[f"{key}.c"] = norms["c"].mean(0).tolist()
        result[name] = flows
    layer.zero_grad(set_to_none=True)
    return result


def layer_inputs(layer: StackedRecurrent, x: Tensor) -> list[Tensor]:
    """The input of every layer of the stack (layer l reads layer l−1's merged output)."""
    inputs, out = [], x
    with torch.no_grad():
        for module in layer.layers:
            inputs.append(out)
            out, _ = module(out)
    return inputs


def jacobian_products(layer: StackedRecurrent, x: Tensor, steps: int = 50, sequences: int = 4) -> dict:
    """{layer key: [‖∂s_k/∂s_0‖₂ for k = 1..K]}, the forward direction of each layer, averaged
    (geometric mean) over the first `sequences` sequences of x (B, T, D); K = min(steps, T)."""
    result = {}
    for index, (module, inputs) in enumerate(zip(layer.layers, layer_inputs(layer, x))):
        cell = module.forward_rnn.cell if hasattr(module, "forward_rnn") else module.cell
        logs = []
        for b in range(min(sequences, x.shape[0])):
            logs.append(torch.log(torch.tensor(_products(cell, inputs[b : b + 1], steps))))
        result[f"layer{index}.forward"] = torch.stack(logs).mean(0).exp().tolist()
    return result


def _products(cell, x: Tensor, steps: int) -> list[float]:
    """‖J_k ⋯ J_1‖₂ for one sequence x (1, T, D), J_t = ∂s_t/∂s_{t−1} (state flattened)."""
    template = cell.init_state(1, like=x)
    flat = flatten_state(template)

    def step(vector, gi_t):
        _, new = cell.step(gi_t, unflatten_state(vector, template))
        return flatten_state(new)

    norms, product = [], None
    with evaluating(cell):
        with torch.no_grad():
            gi = cell.input_projection(x)[0]  # (T, G·H)
        for t in range(min(steps, x.shape[1])):
            jacobian = torch.func.jacrev(step)(flat, gi[t : t + 1]).detach()
            product = jacobian if product is None else jacobian @ product
            norms.append(max(float(torch.linalg.matrix_norm(product, ord=2)), 1e-300))
            with torch.no_grad():
                flat = step(flat, gi[t : t + 1])
    return norms
