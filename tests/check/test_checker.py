"""The parity checker itself: it must fail on a real difference and name the first divergent epoch."""
import copy
import math

import numpy as np
import pytest

from compare.check import difference, parity, probes
from compare.problem import dataset, initial_weights as problem_weights


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


def blown_up(epoch, epochs=50):
    """A run whose loss becomes inf at `epoch` and NaN after, as a diverging run's does."""
    run = fake_run(epochs)
    for curve in ("loss", "mean_abs_error"):
        run[curve][epoch - 1] = math.inf
        run[curve][epoch:] = [math.nan] * (epochs - epoch)
    run["final_weights"] = [[[math.nan, math.nan]], [[math.nan], [math.nan]]]
    return run


def test_a_run_that_blows_up_in_every_framework_alike_is_diverged_not_passed():
    result = parity.check({"numpy": blown_up(7), "a": blown_up(7)}, "float64")
    entry = result["frameworks"]["a"]
    assert entry["verdict"] == "diverged" and entry["diverged_at_epoch"] == 7
    assert result["reference_diverged_at_epoch"] == 7
    assert result["ok"] is False  # NaN agreeing with NaN is no comparison


@pytest.mark.parametrize("reference, run, epoch", [
    (fake_run(), blown_up(7), 7),      # only the framework blew up
    (blown_up(7), fake_run(), 7),      # only the reference did
    (blown_up(7), blown_up(9), 7),     # both, at different epochs
])
def test_a_divergence_not_shared_fails_at_its_epoch(reference, run, epoch):
    entry = parity.compare_run(reference, run, 1e-12)
    assert entry["verdict"] == "FAIL" and not entry["ok"] and entry["first_divergent_epoch"] == epoch


def test_curves_that_part_before_a_shared_divergence_fail():
    run = blown_up(7)
    run["loss"][2] += 1e-9
    entry = parity.compare_run(blown_up(7), run, 1e-12)
    assert entry["verdict"] == "FAIL" and entry["first_divergent_epoch"] == 3


def test_weights_that_overflow_count_as_diverged_after_the_last_epoch():
    run = fake_run()
    run["final_weights"][0][0][0] = math.inf
    assert parity.diverged_at(run) == 51 and parity.diverged_at(fake_run()) is None


def test_large_values_are_judged_by_their_relative_error():
    """One ulp of 1e10 is about 2e-6: far above 1e-12, yet the same number as far as float64 can tell."""
    big, ulp_off, really_off = fake_run(), fake_run(), fake_run()
    for run in (big, ulp_off, really_off):
        run["final_weights"][0][0][0] = 1e10
    ulp_off["final_weights"][0][0][0] = float(np.nextafter(1e10, 2e10))
    really_off["final_weights"][0][0][0] = 1e10 * (1 + 1e-9)
    assert parity.compare_run(big, ulp_off, 1e-12)["ok"]
    entry = parity.compare_run(big, really_off, 1e-12)
    assert not entry["ok"] and entry["max_abs_weight_diff"] == pytest.approx(1e-9, rel=1e-3)


def test_a_declared_limit_is_checked_at_the_looser_tolerance_and_named():
    limit = "float32 inside"
    runs = {"numpy": fake_run(), "near": fake_run(offset=1e-7, at=1), "far": fake_run(offset=1e-3, at=1)}
    result = parity.check(runs, "float64", limits={"near": limit, "far": limit})
    near, far = result["frameworks"]["near"], result["frameworks"]["far"]
    assert near["verdict"] == "limited" and not near["ok"] and near["limit"] == limit
    assert near["limit_tolerance"] == parity.tolerance("float32")
    assert far["verdict"] == "FAIL" and far["first_divergent_epoch"] == 1
    assert not result["ok"]
    del runs["far"]
    assert parity.check(runs, "float64", limits={"near": limit})["ok"]
    assert parity.check(runs, "float64")["frameworks"]["near"]["verdict"] == "FAIL"  # undeclared, it fails


