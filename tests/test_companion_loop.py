"""The loop files train what they say they train: every framework's epochs, validation and early stop against
numpy_loop's, from the same data, weights and orders (companion/loop_data.py).

Each framework's loop file trains in the process of its companion pair, after the pair (tests/companion_runs.py: one
process per framework, Keras's with KERAS_BACKEND set before anything is imported), so that each framework is imported
once for all its files.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose

import companion
from companion import loop_data, numpy_loop
from compare.check import parity
from compare.frameworks import FRAMEWORKS
from tests import companion_runs

CURVES = ("loss", "val_loss", "val_mae")
ROOT = str(companion.HERE.parent)


def start(*command):
    return subprocess.Popen([sys.executable, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, cwd=ROOT,
                            env={**os.environ, **FRAMEWORKS["keras"].env, "PYTHONPATH": ROOT})


def output(proc):
    try:
        stdout, stderr = proc.communicate(timeout=600)
    finally:
        proc.kill()  # nothing once it has ended; else it is not left running
    assert proc.returncode == 0, stderr[-2000:]
    return stdout


@pytest.fixture(scope="module")
def reference():
    return numpy_loop.train(**loop_data.arguments())


@pytest.fixture(scope="module")
def runs(companion_processes):
    """{framework: the process that trained its loop file} (tests/conftest.py, tests/companion_runs.py)."""
    return {name: proc for name, proc in companion_processes.items() if name in companion_runs.LOOPED}


def test_the_reference_stops_early_and_not_by_a_rounding(reference):
    # Keras's EarlyStopping replayed on the validation losses: every epoch's test clears its threshold by far more
    # than the frameworks' differences (1e-12), so the epoch it stops at is the same in all.
    best, wait, margins, stop = np.inf, 0, [], None
    for epoch, val_loss in enumerate(reference["val_loss"], 1):
        margins.append(abs(val_loss + loop_data.MIN_DELTA - best))
        if val_loss + loop_data.MIN_DELTA < best:
            best, wait = val_loss, 0
        else:
            wait += 1
            if wait >= loop_data.PATIENCE:
                stop = epoch
                break
    assert stop == reference["stopped_at"] == len(reference["val_loss"]) < loop_data.EPOCHS
    assert min(margins) > 1e-5
    best_epoch = stop - loop_data.PATIENCE  # the weights kept: the best epoch's, not the last
    assert reference["val_loss"][best_epoch - 1] == min(reference["val_loss"][:best_epoch])
    assert reference["val_mae"][-1] < reference["val_mae"][0] / 2  # it learns


@pytest.mark.parametrize("framework", [name for name in companion.FRAMEWORKS if name != "numpy"])
def test_loop_matches_the_reference(framework, runs, reference):
    if framework not in runs:
        pytest.skip(f"{', '.join(FRAMEWORKS[framework].missing())} not installed")
    got = companion_runs.part(runs[framework], "loop")["loop"]
    assert got["stopped_at"] == reference["stopped_at"] < loop_data.EPOCHS
    for curve in (*CURVES, "predictions"):
        assert_allclose(got[curve], reference[curve], rtol=0, atol=parity.tolerance("float64"), err_msg=curve)


def test_numpy_loop_runs_as_a_script(reference):
    lines = output(start("-m", "companion.numpy_loop")).splitlines()
    assert lines[-1] == f"stopped at epoch {reference['stopped_at']}"
    assert len(lines) == reference["stopped_at"] + 1
    assert lines[0].split()[:2] == ["epoch", "1"] and f"{reference['val_loss'][0]:.10g}" in lines[0]


def test_the_loop_counts_come_from_the_files():
    keras, torch = companion.changes("keras", "loop"), companion.changes("torch", "loop")
    assert 0 < keras["added"] < torch["added"] and keras["loop"] < torch["loop"]  # fit holds the loop and the stop
    assert "+                        callbacks=[keras.callbacks.EarlyStopping(" in keras["diff"]
    assert companion.changes("torch") == companion.changes("torch", "deep")  # the blog-to-deep counts unchanged
