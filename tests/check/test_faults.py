"""The checker proven to fail: broken implementations (mutants), and workers that hang or vanish."""
import pytest

from compare.check import parity
from compare.frameworks import DEFAULT, FRAMEWORKS, Framework
from compare.problem import Config
from compare.report import summary
from compare.run import runner
from tests import claims
from tests.schedule import longest_first

MUTANTS = [
    # (module, built on, first divergent epoch of the curves, the quantity its step gets wrong first, its layer)
    ("torch_not_transposed", "torch", 1, "forward", 0),
    ("keras_batch_mean", "keras", 1, "loss", None),
    ("numpy_no_half", "numpy", 1, "loss", None),
    ("numpy_loss_after_update", "numpy", 1, "loss", None),
    ("torch_silently_float32", "torch", 1, "forward", 0),
    ("numpy_shuffled_per_sample", "numpy", 2, "update", 1),  # epoch 1's loss comes before any update; w1's is first
    # A learner's classic slips in re-deriving the blog's backward pass.
    ("numpy_l1_delta_no_derivative", "numpy", 2, "gradient", 0),
    ("numpy_derivative_of_preactivation", "numpy", 2, "gradient", 1),  # backpropagation meets w1 first
    ("numpy_update_sign_flipped", "numpy", 2, "update", 1),
]
# The blog's regime, and a large-step one where correct frameworks' curves part too (they are `sensitive` there):
# a mutant must FAIL in both, with its quantity named, never pass as sensitive. float64 and float32 are crossed
# with them pairwise; the numpy mutants, cheap, run in all three.
REGIMES = {
    "blog-step-float64": dict(dataset="xor", hidden=3, dtype="float64"),
    "large-step-float32": dict(dataset="xor", hidden=32, learning_rate=10.0, epochs=100, dtype="float32"),
    "large-step-float64": dict(dataset="xor", hidden=32, learning_rate=10.0, epochs=100, dtype="float64"),
}
CASES = [pytest.param(*mutant, regime, id=f"{mutant[0]}-{regime}") for mutant in MUTANTS for regime in REGIMES
         if regime != "large-step-float64" or mutant[1] == "numpy" or mutant[0] == "torch_silently_float32"]


def run_with(framework, workers=None, **fields):
    registry = {"numpy": FRAMEWORKS["numpy"], framework.name: framework}
    return runner.run(Config(frameworks=("numpy", framework.name), repeats=0, **fields), registry=registry,
                      workers=workers)


@pytest.mark.parametrize("module, base, epoch, quantity, layer, regime", CASES)
def test_a_broken_implementation_fails_with_the_quantity_named(workers, module, base, epoch, quantity, layer, regime):
    real = FRAMEWORKS[base]
    if real.missing():
        pytest.skip(f"{base} not installed")
    fields = REGIMES[regime]
    if module == "torch_silently_float32" and fields["dtype"] == "float32":
        pytest.skip("asked for float32, this mutant is correct: its bug shows only in a float64 run")
    mutant = Framework("mutant", f"tests.mutants.{module}", real.requires, real.extra, real.versions, env=real.env,
                       probe=real.probe_module)
    results = run_with(mutant, workers, **fields)
    assert results["runs"]["mutant"]["status"] == "ok", results["runs"]["mutant"].get("stderr")
    entry = results["parity"]["frameworks"]["mutant"]
    assert entry["verdict"] == "FAIL" and entry["ok"] is False
    assert entry["first_divergent_epoch"] == epoch
    diagnosis = entry["diagnosis"]
    assert (diagnosis["epoch"], diagnosis["quantity"], diagnosis["layer"]) == (1, quantity, layer), diagnosis
    assert diagnosis["max_diff"] > parity.tolerance(fields["dtype"])
    assert diagnosis["message"] in summary.table(results)
    assert results["parity"]["ok"] is False and runner.exit_code(results) == 1
    claims.assert_claims_only_what_was_observed(results)


# An optimizer's classic slips: each shows in the first step's update, and only there.
OPTIMIZER_MUTANTS = [
    ("numpy_adam_epsilon_inside", dict(optimizer="adam", learning_rate=0.1)),
    ("numpy_adam_no_bias_correction", dict(optimizer="adam", learning_rate=0.1)),
    ("numpy_momentum_before_gradient", dict(optimizer="momentum", learning_rate=0.5)),
]


@pytest.mark.parametrize("module, fields", OPTIMIZER_MUTANTS, ids=[m for m, _ in OPTIMIZER_MUTANTS])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_broken_optimizer_fails_at_the_update(workers, module, fields, dtype):
    mutant = Framework("mutant", f"tests.mutants.{module}", ("numpy",), "numpy", ("numpy",), probe="impl_numpy.probe")
    results = run_with(mutant, workers, dataset="xor", dtype=dtype, **fields)
    entry = results["parity"]["frameworks"]["mutant"]
    assert entry["verdict"] == "FAIL" and entry["first_divergent_epoch"] >= 2  # epoch 1's loss precedes any update
    diagnosis = entry["diagnosis"]
    assert (diagnosis["epoch"], diagnosis["quantity"], diagnosis["parameter"]) == (1, "update", "w"), diagnosis
    assert diagnosis["message"].startswith("the forward pass (l1, l2), the loss and the gradients agree; ")
    assert runner.exit_code(results) == 1
    claims.assert_claims_only_what_was_observed(results)


