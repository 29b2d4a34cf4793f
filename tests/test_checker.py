"""The parity checker itself: it must fail on a real difference and name the first divergent epoch."""
import math

import numpy as np
import pytest

from compare import parity


def fake_run(epochs=50, offset=0.0, at=None):
    loss = np.linspace(1.0, 0.1, epochs)
    if at is not None:
        loss[at - 1:] += offset
    return {"status": "ok", "loss": loss.tolist(), "mean_abs_error": (loss / 2).tolist(),
            "final_weights": [[[0.5, -0.5]], [[1.0], [2.0]]], "predictions": [[0.1], [0.9]]}


def test_identical_runs_agree():
    entry = parity.compare_run(fake_run(), fake_run(), 1e-12)
    assert entry["ok"] and entry["first_divergent_epoch"] is None and entry["max_abs_loss_diff"] == 0


@pytest.mark.parametrize("at", [1, 17, 50])
def test_a_difference_beyond_tolerance_fails_at_its_epoch(at):
    entry = parity.compare_run(fake_run(), fake_run(offset=1e-9, at=at), 1e-12)
    assert not entry["ok"]
    assert entry["first_divergent_epoch"] == at
    assert entry["max_abs_loss_diff"] == pytest.approx(1e-9, rel=1e-3)


def test_a_difference_within_tolerance_passes():
    entry = parity.compare_run(fake_run(), fake_run(offset=1e-13, at=5), 1e-12)
    assert entry["ok"]


def test_nan_in_one_run_is_a_disagreement():
    run = fake_run()
    run["loss"][9] = math.nan
    entry = parity.compare_run(fake_run(), run, 1e-12)
    assert not entry["ok"] and entry["first_divergent_epoch"] == 10


def test_a_shorter_curve_is_a_disagreement():
    run = fake_run()
    run["loss"], run["mean_abs_error"] = run["loss"][:30], run["mean_abs_error"][:30]
    entry = parity.compare_run(fake_run(), run, 1e-12)
    assert not entry["ok"] and entry["first_divergent_epoch"] == 31


def test_different_final_weights_fail_even_with_equal_curves():
    run = fake_run()
    run["final_weights"][1][0][0] += 1e-6
    entry = parity.compare_run(fake_run(), run, 1e-12)
    assert not entry["ok"] and entry["first_divergent_epoch"] is None
    assert entry["max_abs_weight_diff"] == pytest.approx(1e-6)


def test_tolerances():
    assert parity.tolerance("float64") == 1e-12
    assert parity.tolerance("float32") == 1e-5


def test_overall_verdict():
    runs = {"numpy": fake_run(), "a": fake_run(), "b": fake_run(offset=1.0, at=3), "c": {"status": "missing"}}
    result = parity.check(runs, "float64")
    assert not result["ok"]
    assert result["frameworks"]["a"]["ok"] and result["frameworks"]["b"]["first_divergent_epoch"] == 3
    assert result["frameworks"]["c"]["ok"] is None
    del runs["b"]
    assert parity.check(runs, "float64")["ok"]
