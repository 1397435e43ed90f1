"""Every config file in examples/ is one its task accepts: all keys known, all values valid."""

import re
from pathlib import Path

import pytest

from rnnkit.config import load_config
from rnnkit.tasks.registry import get

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_config_loads_for_its_task(path):
    named = re.search(r"rnnkit train (\w+)", path.read_text(encoding="utf-8"))
    task = named.group(1) if named else "lm"  # the demo and quality runs are `make` targets
    config = load_config(get(task).config_class, str(path), {})
    assert config.out.startswith("runs/")
