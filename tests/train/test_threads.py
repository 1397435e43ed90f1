"""Threads fitted to the cores other processes leave free: the rule, the measurement of a real
busy neighbour, and a fixed count that is kept."""

import os
import subprocess
import sys
import time

import pytest
import torch

from rnnkit.train.threads import ThreadFit, fitted_threads


@pytest.mark.parametrize("usable, elsewhere, threads", [
    (2, 0.0, 2), (2, 0.4, 2), (2, 0.6, 1), (2, 1.0, 1), (2, 2.0, 1), (4, 1.2, 3), (1, 0.9, 1)])
def test_the_rule(usable, elsewhere, threads):
    assert fitted_threads(usable, elsewhere) == threads


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="reads /proc/stat")
def test_a_busy_neighbour_is_measured_and_our_own_work_is_not():
    fit = ThreadFit()
    fit.reading = fit.read()
    started = time.monotonic()
    while time.monotonic() - started < 0.5:  # our own work: not "elsewhere"
        sum(range(10_000))
    assert fit.busy_elsewhere() < 0.5
    neighbour = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        fit.busy_elsewhere()  # a new reading, the neighbour running
        time.sleep(1.0)
        assert 0.7 < fit.busy_elsewhere() < 1.3 + 1.0  # (CI may have other work of its own)
    finally:
        neighbour.kill()
        neighbour.wait()


def test_a_fixed_count_is_set_and_never_refitted(monkeypatch):
    before = torch.get_num_threads()
    try:
        fit = ThreadFit(1)
        assert fit.start() == [] and torch.get_num_threads() == 1
        assert fit.refit(5) == []
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        torch.set_num_threads(before)
        assert ThreadFit(0).start() == [] and torch.get_num_threads() == before  # the user's
    finally:
        torch.set_num_threads(before)
