"""Pruning while training: gradual magnitude pruning (Zhu & Gupta 2017) and structured pruning
of whole hidden units, kept through every optimiser step on every backend.

The sparsity at step t ramps from 0 to the final s_f between `prune_start` t0 and t0 + n:

    cubic:   s_t = s_f · (1 − (1 − (t − t0) / n)³)
    linear:  s_t = s_f · (t − t0) / n
    oneshot: s_t = s_f from t0 on

and every `prune_every` steps the masks are recomputed: *magnitude* keeps, in each weight
matrix, the (1 − s_t) share of entries largest in absolute value; *units* keeps, in each cell,
the (1 − s_t) share of hidden units whose weights (their rows in every gate block of W_ih and
W_hh, and their column of W_hh) have the largest norm. After every optimiser step the masks
are applied to the parameters themselves, in place, so the fused kernels (which read the
parameters directly, where PyTorch's prune hooks never reach) see only the kept weights, and
the optimiser's moments cannot bring a pruned weight back. Masks only grow: a pruned weight is
zero, the smallest of all, and stays pruned; on resume the masks are read back from the zeros.
Magnitude pruning thins the recurrent matrices (see `magnitude_targets`).

A masked unit is exactly absent: its gates see zero weights and biases, so from a zero state
its c and h stay zero (σ(0)·tanh(0) = 0 for the LSTM, (1 − z)·tanh(0) + z·0 = 0 for the GRU,
f(0) = 0 for the Elman cell) and nothing downstream reads it; `compact` then removes it.
"""

from __future__ import annotations

import torch
from torch import nn

from rnnkit.cells.base import RecurrentCell
from rnnkit.cells.lstm import LSTMCell
from rnnkit.errors import ConfigError
from rnnkit.layers.stack import StackedRecurrent


def sparsity_at(config, step: int, total_steps: int) -> float:
    """The target sparsity after optimiser step `step` (see the module's equations)."""
    span = config.prune_steps or max(1, int(0.75 * (total_steps - config.prune_start)))
    if step < config.prune_start:
        return 0.0
    progress = min(1.0, (step - config.prune_start) / span)
    if config.prune_schedule == "oneshot":
        return config.sparsity
    if config.prune_schedule == "linear":
        return config.sparsity * progress
    return config.sparsity * (1.0 - (1.0 - progress) ** 3)


def magnitude_targets(model: nn.Module) -> dict[str, nn.Parameter]:
    """The weight matrices magnitude pruning thins: every recurrent cell's W_ih, W_hh (and
    projection W_hr), the bulk of a recurrent model; embeddings and heads (small beside them
    in character models, and the most sensitive), biases, gains and peepholes are kept whole."""
    names = {id(m): n for n, m in model.named_modules()}
    found = {}
    for cell in model.modules():
        if isinstance(cell, RecurrentCell):
            for attribute in ("weight_ih", "weight_hh", "weight_hr"):
                param = getattr(cell, attribute, None)
                if isinstance(param, nn.Parameter) and param.requires_grad:
                    found[f"{names[id(cell)]}.{attribute}"] = param
    return found


def stack_of(model: nn.Module, sparsity: float = 0.0) -> StackedRecurrent:
    """The model's recurrent stack whose units may be removed (to `sparsity`): `model.rnn` read
    by a linear `model.head` and nothing else; ConfigError naming what stands in the way."""
    rnn, head = getattr(model, "rnn", None), getattr(model, "head", None)
    if not isinstance(rnn, StackedRecurrent) or not isinstance(head, nn.Linear) \
            or head.in_features != rnn.output_size:
        raise ConfigError("--prune units needs a model whose recurrent layers feed one linear "
                          "head; this task's model does not (use --prune magnitude)")
    pool = getattr(model, "pool", None)
    if pool is not None and any(True for _ in pool.parameters()):
        raise ConfigError("--prune units: attention pooling reads every unit of the top layer; "
                          "use another --pooling or --prune magnitude")
    if any(p is head.weight for name, p in model.named_parameters() if not name.startswith("head")):
        raise ConfigError("--prune units cannot resize a head tied to the embedding "
                          "(--tie-weights); use --prune magnitude")
    for cell in rnn.cells():
        if cell.layer_norm:
            raise ConfigError("--prune units cannot remove units of a layer-normalised cell (its "
                              "normalisation reads every unit); use --prune magnitude")
        if not cell.bias:
            raise ConfigError("--prune units needs cells with biases")
        left = cell.hidden_size - int(round(sparsity * cell.hidden_size))
        if left < 1 or left <= getattr(cell, "proj_size", 0):
            raise ConfigError(f"--sparsity {sparsity} would leave {left} of {cell.hidden_size} "
                              f"units, too few (a projected LSTM needs more than proj_size "
                              f"{getattr(cell, 'proj_size', 0)})")
    return rnn


