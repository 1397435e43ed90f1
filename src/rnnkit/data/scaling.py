"""Standard scaling fitted on training values only, for one series or per channel.

    y = (f(x) − mean) / std,   f = log for kind "log" (positive series), the identity otherwise

`fit` takes one series' values (a NumPy array; NaN ignored) and gives scalar statistics;
`fit_channels` takes training sequences (T, C) (tensors) and gives one mean and deviation per
channel, over every time step of every sequence. A deviation of 0 counts as 1.
"""

from __future__ import annotations

import numpy as np
import torch

from rnnkit.errors import DataError

KINDS = ("standard", "log")


class Scaler:
    def __init__(self, mean, std, kind: str = "standard") -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.mean, self.std, self.kind = mean, std, kind

    @classmethod
    def fit(cls, values: np.ndarray, kind: str = "standard") -> Scaler:
        """Scalar statistics of one series (its finite values)."""
        values = values[~np.isnan(values)]
        if kind == "log":
            if (values <= 0).any():
                raise DataError("--scaling log needs a positive series; use --scaling standard")
            values = np.log(values)
        std = float(values.std())
        return cls(float(values.mean()), std if std > 1e-12 else 1.0, kind)

    @classmethod
    def fit_channels(cls, series: list[torch.Tensor]) -> Scaler:
        """Per-channel statistics (C,) over all steps of the training sequences (T, C)."""
        stacked = torch.cat(series).double()
        std = stacked.std(0, unbiased=False)
        return cls(stacked.mean(0).float(), torch.where(std > 1e-12, std, 1.0).float())

    @property
    def channels(self) -> int:
        """How many channels the scaler was fitted on (1 for a single series)."""
        return int(self.mean.shape[0]) if isinstance(self.mean, torch.Tensor) else 1

    def __call__(self, values):
        if self.kind == "log":
            values = torch.log(values) if isinstance(values, torch.Tensor) else np.log(values)
        return (values - self.mean) / self.std

    def inverse(self, scaled):
        values = scaled * self.std + self.mean
        if self.kind != "log":
            return values
        return torch.exp(values) if isinstance(values, torch.Tensor) else np.exp(values)

    def to_json(self) -> dict:
        plain = (lambda v: v.tolist()) if isinstance(self.mean, torch.Tensor) else float
        return {"kind": self.kind, "mean": plain(self.mean), "std": plain(self.std)}

    @classmethod
    def from_json(cls, data: dict) -> Scaler:
        mean, std = data["mean"], data["std"]
        if isinstance(mean, list):
            mean, std = torch.tensor(mean), torch.tensor(std)
        return cls(mean, std, data.get("kind", "standard"))
