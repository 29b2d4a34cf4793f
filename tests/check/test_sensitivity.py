"""The reference's own sensitivity, and the epochs the step-local checks probe."""
import importlib

import numpy as np
import pytest

import impl_numpy
from compare.check import parity, probes, sensitivity
from compare.problem import dataset, initial_weights


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_nudges_move_each_weight_by_a_few_ulps_of_the_dtype_in_a_seeded_direction(dtype):
    weights = initial_weights(1, [3, 8, 1])
    first = sensitivity.nudged(weights, dtype, np.random.default_rng(7))
    again = sensitivity.nudged(weights, dtype, np.random.default_rng(7))
    for w, moved, same in zip(weights, first, again, strict=True):
        w = w.astype(dtype)
        ulps = np.abs(moved - w) / np.spacing(w)
        assert ulps.max() <= sensitivity.ULPS + 0.5 and ulps.max() >= 1
        assert moved.astype(dtype).astype(np.float64).tolist() == moved.tolist()  # the dtype holds it exactly
        np.testing.assert_array_equal(moved, same)


def reference(dataset_name, hidden, learning_rate, epochs, dtype="float64"):
    x, y = dataset(dataset_name)
    weights = initial_weights(1, [3, hidden, 1])
    run = impl_numpy.train(x, y, weights, epochs, learning_rate, dtype)
    run["final_weights"] = run.pop("weights")
    return sensitivity.band(impl_numpy, run, weights, x, y, learning_rate, dtype, seed=1)


def test_the_blogs_regime_damps_a_nudge_and_large_steps_amplify_it():
    tol = parity.tolerance("float64")
    calm = reference("blog", 4, 1.0, 200)
    assert max(calm["loss"]) <= tol and calm["weights"] <= tol
    wild = reference("xor", 4, 100.0, 100)
    parts_at = parity.band_summary(wild, tol)["parts_at_epoch"]
    assert parts_at is not None and 5 < parts_at < 60
    assert wild["runs"] == sensitivity.RUNS and len(wild["loss"]) == 100


def test_probed_epochs_span_the_run_and_surround_where_the_curves_part():
    assert probes.epochs(50) == sorted(set(np.linspace(1, 50, probes.SPREAD + 2).round().astype(int).tolist()))
    assert probes.epochs(3) == [1, 2, 3]
    chosen = probes.epochs(60000, 48)
    assert {1, 47, 48, 60000} <= set(chosen) and len(chosen) == probes.SPREAD + 4
    assert {47, 48, 900, 901} <= set(probes.epochs(60000, 48, None, 901))  # one parting per tolerance
    assert probes.epochs(10, 1) == probes.epochs(10)


def test_a_float32_band_in_a_float64_run_holds_the_reference_computed_in_float32():
    x, y = dataset("blog")
    weights = initial_weights(1, [3, 4, 1])
    run = impl_numpy.train(x, y, weights, 300, 5.0, "float64", loss="bce")
    run["final_weights"] = run.pop("weights")
    band = sensitivity.band(impl_numpy, run, weights, x, y, 5.0, "float64", seed=1, precision="float32",
                            network={"loss": "bce"})
    in32 = impl_numpy.train(x.astype("float32"), y.astype("float32"), [w.astype("float32") for w in weights], 300,
                            5.0, "float32", loss="bce")
    assert band["computed_in"] is True and band["precision"] == "float32"
    assert np.all(np.asarray(band["loss"]) >= parity.scaled_diff(in32["loss"], run["loss"]))
    pairs = zip(in32["weights"], run["final_weights"], strict=True)
    assert band["weights"] >= max(parity.max_abs_diff(a, b) for a, b in pairs)
    assert not reference("blog", 4, 1.0, 20)["computed_in"]  # a band at the run's own precision has no such run


@pytest.mark.parametrize("network", [
    {"optimizer": "momentum"}, {"optimizer": "nesterov", "biases": [np.zeros(4), np.zeros(1)]},
    {"optimizer": "rmsprop", "batch_size": 2}, {"optimizer": "adam", "batch_size": 3, "shuffle": True},
])
def test_a_probe_restarts_from_the_reference_optimizers_state_and_retraces_its_run(network):
    """The optimizer's state is part of the state a step starts from: the reference's probe at each epoch, loaded
    with the reference's own state there, takes the very step its run took (the same bits)."""
    x, y = dataset("xor")
    weights = initial_weights(1, [3, 4, 1])
    if network.pop("shuffle", False):
        network["orders"] = list(np.random.default_rng([1, 1]).permuted(np.tile(np.arange(len(x)), (30, 1)), axis=1))
    reference = (impl_numpy, importlib.import_module("impl_numpy.probe"))
    taken, _ = probes.take(reference, reference, weights, x, y, 0.5, "float64", [1, 2, 7, 30], network)
    assert [p["epoch"] for p in taken] == [1, 2, 7, 30]
    for p in taken:
        run = impl_numpy.Network(weights, 0.5, "float64", **network)
        run.fit(x, y, p["epoch"])
        for side in ("reference", "framework"):
            np.testing.assert_array_equal(np.asarray(p[side]["weights"][0]), run.get_weights()[0])
            np.testing.assert_array_equal(np.asarray(p[side]["weights"][1]), run.get_weights()[1])