def probe(epoch=1, **changes):
    """One probed step of a two-layer network, the framework's side changed by `changes` (quantity: (layer, by))."""
    quantities = {"layers": [[[0.5, 0.25]], [[0.75]]], "loss": 0.125, "gradients": [[[0.1, 0.2]], [[0.3], [0.4]]],
                  "weights": [[[0.5, -0.5]], [[1.0], [2.0]]]}
    framework = copy.deepcopy(quantities)
    for key, (layer, by) in changes.items():
        if layer is None:
            framework[key] += by
        else:
            framework[key][layer] = (np.asarray(framework[key][layer]) + by).tolist()
    return {"epoch": epoch, "reference": quantities, "framework": framework}


@pytest.mark.parametrize("changes, quantity, layer, message", [
    ({"layers": (0, 1e-3), "loss": (None, 1.0)}, "forward", 0, "l1 (the hidden layer) differs by 1.0e-03 at epoch 3"),
    ({"loss": (None, 1e-6), "gradients": (0, 1.0)}, "loss", None, "the forward pass (l1, l2) agrees; the loss differs "
                                                                   "by 1.0e-06"),
    ({"gradients": (0, 0.31)}, "gradient", 0, "the forward pass (l1, l2) and the loss agree; the gradient of w0 "
                                               "(l1_delta) differs by 3.1e-01 at epoch 3 (w1's agrees)"),
    ({"gradients": (1, 0.5), "weights": (0, 1.0)}, "gradient", 1, "the gradient of w1 (l2_delta) differs"),
    # The updates from the output layer down, as the gradients: w1's first.
    ({"weights": (1, 1e-9)}, "update", 1, "the forward pass (l1, l2), the loss and the gradients agree; the updated w1 "
                                          "differs by 1.0e-09 at epoch 3"),
    ({"weights": (0, 1e-9)}, "update", 0, "the updated w0 differs by 1.0e-09 at epoch 3 (w1 agrees)"),
])
def test_the_first_quantity_that_differs_is_named_in_the_order_the_maths_computes_them(changes, quantity, layer,
                                                                                        message):
    diagnosis = parity.diagnose([probe(1), probe(3, **changes), probe(5, layers=(1, 1.0))], 1e-12)
    assert (diagnosis["epoch"], diagnosis["quantity"], diagnosis["layer"]) == (3, quantity, layer)
    assert message in diagnosis["message"]
    assert parity.diagnose([probe(1), probe(3)], 1e-12) is None


def test_a_quantity_a_probe_cannot_expose_is_skipped_and_a_missing_layer_differs():
    step = probe(2, weights=(0, 1.0))
    step["framework"]["gradients"] = None  # a reader's implementation hands out no gradients
    assert parity.diagnose([step], 1e-12)["quantity"] == "update"
    step = probe(2)
    step["framework"]["layers"] = step["framework"]["layers"][:1]
    assert parity.diagnose([step], 1e-12) == {**parity.diagnose([step], 1e-12), "quantity": "forward", "layer": 1,
                                              "max_diff": math.inf}


def banded(run, parts_at, width, epochs=50):
    """run with the reference's sensitivity band: zero until `parts_at`, `width` from there on."""
    band = np.where(np.arange(1, epochs + 1) >= parts_at, width, 0.0).tolist()
    return {**run, "sensitivity": {"float64": {"runs": 4, "ulps": 4, "precision": "float64", "seed": 1, "loss": band,
                                               "mean_abs_error": band, "weights": width, "predictions": width}}}


def parted(at, by):
    """A run whose curves part from fake_run's at `at` by `by`, its final weights by as much; every step agrees."""
    run = fake_run(offset=by, at=at)
    run["final_weights"][0][0][0] += by
    run["probes"] = [probe(1), probe(at)]
    return run


