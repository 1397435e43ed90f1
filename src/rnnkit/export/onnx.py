"""Writing a task's graphs as ONNX (PyTorch's exporter, through `torch.export`) and as
TorchScript, and quantising an ONNX graph's weights to int8 (ONNX Runtime's dynamic
quantisation). Every time loop is traced as one `scan`, so the ONNX graph holds one Scan per
recurrent layer and direction and runs any number of steps."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path

import torch

from rnnkit.errors import UserError
from rnnkit.files import write_atomic
from rnnkit.layers.modes import backend_for_export
from rnnkit.layers.stack import StackedRecurrent
from rnnkit.tasks.base import Graph

TRACE_SIZES = {"batch": 2, "time": 5}  # the sizes a graph is traced at (neither 0 nor 1)


def dynamic_shapes(graph: Graph) -> tuple:
    """torch.export's dynamic shapes: one Dim per axis name, shared by the inputs."""
    dims = {}
    shapes = []
    for name in graph.inputs:
        axes = graph.dynamic.get(name, {})
        shapes.append({axis: dims.setdefault(kind, torch.export.Dim(kind, min=1, max=1 << 20))
                       for axis, kind in axes.items()} or None)
    return tuple(shapes)


def trace_inputs(graph: Graph) -> tuple:
    return graph.sample(TRACE_SIZES["batch"], TRACE_SIZES["time"], torch.Generator().manual_seed(0))


def over_time(graph: Graph) -> bool:
    """Whether the graph runs over a sequence (a free time axis), not a single step (traced as
    the plain loop: one step is straight-line code)."""
    return any("time" in axes.values() for axes in graph.dynamic.values())


@contextlib.contextmanager
def quiet():
    """The exporter's progress prints and warnings kept off the user's terminal (library code
    prints nothing)."""
    loggers = [logging.getLogger(name) for name in ("", "onnxscript", "torch.onnx", "torch.export")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def export_onnx(graph: Graph, path: Path) -> None:
    """`graph` as an ONNX file at `path` (written atomically), its weights inside."""
    backend = "scan" if over_time(graph) else "loop"
    module = graph.module.eval()
    with quiet(), backend_for_export(module, backend), torch.no_grad():
        program = torch.onnx.export(module, trace_inputs(graph), dynamo=True,
                                    dynamic_shapes=dynamic_shapes(graph),
                                    input_names=list(graph.inputs),
                                    output_names=list(graph.outputs), external_data=False)
        write_atomic(path, lambda tmp: program.save(tmp))


def quantize_onnx(source: Path, path: Path) -> None:
    """Dynamic int8 quantisation of `source`'s matrix products (inside the Scans too): weights
    stored as int8, activations quantised on the fly."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with quiet():
        write_atomic(path, lambda tmp: quantize_dynamic(
            str(source), tmp, weight_type=QuantType.QInt8,
            extra_options={"EnableSubgraph": True}))


def unfusable(module: torch.nn.Module) -> str | None:
    """Why the fused kernels cannot run some recurrent stack of `module`, or None."""
    for stack in module.modules():
        if isinstance(stack, StackedRecurrent):
            reason = stack.unfusable_reason()
            if reason is not None:
                return reason
    return None


def export_torchscript(graph: Graph, path: Path) -> None:
    """`graph` traced as TorchScript on PyTorch's fused kernels (one op per layer, so the trace
    runs any number of steps); a variant the kernels cannot run is a UserError naming it."""
    module = graph.module.eval()
    reason = unfusable(module)
    if reason is not None:
        raise UserError(f"--format torchscript traces PyTorch's fused kernels, which cannot run "
                        f"{reason}; use --format onnx for this model")
    backend = "fused" if over_time(graph) else "loop"
    with quiet(), backend_for_export(module, backend), torch.no_grad():
        traced = torch.jit.trace(module, trace_inputs(graph), check_trace=False)
        write_atomic(path, lambda tmp: torch.jit.save(traced, tmp))
