"""Parity: does each framework's run agree with the reference (NumPy) within the dtype's tolerance?

Each framework gets one verdict:
- pass: every epoch's loss and mean |error|, the final weights and the predictions agree within the tolerance, and
  so does every step-local check (compare.probes);
- FAIL: a step-local check differs (`diagnosis` names the first quantity that does), or the curves part where the
  reference's own sensitivity cannot explain it (`unexplained`); `first_divergent_epoch` says where the curves part;
- sensitive: the curves part, but every step taken from the reference's state agrees and the parting stays within
  how far the reference parts from itself when its initial weights move by a few ulps (compare.sensitivity): a
  rounding difference amplified by large steps, not different maths;
- limited: the framework is known not to hold float64 on some path (the registry says which and why); its float64
  run fails the float64 tolerance, as it must, but agrees within float32's, so nothing else is wrong with it;
- diverged: the reference's training blew up (a loss or mean |error| of inf or NaN, or weights that overflowed)
  and this framework's did too, at the same epoch, after agreeing up to it.
"""
import numpy as np

# Tolerances on scaled_diff: absolute for values up to 1 in size (every loss, error and prediction of the blog's
# network, most of its weights), relative above. float64: 1e-12 ≈ 4500 ulps of a loss near 1, far above the few ulps
# that a different summation order or sigmoid kernel costs, far below any real difference in the maths. float32: 1e-5 ≈
# 84 float32 ulps. They do not grow with the number of epochs: gradient descent here damps rounding differences rather
# than compounding them, and the drift measured over 50 to thousands of epochs stays flat (the README's drift table).
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}

CURVES = ("loss", "mean_abs_error")
VERDICTS = ("pass", "FAIL", "sensitive", "limited", "diverged")
ACCEPTED = ("pass", "sensitive", "limited")  # the verdicts a run may end with and still exit 0
# How far beyond the reference's own band a parting may go and still count as sensitive; see within_band.
BAND_MARGIN = 10


def tolerance(dtype):
    """The absolute tolerance at `dtype`."""
    return TOLERANCE[dtype]


def scaled_diff(a, b):
    """|a − b| element by element, per unit of |b| where |b| > 1: absolute below 1 in size, relative above.

    A float64 value is only known to one ulp of its size: 2e-16 near 1, but 1e-6 near 1e10 and 1e284 near 1e300. A
    loss or weight that grows large (a diverging run, an unbounded activation) is judged by its relative error.
    Equal values, infinities of one sign and NaN against NaN differ by 0; NaN against a number by NaN.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(same, 0.0, np.abs(a - b) / np.maximum(1.0, np.abs(b)))


def max_abs_diff(a, b):
    """The largest scaled_diff(a, b); infinite when the shapes differ, NaN when a value is NaN in only one."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(scaled_diff(a, b))) if a.size else 0.0


def diverged_at(run):
    """The first epoch (counting from 1) whose loss or mean |error| is inf or NaN; epochs + 1 when only the final
    weights overflowed; None when the run stayed finite."""
    curves = [np.asarray(run[curve], dtype=np.float64) for curve in CURVES]
    bad = [int(np.argmin(np.isfinite(c))) + 1 for c in curves if not np.isfinite(c).all()]
    if bad:
        return min(bad)
    if not all(np.isfinite(np.asarray(w, dtype=np.float64)).all() for w in run["final_weights"]):
        return len(curves[0]) + 1
    return None


def first_divergent_epoch(reference, run, tol):
    """The first epoch (counting from 1) whose loss or mean |error| differs by more than tol, or None."""
    bad = []
    for curve in CURVES:
        a, b = np.asarray(reference[curve], dtype=np.float64), np.asarray(run[curve], dtype=np.float64)
        n = min(len(a), len(b))
        close = scaled_diff(b[:n], a[:n]) <= tol
        if not close.all():
            bad.append(int(np.argmin(close)) + 1)
        elif len(a) != len(b):
            bad.append(n + 1)
    return min(bad) if bad else None