def test_curves_that_part_within_the_references_own_band_are_sensitive():
    result = parity.check({"numpy": banded(fake_run(), 20, 1e-3), "a": parted(25, 5e-4)}, "float64")
    entry = result["frameworks"]["a"]
    assert entry["verdict"] == "sensitive" and entry["diagnosis"] is None and entry["unexplained"] is False
    assert entry["first_divergent_epoch"] == 25 and entry["probed_epochs"] == [1, 25]
    assert result["ok"] and result["sensitivity"]["float64"]["parts_at_epoch"] == 20


@pytest.mark.parametrize("reference, run", [
    (banded(fake_run(), 20, 1e-3), parted(25, 1.0)),   # far beyond the band
    (banded(fake_run(), 40, 1e-3), parted(25, 5e-4)),  # parted before the reference's own runs do
    (banded(fake_run(), 1, 1e-14), parted(25, 5e-4)),  # the reference is not sensitive here at all
    (fake_run(), parted(25, 5e-4)),                     # its sensitivity was not measured
])
def test_curves_that_part_beyond_the_band_with_no_step_to_blame_fail_unexplained(reference, run):
    entry = parity.check({"numpy": reference, "a": run}, "float64")["frameworks"]["a"]
    assert entry["verdict"] == "FAIL" and entry["unexplained"] is True and entry["diagnosis"] is None


def test_curves_that_part_beyond_the_band_after_a_step_that_agrees_name_hidden_state():
    """The step before the parting, taken from the reference's state, agrees: the run carries something else."""
    run = parted(25, 1.0)
    assert "hidden_state" not in parity.check({"numpy": fake_run(), "a": run}, "float64")["frameworks"]["a"]
    run["probes"].insert(1, probe(24))
    entry = parity.check({"numpy": fake_run(), "a": run}, "float64")["frameworks"]["a"]
    assert entry["verdict"] == "FAIL" and entry["unexplained"] is True
    assert entry["hidden_state"] == {"epoch": 25, "step": 24, "code": None}
    run["probes"][1] = {"epoch": 24, "reference": probe(24)["reference"], "framework": {
        "layers": None, "loss": None, "gradients": None, "weights": None, "skipped": "takes no optimizer_state="}}
    assert "hidden_state" not in parity.check({"numpy": fake_run(), "a": run}, "float64")["frameworks"]["a"]


def test_a_step_that_differs_fails_even_within_the_band():
    run = parted(25, 5e-4)
    run["probes"].append(probe(50, gradients=(0, 1e-6)))
    entry = parity.check({"numpy": banded(fake_run(), 20, 1e-3), "a": run}, "float64")["frameworks"]["a"]
    assert entry["verdict"] == "FAIL" and "unexplained" not in entry
    assert entry["diagnosis"]["epoch"] == 50 and entry["diagnosis"]["quantity"] == "gradient"


def test_a_limited_framework_is_judged_against_the_float32_band():
    reference = banded(fake_run(), 20, 1e-3)
    reference["sensitivity"]["float32"] = {**reference["sensitivity"]["float64"], "precision": "float32"}
    reference["sensitivity"]["float64"] = {**reference["sensitivity"]["float64"], "loss": [0.0] * 50,
                                           "mean_abs_error": [0.0] * 50, "weights": 0.0, "predictions": 0.0}
    result = parity.check({"numpy": reference, "a": parted(25, 5e-4)}, "float64", limits={"a": "float32 inside"})
    assert result["frameworks"]["a"]["verdict"] == "sensitive"
    assert parity.check({"numpy": reference, "a": parted(25, 5e-4)}, "float64")["frameworks"]["a"]["verdict"] == "FAIL"


def test_final_weights_that_part_within_the_bands_are_sensitive_though_the_curves_never_part():
    run = fake_run()
    run["final_weights"][0][0][0] += 5e-4
    run["probes"] = [probe(1), probe(50)]
    flat = banded(fake_run(), 1, 0.0)
    wide = {**flat, "sensitivity": {"float64": {**flat["sensitivity"]["float64"], "weights": 1e-3}}}
    assert parity.check({"numpy": wide, "a": run}, "float64")["frameworks"]["a"]["verdict"] == "sensitive"
    entry = parity.check({"numpy": flat, "a": run}, "float64")["frameworks"]["a"]
    assert entry["verdict"] == "FAIL" and entry["unexplained"] is True


