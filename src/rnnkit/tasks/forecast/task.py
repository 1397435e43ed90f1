"""`ForecastTask`: shuffled windows of every series for fit(); scaled batches, forecasts in the
original units, and the model's and the baselines' errors on the same windows."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
from torch import Tensor

from rnnkit.data.timeseries import Series, seasons_of
from rnnkit.errors import DataError
from rnnkit.layers.modes import evaluating
from rnnkit.tasks.base import TaskBase, last_step_losses
from rnnkit.tasks.forecast import smoothing
from rnnkit.tasks.forecast.data import (
    PreparedSeries,
    calendar_defaults,
    read_holidays,
    target_name,
    validation_steps,
)
from rnnkit.tasks.forecast.metrics import (
    baselines,
    conformal_margins,
    detect_seasons,
    errors,
    mase_scale,
)
from rnnkit.tasks.forecast.metrics import window_origins as origins_between
from rnnkit.tasks.forecast.model import Forecaster, head_loss, point_and_interval
from rnnkit.tasks.forecast.peers import peer_forecasts


def output_base(relative: str, seasons: list[int], lookback: int) -> tuple[str, int | None]:
    """(what the outputs are added to, the season it reads or None) for --relative: "auto" is
    the seasonal naive forecast of the best season the lookback covers, else the last value."""
    fitting = [s for s in seasons if s <= lookback]
    if relative == "season" and not seasons:
        raise DataError("--relative season needs a season: give --season")
    if relative == "season" and not fitting:
        raise DataError(f"--relative season needs --lookback >= the season ({seasons[0]})")
    if relative in ("season", "auto") and fitting:
        return "season", fitting[0]
    return ("last" if relative == "auto" else relative), None


CORRECTION_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


class ForecastTask(TaskBase):
    """The fit() task: shuffled windows of every series' training part; validation windows
    end inside the held-out validation part."""

    def __init__(self, config, series: list[Series], device,
                 scalers: list[dict] | None = None, season: int | None = None,
                 seasons=None, relative: tuple[str, int | None] | None = None) -> None:
        """With `scalers` (and `season`, `seasons`, `relative`) of a trained run, the task only
        forecasts and scores: no training windows are enumerated and nothing is fitted."""
        if config.target is None:
            config = dataclasses.replace(config, target=target_name(config))
        if config.known_future is None and scalers is None and series:  # the frequency's calendar
            config = dataclasses.replace(config, known_future=",".join(
                calendar_defaults(series[0])) or "none")
        self.config, self.device = config, device
        self.prepared, self.train_windows, self.valid_windows = [], [], []
        self.seen: list[dict] = []  # per series: the steps training and validation read
        self.calibration: list[float] | None = None  # conformal margins per horizon step
        self.correction_weight = 1.0  # how much of the network's correction is added to the base
        self.smoothing: dict | None = None  # the hybrid's weights, when it forecasts relative to them
        holidays = read_holidays(config.holidays)
        if scalers is not None:
            self.prepared = [PreparedSeries(s, config, 0, scaler, holidays)
                             for s, scaler in zip(series, scalers)]
            self.season = season
            self.seasons = list(seasons) if seasons is not None else [s for s in [season] if s]
            self.relative, self.relative_season = relative or (config.relative, season)
            return
        train_ends = []
        for k, s in enumerate(series):
            valid = validation_steps(config, len(s))
            train_end = len(s) - config.test_size - valid
            train_ends.append(train_end)
            self.seen.append(seen_part(s, len(s) - config.test_size))
            self.prepared.append(PreparedSeries(s, config, train_end, holidays=holidays))
            self.train_windows += [(k, o) for o in origins_between(0, train_end, config.lookback,
                                                                   config.horizon, config.stride)]
            self.valid_windows += [(k, o) for o in origins_between(
                train_end, len(s) - config.test_size, 0, config.horizon) if o >= config.lookback]
        if not self.train_windows:
            raise DataError("no training windows: the series is too short for this lookback and horizon")
        first = self.prepared[0]
        history = first.raw[: train_ends[0]]
        self.seasons = [config.season] if config.season else detect_seasons(
            history, seasons_of(first.series.frequency), 4 * config.lookback)
        self.season = self.seasons[0] if self.seasons else None  # baselines and MASE
        self.relative, self.relative_season = output_base(config.relative, self.seasons,
                                                          config.lookback)
        if config.relative in ("auto", "smoothing"):
            self.fit_smoothing(train_ends)
            # auto: the base that alone forecasts the validation windows best (ties: the first,
            # the seasonal naive forecast where the lookback covers a season)
            candidates = [self.relative] + [c for c in ("smoothing", "last") if c != self.relative]
            chosen = ("smoothing" if config.relative == "smoothing"
                      else min(candidates, key=self.base_error))
            if chosen != self.relative:
                self.relative, self.relative_season = chosen, None
        self._order, self._order_epoch = None, None

    def fit_smoothing(self, train_ends: list[int]) -> None:
        """The hybrid's statistical half: multi-seasonal exponential smoothing weights fitted on
        each series' (scaled) training part, and every origin's base forecast."""
        H = self.config.horizon
        shortest = min(train_ends)
        seasons = sorted(s for s in self.seasons if 2 * s <= shortest)
        weights = []
        for p, end in zip(self.prepared, train_ends):
            start = 2 * max(seasons, default=1)
            if end - H - start < H:  # too short to warm up on two seasons: score half of it
                start = max(1, end // 2)
            weights.append(smoothing.fit(p.target[:end], seasons, H, start))
        self.smoothing = {"seasons": seasons, "weights": weights}
        self.attach_bases()

    def attach_bases(self) -> None:
        """Each prepared series' base forecasts from its smoothing weights (`self.smoothing`)."""
        for p, w in zip(self.prepared, self.smoothing["weights"]):
            p.base = smoothing.smoothed_base(p.target, self.smoothing["seasons"], w,
                                             self.config.horizon).astype(np.float32)

    def base_error(self, relative: str) -> float:
        """The validation windows' mean absolute error (scaled units) of a base alone."""
        season = None
        if relative == "season":  # the season the seasonal naive base would read
            season = output_base("auto", self.seasons, self.config.lookback)[1]
            if season is None:
                return math.inf
        levels = self.levels(self.valid_windows, relative, season)
        targets = np.array([self.prepared[k].target[o : o + self.config.horizon]
                            for k, o in self.valid_windows])
        return float(np.abs(levels - targets).mean())

    def build_model(self) -> Forecaster:
        p = self.prepared[0]
        return self.model_for(p.inputs.shape[1], p.known.shape[1])

    def model_for(self, inputs: int, future: int) -> Forecaster:
        """A forecaster reading `inputs` features per step and `future` known-future ones."""
        return Forecaster(self.config, inputs, future)

    def batch(self, windows):
        L, H = self.config.lookback, self.config.horizon
        x = np.stack([self.prepared[k].inputs[o - L : o] for k, o in windows])
        future = np.stack([self.prepared[k].known[o : o + H] for k, o in windows])
        y = np.stack([self.prepared[k].target[o : o + H] for k, o in windows]).astype(np.float32)
        if self.relative != "none":  # inputs start from the last observed (scaled) value
            x[:, :, 0] -= x[:, -1:, 0].copy()
            y = y - self.levels(windows)
        return (torch.from_numpy(x).to(self.device), torch.from_numpy(future).to(self.device),
                torch.from_numpy(y).to(self.device))

    def levels(self, windows, relative: str | None = None, season: int | None = None) -> np.ndarray:
        """What each window's outputs are relative to, in scaled units, (N, H): the last value
        before the origin, the smoothing's forecast, the seasonal naive forecast (values one
        season back, all before the origin), or zero; the task's own base unless `relative`
        (and `season`) name another."""
        H = self.config.horizon
        if relative is None:
            relative, season = self.relative, self.relative_season
        if relative == "none":
            return np.zeros((len(windows), H), np.float32)
        if relative == "last":
            return np.array([[self.prepared[k].target[o - 1]] * H for k, o in windows], np.float32)
        if relative == "smoothing":
            return np.array([self.prepared[k].base[o] for k, o in windows], np.float32)
        back = np.arange(H) % season - season  # offsets from the origin, all < 0
        return np.array([self.prepared[k].target[o + back] for k, o in windows], np.float32)

    def epoch_windows(self) -> int:
        return -(-len(self.train_windows) // self.config.batch_size)

    def window_loss(self, model, epoch: int, window: int, state):
        if self._order_epoch != epoch:  # one shuffle of the training windows per epoch
            generator = torch.Generator().manual_seed(self.config.seed * 7919 + epoch)
            self._order = torch.randperm(len(self.train_windows), generator=generator).tolist()
            self._order_epoch = epoch
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
        point, lower, upper = self.corrections(outputs)
        if lower is not None and self.calibration is not None:  # the validation's correction
            margin = torch.tensor(self.calibration, dtype=point.dtype, device=point.device)
            lower, upper = torch.minimum(lower - margin, point), torch.maximum(upper + margin, point)
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

    def score(self, model, windows, outputs: Tensor | None = None, peers: bool = False) -> dict:
        """The model's and the baselines' errors on the given windows, original scale; with
        `peers`, statsforecast's models too (each fitted on the history before each origin). A
        forecaster is reported only where it forecast every window."""
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
            others = baselines(raw[:o], H, self.season, self.seasons)
            if self.smoothing is not None:  # the hybrid's statistical half alone
                others["smoothing"] = self.prepared[k].scalers["target"].inverse(
                    self.prepared[k].base[o])
            if peers:
                others |= peer_forecasts(raw[:o], H, self.seasons)
            for name, guess in others.items():
                rows.setdefault(name, []).append(errors(actual, guess, scale))
        return {name: {m: float(np.mean([r[m] for r in results])) for m in results[0]}
                for name, results in rows.items() if len(results) == len(windows)}

    def rolling_valid_windows(self) -> list[tuple[int, int]]:
        """The validation origins one horizon apart in each series (the first at the start of
        its validation part): the windows the final summary scores beside the peers."""
        first: dict[int, int] = {}
        for k, o in self.valid_windows:
            first.setdefault(k, o)
        return [(k, o) for k, o in self.valid_windows if (o - first[k]) % self.config.horizon == 0]

    def corrections(self, outputs: Tensor):
        """(point, lower, upper) relative to the base, scaled units: the network's correction
        times the weight validation chose, the interval moved with it (no interval for a
        point head)."""
        point, lower, upper = point_and_interval(self.config.head, outputs)
        if self.correction_weight != 1.0:
            shift = (self.correction_weight - 1.0) * point
            point = point + shift
            lower, upper = (None, None) if lower is None else (lower + shift, upper + shift)
        return point, lower, upper

    def evaluate(self, model) -> dict:
        """The validation loss and MAE. Kept with this model's checkpoint: the weight of its
        correction to the base (of CORRECTION_WEIGHTS, the one whose forecasts err least on the
        validation windows: 0 where the base alone forecasts better, as a hybrid should fall
        back on its statistical half), and the conformal margins that make its 80% intervals
        cover 80% of the validation outcomes."""
        outputs, y = self.outputs(model, self.valid_windows)
        loss = float(head_loss(self.config.head, outputs, y))
        raw_point = point_and_interval(self.config.head, outputs)[0]
        if self.relative != "none":
            self.correction_weight = min(CORRECTION_WEIGHTS, key=lambda w: (
                float((w * raw_point - y).abs().mean()), -w))  # (ties: the larger weight)
        point, lower, upper = self.corrections(outputs)
        self.calibration = None if lower is None else conformal_margins(
            point.cpu().numpy(), lower.cpu().numpy(), upper.cpu().numpy(), y.cpu().numpy()).tolist()
        scored = self.score(model, self.valid_windows, outputs)
        return {"loss": loss, "mae": scored["model"]["mae"],
                "persistence_mae": scored["persistence"]["mae"]}

    def diagnosis_inputs(self, model):
        """Up to 32 validation windows. Each window's loss sits at the last lookback step: the
        forecast loss through the model's own head ("direct"), or, for "seq2seq", the loss of
        the first horizon step read from the encoder's last output by the model's head."""
        windows = self.valid_windows[:32]
        x, future, y = self.batch(windows)
        head = self.config.head

        def step_losses(outputs: Tensor) -> Tensor:
            last = outputs[:, -1]
            if model.kind == "direct":
                features = torch.cat([last, future.flatten(1)], 1)
                out = model.head(features).view(len(windows), model.horizon, model.outputs)
                return last_step_losses(outputs, lambda: head_loss(head, out, y, per_window=True))
            out = model.head(last)[:, None]  # (N, 1, outputs)
            return last_step_losses(outputs, lambda: head_loss(head, out, y[:, :1], per_window=True))

        return model.encoder.rnn, x, step_losses

    def example_inputs(self) -> tuple:
        x, future, _ = self.batch(self.valid_windows[:1] or self.train_windows[:1])
        return x, future

    def meta(self) -> dict:
        return {"name": "forecast", "season": self.season, "seasons": self.seasons,
                "relative": [self.relative, self.relative_season],
                "scalers": [{k: v.to_json() for k, v in p.scalers.items()} for p in self.prepared],
                "series": [p.name for p in self.prepared], "seen": self.seen,
                "known_future": self.config.known_future, "calibration": self.calibration,
                "correction_weight": self.correction_weight,
                "smoothing": self.smoothing,
                "inputs": self.prepared[0].inputs.shape[1], "future": self.prepared[0].known.shape[1]}


def seen_part(series: Series, steps: int) -> dict:
    """What of `series` a run read (training and validation): its first `steps` steps, up to
    which time."""
    last = series.times[steps - 1] if steps and series.times[steps - 1] is not None else None
    return {"steps": steps, "last": None if last is None else str(last)}
