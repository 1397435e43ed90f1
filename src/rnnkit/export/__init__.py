"""`rnnkit export`: a trained run's graphs as ONNX or TorchScript files, checked against PyTorch.

    from rnnkit.export import export_run
    report = export_run(open_run("runs/lm"), "onnx", "lm.onnx")

Each task says which graphs it has (`TaskSpec.graphs`): the whole model over padded inputs with
their lengths, and for a model that streams a step graph `(x_t, state) -> (y_t, state)`. The
files are written beside the path given (`lm.onnx`, `lm.step.onnx`) with a description
(`lm.json`: inputs, outputs, free axes, the task's vocabulary or labels, the parity report).
Nothing is put in place before the parity check passed.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from rnnkit.errors import UserError
from rnnkit.export.onnx import export_onnx, export_torchscript, quantize_onnx
from rnnkit.export.parity import (
    CASES,
    TOLERANCE,
    OnnxRunner,
    TorchScriptRunner,
    check_sequence,
    check_steps,
)
from rnnkit.files import write_atomic, write_json
from rnnkit.tasks import registry
from rnnkit.train.checkpoint import check_finite

FORMATS = ("onnx", "torchscript")


def output_paths(path: str | Path, names: list[str]) -> dict[str, Path]:
    """Graph name -> file: the "model" graph at `path`, others beside it (`x.step.onnx`), and
    the description `x.json`."""
    path = Path(path)
    found = {name: path if name == "model" else path.with_name(f"{path.stem}.{name}{path.suffix}")
             for name in names}
    found["description"] = path.with_suffix(".json")
    if len({p.resolve() for p in found.values()}) < len(found):
        raise UserError(f"-o {path}: the description file would be {found['description']}, the "
                        f"same file as a graph; give the graph another extension (e.g. "
                        f"{path.with_suffix('.onnx').name})")
    return found


def graphs_of(run) -> list:
    if run.spec.graphs is None:
        able = [n for n, s in registry.TASKS.items() if s.graphs is not None]
        raise UserError(f"{run.path}: export works on {', '.join(able)} runs; a {run.name} model "
                        f"decodes with a search loop over its decoder, which these graphs do not "
                        f"hold")
    return run.spec.graphs(run)


def export_run(run, fmt: str, path: str | Path, int8: bool = False, cases=CASES) -> dict:
    """Write `run`'s graphs in format `fmt` ("onnx" or "torchscript") at `path` (see
    `output_paths`), after checking each against PyTorch on `cases` ((batch, time) pairs);
    `int8` quantises the ONNX weights (its difference from PyTorch is reported, not held to
    the float tolerance). Returns the report (also saved in the description file)."""
    if fmt not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if int8 and fmt != "onnx":
        raise UserError("--int8 quantises ONNX graphs; use it with --format onnx")
    check_finite(run.model.state_dict(), run.path)
    run.model.cpu().eval()
    graphs = graphs_of(run)
    targets = output_paths(path, [g.name for g in graphs])
    rows, runners = [], {}
    with tempfile.TemporaryDirectory() as scratch:
        written = {}
        for graph in graphs:
            temporary = Path(scratch) / f"{graph.name}.{fmt}"
            if fmt == "onnx":
                export_onnx(graph, temporary)
                runners[graph.name] = OnnxRunner(temporary, graph)
            else:
                export_torchscript(graph, temporary)
                runners[graph.name] = TorchScriptRunner(temporary, graph)
            if graph.steps_of is None:
                rows += check_sequence(graph, runners[graph.name], cases)
            written[graph.name] = temporary
        by_name = {g.name: g for g in graphs}
        for graph in graphs:
            if graph.steps_of is not None:
                rows += check_steps(graph, by_name[graph.steps_of], runners[graph.name],
                                    runners[graph.steps_of])
        worst = max(row["max_error"] for row in rows)
        if not worst <= TOLERANCE:
            raise RuntimeError(f"the exported graphs differ from PyTorch by {worst:.3g} "
                               f"(> {TOLERANCE}): {json.dumps(rows)}")
        quantized = []
        if int8:
            for graph in graphs:
                source = written[graph.name]
                written[graph.name] = Path(scratch) / f"{graph.name}.int8.onnx"
                quantize_onnx(source, written[graph.name])
                if graph.steps_of is None:
                    runner = OnnxRunner(written[graph.name], graph)
                    quantized += [{**row, "graph": f"{row['graph']} int8"}
                                  for row in check_sequence(graph, runner, cases[:4])]
        report = {"task": run.name, "format": fmt, "int8": int8,
                  "graphs": {g.name: {"file": targets[g.name].name, "inputs": list(g.inputs),
                                      "outputs": list(g.outputs), "dynamic_axes": g.dynamic}
                             for g in graphs},
                  "task_meta": run.meta["task"], "tolerance": TOLERANCE, "parity": rows,
                  "int8_difference": quantized, "max_error": worst}
        for graph in graphs:
            data = written[graph.name].read_bytes()
            write_atomic(targets[graph.name], lambda tmp, data=data: Path(tmp).write_bytes(data))
        write_json(targets["description"], report)
    return report