CLIP = {"what": "clips ŷ to [1e-7, 1 − 1e-7]", "margin": 1e-7, "kind": "loss"}


def formula_case(changes, y_hat):
    """A run whose step at epoch 25 differs by `changes`, from a reference state whose outputs are y_hat."""
    run = parted(25, 5e-4)
    step = probe(25, **changes)
    step["reference"]["layers"][-1] = step["framework"]["layers"][-1] = [[y_hat]]
    run["probes"] = [probe(1), step]
    return run


@pytest.mark.parametrize("changes, y_hat, formula, verdict", [
    ({"loss": (None, 1e-3)}, 1 - 1e-9, CLIP, "limited"),                  # the loss, where the clip bites
    ({"gradients": (1, 1e-3)}, 1e-9, CLIP, "limited"),                    # the output layer's gradient
    ({"loss": (None, 1e-3)}, 1 - 1e-5, CLIP, "FAIL"),                     # nothing saturates that far
    ({"layers": (0, 1e-3)}, 1 - 1e-9, CLIP, "FAIL"),                      # the forward pass: not the loss's formula
    ({"gradients": (0, 1e-3)}, 1 - 1e-9, CLIP, "FAIL"),                   # a hidden layer's gradient first
    ({"loss": (None, 1e-3)}, 1 - 1e-9, None, "FAIL"),                     # nothing declared
    # ulp/tol = 2.2e-4:
    ({"loss": (None, 1e-3)}, 1 - 1e-5, {"what": "logits", "margin": None, "kind": "loss"}, "limited"),
    ({"loss": (None, 1e-3)}, 1 - 1e-3, {"what": "logits", "margin": None, "kind": "loss"}, "FAIL"),
])
def test_a_declared_loss_formula_explains_a_difference_only_where_the_outputs_saturate(changes, y_hat, formula,
                                                                                        verdict):
    formulas = {"a": [formula]} if formula else {}
    entry = parity.check({"numpy": fake_run(), "a": formula_case(changes, y_hat)}, "float64",
                         formulas=formulas)["frameworks"]["a"]
    assert entry["verdict"] == verdict
    if verdict == "limited":
        assert entry["formula"] == formula["what"] and entry["saturation"] == pytest.approx(min(y_hat, 1 - y_hat))
        assert entry["diagnosis"]["epoch"] == 25


EPSILON_HAT = {"what": "ε̂", "margin": None, "kind": "optimizer"}
L2_CAST = {"what": "l cast through float32", "margin": None, "kind": "penalty"}


@pytest.mark.parametrize("changes, formulas, verdict", [
    ({"weights": (0, 1e-6)}, [EPSILON_HAT], "limited"),                  # the update differs first: the optimizer
    ({}, [EPSILON_HAT], "limited"),                                       # every step agrees, only their sum parts
    ({"gradients": (1, 1e-6)}, [EPSILON_HAT], "FAIL"),                    # a gradient: not the optimizer's doing
    ({"weights": (0, 1e-6)}, [], "FAIL"),                                 # nothing declared (or it does not apply)
    ({"weights": (0, 1e-6)}, [CLIP, EPSILON_HAT], "limited"),             # the loss's does not explain it; this does
    ({"loss": (None, 1e-6)}, [EPSILON_HAT], "FAIL"),                      # the loss: not the optimizer's doing
    ({"loss": (None, 1e-6)}, [L2_CAST], "limited"),                       # the loss: a penalty's (L2) may differ first
    ({"weights": (0, 1e-6)}, [L2_CAST], "limited"),                       # and so may its gradient, in the update
    ({"gradients": (1, 1e-6)}, [L2_CAST], "FAIL"),                        # the loss's own gradient: not the penalty's
    ({"layers": (0, 1e-6)}, [L2_CAST], "FAIL"),                           # the forward pass: not the penalty's
])
def test_a_declared_optimizer_formula_explains_only_an_update_that_differs(changes, formulas, verdict):
    entry = parity.check({"numpy": fake_run(), "a": formula_case(changes, 0.5)}, "float64",
                         formulas={"a": formulas})["frameworks"]["a"]
    assert entry["verdict"] == verdict
    assert ("formula" in entry) == (verdict == "limited") and "saturation" not in entry


