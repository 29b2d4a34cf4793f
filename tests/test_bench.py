"""The scaling sweep: bench.json's layout, the budget, and how crossovers are read."""
import json
import subprocess
import sys
import time

from compare import bench
from compare.bench import BenchConfig, crossovers
from compare.frameworks import Framework


def entry(times):
    return {"status": "ok", "cells": [{"width": w, "batch": b, "epoch_median_s": t} for (w, b), t in times.items()]}


def test_crossover_is_the_width_from_which_a_framework_stays_faster():
    numpy = entry({(4, 8): 1.0, (16, 8): 2.0, (64, 8): 4.0, (256, 8): 8.0, (4, 64): 1.0, (16, 64): 1.0})
    fast_late = entry({(4, 8): 3.0, (16, 8): 1.0, (64, 8): 5.0, (256, 8): 2.0, (4, 64): 2.0, (16, 64): 2.0})
    found = crossovers({"numpy": numpy, "other": fast_late})
    assert found == {"other": {"8": 256, "64": None}}  # faster at 16 but slower again at 64: the crossover is 256


def test_cells_run_cheapest_first():
    cells = BenchConfig(widths=(64, 4), batches=(1024, 4)).cells()
    assert [(c["width"], c["batch"]) for c in cells] == [(4, 4), (64, 4), (4, 1024), (64, 1024)]


def test_a_small_sweep(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "compare", "bench", "--frameworks", "numpy,torch", "--widths", "4,32",
                           "--batches", "4,16", "--repeats", "2", "--budget", "120", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "bench.json").read_text())
    for name in ("numpy", "torch"):
        cells = data["frameworks"][name]["cells"]
        assert [(c["width"], c["batch"]) for c in cells] == [(4, 4), (4, 16), (32, 4), (32, 16)]
        assert all(c["epoch_median_s"] > 0 for c in cells)
    assert set(data["crossovers"]["torch"]) == {"4", "16"}
    assert data["frameworks"]["numpy"]["against_plain_loop"]["ratio"] > 0
    assert "batch 16" in proc.stdout and "faster than numpy from:" in proc.stdout


def test_a_spent_budget_skips_cells_and_says_so(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "compare", "bench", "--frameworks", "numpy", "--widths", "4,2048",
                           "--batches", "4,16384", "--repeats", "2", "--budget", "1", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    cells = json.loads((tmp_path / "bench.json").read_text())["frameworks"]["numpy"]["cells"]
    assert "epoch_median_s" in cells[0]
    assert any("skipped" in c and c["skipped"].startswith("budget") for c in cells)
    assert "over the --budget" in proc.stdout


def test_a_worker_that_hangs_between_cells_is_killed_at_its_deadline(tmp_path, monkeypatch):
    """No output for the runner to read: the deadline is kept by a timer, not by the worker's next line."""
    monkeypatch.setattr(bench, "IMPORT_GRACE_S", 2)
    hung = Framework("hung", "tests.hanging_impl", ("numpy",), "numpy", ("numpy",))
    start = time.monotonic()
    entry = bench.run_framework(hung, bench.BenchConfig(widths=(4,), batches=(4,)), [{"width": 4, "batch": 4}], 1,
                                tmp_path, lambda *_: None)
    assert time.monotonic() - start < 60
    assert entry["status"] == "error" and entry["reason"] == "timed out after 3 s"