class Pruner:
    """The masks of one training and when they change; `after_step(step)` is fit()'s call."""

    def __init__(self, model: nn.Module, config, total_steps: int) -> None:
        self.config, self.total_steps = config, total_steps
        self.method = config.prune
        if self.method == "magnitude":
            self.targets = magnitude_targets(model)
            self.masks = {name: p.detach() != 0 for name, p in self.targets.items()}
        else:
            self.cells = stack_of(model).cells()
            self.unit_masks = [units_alive(cell) for cell in self.cells]
        self.factors = self._factors()
        self.current = 0.0

    @torch.no_grad()
    def after_step(self, step: int) -> None:
        """Recompute the masks when the schedule says so; apply them (every step)."""
        wanted = sparsity_at(self.config, step, self.total_steps)
        due = step % self.config.prune_every == 0 or wanted == self.config.sparsity
        if due and wanted > self.current:
            self._update(wanted)
            self.current = wanted
        self.apply()

    def _update(self, sparsity: float) -> None:
        if self.method == "magnitude":
            for name, param in self.targets.items():
                self.masks[name] = keep_largest(param.detach().abs(), sparsity) & self.masks[name]
        else:
            for index, cell in enumerate(self.cells):
                score = unit_scores(cell).masked_fill(~self.unit_masks[index], -1.0)
                self.unit_masks[index] = keep_largest(score, sparsity)
        self.factors = self._factors()

    def _factors(self) -> list[tuple[nn.Parameter, torch.Tensor]]:
        """(parameter, what it is multiplied by after every step), made when the masks change."""
        if self.method == "magnitude":
            return [(param, self.masks[name]) for name, param in self.targets.items()]
        return [pair for cell, keep in zip(self.cells, self.unit_masks)
                for pair in unit_factors(cell, keep)]

    @torch.no_grad()
    def apply(self) -> None:
        for param, factor in self.factors:
            param.mul_(factor)