def test_a_scale_is_found_where_one_fits_every_element_and_snapped_to_a_simple_fraction():
    theirs = np.array([[0.3, -0.2], [0.1, 0.05]])
    assert difference.scale(2 * theirs, theirs, 1e-12) == 2
    assert difference.scale(theirs / 4, theirs, 1e-12) == 0.25
    assert difference.scale(-theirs, theirs, 1e-12) == -1
    assert difference.scale(theirs + [[0.0, 0.1], [0.0, 0.0]], theirs, 1e-12) is None  # one element off: no shape
    assert difference.scale(np.float64(0.125), np.float64(0.5), 1e-12) == 0.25  # a scalar only where k is simple
    assert difference.scale(np.float64(0.37), np.float64(0.5), 1e-12) is None
    assert difference.scale(np.zeros(2), np.zeros(2), 1e-12) is None  # nothing to scale
    assert [difference.times(k) for k in (2, -1, 0.25, 0.3719)] == [
        "2× the reference's", "−1× the reference's", "1/4 of the reference's", "0.3719× the reference's"]
    # A factor near a simple one is written to the digits that tell them apart: 1 + 1.5e-8 never reads as "1×".
    assert [difference.factor(k) for k in (1 + 1.49e-8, 0.5000001, 0.123456)] == ["1.000000015", "0.5000001",
                                                                               "0.1235"]


def blog_probe(rate=1.0, **framework):
    """A probe of the blog's network at a square width (3→3→1) from its initial weights, the reference's side from
    impl_numpy, the framework's the same but for `framework`'s quantities; the run's data beside it."""
    import impl_numpy
    from impl_numpy import probe as numpy_probe

    x, y = dataset("xor")
    weights = problem_weights(1, [3, 3, 1])
    reference = probes.plain(numpy_probe.step(impl_numpy, weights, x, y, rate, "float64"))
    probe = {"epoch": 1, "steps": 1, "optimizer": "sgd", "learning_rate": rate,
             "before": probes.plain({"weights": weights, "biases": None}), "reference": reference,
             "framework": {**copy.deepcopy(reference), **framework}}
    return probe, (x, y), weights, reference


def test_a_step_at_the_rate_rounded_to_float32_is_named_so():
    """tf.cast(0.1, tf.float64) is 0.100000001490116…: the step the rate implies is that much the reference's."""
    probe, data, weights, reference = blog_probe(0.1, layers=None, gradients=None)
    rate = float(np.float32(0.1))
    probe["framework"]["weights"] = [(w - rate * np.asarray(g)).tolist() for w, g in
                                     zip(weights, reference["gradients"], strict=True)]
    diagnosis = parity.diagnose([probe], 1e-12, data)
    assert (diagnosis["quantity"], diagnosis["layer"], diagnosis["implied"]) == ("gradient", 1, True)
    assert "is exactly 1.000000015× the reference's (w0's too) at epoch 1" in diagnosis["message"]
    assert diagnosis["cause"] == "it moves as if the rate were 0.10000000149011612, the run's 0.1 rounded to float32"
    probe["learning_rate"] = 0.5  # float32 holds 0.5: no rounding to name
    assert parity.rate_in_float32({"quantity": "gradient", "implied": True}, 1 + 1.49e-8, probe) is None


