"""Every framework against NumPy, each in its own worker process, from the same initial weights."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from compare.check import parity, probes
from compare.docsdata import LOOP_CASES
from compare.frameworks import DEFAULT, FRAMEWORKS
from compare.problem import Config, dataset, save_weights
from compare.run import runner
from tests import claims
from tests.schedule import longest_first

OTHERS = [name for name in FRAMEWORKS if name != "numpy"]
BLOG = dict(dataset="blog", dtype="float64", hidden=4, learning_rate=1.0, activation="sigmoid",
            output_activation="sigmoid", loss="half-sse", bias=False)
# Every option changed from the blog's network alone, at float64 and float32, and a few together. Not the full product:
# each single change, crossed pairwise with the dtype. The variants (another idiom of a framework already run) join
# the cases of the blog's network and the two commands of the README's options; the nine frameworks run them all.
# torch-compile, whose first epoch compiles for tens of seconds, joins two of them ("all"). xor at float32 and tanh at
# float32 run within the cases that add a width, and cross-entropy, to them.
CHANGES = [
    # (what differs from the blog's network, variants too)
    ({}, "all"),
    (dict(dataset="xor"), True),
    (dict(dtype="float32"), True),
    (dict(dataset="xor", dtype="float32", hidden=2), "all"),
    (dict(dataset="xor", learning_rate=0.1), True),  # a step float32 cannot hold exactly: catches a float32 one
    (dict(dataset="xor", hidden=(5, 4), activation="tanh"), False),
    (dict(dataset="xor", hidden=(4, 4), learning_rate=0.5, activation="relu"), False),
    (dict(dtype="float32", hidden=(3, 3, 3), activation="relu"), False),
    (dict(dataset="xor", learning_rate=0.5, output_activation="linear"), False),
    (dict(dataset="xor", dtype="float32", loss="mse"), False),
    (dict(loss="bce", learning_rate=0.5), False),
    (dict(dataset="xor", dtype="float32", hidden=(5, 4), activation="tanh", loss="bce"), False),
    (dict(dataset="xor", bias=True), False),
    (dict(hidden=(5, 4), activation="tanh", bias=True, loss="mse"), True),  # the README's two commands
    (dict(activation="relu", bias=True, loss="bce", learning_rate=0.5), True),
    (dict(dataset="xor", dtype="float32", hidden=(4, 4), activation="relu", bias=True, output_activation="linear",
          learning_rate=0.2), False),
]


def case_id(change):
    return "-".join(f"{k}={v}" for k, v in change.items()) or "blog"


def frameworks(variants):
    """The case's frameworks, the longest to run first (tests/schedule.py): torch-compile, whose compiling takes the
    longest, first where it runs, so that the workers finish together."""
    if variants == "all":
        return longest_first(FRAMEWORKS)
    return longest_first(name for name in FRAMEWORKS if name != "torch-compile") if variants else longest_first(DEFAULT)


CASES = [pytest.param({**BLOG, **change, "frameworks": frameworks(variants)}, id=case_id(change))
         for change, variants in CHANGES]


@pytest.mark.parametrize("case, framework", [
    pytest.param(case.values[0], name, id=f"{case.id}-{name}") for case in CASES for name in OTHERS
    if name in case.values[0]["frameworks"]])
def test_agrees_with_numpy(run_config, framework, case):
    dtype = case["dtype"]
    missing = FRAMEWORKS[framework].missing()
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed")
    results = run_config(**case)
    ref, run = results["runs"]["numpy"], results["runs"][framework]
    assert run["status"] == "ok", run.get("stderr")
    backend = FRAMEWORKS[framework].env.get("KERAS_BACKEND")
    assert backend is None or f"keras on {backend}, {dtype}" in run["network"]  # the backend its worker was given
    assert results["parity"]["tolerance"] == parity.tolerance(dtype)
    entry = results["parity"]["frameworks"][framework]
    tol = parity.tolerance(dtype)
    if dtype == "float64" and FRAMEWORKS[framework].float64_limit:
        # The declared limit is real (float64's tolerance fails) and it is all that is wrong (float32's holds).
        worst = max(entry[key] for key in ("max_abs_loss_diff", "max_abs_mean_abs_error_diff", "max_abs_weight_diff",
                                           "max_abs_prediction_diff"))
        assert worst > tol, f"{framework} now holds float64: remove its float64_limit"
        assert entry["verdict"] == "limited" and not entry["ok"]
        tol = parity.tolerance("float32")
    else:
        assert entry["verdict"] == "pass" and entry["ok"] and entry["first_divergent_epoch"] is None
    # Every step taken from the reference's states agrees too, and those states were the reference's very bits.
    assert entry["diagnosis"] is None and entry["probed_epochs"] == probes.epochs(50)
    assert run["probe_replay_identical"] is True
    assert len(run["loss"]) == len(run["mean_abs_error"]) == 50
    assert_allclose(run["loss"], ref["loss"], rtol=0, atol=tol)
    assert_allclose(run["mean_abs_error"], ref["mean_abs_error"], rtol=0, atol=tol)
    assert_allclose(run["predictions"], ref["predictions"], rtol=0, atol=tol)
    for w, w_ref in zip(run["final_weights"], ref["final_weights"], strict=True):
        assert np.shape(w) == np.shape(w_ref)
        assert_allclose(w, w_ref, rtol=0, atol=tol)
    assert ("final_biases" in run) == case["bias"] == ("initial_biases" in results)
    for b, b_ref in zip(run.get("final_biases", []), ref.get("final_biases", []), strict=True):
        assert np.shape(b) == np.shape(b_ref)
        assert_allclose(b, b_ref, rtol=0, atol=tol)
    assert results["parity"]["ok"]


@pytest.mark.parametrize("case", [case for case in CASES if case.values[0]["learning_rate"] >= 0.2])
def test_training_moved_the_weights(run_config, case):
    """Parity of runs that did nothing would prove nothing: the loss must fall and the weights move (by more than
    0.1 at the blog's step sizes; 50 steps of 0.1 move them less)."""
    results = run_config(**case)
    ref = results["runs"]["numpy"]
    assert ref["loss"][-1] < ref["loss"][0]
    if case["bias"]:  # they start at zero and must have learned something
        assert max(np.max(np.abs(b)) for b in ref["final_biases"]) > 0.01
    pairs = zip(ref["final_weights"], results["initial_weights"], strict=True)
    moved = max(np.max(np.abs(np.subtract(a, b))) for a, b in pairs)
    assert moved > 0.1


def test_float32_runs_really_are_float32(run_config):
    """float32 and float64 runs differ by far more than the float64 tolerance, but agree at float32's."""
    r64 = run_config(**CASES[0].values[0])
    r32 = run_config(**CASES[2].values[0])
    diff = parity.max_abs_diff(r64["runs"]["numpy"]["loss"], r32["runs"]["numpy"]["loss"])
    assert parity.tolerance("float64") < diff < parity.tolerance("float32")


# The regimes where large steps amplify a rounding difference until the free-running curves part (issue commands,
# cut short once every framework's curves have parted: epochs 35 to 106 in the full runs).
LARGE_STEPS = {
    "xor-32-lr10": dict(dataset="xor", hidden=32, learning_rate=10.0, epochs=150),
    "xor-4-lr100": dict(dataset="xor", hidden=4, learning_rate=100.0, epochs=100),
    "xor-4-lr10-float32": dict(dataset="xor", hidden=4, learning_rate=10.0, epochs=100, dtype="float32"),
}


@pytest.mark.parametrize("fields", LARGE_STEPS.values(), ids=LARGE_STEPS)
def test_large_steps_part_the_curves_but_every_step_agrees(fields, workers):
    installed = longest_first(name for name in DEFAULT if not FRAMEWORKS[name].missing())
    results = runner.run(Config(frameworks=installed, repeats=0, jobs=2, **fields), workers=workers)
    frameworks = results["parity"]["frameworks"]
    for name, entry in frameworks.items():
        assert results["runs"][name]["status"] == "ok", results["runs"][name].get("stderr")
        assert entry["verdict"] in ("pass", "sensitive", "limited"), (name, entry)
        assert entry["diagnosis"] is None
        if entry["verdict"] == "sensitive" and entry["first_divergent_epoch"] is not None:
            assert entry["first_divergent_epoch"] in entry["probed_epochs"]
    assert sum(entry["verdict"] == "sensitive" for entry in frameworks.values()) >= 2
    assert results["parity"]["sensitivity"][fields.get("dtype", "float64")]["parts_at_epoch"] is not None
    assert results["parity"]["ok"] and runner.exit_code(results) == 0


# Each optimizer in the nine frameworks: a case for each declared difference of Keras's built-ins, and the settings
# that line each one up (ε = 0; μ, β₁, β₂ that float32 holds), where Keras must agree exactly; then mini-batches.
# The whole product of optimizers, dtypes and batchings is the site's optimizer matrix (compare.docsdata).
OPTIMIZER_CASES = {
    # Keras on TensorFlow: μ = 0.9 cast through float32; under a schedule, Keras's rate inside its momentum buffer
    "momentum": dict(optimizer="momentum", learning_rate=0.5, schedule="exponential", decay_rate=0.5, decay_steps=20,
                     norm="layer"),
    "rmsprop-xor": dict(optimizer="rmsprop", dataset="xor", learning_rate=0.1),  # Keras: ε inside the root
    "rmsprop-epsilon-0": dict(optimizer="rmsprop", epsilon=0.0, learning_rate=0.1, clip_value=0.02),
    "adam-float32": dict(optimizer="adam", dtype="float32", learning_rate=0.1),  # Keras: ε̂
    "adam-lined-up": dict(optimizer="adam", epsilon=0.0, beta1=0.5, beta2=0.875, learning_rate=0.1, bias=True),
    # Mini-batches: one row a step, in row order; two, shuffled; three and a last of one, shuffled, at float32.
    # With the training loop's options at values float32 holds (Keras on TensorFlow casts λ, l and γ through it)
    "sgd-batch-1": dict(batch_size=1, learning_rate=0.5, weight_decay=0.015625, clip_norm=0.03, clip="per-variable",
                        l2=0.015625, schedule="step", decay_rate=0.5, decay_steps=10, schedule_per="epoch"),
    "nesterov-batch-2-shuffled": dict(optimizer="nesterov", momentum=0.875, batch_size=2, shuffle=True,
                                      learning_rate=0.5, dataset="xor"),
    "adam-batch-3-shuffled-float32": dict(optimizer="adam", batch_size=3, shuffle=True, dtype="float32",
                                          learning_rate=0.1, bias=True),
}


@pytest.mark.parametrize("fields", OPTIMIZER_CASES.values(), ids=OPTIMIZER_CASES)
def test_each_optimizer_agrees_or_differs_only_as_declared(run_config, fields):
    installed = longest_first(name for name in DEFAULT if not FRAMEWORKS[name].missing())
    results = run_config(**fields, frameworks=installed)
    agrees_or_differs_only_as_declared(results, fields, installed)
    if fields.get("epsilon") == 0.0 or fields.get("momentum") == 0.875:
        assert results["parity"]["frameworks"]["keras"]["verdict"] == "pass"  # lined up: Keras's built-in agrees
    if fields.get("epsilon") == 0.0:
        assert results["parity"]["frameworks"]["jax"]["verdict"] == "pass"  # lined up: optax's rmsprop, adam agree


# The training loop's options in the nine frameworks: the optimizer cases above carry the exponential schedule, the
# step schedule per epoch, the L2 penalty, coupled decay with SGD, the per-variable and by-value clips; three
# cases of the site's loop matrix (compare.docsdata.LOOP_CASES, all of them in `make docs-data`) add the decays with
# momentum and Adam, where Keras's own forms differ, the cosine schedule and the global clip, and batch
# normalization (two layers of it, with biases before it and the L2 penalty over its γ and β), whose running
# variance Keras and Flax keep otherwise. Layer normalization rides on the momentum case above.
LOOP_SAMPLE = ["momentum, decoupled decay, cosine", "adam, coupled decay, global clip",
               "batch normalization, two hidden layers, biases, L2"]


@pytest.mark.parametrize("title", LOOP_SAMPLE)
def test_each_training_loop_option_agrees_or_differs_only_as_declared(run_config, title):
    fields = LOOP_CASES[title]
    installed = longest_first(name for name in DEFAULT if not FRAMEWORKS[name].missing())
    results = run_config(**fields, frameworks=installed)
    agrees_or_differs_only_as_declared(results, fields, installed)
    for name in ("torch", "tensorflow", "pytensor", "jax"):  # the reference's very formulas, or a declared one
        assert results["parity"]["frameworks"][name]["verdict"] in ("pass", "limited"), name


def test_adam_with_batch_normalization_and_mini_batches_amplifies_rounding_and_is_not_a_fail(run_config):
    """The most usual batch-normalized loop: Adam over batches of two rows. The blog data's third column is 1 in every
    row (and its first is the same within each of the two batches), so those weights' gradients are 0 in the maths,
    rounding noise in each framework, which Adam scales up to steps of 1e-10: each step's gradients are not probed,
    so NumPy's own steps from nudged starts show how far rounding moves them. Flax keeps its declared running
    variance besides."""
    frameworks = [name for name in ("flax", "numpy", "torch") if not FRAMEWORKS[name].missing()]
    results = run_config(frameworks=tuple(frameworks), norm="batch", optimizer="adam", learning_rate=0.1,
                         batch_size=2, epochs=20)
    entries = results["parity"]["frameworks"]
    for name in (name for name in frameworks if name != "numpy"):
        entry = entries[name]
        assert entry["verdict"] == ("limited" if name == "flax" else "sensitive"), (name, entry["diagnosis"])
        assert entry["diagnosis"]["quantity"] == "update" and entry["diagnosis"]["max_diff"] < 1e-8
        assert "after the epoch's 2 steps moves by up to" in entry["amplified"]
        assert entry["max_abs_loss_diff"] <= parity.tolerance("float64")
    assert runner.exit_code(results) == 0
    claims.assert_claims_only_what_was_observed(results)


def agrees_or_differs_only_as_declared(results, fields, installed):
    """Every framework passes, or is limited by its declared formula, which really shows; none FAILs."""
    config, dtype = Config(**fields), fields.get("dtype", "float64")
    declared = runner.formulas(installed, FRAMEWORKS, config)
    for name, entry in results["parity"]["frameworks"].items():
        assert results["runs"][name]["status"] == "ok", results["runs"][name].get("stderr")
        if config.norm:  # every package tells its normalization layers' state, and the checker compared it
            assert "max_abs_normalization_diff" in entry, name
        limit = FRAMEWORKS[name].float64_limit and dtype == "float64"
        tol = parity.tolerance("float32" if limit else dtype)
        if name in declared:
            # The declared difference is real (beyond the tolerance it is judged at), and it is what the checker saw.
            worst = max(entry.get(key, 0.0) for key in ("max_abs_loss_diff", "max_abs_weight_diff",
                                                       "max_abs_prediction_diff", "max_abs_normalization_diff"))
            assert worst > tol, f"{name} now agrees under {fields}: remove its declared formula"
            assert entry["verdict"] == "limited" and entry["formula"] in [f["what"] for f in declared[name]]
        elif limit:
            assert entry["verdict"] == "limited" and "formula" not in entry, (name, entry)
        else:  # float32 adaptive steps may amplify rounding: sensitive, within the reference's own band
            assert entry["verdict"] in (("pass", "sensitive") if dtype == "float32" else ("pass",)), (name, entry)
            assert entry["diagnosis"] is None
    steps = -(-4 // fields.get("batch_size", 4))  # per epoch: the data's 4 rows in batches, the last maybe smaller
    for name, run in results["runs"].items():
        if "step_loss" in run:  # all but Keras's fit, whose History keeps only each epoch's mean
            assert len(run["step_loss"]) == 50 * steps
            assert results["parity"]["frameworks"].get(name, {}).get("max_abs_step_loss_diff", 0) <= parity.tolerance(
                "float32" if FRAMEWORKS[name].float64_limit or dtype == "float32" else dtype) or name in declared
    assert runner.exit_code(results) == 0


def test_cross_entropy_parts_where_the_outputs_saturate_as_each_framework_declares(workers):
    """At learning rate 100 the blog's outputs come within 1e-13 of 0 or 1 by epoch 3: the logs of the rounded ŷ
    (NumPy's, JAX's) part from the loss taken from the logits (Keras on TensorFlow, PyTensor's rewrites), from the
    clip at 1e-7 (Keras on JAX and torch) and from tf.sigmoid's other rounding, each as its framework declares."""
    installed = longest_first(name for name in DEFAULT if not FRAMEWORKS[name].missing())
    results = runner.run(Config(frameworks=installed, repeats=0, jobs=2, loss="bce", learning_rate=100.0),
                         workers=workers)
    frameworks = results["parity"]["frameworks"]
    for name, entry in frameworks.items():
        assert results["runs"][name]["status"] == "ok", results["runs"][name].get("stderr")
        formula = FRAMEWORKS[name].formulas.get("bce")
        if entry["verdict"] == "limited":
            assert entry["formula"] == formula.what and entry["diagnosis"]["quantity"] == "loss", (name, entry)
            assert entry["saturation"] < (formula.margin or 1e-4)
        else:
            assert entry["verdict"] == "pass", (name, entry)
    assert frameworks["jax"]["verdict"] == "pass"  # the very formula NumPy uses
    assert {"tensorflow", "pytensor", "keras"} <= {n for n, e in frameworks.items() if e["verdict"] == "limited"}
    assert runner.exit_code(results) == 0


def test_relu_slope_at_zero_is_zero_everywhere(tmp_path, workers):
    """With w0's last row zero, the row x = (0, 0, 1) gives every hidden unit a pre-activation of exactly 0, so
    ReLU'(0) enters w0's gradient: 0 in every framework (PyTensor's spelling chosen to match), where a slope of 1
    (torch.clamp, tf.maximum, pt.maximum) or 0.5 (jnp.maximum) would part at epoch 2."""
    from impl_numpy.network import backward, forward

    weights = Config(hidden=(4,)).initial_weights()
    weights[0][2, :] = 0.0
    save_weights(tmp_path / "w.npz", weights)
    x, y = dataset("xor")
    z, (_, hidden, y_hat) = x @ weights[0], forward(x, weights, "relu")
    assert (z == 0).any()
    delta = (y - y_hat) * y_hat * (1 - y_hat)
    with_slope_one = -x.T @ ((delta @ weights[1].T) * (z >= 0))  # w0's gradient were ReLU'(0) = 1
    assert np.abs(with_slope_one - backward([x, hidden, y_hat], y, weights, "relu")[0][0]).max() > 1e-3
    installed = longest_first(name for name in DEFAULT if not FRAMEWORKS[name].missing())
    results = runner.run(Config(frameworks=installed, dataset="xor", weights=str(tmp_path / "w.npz"), hidden=(4,),
                                activation="relu", epochs=20, repeats=0, jobs=2), workers=workers)
    for name, entry in results["parity"]["frameworks"].items():
        assert entry["verdict"] in ("pass", "limited") and entry["diagnosis"] is None, (name, entry)