def keep_largest(scores: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Bool mask keeping the round((1 − sparsity)·n) largest entries (ties broken by order)."""
    flat = scores.flatten()
    keep = flat.numel() - int(round(sparsity * flat.numel()))
    mask = torch.zeros_like(flat, dtype=torch.bool)
    if keep > 0:
        mask[flat.topk(keep, sorted=False).indices] = True
    return mask.view_as(scores)


def unit_scores(cell) -> torch.Tensor:
    """(H,) the L2 norm of each unit's weights: its rows in every gate block of W_ih and W_hh
    and (without a projection) its column of W_hh."""
    G, H = cell.num_gates, cell.hidden_size
    rows = cell.weight_ih.detach().view(G, H, -1).pow(2).sum((0, 2))
    rows = rows + cell.weight_hh.detach().view(G, H, -1).pow(2).sum((0, 2))
    if cell.recurrent_size == H:
        rows = rows + cell.weight_hh.detach().pow(2).sum(0)
    return rows.sqrt()


def unit_factors(cell, keep: torch.Tensor) -> list[tuple[nn.Parameter, torch.Tensor]]:
    """What zeroes everything of the units not in `keep` (H,): their gate rows and biases,
    their column of W_hh (or of the projection), peepholes and learned initial state."""
    rows = keep.repeat(cell.num_gates).to(cell.weight_ih.dtype)  # (G·H,)
    columns = keep.to(cell.weight_hh.dtype)  # (H,)
    found = [(cell.weight_ih, rows[:, None]), (cell.bias_ih, rows), (cell.bias_hh, rows)]
    if getattr(cell, "proj_size", 0):
        found += [(cell.weight_hh, rows[:, None]), (cell.weight_hr, columns[None, :])]
    else:
        found.append((cell.weight_hh, rows[:, None] * columns[None, :]))
        if cell.learn_init:
            found.append((cell.initial_h, columns))
    if isinstance(cell, LSTMCell):
        if cell.peephole:
            found.append((cell.peephole_weight, keep.repeat(3).to(columns.dtype)))
        if cell.learn_init:
            found.append((cell.initial_c, columns))
    return found


def units_alive(cell) -> torch.Tensor:
    """(H,) bool: the units whose rows of W_hh are not all zero (not pruned)."""
    return cell.weight_hh.detach().abs().sum(1).view(cell.num_gates, -1).sum(0) != 0


def sparsity_report(model: nn.Module) -> dict[str, float]:
    """Share of zeros in each weight matrix (every 2-D parameter, pruned or not)."""
    return {name: float((p == 0).float().mean()) for name, p in model.named_parameters()
            if p.dim() == 2}


def kept_units(stack: StackedRecurrent) -> list[torch.Tensor]:
    """Per cell, the indices of the units a units-pruned stack kept (not all zero)."""
    return [torch.nonzero(units_alive(cell)).flatten() for cell in stack.cells()]


def compact(model: nn.Module) -> tuple[int, dict[str, torch.Tensor]]:
    """The units-pruned model as a smaller dense one: (its hidden size, its state dict), every
    cell's kept units sliced out of its matrices, the next layer's inputs and the head's."""
    stack = stack_of(model)
    if stack.bidirectional and stack.merge != "concat":
        raise ConfigError("--prune units needs --merge concat for a bidirectional network")
    keeps = kept_units(stack)
    sizes = {len(k) for k in keeps}
    if len(sizes) != 1:
        raise ConfigError("the cells kept different numbers of units; cannot compact")
    names = {id(module): name for name, module in model.named_modules()}
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    K, cells = stack.num_directions, stack.cells()
    inputs = None  # indices of the previous layer's outputs that remain (None: all)
    for layer in range(stack.num_layers):
        outputs, offset = [], 0
        for direction in range(K):
            cell = cells[layer * K + direction]
            keep = keeps[layer * K + direction]
            slice_cell(state, names[id(cell)], cell, keep, inputs)
            own = keep if cell.recurrent_size == cell.hidden_size else torch.arange(cell.recurrent_size)
            outputs.append(own + offset)
            offset += cell.recurrent_size
        inputs = torch.cat(outputs)
    head = names[id(model.head)]
    state[f"{head}.weight"] = state[f"{head}.weight"][:, inputs]
    return sizes.pop(), state


def slice_cell(state: dict, prefix: str, cell, keep: torch.Tensor, inputs) -> None:
    G, H = cell.num_gates, cell.hidden_size
    rows = torch.cat([g * H + keep for g in range(G)])

    def take(name: str, index, dim: int) -> None:
        key = f"{prefix}.{name}"
        if key in state:
            state[key] = state[key].index_select(dim, index)

    take("weight_ih", rows, 0)
    if inputs is not None:
        take("weight_ih", inputs, 1)
    take("weight_hh", rows, 0)
    take("bias_ih", rows, 0)
    take("bias_hh", rows, 0)
    if getattr(cell, "proj_size", 0):
        take("weight_hr", keep, 1)
    else:
        take("weight_hh", keep, 1)
        take("initial_h", keep, 0)
    take("peephole_weight", torch.cat([g * H + keep for g in range(3)]), 0)
    take("initial_c", keep, 0)