def test_a_step_implies_the_gradient_a_train_only_file_used_and_its_scale_names_the_slip():
    probe, data, weights, reference = blog_probe(layers=None, gradients=None)
    probe["framework"]["weights"] = [(w - 2 * np.asarray(g)).tolist() for w, g in
                                     zip(weights, reference["gradients"], strict=True)]  # every delta doubled
    diagnosis = parity.diagnose([probe], 1e-12, data)
    assert (diagnosis["quantity"], diagnosis["layer"], diagnosis["implied"], diagnosis["scale"]) == (
        "gradient", 1, True, 2)
    assert diagnosis["scale_also"] == ["w0"] and diagnosis["unobserved"] == ["forward"]
    assert diagnosis["message"].startswith("the loss agrees, the layers were not observed; the gradient of w1 "
                                           "(l2_delta), implied by the step, is exactly 2× the reference's (w0's too)")
    assert diagnosis["cause"] == "every delta doubled — the derivative of Σ(y − ŷ)² without the ½?"


@pytest.mark.parametrize("step, step_at_rate_1, k, cause", [
    (1, 1, 2, "the step does not use the learning rate: it moves as if the rate were 1 (the same step at rate 1 as "
              "at 0.5)"),
    (2, 2, 4, "the step does not use the learning rate: it moves as if the rate were 1 (the same step at rate 1 as "
              "at 0.5), and then 2× the reference's at that rate: every delta doubled — the derivative of Σ(y − ŷ)² "
              "without the ½?"),
    (1, 2, 2, "every delta doubled — the derivative of Σ(y − ŷ)² without the ½?"),  # it uses the rate
    (0.001, 0.001, 0.002, "the step does not use the learning rate: it moves as if the rate were 0.001 (the same step "
                          "at rate 1 as at 0.5)"),  # a rate of its own, a default left in
])
def test_a_step_that_does_not_use_the_learning_rate_is_named_before_any_other_reading_of_its_factor(
        step, step_at_rate_1, k, cause):
    """At rate 0.5, the framework's step is `step` × the reference's gradient g, and its step from the same state at
    rate 1 `step_at_rate_1` × g: a step the same at both does not use the rate (with a doubled gradient, 2 × g); one
    twice as large at rate 1 uses it, and its 2× the reference's is a doubled gradient."""
    import impl_numpy
    from impl_numpy import probe as numpy_probe

    probe, data, weights, _ = blog_probe(0.5, layers=None, gradients=None)
    g = probes.plain(numpy_probe.step(impl_numpy, weights, *data, 1.0, "float64"))["gradients"]
    probe["framework"].update({key: [(w - by * np.asarray(gi)).tolist() for w, gi in zip(weights, g, strict=True)]
                               for key, by in (("weights", step), ("weights_at_rate_1", step_at_rate_1))})
    diagnosis = parity.diagnose([probe], 1e-12, data)
    assert (diagnosis["quantity"], diagnosis["layer"], diagnosis["implied"]) == ("gradient", 1, True)
    assert diagnosis["scale"] == pytest.approx(k, rel=1e-9)  # a simple fraction, or the least-squares k
    assert diagnosis["cause"] == cause and diagnosis["rate_unused"] == (step == step_at_rate_1)
    assert diagnosis["message"].endswith(f"(w0's too) at epoch 1, off by {diagnosis['max_diff']:.1e}: {cause}")


def test_without_a_state_before_the_step_no_gradient_is_implied():
    probe, data, weights, reference = blog_probe(layers=None, gradients=None)
    probe["framework"]["weights"] = [(w - 2 * np.asarray(g)).tolist() for w, g in
                                     zip(weights, reference["gradients"], strict=True)]
    for changed in ({"optimizer": "momentum"}, {"steps": 2}, {"before": None}):
        diagnosis = parity.diagnose([{**probe, **changed}], 1e-12, data)
        assert diagnosis["quantity"] == "update" and not diagnosis["implied"], changed


