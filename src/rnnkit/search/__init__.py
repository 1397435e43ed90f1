"""Hyperparameter search (Optuna) over the run API: `rnnkit search TASK --space space.toml`.

`rnnkit.search.space` reads the space file; `rnnkit.search.study` runs the study
(`SearchSettings`, `search`); `rnnkit.search.report` says what it found. (Nothing is imported
here, so that the command line starts without loading Optuna.)
"""
