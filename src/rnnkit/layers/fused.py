"""The fast path: PyTorch's fused recurrent kernels (oneDNN on CPU, cuDNN on GPU).

These are the kernels behind `torch.nn.LSTM/GRU/RNN`, called with our own parameters, so no
weight is copied and a trained layer runs at bare-PyTorch speed. Variable lengths go through
PyTorch's packed sequences; the caller's batch order is restored on the way out.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

KERNELS = {
    "lstm": torch.lstm,
    "gru": torch.gru,
    "rnn_tanh": torch.rnn_tanh,
    "rnn_relu": torch.rnn_relu,
}


def flat_weights(cells) -> list[Tensor]:
    """Parameters in the kernels' order: per layer and direction W_ih, W_hh, [b_ih, b_hh], [W_hr]."""
    weights = []
    for cell in cells:
        weights += [cell.weight_ih, cell.weight_hh]
        if cell.bias:
            weights += [cell.bias_ih, cell.bias_hh]
        if getattr(cell, "proj_size", 0):
            weights.append(cell.weight_hr)
    return weights


def run_fused(
    kind: str,
    x: Tensor,
    lengths: Tensor | None,
    hx,
    weights: list[Tensor],
    *,
    bias: bool,
    num_layers: int,
    dropout: float,
    training: bool,
    bidirectional: bool,
):
    """x (B, T, D), hx (L·K, B, R) or LSTM (h, c) -> outputs (B, T, K·R), final hx."""
    kernel = KERNELS[kind]
    lstm = kind == "lstm"
    hx_arg = tuple(hx) if lstm else hx
    if lengths is None:
        result = kernel(
            x, hx_arg, weights, bias, num_layers, dropout, training, bidirectional, True
        )
        return result[0], (result[1:] if lstm else result[1])
    T = x.shape[1]
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    order, restore = packed.sorted_indices, packed.unsorted_indices
    hx_sorted = tuple(h.index_select(1, order) for h in hx_arg) if lstm else hx.index_select(1, order)
    result = kernel(
        packed.data, packed.batch_sizes, hx_sorted, weights, bias, num_layers, dropout, training,
        bidirectional,
    )
    out_packed = PackedSequence(result[0], packed.batch_sizes, order, restore)
    out, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=T)
    if lstm:
        return out, tuple(h.index_select(1, restore) for h in result[1:])
    return out, result[1].index_select(1, restore)
