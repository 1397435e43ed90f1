"""The forecasting task for the run API: its config, how a run is prepared and reopened, and
what a reopened run does: forecast past the end of a series, and backtest."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from rnnkit.config import option, with_default
from rnnkit.data.forecast_sets import FORECAST_SETS
from rnnkit.data.timeseries import CALENDAR, FILLS
from rnnkit.layers.config import RecurrentConfig
from rnnkit.tasks.base import Prepared, TaskSpec, refuse
from rnnkit.tasks.forecast import backtest as rolling
from rnnkit.tasks.forecast.data import load_series, read_for_run, target_name
from rnnkit.tasks.forecast.export import graphs as export_graphs
from rnnkit.tasks.forecast.peers import available
from rnnkit.tasks.forecast.task import ForecastTask
from rnnkit.train.config import TrainConfig, training_option
from rnnkit.train.memory import build_within_memory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForecastConfig(RecurrentConfig, TrainConfig):
    """Forecast the next --horizon values of a series from the last --lookback."""

    hidden_size: int = with_default(RecurrentConfig, "hidden_size", 64)
    batch_size: int = with_default(TrainConfig, "batch_size", 32)
    lr: float = with_default(TrainConfig, "lr", 1e-3)
    eval_every: int = with_default(TrainConfig, "eval_every", 100)
    data: str | None = option(None, "CSV file with a time column and the target")
    dataset: str | None = option(None, "a bundled series instead of --data",
                                 choices=tuple(FORECAST_SETS))
    encoding: str = option("utf-8", "text encoding of --data")
    time_column: str | None = option(None, "the time column (numbers or ISO dates; none: rows are "
                                     "steps)")
    target: str | None = option(None, "the column to forecast")
    series_id: str | None = option(None, "a column naming each series, for many series in one file")
    covariates: str | None = option(None, "comma-separated past covariates (known up to the origin)")
    known_future: str | None = option(None, "comma-separated known-future covariates: columns, or "
                                      f"calendar features derived from the time ({', '.join(CALENDAR)}); "
                                      "none: no known-future inputs (default: the calendar "
                                      "features of the series' frequency, sin/cos pairs)")
    holidays: str | None = option(None, "a file of holiday dates (YYYY-MM-DD, one a line): a "
                                  "known-future input that is 1 on those days")
    fill: str = option("none", "fill gaps and empty cells (none: they are errors)", choices=FILLS)
    scaling: str = option("standard", "target scaling (log: for positive series)",
                          choices=("standard", "log"))
    valid_size: int = option(0, "last steps (before --test-size) held out for validation "
                             "(0: one horizon)", low=0)
    test_size: int = option(0, "last steps never seen in training (for backtests)", low=0)
    lookback: int = option(48, "past steps the model reads", group="model", low=1)
    horizon: int = option(12, "future steps it forecasts", group="model", low=1)
    relative: str = option("auto", "what the outputs are added to (scaled units): the window's "
                           "last value, the seasonal naive forecast, multi-seasonal exponential "
                           "smoothing (the hybrid, as ES-RNN), or nothing (auto: whichever of "
                           "the seasonal naive forecast, smoothing and the last value alone "
                           "forecasts the validation windows best)", group="model",
                           choices=("auto", "last", "season", "smoothing", "none"))
    season: int = option(0, "season length for the seasonal naive baseline, MASE and "
                         "--relative season (0: detect the series' seasons)", group="model", low=0)
    architecture: str = option("direct", "direct multi-horizon head, or encoder-decoder",
                               group="model", choices=("direct", "seq2seq"))
    head: str = option("gaussian", "output: point, gaussian or quantile (intervals)",
                       group="model", choices=("point", "gaussian", "quantile"))
    stride: int = training_option(1, "steps between training windows", low=1)
    peers: bool = option(True, "statsforecast's AutoETS, AutoTheta, MSTL and AutoARIMA beside "
                         "the model in the final validation (needs rnnkit[forecast])")

    def names(self, text: str | None) -> list[str]:
        return [n.strip() for n in text.split(",") if n.strip()] if text and text != "none" else []

    def check(self) -> None:
        super().check()
        refuse(self.architecture == "seq2seq" and self.bidirectional,
               "--architecture seq2seq starts its decoder from the encoder's state: the encoder "
               "cannot be --bidirectional")


def prepare(config: ForecastConfig, device, resumed: dict | None, data=None) -> Prepared:
    task = ForecastTask(config, load_series(config, data), device)
    tokens = config.batch_size * (config.lookback + config.horizon)
    model = build_within_memory(task.build_model, tokens).to(device)
    facts = (f"forecasting {len(task.prepared)} series ({len(task.train_windows)} training "
             f"windows, lookback {config.lookback}, horizon {config.horizon}, "
             f"{seasons_phrase(task)}; known-future inputs: "
             f"{', '.join(task.config.names(task.config.known_future)) or 'none'}"
             f"{' and holidays' if config.holidays else ''}) with a {config.architecture} "
             f"{config.cell.upper()} and a {config.head} head")
    return Prepared(task, model, facts)


def seasons_phrase(task: ForecastTask) -> str:
    """"seasons 336, 48; outputs relative to the seasonal naive forecast (336)", or the like."""
    found = ", ".join(map(str, task.seasons)) if task.seasons else "none found"
    smoothed = ", ".join(map(str, (task.smoothing or {}).get("seasons", []))) or "level only"
    base = {"season": f"the seasonal naive forecast ({task.relative_season})",
            "smoothing": f"exponential smoothing ({smoothed})",
            "last": "the last value", "none": "nothing"}[task.relative]
    return f"season{'s' if len(task.seasons) > 1 else ''} {found}; outputs relative to {base}"


def final(task: ForecastTask, model, run_dir: Path) -> dict:
    """The best model's, the baselines' and the statistical peers' errors from the validation
    origins one horizon apart; the intervals corrected on the validation windows (so their
    coverage there is about 80% by construction: a backtest on held-out folds measures it)."""
    selection = task.evaluate(model)  # (and the best model's own conformal margins)
    windows = task.rolling_valid_windows()
    if task.config.peers and available():
        log.info(f"fitting the statistical peers (statsforecast) on the history before each of "
                 f"the {len(windows)} validation origins")
    return {"valid": {"origins": len(windows),
                      **task.score(model, windows, peers=task.config.peers)},
            "selection": selection, "correction_weight": task.correction_weight,
            "season": task.season,
            "seasons": task.seasons, "relative": task.relative}


def reopen(config: ForecastConfig, meta: dict, device):
    """(task over no series, a function that builds its model) of a saved run; the training
    scalers and season come from the checkpoint."""
    saved = meta["task"]
    # the known-future inputs it was trained with (runs from before calendar defaults: the
    # config's own, none when it named none)
    config = dataclasses.replace(config, target=target_name(config),
                                 known_future=saved.get("known_future", config.known_future or "none"))
    relative = saved.get("relative")  # (runs before seasons were detected: the config's)
    task = ForecastTask(config, [], device, scalers=[], season=saved["season"],
                        seasons=saved.get("seasons"),
                        relative=tuple(relative) if relative else None)
    task.saved = saved
    return task, lambda: task.model_for(saved["inputs"], saved["future"])


def attach_data(task: ForecastTask) -> None:
    """The run's own series and validation windows, scaled as in training."""
    fresh = ForecastTask(task.config, load_series(task.config), task.device)
    task.prepared, task.valid_windows = fresh.prepared, fresh.valid_windows


def forecast(run, data: str | None = None, horizon: int | None = None) -> list[dict]:
    """The next `horizon` values (the model's own) after each series' last known target."""
    config = run.task.config
    series = read_for_run(config, data, future_rows=True)
    return rolling.forecast_ahead(config, run.task.saved, run.model, series,
                                  horizon or config.horizon, run.task.device)


def backtest(run, data: str | None = None, folds: int = 5, allow_seen: bool = False,
             peers: bool = True) -> dict:
    """Rolling-origin backtest over the last `folds` horizons of the series: held-out folds
    only unless `allow_seen`; the statistical peers beside the model unless `peers` is off."""
    config = run.task.config
    return rolling.backtest(config, run.task.saved, run.model, read_for_run(config, data), folds,
                            run.task.device, allow_seen=allow_seen, peers=peers)


SPEC = TaskSpec(
    name="forecast", config_class=ForecastConfig, help="time-series forecasting", in_memory=True,
    description="Train a multi-horizon forecaster on a CSV with a time column (or a bundled "
                "series); validation beside naive baselines.",
    prepare=prepare, final=final, reopen=reopen, attach_data=attach_data, forecast=forecast,
    backtest=backtest, graphs=export_graphs)