def step_differences(reference, framework, steps=1):
    """(quantity, layer, parameter, max scaled difference) of one probed step, in the order the maths computes them:
    each layer's output, the loss, the gradients from the last layer down (backpropagation's order; a layer's
    weights, then its bias), the updated weights and biases. A quantity the framework's probe could not expose (None)
    is left out; a missing layer differs by inf.

    steps: the optimizer steps the probed epoch takes (its mini-batches). With more than one, the epoch's loss is
    the mean of its steps' losses, each after the updates before it: it comes after the updates, which it depends on.
    """
    def pairs(key):
        ours, theirs = framework.get(key), reference.get(key)
        if ours is None or theirs is None:
            return {}
        return {i: max_abs_diff(ours[i], theirs[i]) if i < min(len(ours), len(theirs)) else float("inf")
                for i in range(max(len(ours), len(theirs)))}

    out = [("forward", i, None, diff) for i, diff in pairs("layers").items()]
    loss = []
    if framework.get("loss") is not None and reference.get("loss") is not None:
        loss = [("loss", None, None, max_abs_diff(framework["loss"], reference["loss"]))]
    out += loss if steps == 1 else []
    for quantity, keys, order in (("gradient", ("gradients", "bias_gradients"), -1),
                                  ("update", ("weights", "biases"), 1)):
        by_parameter = {name: pairs(key) for name, key in zip("wb", keys, strict=True)}
        layers = sorted(set(by_parameter["w"]) | set(by_parameter["b"]))[::order]
        out += [(quantity, i, name, by_parameter[name][i]) for i in layers for name in "wb" if i in by_parameter[name]]
    return out + (loss if steps > 1 else [])


def describe(diagnosis):
    """'forward and loss agree; the gradient of w0 differs by 3.1e-01 at epoch 1 (w1's agrees)'."""
    quantity, layer, epoch = diagnosis["quantity"], diagnosis["layer"], diagnosis["epoch"]
    parameter = f"{diagnosis.get('parameter') or 'w'}{layer}"
    steps = diagnosis.get("steps", 1)
    before = {"forward": "", "loss": "forward agrees", "gradient": "forward and loss agree",
              "update": "forward, loss and gradients agree"}[quantity]
    if steps > 1:  # the epoch's loss comes after its steps' updates (step_differences)
        before = {"forward": "", "loss": "forward, gradients and updates agree", "gradient": "forward agrees",
                  "update": "forward and gradients agree"}[quantity]
    name = {"forward": f"the output of layer {layer}",
            "loss": "the loss" if steps == 1 else f"the epoch's loss (its {steps} steps' mean)",
            # A layer's gradients come from the delta one layer up: the blog's w0 from l1_delta, w1 from l2_delta.
            "gradient": f"the gradient of {parameter} (l{layer + 1}_delta)" if layer is not None else "a gradient",
            "update": f"the updated {parameter}"}[quantity]
    text = f"{name} differs by {diagnosis['max_diff']:.1e} at epoch {epoch}"
    if diagnosis.get("agreeing"):
        text += f" ({', '.join(diagnosis['agreeing'])} agree{'s' if len(diagnosis['agreeing']) == 1 else ''})"
    return f"{before}; {text}" if before else text


def diagnose(probes, tol):
    """The first quantity that differs beyond tol, at the earliest probed epoch where one does; None when every
    step agrees. {"epoch", "quantity", "layer", "parameter" ("w", "b" or null), "max_diff", "agreeing", "message"}."""
    for probe in probes:
        steps = probe.get("steps", 1)
        diffs = step_differences(probe["reference"], probe["framework"], steps)
        for n, (quantity, layer, parameter, diff) in enumerate(diffs):
            if not diff <= tol:  # NaN differs too
                agreeing = [(f"layer {other}" if quantity == "forward" else f"{name}{other}")
                            + ("'s" if quantity == "gradient" else "")
                            for q, other, name, _ in diffs[:n] if q == quantity]
                diagnosis = {"epoch": probe["epoch"], "quantity": quantity, "layer": layer, "parameter": parameter,
                             "max_diff": diff, "agreeing": agreeing, "steps": steps}
                return {**diagnosis, "message": describe(diagnosis)}
    return None


def floats(values):
    """values as a float64 array, JSON's null (a NaN or infinity that was written out) as NaN."""
    return np.array([np.nan if v is None else v for v in values] if isinstance(values, list) else values,
                    dtype=np.float64)


def running_max(values):
    """The largest value so far at each position; a NaN counts as infinitely large."""
    return np.fmax.accumulate(np.nan_to_num(floats(values), nan=np.inf))


def curve_gap(reference, run):
    """Per epoch, the largest scaled difference of either curve so far: how far the run has parted by then."""
    n = min(len(reference["loss"]), len(run["loss"]))
    gaps = [scaled_diff(floats(run[curve][:n]), floats(reference[curve][:n])) for curve in CURVES]
    return running_max(np.fmax(*gaps))


def within_band(reference, run, band, tol):
    """Has this run parted from the reference, at every epoch, no further than the reference's own runs from nudged
    weights had by then (allowing BAND_MARGIN), and its final weights and predictions no further than theirs?

    The band must itself part beyond tol (its curves or its final weights or predictions): where the reference does
    not, no rounding difference explains a parting.
    """
    if not band or len(band["loss"]) != len(run["loss"]) or len(run["loss"]) != len(reference["loss"]):
        return False
    allowed = running_max(np.fmax(floats(band["loss"]), floats(band["mean_abs_error"])))
    if not np.fmax.reduce([allowed[-1], floats(band["weights"]), floats(band["predictions"])]) > tol:
        return False
    gap = curve_gap(reference, run)
    finals = differences(reference, run)
    return bool(np.all(gap <= np.maximum(tol, BAND_MARGIN * allowed))
                and finals["max_abs_weight_diff"] <= max(tol, BAND_MARGIN * floats(band["weights"]))
                and finals["max_abs_prediction_diff"] <= max(tol, BAND_MARGIN * floats(band["predictions"])))