def test_weights_transposed_and_a_layer_squashed_twice_are_recognised():
    probe, data, weights, reference = blog_probe()
    probe["framework"]["weights"] = [np.asarray(reference["weights"][0]).T.tolist(), reference["weights"][1]]
    diagnosis = parity.diagnose([probe], 1e-12, data)
    assert (diagnosis["quantity"], diagnosis["layer"], diagnosis["shape"]) == ("update", 0, "transposed")
    assert "the updated w0 is the reference's transposed" in diagnosis["message"]

    probe, data, weights, reference = blog_probe()
    l1 = 1 / (1 + np.exp(-(data[0] @ weights[0].T)))  # w0 copied in (out, in): square, so it runs
    probe["framework"]["layers"] = [l1.tolist(), reference["layers"][1]]
    diagnosis = parity.diagnose([probe], 1e-12, data)
    assert (diagnosis["quantity"], diagnosis["layer"], diagnosis["shape"]) == ("forward", 0, "transposed")
    assert "it is what w0 transposed gives" in diagnosis["message"]

    probe, data, weights, reference = blog_probe()
    probe["framework"]["layers"] = [(1 / (1 + np.exp(-np.asarray(reference["layers"][0])))).tolist(),
                                    reference["layers"][1]]
    diagnosis = parity.diagnose([probe], 1e-12, data)
    assert diagnosis["shape"] == "squashed twice" and "the activation applied twice" in diagnosis["message"]


def test_a_gradient_from_a_slope_of_a_squashed_output_is_named_and_only_then():
    probe, data, weights, _ = blog_probe()
    slipped = difference.slipped_gradients("squashed twice", 1, *data, weights, None, None)
    probe["framework"]["gradients"] = [probe["reference"]["gradients"][0], slipped[1].tolist()]
    diagnosis = parity.diagnose([probe], 1e-12, data)
    assert (diagnosis["quantity"], diagnosis["layer"], diagnosis["shape"]) == ("gradient", 1, "squashed twice")
    assert "sigmoid'(sigmoid(z)) where sigmoid'(z) belongs" in diagnosis["message"]
    probe["framework"]["gradients"][1] = (np.asarray(slipped[1]) + 1e-3).tolist()  # near it, not it
    assert parity.diagnose([probe], 1e-12, data)["shape"] is None


@pytest.mark.parametrize("optimizer, noise, moved, verdict", [
    ("adam", 3e-18, [1e-10, 0.0], "sensitive"),  # a gradient of rounding noise, scaled up to a step by 1/(√v + ε)
    ("rmsprop", 3e-18, [1e-10, 0.0], "sensitive"),
    ("adam", 3e-18, [1e-10, 1e-10], "FAIL"),      # an element with a real gradient moved too: not rounding's doing
    ("adam", 1e-13, [1e-10, 0.0], "FAIL"),        # a gradient above rounding: the step's own maths differs
    ("momentum", 3e-18, [1e-10, 0.0], "FAIL"),    # no division by √v to amplify anything
])
def test_an_adaptive_step_that_scales_a_gradients_rounding_up_is_sensitive_not_fail(optimizer, noise, moved, verdict):
    """A weight whose input is the same in every row feeds a batch normalization: its gradient is 0 in the maths, a
    few ulps of noise in each framework, which Adam and RMSprop divide by a √v of the same size."""
    step = {"layers": [[[0.5, 0.25]], [[0.75]]], "loss": 0.125, "gradients": [[[1e-17, 0.2]], [[0.3], [0.4]]],
            "weights": [[[0.5, -0.5]], [[1.0], [2.0]]]}
    framework = copy.deepcopy(step)
    framework["gradients"][0][0][0] = noise
    framework["weights"][0][0] = [0.5 + moved[0], -0.5 + moved[1]]
    run = {**fake_run(), "probes": [{"epoch": 1, "optimizer": optimizer, "dtype": "float64", "reference": step,
                                     "framework": framework}]}
    entry = parity.check({"numpy": fake_run(), "a": run}, "float64")["frameworks"]["a"]
    assert entry["verdict"] == verdict
    assert ("amplified" in entry) == (verdict == "sensitive")


