"""The statistical forecasters a user would pick instead, from statsforecast (Nixtla's
implementations of R's forecast package): AutoETS, AutoTheta, MSTL over every season the series
shows, and AutoARIMA where it finishes in time; each fitted on exactly the history before an
origin, so they are scored on the model's own windows and scale.

statsforecast comes with the forecasting extra (`pip install 'rnnkit[forecast]'`); without it
the naive baselines stand alone and one notice says how to add the peers."""

from __future__ import annotations

import functools
import logging
import warnings

import numpy as np

log = logging.getLogger(__name__)

PEERS = ("auto_ets", "auto_theta", "mstl", "auto_arima")
ETS_LONGEST_SEASON = 24  # ETS keeps one state per season step: R's ets() refuses longer ones
ARIMA_LONGEST_SEASON = 24  # seasonal ARIMA's search grows with the season; past this it takes minutes
ARIMA_LONGEST_HISTORY = 2000


@functools.cache
def _models():
    """statsforecast's model classes, or None (and one notice) when it is not installed."""
    try:
        from statsforecast.models import MSTL, AutoARIMA, AutoETS, AutoTheta
    except ImportError:
        log.info("the statistical peers (AutoETS, AutoTheta, MSTL, AutoARIMA) need statsforecast: "
                 "pip install 'rnnkit[forecast]'")
        return None
    return {"auto_ets": AutoETS, "auto_theta": AutoTheta, "mstl": MSTL, "auto_arima": AutoARIMA}


def available() -> bool:
    return _models() is not None


def peer_models(history_length: int, seasons: list[int]) -> dict:
    """name -> a fresh statsforecast model for a history of this length, seasons best first.
    A season enters only where the history holds two of it; MSTL needs one."""
    models = _models()
    if models is None:
        return {}
    fitting = [s for s in seasons if s > 1 and 2 * s < history_length]
    first = fitting[0] if fitting else 1
    short = min(fitting, default=1)
    out = {"auto_ets": models["auto_ets"](season_length=first if first <= ETS_LONGEST_SEASON
                                          else (short if short <= ETS_LONGEST_SEASON else 1)),
           "auto_theta": models["auto_theta"](season_length=first)}
    if fitting:
        out["mstl"] = models["mstl"](season_length=sorted(fitting))
    arima_season = first if first <= ARIMA_LONGEST_SEASON else 1
    if history_length <= ARIMA_LONGEST_HISTORY and (arima_season > 1 or not fitting):
        out["auto_arima"] = models["auto_arima"](season_length=arima_season)
    return out


def peer_forecasts(history: np.ndarray, horizon: int, seasons: list[int]) -> dict[str, np.ndarray]:
    """Each peer's point forecast of the `horizon` steps after `history`; a peer that fails on
    this history (too short, a numerical failure in its search) is left out."""
    history = np.asarray(history, dtype=np.float64)
    out = {}
    for name, model in peer_models(len(history), seasons).items():
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                guess = np.asarray(model.fit(history).predict(horizon)["mean"], dtype=np.float64)
        except Exception as error:  # noqa: BLE001 - a peer's own failure leaves it out, said once
            log.info(f"{name} could not be fitted on a history of {len(history)} steps "
                     f"({type(error).__name__}); left out there")
            continue
        if guess.shape == (horizon,) and np.isfinite(guess).all():
            out[name] = guess
    return out
