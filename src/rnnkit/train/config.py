"""`TrainConfig`: what every training run shares (optimiser, schedule, budgets, checkpoints,
device). Task configs compose it with `RecurrentConfig` and their own fields."""

from __future__ import annotations

from dataclasses import dataclass

from rnnkit.config import SEED_LIMIT, Config, option
from rnnkit.errors import ConfigError

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
PRUNE_METHODS = ("none", "magnitude", "units")
DEFAULT_EPOCHS = 10  # --epochs 0 without a time budget
BUDGET_EPOCHS = 10**6  # --epochs 0 with one: until the minutes are spent


def run_option(default, help: str, **checks):
    return option(default, help, group="run", **checks)


def training_option(default, help: str, **checks):
    return option(default, help, group="training", **checks)


@dataclass(frozen=True)
class TrainConfig(Config):
    """What every training run shares: optimiser, schedule, budgets, checkpoints, device."""

    out: str = run_option("runs/run", "run folder for checkpoints, metrics and plots")
    overwrite: bool = run_option(False, "replace an existing run folder (otherwise an error)")
    resume: bool = run_option(False, "continue the run in --out from its last checkpoint")
    seed: int = run_option(1234, "random seed (CPU runs are fully deterministic)", low=0,
                           high=SEED_LIMIT)
    device: str = run_option("auto", "auto picks a GPU when there is one",
                             choices=("auto", "cpu", "cuda"))
    precision: str = run_option("fp32", "autocast precision on GPU",
                                choices=("fp32", "bf16", "fp16"))
    dist_timeout: float = run_option(600.0, "seconds the processes of a multi-process run "
                                     "(torchrun, --nproc) wait for each other: to meet, and at "
                                     "each exchange", low=1.0)
    tensorboard: bool = run_option(False, "also write TensorBoard event files to RUN_DIR/tensorboard")
    threads: int = run_option(0, "CPU threads; 0 fits them to the cores other processes leave "
                              "free, measured at the start and at every evaluation (for bit-"
                              "identical reruns on a busy machine, fix it)", low=0, high=1024)
    batch_size: int = training_option(64, "sequences per batch", low=1)
    optimizer: str = training_option("adam", "optimiser", choices=OPTIMIZERS)
    lr: float = training_option(2e-3, "learning rate", low=0.0)
    momentum: float = training_option(0.0, "momentum (sgd, rmsprop)", low=0.0, high=1.0)
    weight_decay: float = training_option(0.0, "weight decay (L2 for sgd/adam/rmsprop, decoupled "
                                          "for adamw)", low=0.0)
    clip_norm: float = training_option(5.0, "clip the global gradient norm to this (0: off)",
                                       low=0.0)
    clip_value: float = training_option(0.0, "clip each gradient entry to ±this (0: off)", low=0.0)
    schedule: str = training_option("auto", "learning-rate schedule (auto: cosine over the "
                                    "budget when --max-minutes alone bounds the run, else "
                                    "constant)",
                                    choices=("auto", "constant", "step", "cosine", "linear",
                                             "plateau"))
    warmup_steps: int = training_option(0, "linear warm-up steps (cosine, constant)", low=0)
    step_every: int = training_option(1000, "steps between decays (step schedule)", low=1)
    gamma: float = training_option(0.5, "decay factor (step and plateau schedules)", low=0.0,
                                   high=1.0)
    plateau_patience: int = training_option(2, "evaluations without improvement before a plateau "
                                            "decay", low=1)
    epochs: int = training_option(0, "passes over the training data (0: 10; or, given "
                                  "--max-minutes and no --max-steps, as many as the minutes "
                                  "allow: a budget to spend)", low=0)
    max_steps: int = training_option(0, "stop after this many steps (0: no limit)", low=0)
    max_minutes: float = training_option(0.0, "stop after this many minutes (0: no limit); "
                                         "alone, a budget the run spends, its schedule "
                                         "decaying over it", low=0.0)
    eval_every: int = training_option(200, "steps between evaluations and checkpoints", low=1)
    patience: int = training_option(0, "stop after this many evaluations without improvement "
                                    "(0: off)", low=0)
    max_bad_steps: int = training_option(5, "stop after this many non-finite steps in a row", low=1)
    diagnose_every: int = training_option(0, "steps between gradient diagnoses during training "
                                          "(0: off)", low=0)
    prune: str = training_option("none", "prune while training: magnitude (weights) or units "
                                 "(whole hidden units, then a smaller dense model)",
                                 choices=PRUNE_METHODS)
    sparsity: float = training_option(0.0, "share of each weight matrix (magnitude) or of each "
                                      "layer's units (units) removed by the end", low=0.0,
                                      high=0.99)
    prune_schedule: str = training_option("cubic", "how the sparsity ramps up (Zhu & Gupta's "
                                          "cubic, linear, or all at once)",
                                          choices=("cubic", "linear", "oneshot"))
    prune_start: int = training_option(0, "step the pruning starts at", low=0)
    prune_steps: int = training_option(0, "steps the sparsity ramps over (0: three quarters of "
                                       "the run)", low=0)
    prune_every: int = training_option(20, "steps between mask updates", low=1)
    start_from: str | None = run_option(None, "a run folder whose best checkpoint gives the "
                                        "initial weights (same model settings)")

    @classmethod
    def fitted_defaults(cls, given: dict) -> dict:
        """--max-minutes alone is a budget in every task: a task whose default is a number of
        epochs (speech 20, captions 8) spends the minutes instead, unless --epochs or
        --max-steps is given too."""
        alone = bool(given.get("max_minutes")) and "epochs" not in given and "max_steps" not in given
        return {"epochs": 0} if alone and cls.__dataclass_fields__["epochs"].default else {}

    @property
    def budgeted(self) -> bool:
        """Whether --max-minutes alone bounds the run: it trains until the minutes are spent."""
        return self.max_minutes > 0 and self.epochs == 0 and self.max_steps == 0

    @property
    def planned_epochs(self) -> int:
        return self.epochs or (BUDGET_EPOCHS if self.budgeted else DEFAULT_EPOCHS)

    @property
    def schedule_kind(self) -> str:
        if self.schedule != "auto":
            return self.schedule
        return "cosine" if self.budgeted else "constant"

    def check(self) -> None:
        super().check()
        if self.prune != "none" and self.budgeted:
            raise ConfigError("--prune ramps over a number of steps: give --max-steps or --epochs "
                              "with --max-minutes")
        if self.prune != "none" and self.sparsity == 0.0:
            raise ConfigError(f"--prune {self.prune} needs --sparsity > 0")
        if self.prune == "none" and self.sparsity > 0.0:
            raise ConfigError("--sparsity needs --prune magnitude or units")
        if self.start_from is not None and not str(self.start_from).strip():
            raise ConfigError("--start-from must name a run folder")
