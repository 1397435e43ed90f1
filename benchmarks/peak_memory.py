"""Peak memory of one fwd+bwd of an LSTM layer, in a fresh process (Linux: VmHWM).

`python -m benchmarks.peak_memory BACKEND T B D H` prints the MiB by which the resident set's
high-water mark rose during one forward and backward pass, after a tiny warm-up run (kernels
loaded) and a reset of the mark. A fresh process per backend keeps one's freed heap from
hiding another's peak. Where /proc/self/clear_refs is missing it prints "nan".
"""

from __future__ import annotations

import gc
import subprocess
import sys

import torch

import rnnkit


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    raise KeyError(field)


def measure(backend: str, T: int, B: int, D: int, H: int) -> float:
    torch.manual_seed(0)
    layer = rnnkit.LSTM(D, H, backend=backend)
    layer(torch.randn(B, 2, D, requires_grad=True))[0].sum().backward()
    x = torch.randn(B, T, D, requires_grad=True)
    layer.zero_grad(set_to_none=True)
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return float("nan")
    base = _status_kib("VmRSS:")
    layer(x)[0].sum().backward()
    return (_status_kib("VmHWM:") - base) / 1024


def in_fresh_process(backend: str, T: int, B: int, D: int, H: int) -> float:
    command = [sys.executable, "-m", "benchmarks.peak_memory", backend, *map(str, (T, B, D, H))]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


if __name__ == "__main__":
    name, *sizes = sys.argv[1:]
    print(measure(name, *map(int, sizes)))