def test_a_batch_loss_taken_after_its_update_fails_at_the_loss(workers):
    mutant = Framework("mutant", "tests.mutants.numpy_batch_loss_after_update", ("numpy",), "numpy", ("numpy",),
                       probe="impl_numpy.probe")
    results = run_with(mutant, workers, dataset="xor", batch_size=2, shuffle=True, learning_rate=0.5)
    entry = results["parity"]["frameworks"]["mutant"]
    assert entry["verdict"] == "FAIL" and entry["first_divergent_epoch"] == 1
    assert entry["max_abs_step_loss_diff"] > parity.tolerance("float64")
    assert (entry["diagnosis"]["epoch"], entry["diagnosis"]["quantity"]) == (1, "loss"), entry["diagnosis"]
    claims.assert_claims_only_what_was_observed(results)


def test_a_hung_worker_times_out():
    hung = Framework("hung", "tests.hanging_impl", ("numpy",), "numpy", ("numpy",))
    results = run_with(hung, timeout=3)
    assert results["runs"]["hung"]["status"] == "error"
    assert results["runs"]["hung"]["reason"] == "timed out after 3 s"
    assert results["runs"]["numpy"]["status"] == "ok" and runner.exit_code(results) == 1


def test_a_worker_that_vanishes_without_an_answer():
    gone = Framework("gone", "tests.vanishing_impl", ("numpy",), "numpy", ("numpy",))
    results = run_with(gone)
    assert results["runs"]["gone"]["status"] == "error"
    assert results["runs"]["gone"]["reason"].startswith("unreadable worker response")
    assert runner.exit_code(results) == 1


def test_the_same_run_twice_is_bit_identical_fresh_and_served(workers, run_config, default_run):
    """float64, one thread: every framework and variant gives the very same bits in fresh processes and in served
    workers that have just run another network (float32, two tanh layers with biases, cross-entropy, Adam, shuffled
    mini-batches), and results.json says what makes it so. The fresh processes: the default run's (`python -m
    compare`, tests/conftest.py's default_run: every framework but the variants), and the variants' run here; the
    served run is test_parity's blog case with every framework, which reads it from run_config."""
    # torch-compile, whose compiling takes the longest, first: two workers at a time finish together (tests/schedule.py)
    names = longest_first(FRAMEWORKS)
    installed = [name for name in names if not FRAMEWORKS[name].missing()]
    default = default_run[2]
    variants = runner.run(Config(frameworks=tuple(name for name in installed if name not in DEFAULT), repeats=0,
                                 jobs=2))
    runner.run(Config(frameworks=tuple(installed), dtype="float32", hidden=(5, 4), activation="tanh", bias=True,
                      loss="bce", optimizer="adam", batch_size=2, shuffle=True, learning_rate=0.1, epochs=5, repeats=0,
                      jobs=2), workers=workers)  # what it leaves behind is what 50 epochs would leave
    second = run_config(rerun=True, frameworks=names)
    # The same run in all three, but for the frameworks and how it is timed; numpy's from the default run, whose
    # frameworks, as the served run's, include those limited to float32 (its sensitivity band holds float32's too).
    untimed = ("frameworks", "out", "repeats", "timing_budget", "timing_processes", "jobs")
    for results in (default, variants):
        assert {key: value for key, value in results["config"].items() if key not in untimed} == {
            key: value for key, value in second["config"].items() if key not in untimed}
    first = {**variants["runs"], **default["runs"]}
    assert set(first) == set(installed)
    for name in installed:
        assert first[name]["status"] == "ok", first[name].get("stderr")
        assert "served_request" not in first[name]["timing"]
        assert second["runs"][name]["timing"]["served_request"] > 1  # after another run, in the same process
        for key in ("loss", "mean_abs_error", "step_loss", "final_weights", "final_biases", "predictions", "probes",
                    "sensitivity"):
            assert first[name].get(key) == second["runs"][name].get(key), (name, key)
    for block in (default["determinism"], variants["determinism"]):
        assert block["seed"] == 1 and block["threads"] == 1 and len(block["initial_weights_sha256"]) == 64
        assert block["initial_weights_sha256"] == second["determinism"]["initial_weights_sha256"]
        assert "TF_ENABLE_ONEDNN_OPTS" in block["numeric_flags"]
    switched = {**variants["determinism"]["frameworks"], **default["determinism"]["frameworks"]}
    assert switched == second["determinism"]["frameworks"]  # served, each switch as a fresh process has it
    for name in installed:
        switches = switched[name]
        if "tensorflow" in FRAMEWORKS[name].requires:
            assert switches["tensorflow_op_determinism"] is True
        if "torch" in FRAMEWORKS[name].requires:
            assert switches["torch_deterministic_algorithms"] is True
        if "jax" in FRAMEWORKS[name].requires:
            assert switches["jax_enable_x64"] is True


def test_a_diverging_run_is_reported_as_diverged_in_every_framework_alike(workers):
    """Linear stand-ins for numpy and torch (tests/linear): at learning rate 1 their loss reaches inf at epoch 7."""
    registry = {"numpy": Framework("numpy", "tests.linear.numpy_linear", ("numpy",), "numpy", ("numpy",), probe=None),
                "torch": Framework("torch", "tests.linear.torch_linear", ("torch",), "torch", ("torch",), probe=None)}
    if registry["torch"].missing():
        pytest.skip("torch not installed")
    results = runner.run(Config(frameworks=("numpy", "torch"), dataset="xor", repeats=0), registry=registry,
                         workers=workers)
    assert all(run["status"] == "ok" for run in results["runs"].values())  # not a crash
    entry = results["parity"]["frameworks"]["torch"]
    assert results["parity"]["reference_diverged_at_epoch"] == 7
    assert entry["verdict"] == "diverged" and entry["diverged_at_epoch"] == 7
    assert runner.exit_code(results) == 1
    assert "Training diverged (inf or NaN) at epoch 7 in torch, numpy" in summary.verdict(results)
    assert "diverged at 7" in summary.table(results)