def band_summary(band, tol):
    """Where the reference's nudged runs part from it beyond tol, and how far they go."""
    if not band:
        return None
    worst = np.fmax(floats(band["loss"]), floats(band["mean_abs_error"]))
    apart = np.flatnonzero(~(worst <= tol))
    return {"runs": band["runs"], "ulps": band["ulps"], "computed_in": band.get("computed_in", False),
            "parts_at_epoch": int(apart[0]) + 1 if apart.size else None,
            "max_loss_diff": float(np.nanmax(floats(band["loss"]), initial=0.0)),
            "max_weight_diff": band["weights"]}


def differences(reference, run):
    """The largest difference in each quantity, per unit of size beyond 1 (see scaled_diff)."""
    same_depth = len(reference["final_weights"]) == len(run["final_weights"])
    out = {
        "max_abs_loss_diff": max_abs_diff(run["loss"], reference["loss"]),
        "max_abs_mean_abs_error_diff": max_abs_diff(run["mean_abs_error"], reference["mean_abs_error"]),
        "max_abs_weight_diff": max(
            (max_abs_diff(a, b) for a, b in zip(run["final_weights"], reference["final_weights"], strict=True)),
            default=0.0) if same_depth else float("inf"),
        "max_abs_prediction_diff": max_abs_diff(run["predictions"], reference["predictions"]),
    }
    if "step_loss" in reference and "step_loss" in run:  # every mini-batch's loss, where both report them
        out["max_abs_step_loss_diff"] = max_abs_diff(run["step_loss"], reference["step_loss"])
    if "final_biases" in reference:  # a network with biases: a run without them differs by inf
        theirs, ours = reference["final_biases"], run.get("final_biases") or []
        out["max_abs_bias_diff"] = max((max_abs_diff(a, b) for a, b in zip(ours, theirs, strict=True)), default=0.0) \
            if len(ours) == len(theirs) else float("inf")
    return out


def agrees(reference, run, tol):
    """(first divergent epoch or None, all final quantities within tol)."""
    diffs = differences(reference, run)
    return first_divergent_epoch(reference, run, tol), all(d <= tol for d in diffs.values())  # NaN <= tol: False


def saturation(probes, diagnosis, formula, ulp, tol):
    """Where a framework's declared formula (compare.frameworks.Formula, as JSON) explains the first difference: the
    loss, or the output layer's gradient, with the forward pass agreeing, at a step from a state whose outputs (the
    reference's) lie within the formula's margin of 0 or 1. That distance, min(ŷ, 1 − ŷ); None where it does not."""
    if not formula or diagnosis is None:
        return None
    probe = next(p for p in probes if p["epoch"] == diagnosis["epoch"])
    layers, gradients = probe["reference"]["layers"], probe["reference"].get("gradients") or []
    if not (diagnosis["quantity"] == "loss"
            or (diagnosis["quantity"] == "gradient" and diagnosis["layer"] == len(gradients) - 1)):
        return None
    y_hat = np.asarray(layers[-1], dtype=np.float64)
    margin = float(np.nanmin(np.minimum(y_hat, 1 - y_hat)))
    return margin if margin < (formula["margin"] if formula["margin"] is not None else ulp / tol) else None


def declared(entry, probes, diagnosis, formulas, ulp, tol):
    """Mark entry limited by the first of its declared formulas (as JSON) that explains its first difference: a
    loss's where the outputs saturate (see saturation); an optimizer's, which applies to this run, where the first
    quantity that differs is an update (each probe starts from the reference's optimizer state as well as its
    weights, so a difference in what the optimizer carries shows in the step it happens in), or where every step
    agrees within the tolerance and only their sum parts (ε̂ at float32: each step's share is below 1e-5)."""
    for formula in formulas or []:
        if formula["kind"] == "loss":
            margin = saturation(probes, diagnosis, formula, ulp, tol)
            if margin is not None:
                entry.update(verdict="limited", formula=formula["what"], saturation=margin)
                return True
        elif diagnosis is None or diagnosis["quantity"] == "update":
            entry.update(verdict="limited", formula=formula["what"])
            return True
    return False


