"""The scaling sweep: bench.json's layout, the budget, and how crossovers are read."""
import json
import subprocess
import sys
import time

import pytest

from compare.commands import bench
from compare.commands.bench import BenchConfig, crossovers
from compare.frameworks import Framework
from compare.report import summary


def entry(ratios):
    """A framework's cells: {(width, batch): (ratio to NumPy, its 95 % interval)}."""
    return {"status": "ok", "cells": [{"width": w, "batch": b, "epoch_median_s": 1.0, "ratio_to_reference": r,
                                       "ratio_ci95": ci} for (w, b), (r, ci) in ratios.items()]}


def test_crossover_is_the_width_from_which_a_framework_stays_faster():
    other = entry({(4, 8): (3.0, [2.5, 3.5]), (16, 8): (0.5, [0.4, 0.6]), (64, 8): (1.2, [1.1, 1.3]),
                   (256, 8): (0.5, [0.45, 0.55]), (4, 64): (2.0, [1.8, 2.2]), (16, 64): (2.0, [1.8, 2.2])})
    found = crossovers({"numpy": {"status": "ok", "cells": []}, "other": other})
    # faster at 16 but slower again at 64: the crossover is 256
    assert found == {"other": {"8": {"width": 256, "ratio": 0.5, "ratio_ci95": [0.45, 0.55], "straddles_1": False,
                                     "surely_from": 256},
                               "64": None}}


def test_a_crossover_whose_interval_reaches_across_1_says_so():
    other = entry({(4, 8): (1.5, [1.2, 1.8]), (16, 8): (0.9, [0.7, 1.1]), (64, 8): (0.5, [0.4, 0.6]),
                   (256, 8): (0.3, None)})  # too few pairs for an interval: not surely faster either
    found = crossovers({"other": other})["other"]["8"]
    assert found["width"] == 16 and found["straddles_1"] and found["surely_from"] is None
    found = crossovers({"other": entry({(16, 8): (0.9, [0.7, 1.1]), (64, 8): (0.5, [0.4, 0.6])})})["other"]["8"]
    assert (found["width"], found["straddles_1"], found["surely_from"]) == (16, True, 64)
    line = summary.bench_table({"config": {"inputs": 3, "dtype": "float64", "threads": 1, "batches": [8],
                                          "widths": [16, 64]},
                               "frameworks": {"other": entry({(16, 8): (0.9, [0.7, 1.1]), (64, 8): (0.5, [0.4, 0.6])})},
                               "crossovers": {"other": {"8": found}}, "skipped_for_memory": []})
    assert "other at width 16 (× numpy 0.90 (0.70–1.1): straddles 1, surely faster from width 64)" in line
    assert line.splitlines()[-3:-1] == ["    16         0.90~", "    64          0.50"]


def test_cells_run_cheapest_first():
    cells = BenchConfig(widths=(64, 4), batches=(1024, 4)).cells()
    assert [(c["width"], c["batch"]) for c in cells] == [(4, 4), (64, 4), (4, 1024), (64, 1024)]


def test_a_cells_guess_scales_the_work_not_a_frameworks_fixed_cost_per_epoch():
    from compare.run.worker import COMPUTE_GUARD, predict_seconds
    from compare.timing.phases import MIN_BLOCK_S

    shortest = 2.5 * MIN_BLOCK_S  # a block of a fast epoch: at least MIN_BLOCK_S, at most the ladder's next step
    # Keras-like: 34 ms an epoch, almost all of it fixed, beside NumPy's 25 µs, at (width 4, batch 4).
    keras = [{"width": 4, "batch": 4, "epoch_median_s": 0.034, "reference_epoch_median_s": 25e-6}]
    guess = predict_seconds(keras, {"width": 64, "batch": 4}, pairs=10)
    epoch = 0.034 + COMPUTE_GUARD * 25e-6 * 15  # 15 times the work added, at most COMPUTE_GUARD × NumPy's pace
    assert guess == pytest.approx((2 * epoch + shortest) * 26)  # 6 blocks a side to calibrate, 2 per pair
    assert guess < 2 * predict_seconds(keras, {"width": 4, "batch": 4}, pairs=10)  # not 16 times its first cell's
    # NumPy's own row has nothing beside it: all of it scales with the work; a block a pair.
    numpy = [{"width": 4, "batch": 4, "epoch_median_s": 25e-6}]
    assert predict_seconds(numpy, {"width": 64, "batch": 4}, pairs=10) == pytest.approx(shortest * 16)
    # Where the work dominates, the whole epoch scaled is the lesser guess.
    torch = [{"width": 64, "batch": 16384, "epoch_median_s": 0.0162, "reference_epoch_median_s": 0.0127}]
    assert predict_seconds(torch, {"width": 1024, "batch": 16384}, pairs=10) == pytest.approx(
        2 * 16 * (0.0162 + 0.0127) * 26)
    assert predict_seconds([], {"width": 64, "batch": 4}, pairs=10) == 0.0


def test_a_small_sweep(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "compare", "bench", "--frameworks", "numpy,torch", "--widths", "4,32",
                           "--batches", "4,16", "--budget", "120", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "bench.json").read_text())
    for name in ("numpy", "torch"):
        cells = data["frameworks"][name]["cells"]
        assert [(c["width"], c["batch"]) for c in cells] == [(4, 4), (4, 16), (32, 4), (32, 16)]
        assert all(c["epoch_median_s"] > 0 for c in cells)
    for cell in data["frameworks"]["torch"]["cells"]:  # NumPy timed beside torch in torch's worker, pair by pair
        assert cell["reference_epoch_median_s"] > 0 and cell["repeats"] == 10
        low, high = cell["ratio_ci95"]
        assert low <= cell["ratio_to_reference"] <= high
    assert "ratio_to_reference" not in data["frameworks"]["numpy"]["cells"][0]
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
