"""The forecaster: a lookback window of the target (and covariates) -> the next H values.

"direct": an rnnkit encoder over the lookback, its last output beside the horizon's
known-future covariates, one linear layer to all H steps at once; "seq2seq": the encoder's
final state starts a decoder that reads the known-future covariates of each horizon step
(the Encoder and StateDecoder of layers/seq2seq.py). Heads: "point" (squared error),
"gaussian" (mean and deviation, negative log-likelihood) or "quantile" (10%, 50%, 90%, pinball
loss); the last two give 80% intervals.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.layers.seq2seq import Encoder, StateDecoder
from rnnkit.tasks.forecast.metrics import Z80

QUANTILES = (0.1, 0.5, 0.9)


class Forecaster(nn.Module):
    def __init__(self, config, inputs: int, future: int) -> None:
        """`config`: a ForecastConfig (the network, horizon, architecture and head)."""
        super().__init__()
        self.horizon, self.future, self.kind = config.horizon, future, config.architecture
        self.outputs = {"point": 1, "gaussian": 2, "quantile": len(QUANTILES)}[config.head]
        self.encoder = Encoder(config, inputs)
        self.dropout = nn.Dropout(config.dropout)
        size = self.encoder.output_size
        if self.kind == "direct":
            self.head = nn.Linear(size + config.horizon * future, config.horizon * self.outputs)
        else:
            self.decoder = StateDecoder(config, max(future, 1))
            self.head = nn.Linear(size, self.outputs)
        # the correction starts at zero: an untrained forecaster is its base (the smoothing or
        # seasonal naive forecast), and training moves it only as far as the data supports
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: Tensor, future: Tensor) -> Tensor:
        """x (B, L, inputs), future (B, H, known-future) -> (B, H, outputs) in scaled units."""
        outputs, state = self.encoder.encode(x)
        if self.kind == "direct":
            features = torch.cat([outputs[:, -1], future.flatten(1)], 1)
            return self.head(self.dropout(features)).view(x.shape[0], self.horizon, self.outputs)
        steps = future if self.future else x.new_ones(x.shape[0], self.horizon, 1)
        return self.head(self.dropout(self.decoder(steps, state)))


def head_loss(head: str, out: Tensor, y: Tensor, per_window: bool = False) -> Tensor:
    """The head's loss of outputs (N, H, outputs) against targets (N, H): squared error, Gaussian
    negative log-likelihood or pinball loss; the mean, or one mean per window (N,)."""
    reduce = (lambda losses: losses.flatten(1).mean(1)) if per_window else torch.mean
    if head == "point":
        return reduce((out[..., 0] - y) ** 2) if per_window else F.mse_loss(out[..., 0], y)
    if head == "gaussian":
        sigma = F.softplus(out[..., 1]) + 1e-3
        nll = torch.log(sigma) + 0.5 * ((y - out[..., 0]) / sigma) ** 2
        return reduce(nll) + 0.5 * math.log(2 * math.pi)
    q = torch.tensor(QUANTILES, device=out.device)
    diff = y[..., None] - out
    return reduce(torch.maximum(q * diff, (q - 1) * diff))


def point_and_interval(head: str, out: Tensor):
    """(point, lower, upper) in scaled units; no interval for a point head."""
    if head == "point":
        return out[..., 0], None, None
    if head == "gaussian":
        sigma = F.softplus(out[..., 1]) + 1e-3
        return out[..., 0], out[..., 0] - Z80 * sigma, out[..., 0] + Z80 * sigma
    ordered = out.sort(-1).values  # quantile crossing cannot make an upside-down interval
    return ordered[..., 1], ordered[..., 0], ordered[..., 2]
