"""TensorBoard event files for a run, written from fit()'s events with PyTorch's own
SummaryWriter: losses, learning rate, pre-clip gradient norm, validation figures, and the
gradient-flow heat map as an image at every diagnosis."""

from __future__ import annotations

from pathlib import Path

from rnnkit.diagnostics.plots import flow_heatmap
from rnnkit.errors import ConfigError


class TensorBoardLog:
    """`write(event)` for every event of fit(); `close()` at the end. Files go to `folder`."""

    def __init__(self, folder: Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError("--tensorboard needs the tensorboard package (pip install "
                              "tensorboard)") from None
        self.writer = SummaryWriter(log_dir=str(folder))
        self.diagnoses: list[dict] = []

    def write(self, event: dict) -> None:
        kind, step = event["event"], event.get("step", 0)
        if kind == "step":
            self.writer.add_scalar("train/loss", event["loss"], step)
            self.writer.add_scalar("train/lr", event["lr"], step)
            self.writer.add_scalar("train/grad_norm", event["grad_norm"], step)
        elif kind == "eval":
            for key, value in event.items():
                if key.startswith("valid_") and isinstance(value, (int, float)):
                    self.writer.add_scalar(f"valid/{key[6:]}", value, step)
        elif kind == "diagnosis":
            self.diagnoses.append(event)
            key = next(iter(event["flow"]), None)
            if key is not None and len(self.diagnoses) > 1:
                figure = flow_heatmap(self.diagnoses, key)
                self.writer.add_figure("diagnosis/gradient_flow", figure, step)

    def close(self) -> None:
        self.writer.close()
