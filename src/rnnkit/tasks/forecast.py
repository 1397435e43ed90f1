"""Multi-horizon forecasting: a lookback window of the target (and covariates) -> the next H values.

Models: "direct" — an rnnkit encoder over the lookback, its last state beside the horizon's
known-future covariates, one linear layer to all H steps at once; "seq2seq" — the encoder's
final state starts a decoder rnnkit layer that reads the known-future covariates of each horizon
step. Heads: "point" (squared error), "gaussian" (mean and deviation, negative log-likelihood) or
"quantile" (10%, 50%, 90%, pinball loss); the last two give 80% prediction intervals.
Every series is scaled with statistics of its own training part only.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.data.forecast_sets import FORECAST_SETS, load_forecast_set
from rnnkit.data.tables import read_table
from rnnkit.data.text import DataError
from rnnkit.data.timeseries import CALENDAR, FILLS, Series, calendar_features, read_series, season_of
from rnnkit.layers import make_layer
from rnnkit.layers.modes import evaluating
from rnnkit.tasks.forecast_math import Z80, Scaler, baselines, errors, infer_season, mase_scale
from rnnkit.tasks.forecast_math import window_origins as origins_between
from rnnkit.train.config import TrainConfig, option

QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class ForecastConfig(TrainConfig):
    """Forecast the next --horizon values of a series from the last --lookback."""

    data: str | None = option(None, "CSV file with a time column and the target")
    dataset: str | None = option(None, "a bundled series instead of --data", choices=tuple(FORECAST_SETS))
    encoding: str = option("utf-8", "text encoding of --data")
    time_column: str | None = option(None, "the time column (numbers or ISO dates; none: rows are steps)")
    target: str | None = option(None, "the column to forecast")
    series_id: str | None = option(None, "a column naming each series, for many series in one file")
    covariates: str | None = option(None, "comma-separated past covariates (known up to the origin)")
    known_future: str | None = option(None, "comma-separated known-future covariates: columns, or "
                                      f"calendar features derived from the time ({', '.join(CALENDAR)})")
    fill: str = option("none", "fill gaps and empty cells (none: they are errors)", choices=FILLS)
    scaling: str = option("standard", "target scaling (log: for positive series)",
                          choices=("standard", "log"))
    lookback: int = option(48, "past steps the model reads", low=1)
    horizon: int = option(12, "future steps it forecasts", low=1)
    stride: int = option(1, "steps between training windows", low=1)
    valid_size: int = option(0, "last steps (before --test-size) held out for validation "
                             "(0: one horizon)", low=0)
    test_size: int = option(0, "last steps never seen in training (for backtests)", low=0)
    relative: str = option("last", "what the outputs are added to (scaled units): the window's last "
                           "value, the seasonal naive forecast, or nothing",
                           choices=("last", "season", "none"))
    season: int = option(0, "season length for the seasonal naive baseline and MASE (0: infer)", low=0)
    architecture: str = option("direct", "direct multi-horizon head, or encoder-decoder",
                               choices=("direct", "seq2seq"))
    head: str = option("gaussian", "output: point, gaussian or quantile (intervals)",
                       choices=("point", "gaussian", "quantile"))
    cell: str = option("lstm", "recurrent cell", choices=("rnn", "lstm", "gru"))
    hidden_size: int = option(64, "hidden units per layer", low=1)
    num_layers: int = option(1, "stacked recurrent layers", low=1)
    dropout: float = option(0.0, "dropout between layers and before the head", low=0.0, high=0.95)
    recurrent_dropout: float = option(0.0, "one dropout mask per sequence on h", low=0.0, high=0.95)
    layer_norm: bool = option(False, "layer-normalised cell")
    batch_size: int = option(32, "windows per batch", low=1)
    lr: float = option(1e-3, "learning rate", low=0.0)
    eval_every: int = option(100, "steps between evaluations and checkpoints", low=1)

    def names(self, text: str | None) -> list[str]:
        return [n.strip() for n in text.split(",") if n.strip()] if text else []


class Forecaster(nn.Module):
    def __init__(self, config: ForecastConfig, inputs: int, future: int) -> None:
        super().__init__()
        self.horizon, self.future, self.kind = config.horizon, future, config.architecture
        self.outputs = {"point": 1, "gaussian": 2, "quantile": len(QUANTILES)}[config.head]
        options = {"dropout": config.dropout if config.num_layers > 1 else 0.0,
                   "recurrent_dropout": config.recurrent_dropout, "layer_norm": config.layer_norm}
        self.encoder = make_layer(config.cell, inputs, config.hidden_size, config.num_layers, **options)
        self.dropout = nn.Dropout(config.dropout)
        size = self.encoder.output_size
        if self.kind == "direct":
            self.head = nn.Linear(size + config.horizon * future, config.horizon * self.outputs)
        else:
            self.decoder = make_layer(config.cell, max(future, 1), config.hidden_size,
                                      config.num_layers, **options)
            self.head = nn.Linear(size, self.outputs)

    def forward(self, x: Tensor, future: Tensor) -> Tensor:
        """x (B, L, inputs), future (B, H, known-future) -> (B, H, outputs) in scaled units."""
        outputs, state = self.encoder(x)
        if self.kind == "direct":
            features = torch.cat([outputs[:, -1], future.flatten(1)], 1)
            return self.head(self.dropout(features)).view(x.shape[0], self.horizon, self.outputs)
        steps = future if self.future else x.new_ones(x.shape[0], self.horizon, 1)
        decoded, _ = self.decoder(steps, state=state)
        return self.head(self.dropout(decoded))


def head_loss(head: str, out: Tensor, y: Tensor) -> Tensor:
    if head == "point":
        return F.mse_loss(out[..., 0], y)
    if head == "gaussian":
        sigma = F.softplus(out[..., 1]) + 1e-3
        nll = torch.log(sigma) + 0.5 * ((y - out[..., 0]) / sigma) ** 2
        return nll.mean() + 0.5 * math.log(2 * math.pi)
    q = torch.tensor(QUANTILES, device=out.device)
    diff = y[..., None] - out
    return torch.maximum(q * diff, (q - 1) * diff).mean()


def point_and_interval(head: str, out: Tensor):
    """(point, lower, upper) in scaled units; no interval for a point head."""
    if head == "point":
        return out[..., 0], None, None
    if head == "gaussian":
        sigma = F.softplus(out[..., 1]) + 1e-3
        return out[..., 0], out[..., 0] - Z80 * sigma, out[..., 0] + Z80 * sigma
    ordered = out.sort(-1).values  # quantile crossing cannot make an upside-down interval
    return ordered[..., 1], ordered[..., 0], ordered[..., 2]


class Prepared:
    """One series as the model sees it: scaled inputs (T, features), known-future (T, K),
    scaled target (T,), the raw target, and the scalers fitted on its training part."""

    def __init__(self, series: Series, config: ForecastConfig, train_end: int, scalers=None) -> None:
        self.series, self.name = series, series.name
        self.raw = series.columns[config.target]
        covariates = config.names(config.covariates)
        future = config.names(config.known_future)
        self.scalers = scalers or {
            "target": Scaler.fit(self.raw[:train_end], config.scaling),
            **{c: Scaler.fit(series.columns[c][:train_end]) for c in covariates + future
               if c in series.columns}}
        self.target = self.scalers["target"](self.raw)
        past = [self.scalers[c](series.columns[c]) for c in covariates]
        self.known = self.known_future(series.times, future, series.columns)
        self.inputs = np.column_stack([self.target, *past, self.known]).astype(np.float32)

    def known_future(self, times, names: list[str], columns: dict) -> np.ndarray:
        calendar = [n for n in names if n not in columns]
        parts = [self.scalers[n](columns[n])[:, None] for n in names if n in columns]
        if calendar:
            parts.append(calendar_features(times, calendar))
        return np.column_stack(parts).astype(np.float32) if parts else np.zeros((len(times), 0),
                                                                                np.float32)


def load_series(config: ForecastConfig) -> list[Series]:
    """The series to train on, checked: columns exist, lengths suffice."""
    if config.dataset:
        series = [load_forecast_set(config.dataset)]
        target = FORECAST_SETS[config.dataset][0]
        if config.target not in (None, target):
            raise DataError(f"the {config.dataset} series is {target!r}, not {config.target!r}")
    elif config.data:
        if not config.target:
            raise DataError("give --target: the column to forecast")
        table = read_table(config.data, config.encoding)
        names = [config.target, *config.names(config.covariates)]
        names += [n for n in config.names(config.known_future) if n in table.columns]
        unknown = [n for n in config.names(config.known_future) if n not in table.columns
                   and n not in CALENDAR]
        if unknown:
            raise DataError(f"{config.data}: known-future {unknown[0]!r} is neither a column "
                            f"({', '.join(table.columns)}) nor a calendar feature ({', '.join(CALENDAR)})")
        series = read_series(table, config.time_column, names, config.series_id, config.fill)
    else:
        raise DataError(f"give --data FILE.csv or --dataset ({', '.join(FORECAST_SETS)})")
    need = config.lookback + config.horizon + (config.valid_size or config.horizon) + config.test_size
    for s in series:
        if len(s) < need:
            raise DataError(f"series {s.name!r} has {len(s)} steps; lookback + horizon + validation "
                            f"+ test need {need}")
    return series


def target_name(config: ForecastConfig) -> str:
    return config.target or FORECAST_SETS[config.dataset][0]


class ForecastTask:
    """The fit() task: shuffled windows of every series' training part; validation windows
    end inside the held-out validation part."""

    def __init__(self, config: ForecastConfig, series: list[Series], device,
                 scalers: list[dict] | None = None, season: int | None = None) -> None:
        """With `scalers` (and `season`) of a trained run, the task only forecasts and scores:
        no training windows are enumerated and nothing is fitted."""
        if config.target is None:
            config = dataclasses.replace(config, target=target_name(config))
        self.config, self.device = config, device
        valid = config.valid_size or config.horizon
        self.prepared, self.train_windows, self.valid_windows = [], [], []
        if scalers is not None:
            self.prepared = [Prepared(s, config, 0, scaler) for s, scaler in zip(series, scalers)]
            self.season = season
            return
        for k, s in enumerate(series):
            train_end = len(s) - config.test_size - valid
            self.prepared.append(Prepared(s, config, train_end))
            self.train_windows += [(k, o) for o in origins_between(0, train_end, config.lookback,
                                                                   config.horizon, config.stride)]
            self.valid_windows += [(k, o) for o in origins_between(
                train_end, len(s) - config.test_size, 0, config.horizon) if o >= config.lookback]
        if not self.train_windows:
            raise DataError("no training windows: the series is too short for this lookback and horizon")
        first = self.prepared[0]
        self.season = config.season or season_of(first.series.frequency) or infer_season(
            first.raw[: len(first.raw) - config.test_size - valid], 4 * config.lookback)
        if config.relative == "season" and not self.season:
            raise DataError("--relative season needs a season: give --season")
        if config.relative == "season" and config.lookback < self.season:
            raise DataError(f"--relative season needs --lookback >= the season ({self.season})")
        self._order = None

    def build_model(self) -> Forecaster:
        p = self.prepared[0]
        return Forecaster(self.config, p.inputs.shape[1], p.known.shape[1])

    def batch(self, windows):
        L, H = self.config.lookback, self.config.horizon
        x = np.stack([self.prepared[k].inputs[o - L : o] for k, o in windows])
        future = np.stack([self.prepared[k].known[o : o + H] for k, o in windows])
        y = np.stack([self.prepared[k].target[o : o + H] for k, o in windows]).astype(np.float32)
        if self.config.relative != "none":  # inputs start from the last observed (scaled) value
            x[:, :, 0] -= x[:, -1:, 0].copy()
            y = y - self.levels(windows)
        return (torch.from_numpy(x).to(self.device), torch.from_numpy(future).to(self.device),
                torch.from_numpy(y).to(self.device))

    def levels(self, windows) -> np.ndarray:
        """What each window's outputs are relative to, in scaled units, (N, H): the last value
        before the origin, or the seasonal naive forecast (values one season back, all before
        the origin), or zero."""
        H = self.config.horizon
        if self.config.relative == "none":
            return np.zeros((len(windows), H), np.float32)
        if self.config.relative == "last":
            return np.array([[self.prepared[k].target[o - 1]] * H for k, o in windows], np.float32)
        back = np.arange(H) % self.season - self.season  # offsets from the origin, all < 0
        return np.array([self.prepared[k].target[o + back] for k, o in windows], np.float32)

    def windows_per_epoch(self) -> int:
        return -(-len(self.train_windows) // self.config.batch_size)

    def train_loss(self, model, epoch: int, window: int, state):
        if window == 0 or self._order is None:
            generator = torch.Generator().manual_seed(self.config.seed * 7919 + epoch)
            self._order = torch.randperm(len(self.train_windows), generator=generator).tolist()
        chosen = self._order[window * self.config.batch_size : (window + 1) * self.config.batch_size]
        x, future, y = self.batch([self.train_windows[i] for i in chosen])
        return head_loss(self.config.head, model(x, future), y), None, y.numel()

    @torch.no_grad()
    def outputs(self, model, windows) -> tuple[Tensor, Tensor]:
        """The model's raw outputs (N, H, outputs) and the scaled targets (N, H), eval mode."""
        x, future, y = self.batch(windows)
        with evaluating(model):
            return model(x, future).float(), y

    def forecast(self, model, windows, outputs: Tensor | None = None) -> dict:
        """Original-scale point forecasts (N, H) and 80% intervals for (series, origin) pairs
        (from `outputs` when they were already computed)."""
        if outputs is None:
            outputs, _ = self.outputs(model, windows)
        point, lower, upper = point_and_interval(self.config.head, outputs)
        level = torch.from_numpy(self.levels(windows)).to(point.device)
        point = point + level
        lower, upper = (None, None) if lower is None else (lower + level, upper + level)
        out = {"point": [], "lower": [], "upper": []}
        for row, (k, _) in enumerate(windows):
            inverse = self.prepared[k].scalers["target"].inverse
            out["point"].append(inverse(point[row].cpu().numpy()))
            if lower is not None:
                out["lower"].append(inverse(lower[row].cpu().numpy()))
                out["upper"].append(inverse(upper[row].cpu().numpy()))
        return {k: np.array(v) for k, v in out.items() if v}

    def score(self, model, windows, outputs: Tensor | None = None) -> dict:
        """The model's and the baselines' errors on the given windows, original scale."""
        H = self.config.horizon
        predicted = self.forecast(model, windows, outputs)
        rows: dict[str, list] = {}
        for row, (k, o) in enumerate(windows):
            raw = self.prepared[k].raw
            actual = raw[o : o + H]
            scale = mase_scale(raw[:o], self.season)
            interval = ((predicted["lower"][row], predicted["upper"][row]) if "lower" in predicted
                        else (None, None))
            rows.setdefault("model", []).append(errors(actual, predicted["point"][row], scale, *interval))
            for name, guess in baselines(raw[:o], H, self.season).items():
                rows.setdefault(name, []).append(errors(actual, guess, scale))
        return {name: {m: float(np.mean([r[m] for r in results])) for m in results[0]}
                for name, results in rows.items()}

    def evaluate(self, model) -> dict:
        outputs, y = self.outputs(model, self.valid_windows)
        loss = float(head_loss(self.config.head, outputs, y))
        scored = self.score(model, self.valid_windows, outputs)
        return {"loss": loss, "mae": scored["model"]["mae"],
                "persistence_mae": scored["persistence"]["mae"]}

    def meta(self) -> dict:
        return {"name": "forecast", "season": self.season,
                "scalers": [{k: v.to_json() for k, v in p.scalers.items()} for p in self.prepared],
                "series": [p.name for p in self.prepared],
                "inputs": self.prepared[0].inputs.shape[1], "future": self.prepared[0].known.shape[1]}
