"""Round trips between rnnkit layers and `torch.nn.RNN/LSTM/GRU`, weights copied exactly."""

from __future__ import annotations

import torch
from torch import nn

from rnnkit.layers.rnn import GRU, LSTM, RNN
from rnnkit.layers.stack import StackedRecurrent

_PAIRS = ((nn.LSTM, LSTM), (nn.GRU, GRU), (nn.RNN, RNN))
_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")


def _torch_names(layer: int, direction: int) -> dict[str, str]:
    suffix = f"_l{layer}" + ("_reverse" if direction else "")
    return {name: name + suffix for name in _NAMES}


def from_torch(module: nn.RNNBase) -> StackedRecurrent:
    """The rnnkit layer with the same weights as a `torch.nn.RNN/LSTM/GRU`.

    Any num_layers, bidirectional, proj_size, bias; batch_first either way (the rnnkit layer is
    always batch-first). Device, dtype and train/eval mode are kept.
    """
    ours = next((mine for theirs, mine in _PAIRS if type(module) is theirs), None)
    if ours is None:
        raise TypeError(f"from_torch expects torch.nn.RNN, LSTM or GRU, got {type(module).__name__}")
    options = {"bias": module.bias, "bidirectional": module.bidirectional,
               "dropout": float(module.dropout)}
    if ours is RNN:
        options["nonlinearity"] = module.nonlinearity
    if ours is LSTM:
        options.update(proj_size=module.proj_size, forget_bias=None)
    reference = module.weight_ih_l0
    layer = ours(module.input_size, module.hidden_size, module.num_layers, **options)
    layer = layer.to(device=reference.device, dtype=reference.dtype)
    _copy(layer, module, to_torch_side=False)
    return layer.train(module.training)


def to_torch(layer: StackedRecurrent, *, batch_first: bool = True) -> nn.RNNBase:
    """The `torch.nn.RNN/LSTM/GRU` with the same weights as an rnnkit layer.

    Raises ValueError for options PyTorch's modules do not have (layer norm, zoneout,
    peepholes, a learned initial state, merge other than "concat"). Recurrent dropout is
    dropped: it is the identity in evaluation, where both layers then agree.
    """
    cells = layer.cells()
    for cell in cells:
        for option in ("layer_norm", "zoneout", "zoneout_c", "peephole", "learn_init"):
            if getattr(cell, option, False):
                raise ValueError(f"to_torch: torch.nn has no {option}; this layer uses it")
    if layer.bidirectional and layer.merge != "concat":
        raise ValueError(f"to_torch: torch.nn concatenates directions; this layer merges by {layer.merge!r}")
    torch_class = next(t for t, ours in _PAIRS if isinstance(layer, ours))
    options = {"bias": cells[0].bias, "batch_first": batch_first, "dropout": layer.dropout,
               "bidirectional": layer.bidirectional}
    if isinstance(layer, RNN):
        options["nonlinearity"] = cells[0].nonlinearity
    if isinstance(layer, LSTM):
        options["proj_size"] = cells[0].proj_size
    reference = cells[0].weight_ih
    module = torch_class(layer.input_size, cells[0].hidden_size, layer.num_layers, **options)
    module = module.to(device=reference.device, dtype=reference.dtype)
    _copy(layer, module, to_torch_side=True)
    return module.train(layer.training)


def _copy(layer: StackedRecurrent, module: nn.RNNBase, *, to_torch_side: bool) -> None:
    K = layer.num_directions
    with torch.no_grad():
        for index, cell in enumerate(layer.cells()):
            for ours, theirs in _torch_names(index // K, index % K).items():
                if getattr(cell, ours, None) is None:
                    continue
                source, target = getattr(cell, ours), getattr(module, theirs)
                if not to_torch_side:
                    source, target = target, source
                target.copy_(source)
