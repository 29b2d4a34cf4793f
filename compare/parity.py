"""Parity: does each framework's run agree with the reference (NumPy) within the dtype's tolerance?"""
import numpy as np

# Absolute tolerances. float64: 1e-12 ≈ 4500 ulps of a loss near 1, far above the few ulps that a different
# summation order or sigmoid kernel costs, far below any real difference in the maths. float32: 1e-5 ≈ 84 float32
# ulps. They do not grow with the number of epochs: gradient descent here damps rounding differences rather than
# compounding them, and the drift measured over 50 to thousands of epochs stays flat (the README's drift table).
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}

CURVES = ("loss", "mean_abs_error")


def tolerance(dtype):
    """The absolute tolerance at `dtype`."""
    return TOLERANCE[dtype]


def max_abs_diff(a, b):
    """max |a − b|; infinite when the shapes differ, NaN when a value is NaN in only one of them."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    both_nan = np.isnan(a) & np.isnan(b)
    same = (a == b) | both_nan  # equal infinities agree too
    with np.errstate(invalid="ignore"):
        diff = np.where(same, 0.0, np.abs(a - b))
    return float(np.max(diff))


def first_divergent_epoch(reference, run, tol):
    """The first epoch (counting from 1) whose loss or mean |error| differs by more than tol, or None."""
    bad = []
    for curve in CURVES:
        a, b = np.asarray(reference[curve], dtype=np.float64), np.asarray(run[curve], dtype=np.float64)
        n = min(len(a), len(b))
        close = np.isclose(a[:n], b[:n], rtol=0, atol=tol, equal_nan=True)
        if not close.all():
            bad.append(int(np.argmin(close)) + 1)
        elif len(a) != len(b):
            bad.append(n + 1)
    return min(bad) if bad else None


def compare_run(reference, run, tol):
    """The parity entry of one framework's run against the reference run."""
    diffs = {
        "max_abs_loss_diff": max_abs_diff(reference["loss"], run["loss"]),
        "max_abs_mean_abs_error_diff": max_abs_diff(reference["mean_abs_error"], run["mean_abs_error"]),
        "max_abs_weight_diff": max(
            (max_abs_diff(a, b) for a, b in zip(reference["final_weights"], run["final_weights"])), default=0.0
        ) if len(reference["final_weights"]) == len(run["final_weights"]) else float("inf"),
        "max_abs_prediction_diff": max_abs_diff(reference["predictions"], run["predictions"]),
    }
    epoch = first_divergent_epoch(reference, run, tol)
    ok = epoch is None and all(d <= tol for d in diffs.values())  # a NaN difference fails: NaN <= tol is False
    return {**diffs, "first_divergent_epoch": epoch, "ok": ok}


def check(runs, dtype, reference="numpy"):
    """The parity block of results.json: every run that finished, compared with the reference."""
    tol = tolerance(dtype)
    ref = runs.get(reference, {})
    frameworks = {}
    for name, run in runs.items():
        if name == reference:
            continue
        if ref.get("status") != "ok":
            frameworks[name] = {"ok": False, "reason": f"the reference {reference} did not run"}
        elif run.get("status") != "ok":
            frameworks[name] = {"ok": None, "reason": run.get("status")}  # not run: neither agrees nor disagrees
        else:
            frameworks[name] = compare_run(ref, run, tol)
    verdicts = [entry["ok"] for entry in frameworks.values() if entry["ok"] is not None]
    return {
        "reference": reference,
        "tolerance": tol,
        "frameworks": frameworks,
        "ok": ref.get("status") == "ok" and all(verdicts),
    }
