"""The parity check of an exported graph: run it (ONNX Runtime, or the TorchScript file) and the
PyTorch model on the same random inputs, for several batch sizes and lengths (unequal within a
batch), and report the largest difference; a step graph fed one step at a time must give the
sequence graph's per-step outputs and final state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from rnnkit.tasks.base import Graph

CASES = tuple((batch, time) for time in (1, 7, 64, 300) for batch in (1, 8))
TOLERANCE = 1e-4


class OnnxRunner:
    """An ONNX file run by ONNX Runtime on the CPU: tensors in, numpy arrays out."""

    def __init__(self, path: Path, graph: Graph) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # no busy-waiting threads left behind to slow the caller's own work after the check
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(path), options,
                                                    providers=["CPUExecutionProvider"])
        self.names = graph.inputs

    def __call__(self, *inputs: torch.Tensor) -> list[np.ndarray]:
        return self.session.run(None, {n: t.detach().numpy() for n, t in zip(self.names, inputs)})


class TorchScriptRunner:
    def __init__(self, path: Path, graph: Graph) -> None:
        self.module = torch.jit.load(str(path))

    def __call__(self, *inputs: torch.Tensor) -> list[np.ndarray]:
        with torch.no_grad():
            out = self.module(*inputs)
        return [o.numpy() for o in (out if isinstance(out, tuple) else (out,))]


def reference(graph: Graph, inputs: tuple) -> list[np.ndarray]:
    """The PyTorch model's outputs on its own automatic backend (fused kernels where they
    serve), not the traced path."""
    with torch.no_grad():
        out = graph.module.eval()(*inputs)
    return [o.float().numpy() for o in (out if isinstance(out, tuple) else (out,))]


def largest_difference(got: list, want: list) -> float:
    """max |got − want| / max(1, |want|) over every output: the absolute difference where
    values are small, the relative one where they exceed 1 (float32 sums of a few hundred
    steps of large logits or cell states differ in their last digits between kernels)."""
    if len(got) != len(want) or any(g.shape != w.shape for g, w in zip(got, want)):
        return float("inf")
    return max(float((np.abs(g.astype(np.float64) - w) / np.maximum(1.0, np.abs(w))).max())
               if w.size else 0.0 for g, w in zip(got, want))


def check_sequence(graph: Graph, runner, cases=CASES, seed: int = 0) -> list[dict]:
    """One row per (batch, time): the largest difference from PyTorch."""
    rows = []
    for batch, time in cases:
        inputs = graph.sample(batch, time, torch.Generator().manual_seed(seed + 31 * time + batch))
        error = largest_difference(runner(*inputs), reference(graph, inputs))
        rows.append({"graph": graph.name, "batch": batch, "time": time, "max_error": error})
    return rows


def check_steps(step: Graph, sequence: Graph, step_runner, sequence_runner,
                cases=((1, 7), (8, 64)), seed: int = 1) -> list[dict]:
    """The step graph fed a whole batch one step at a time (full lengths) against the sequence
    graph: the largest difference over every step's output and the final state."""
    rows = []
    for batch, time in cases:
        inputs = list(sequence.sample(batch, time, torch.Generator().manual_seed(seed + time)))
        if "lengths" in sequence.inputs:
            inputs[sequence.inputs.index("lengths")] = torch.full((batch,), time, dtype=torch.long)
        whole = sequence_runner(*inputs)
        state = [torch.as_tensor(leaf).float() for leaf in step.initial_state(batch)]
        outputs = []
        for t in range(time):
            out, *state = step_runner(*step.step_input(inputs, t), *state)
            outputs.append(out)
            state = [torch.from_numpy(np.asarray(leaf)) for leaf in state]
        stepped = [np.stack(outputs, 1), *(leaf.numpy() for leaf in state)]
        rows.append({"graph": f"{step.name} x{time} vs {sequence.name}", "batch": batch,
                     "time": time, "max_error": largest_difference(stepped, whole)})
    return rows
