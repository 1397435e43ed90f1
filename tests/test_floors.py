"""The floors of DESIGN.md, read from the code's own imports: every import goes to a lower
floor (or stays inside its own package), no module imports itself round a circle, and every
source file stays readable in one sitting."""

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "rnnkit"

# DESIGN.md's floors, top to bottom. A module may import only from floors below its own, or
# from its own unit (a package imports its own modules).
FLOORS = [
    {"__main__"},
    {"cli"},
    {"serve", "search", "export"},
    {"__init__"},  # the package's face: `import rnnkit` gives the layers, cells and run API
    {"run"},
    {"tasks"},
    {"train"},
    {"diagnostics"},
    {"decoding"},
    {"data"},
    {"layers"},
    {"bptt"},
    {"cells"},
    {"core"},  # the ground: errors.py, checks.py, state.py, config.py, files.py
]
CORE = {"errors", "checks", "state", "config", "files"}
LEVEL = {unit: len(FLOORS) - i for i, units in enumerate(FLOORS) for unit in units}


def modules() -> dict[str, Path]:
    """'rnnkit.a.b' -> its file, for every source file."""
    found = {}
    for path in SOURCE.rglob("*.py"):
        parts = ("rnnkit", *path.relative_to(SOURCE).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def unit_of(name: str) -> str:
    """The floor unit of module 'rnnkit.x...': x, or '__init__' for the package itself."""
    parts = name.split(".")
    unit = parts[1] if len(parts) > 1 else "__init__"
    return "core" if unit in CORE else unit


def type_checking_only(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skipped


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The rnnkit modules a file imports (a name imported from a package counts as the
    submodule it names, if there is one)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = type_checking_only(tree)
    targets = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets |= {a.name for a in node.names if a.name.split(".")[0] == "rnnkit"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "rnnkit":
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                targets.add(full if full in known else node.module)
    return {t for t in targets if t in known}


GRAPH = {name: imports(path, modules()) for name, path in modules().items()}


def test_every_module_has_a_floor():
    assert {unit_of(name) for name in GRAPH} <= set(LEVEL), set(map(unit_of, GRAPH)) - set(LEVEL)


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_imports_go_down_the_floors(name):
    upward = [target for target in GRAPH[name] if unit_of(target) != unit_of(name)
              and LEVEL[unit_of(target)] >= LEVEL[unit_of(name)]]
    assert not upward, f"{name} (floor {unit_of(name)}) imports upward or sideways: {upward}"


def test_no_module_imports_itself_round_a_circle():
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name, path):
        state[name] = 1
        for target in sorted(GRAPH[name]):
            if state.get(target) == 1:
                raise AssertionError("import circle: " + " -> ".join([*path, name, target]))
            if target not in state:
                visit(target, [*path, name])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [])


def test_the_floors_check_finds_an_upward_import():
    """The oracle itself: a cell that imported the run API would be caught."""
    assert LEVEL[unit_of("rnnkit.run")] > LEVEL[unit_of("rnnkit.cells.lstm")]
    assert "rnnkit.state" in GRAPH["rnnkit.layers.stack"]  # imports are read at all


@pytest.mark.parametrize("path", sorted(SOURCE.rglob("*.py")), ids=lambda p: str(p.relative_to(SOURCE)))
def test_source_files_are_under_400_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) < 400


def test_import_rnnkit_costs_torch_and_the_layers_only():
    """The run API, the tasks and their libraries (audio, text metrics, plots) load when first
    used, not on `import rnnkit`."""
    import subprocess
    import sys

    probe = ("import sys, rnnkit; heavy = {'soundfile', 'scipy', 'jiwer', 'sacrebleu', 'matplotlib',"
             " 'sklearn', 'rnnkit.run', 'rnnkit.tasks.registry'}; print(sorted(heavy & set(sys.modules)));"
             " print(rnnkit.open_run.__module__, len(rnnkit.TASKS) > 5)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         timeout=120).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "rnnkit.run.opened True"
