"""The checker proven to fail: broken implementations (mutants), and workers that hang or vanish."""
import pytest

from compare import report, runner
from compare.frameworks import FRAMEWORKS, Framework
from compare.problem import Config

MUTANTS = [
    # (module, built on, first divergent epoch)
    ("torch_not_transposed", "torch", 1),
    ("keras_batch_mean", "keras", 1),
    ("numpy_no_half", "numpy", 1),
    ("numpy_loss_after_update", "numpy", 1),
    ("torch_silently_float32", "torch", 1),
    ("numpy_shuffled_per_sample", "numpy", 2),  # epoch 1's loss comes before any update: only epoch 2 can tell
]


def run_with(framework, **fields):
    registry = {"numpy": FRAMEWORKS["numpy"], framework.name: framework}
    return runner.run(Config(frameworks=("numpy", framework.name), repeats=0, **fields), registry=registry)


@pytest.mark.parametrize("module, base, epoch", MUTANTS, ids=[m for m, _, _ in MUTANTS])
def test_a_broken_implementation_fails_parity_at_its_epoch(module, base, epoch):
    real = FRAMEWORKS[base]
    if real.missing():
        pytest.skip(f"{base} not installed")
    mutant = Framework("mutant", f"tests.mutants.{module}", real.requires, real.extra, real.versions, env=real.env)
    results = run_with(mutant, dataset="xor", hidden=3)
    assert results["runs"]["mutant"]["status"] == "ok", results["runs"]["mutant"].get("stderr")
    entry = results["parity"]["frameworks"]["mutant"]
    assert entry["ok"] is False
    assert entry["first_divergent_epoch"] == epoch
    assert results["parity"]["ok"] is False and runner.exit_code(results) == 1


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


def test_the_same_run_twice_is_bit_identical():
    """float64, one thread: every framework and variant gives the very same bits on a second run, and results.json
    says what makes it so."""
    config = Config(frameworks=tuple(n for n in FRAMEWORKS if not FRAMEWORKS[n].missing()), dataset="xor",
                    repeats=0, jobs=2)
    first, second = runner.run(config), runner.run(config)
    for name in config.frameworks:
        assert first["runs"][name]["status"] == "ok", first["runs"][name].get("stderr")
        for key in ("loss", "mean_abs_error", "final_weights", "predictions"):
            assert first["runs"][name][key] == second["runs"][name][key], (name, key)
    block = first["determinism"]
    assert block["seed"] == 1 and block["threads"] == 1 and len(block["initial_weights_sha256"]) == 64
    assert block["initial_weights_sha256"] == second["determinism"]["initial_weights_sha256"]
    assert "TF_ENABLE_ONEDNN_OPTS" in block["numeric_flags"]
    for name in config.frameworks:
        switches = block["frameworks"][name]
        if "tensorflow" in FRAMEWORKS[name].requires:
            assert switches["tensorflow_op_determinism"] is True
        if "torch" in FRAMEWORKS[name].requires:
            assert switches["torch_deterministic_algorithms"] is True
        if "jax" in FRAMEWORKS[name].requires:
            assert switches["jax_enable_x64"] is True


def test_a_diverging_run_is_reported_as_diverged_in_every_framework_alike():
    """Linear stand-ins for numpy and torch (tests/linear): at learning rate 1 their loss reaches inf at epoch 7."""
    registry = {"numpy": Framework("numpy", "tests.linear.numpy_linear", ("numpy",), "numpy", ("numpy",)),
                "torch": Framework("torch", "tests.linear.torch_linear", ("torch",), "torch", ("torch",))}
    if registry["torch"].missing():
        pytest.skip("torch not installed")
    results = runner.run(Config(frameworks=("numpy", "torch"), dataset="xor", repeats=0), registry=registry)
    assert all(run["status"] == "ok" for run in results["runs"].values())  # not a crash
    entry = results["parity"]["frameworks"]["torch"]
    assert results["parity"]["reference_diverged_at_epoch"] == 7
    assert entry["verdict"] == "diverged" and entry["diverged_at_epoch"] == 7
    assert runner.exit_code(results) == 1
    assert "Training diverged (inf or NaN) at epoch 7 in torch, numpy" in report.verdict(results)
    assert "diverged at 7" in report.table(results)