@pytest.mark.parametrize("moved, spread, mean_moved, verdict", [
    ([1e-10, 0.0], [3e-11, 1e-16], 0.0, "sensitive"),   # within 10× what nudging NumPy's own start moves it
    ([1e-10, 0.0], [5e-12, 1e-16], 0.0, "FAIL"),        # beyond: more than rounding makes
    ([1e-10, 1e-10], [3e-11, 1e-16], 0.0, "FAIL"),      # an element the nudges do not move, moved
    ([1e-10, 0.0], [3e-11, 1e-16], 1e-9, "FAIL"),       # a running mean beyond what the nudges move it
    ([1e-10, 0.0], [3e-11, 1e-16], 1e-11, "sensitive"),  # one within it
])
def test_an_epochs_adaptive_steps_that_differ_as_nudged_rounding_does_are_sensitive(moved, spread, mean_moved,
                                                                                   verdict):
    """An epoch of several steps: its gradients (the whole batch's, at its start) say nothing of each step's, so
    rounding is shown by NumPy's own steps from its start nudged by a few ulps (the probe's reference_spread)."""
    step = {"layers": [[[0.5, 0.25]], [[0.75]]], "loss": 0.125, "gradients": [[[1e-7, 0.2]], [[0.3], [0.4]]],
            "weights": [[[0.5, -0.5]], [[1.0], [2.0]]], "running_means": [[0.25, 0.5]]}
    framework = copy.deepcopy(step)
    framework["weights"][0][0] = [0.5 + moved[0], -0.5 + moved[1]]
    framework["running_means"][0][0] += mean_moved
    nudged = {"weights": [[spread], [[1e-16], [1e-16]]], "running_means": [[2e-11, 1e-16]]}
    run = {**fake_run(), "probes": [{"epoch": 1, "steps": 2, "optimizer": "adam", "dtype": "float64",
                                     "reference": step, "framework": framework, "reference_spread": nudged}]}
    entry = parity.check({"numpy": fake_run(), "a": run}, "float64")["frameworks"]["a"]
    assert entry["verdict"] == verdict, entry["diagnosis"]
    assert ("amplified" in entry) == (verdict == "sensitive")
    if verdict == "sensitive":
        assert "NumPy's own w0 after the epoch's 2 steps moves by up to 3e-11 where the two" in entry["amplified"]
    del run["probes"][0]["reference_spread"]  # a run without it: nothing to show rounding by
    assert parity.check({"numpy": fake_run(), "a": run}, "float64")["frameworks"]["a"]["verdict"] == "FAIL"


def test_a_declared_statistics_formula_explains_only_a_running_variance_that_differs_first():
    """Keras's and Flax's moving variance averages the biased batch variance: declared, it explains a first difference
    there; a running mean that differs first (an update before it, in another step) it does not."""
    formula = {"what": "the biased variance", "margin": None, "kind": "statistics"}
    for parameter, verdict in (("variance", "limited"), ("mean", "FAIL")):
        step = {"layers": [[[0.5, 0.25]], [[0.75]]], "loss": 0.125, "weights": [[[0.5, -0.5]], [[1.0], [2.0]]],
                "running_means": [[0.1, 0.2]], "running_variances": [[0.9, 0.95]]}
        framework = copy.deepcopy(step)
        framework[f"running_{parameter}s" if parameter == "mean" else "running_variances"][0][0] += 1e-3
        run = {**fake_run(), "predictions": [[0.5]] * 4,
               "probes": [{"epoch": 1, "reference": step, "framework": framework}]}
        entry = parity.check({"numpy": fake_run(), "a": run}, "float64", formulas={"a": [formula]})["frameworks"]["a"]
        assert entry["verdict"] == verdict, (parameter, entry)
        assert entry["diagnosis"]["quantity"] == "statistics" and entry["diagnosis"]["parameter"] == parameter
        assert f"the running {parameter} of l1's normalization differs by 1.0e-03" in entry["diagnosis"]["message"]
