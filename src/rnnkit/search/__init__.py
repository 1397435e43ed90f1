"""Hyperparameter search (Optuna) over the run API: `rnnkit search TASK --space space.toml`."""

from rnnkit.search.report import best_config, importances, open_search, trial_rows, write_plots
from rnnkit.search.space import Dimension, read_space
from rnnkit.search.study import SearchSettings, search

__all__ = ["Dimension", "SearchSettings", "best_config", "importances", "open_search",
           "read_space", "search", "trial_rows", "write_plots"]