def compare_run(reference, run, tol, limit=None, limit_tol=None, band=None, limit_band=None, formulas=None,
                ulp=None):
    """The parity entry of one framework's run against the reference run.

    limit: why this framework cannot hold the run's dtype (from the registry), to be checked at limit_tol instead.
    Where the curves part, the run's probes (step-local checks) and the reference's sensitivity band (compare.
    sensitivity: nudged at the run's precision, or at float32's, limit_band, for a limited framework) decide
    between FAIL and sensitive. formulas: the framework's declared formulas for the run's loss and optimizer, which
    may explain its first difference (see declared; ulp: the run's dtype's at 1): limited, as declared.
    """
    diffs = differences(reference, run)
    epoch, finals_ok = agrees(reference, run, tol)
    probes = run.get("probes", [])
    diagnosis = diagnose(probes, tol)
    ok = epoch is None and finals_ok and diagnosis is None
    entry = {**diffs, "first_divergent_epoch": epoch, "ok": ok, "verdict": "pass" if ok else "FAIL",
             "diagnosis": diagnosis, "probed_epochs": [probe["epoch"] for probe in probes]}
    ref_diverged, run_diverged = diverged_at(reference), diverged_at(run)
    if ref_diverged is not None or run_diverged is not None:
        entry["diverged_at_epoch"] = run_diverged
        # Alike: blown up at the same epoch, after curves that agree up to it (NaN = NaN proves nothing).
        before = {curve: run[curve][:ref_diverged - 1] for curve in CURVES} if ref_diverged else {}
        if ref_diverged == run_diverged and first_divergent_epoch(
                {curve: reference[curve][:ref_diverged - 1] for curve in CURVES}, before, tol) is None:
            entry["verdict"] = "diverged"
        else:
            entry["verdict"], entry["ok"] = "FAIL", False
            entry["first_divergent_epoch"] = min(filter(None, [epoch, ref_diverged, run_diverged]))
            if limit:  # its steps judged at the looser tolerance its declared limit allows
                entry["limit"], entry["limit_tolerance"] = limit, limit_tol
                tol = limit_tol
                entry["diagnosis"] = diagnosis = diagnose(probes, tol)
            declared(entry, probes, diagnosis, formulas, ulp, tol)
    elif not ok:
        if limit:  # judged at the looser tolerance its declared limit allows, steps and curves alike
            entry["limit"], entry["limit_tolerance"] = limit, limit_tol
            tol = limit_tol
            entry["diagnosis"] = diagnosis = diagnose(probes, tol)
            limit_epoch, limit_finals_ok = agrees(reference, run, tol)
            if diagnosis is None and limit_epoch is None and limit_finals_ok:
                entry["verdict"] = "limited"
                return entry
        if declared(entry, probes, diagnosis, formulas, ulp, tol):
            return entry
        if diagnosis is None:  # every step agrees, yet the curves part: amplified rounding, or unexplained
            sensitive = within_band(reference, run, limit_band if limit else band, tol)
            entry["verdict"] = "sensitive" if sensitive else "FAIL"
            entry["unexplained"] = not sensitive
    return entry


def check(runs, dtype, reference="numpy", limits=None, formulas=None):
    """The parity block of results.json: every run that finished, compared with the reference.

    limits: {framework: why it cannot hold dtype}; such a run is checked at float32's tolerance as well.
    formulas: {framework: [its declared formulas for the run's loss and optimizer, {"what", "margin", "kind"}]}.
    """
    tol, limits, formulas = tolerance(dtype), limits or {}, formulas or {}
    ref = runs.get(reference, {})
    bands = ref.get("sensitivity") or {}
    frameworks = {}
    for name, run in runs.items():
        if name == reference:
            continue
        if ref.get("status") != "ok":
            frameworks[name] = {"ok": None, "reason": f"not judged: the reference {reference} did not run"}
        elif run.get("status") != "ok":
            frameworks[name] = {"ok": None, "reason": run.get("status")}  # not run: neither agrees nor disagrees
        else:
            frameworks[name] = compare_run(ref, run, tol, limits.get(name), tolerance("float32"), bands.get(dtype),
                                           bands.get("float32"), formulas.get(name), float(np.finfo(dtype).eps))
    verdicts = [entry["verdict"] for entry in frameworks.values() if entry["ok"] is not None]
    diverged = diverged_at(ref) if ref.get("status") == "ok" else None
    return {
        "reference": reference,
        "tolerance": tol,
        "frameworks": frameworks,
        "reference_diverged_at_epoch": diverged,
        "sensitivity": {precision: band_summary(band, tol if precision == dtype else tolerance(precision))
                        for precision, band in bands.items()},
        # A diverged run agrees with nothing worth trusting: the comparison holds only when training stayed finite.
        "ok": ref.get("status") == "ok" and diverged is None and all(v in ACCEPTED for v in verdicts),
    }
