"""Parity: does each framework's run agree with the reference (NumPy) within the dtype's tolerance?

Each framework gets one verdict:
- pass: every epoch's loss and mean |error|, the final weights and the predictions agree within the tolerance, and
  so does every step-local check (compare.check.probes);
- FAIL: a step-local check differs (`diagnosis` names the first quantity that does), or the curves part where the
  reference's own sensitivity cannot explain it (`unexplained`); `first_divergent_epoch` says where the curves part;
- sensitive: the curves part, but every step taken from the reference's state agrees and the parting stays within
  how far the reference parts from itself when its initial weights move by a few ulps (compare.check.sensitivity): a
  rounding difference amplified by large steps, not different maths;
- limited: the framework is known not to hold float64 on some path (the registry says which and why); its float64
  run fails the float64 tolerance, as it must, but agrees within float32's, so nothing else is wrong with it;
- diverged: the reference's training blew up (a loss or mean |error| of inf or NaN, or weights that overflowed)
  and this framework's did too, at the same epoch, after agreeing up to it.
"""
import numpy as np

from compare.check import difference
from compare.check.difference import max_abs_diff, scaled_diff

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


def implied_rate(probe):
    """The learning rate by which a probe's step implies the gradient it used, or None: only with plain SGD, none of
    the training loop's options and one step an epoch, where the step from the reference's state is exactly
    −learning_rate × that gradient, and only where the framework's probe exposes no gradients of its own (a reader's
    train() without backward)."""
    framework = probe["framework"]
    if (probe.get("optimizer", "sgd") != "sgd" or probe.get("steps", 1) != 1 or probe.get("before") is None
            or probe.get("training_loop")  # decay, a penalty, a schedule or a clip: the step is not −lr × ∇loss
            or framework.get("gradients") is not None or framework.get("weights") is None):
        return None
    return probe.get("learning_rate")


# Each parameter's name in messages, with its key in a probe's quantities and in its gradients: the weights w, the
# biases b, and a normalization layer's γ and β (it sits between a hidden Dense layer and its activation: γ0 and β0
# normalize w0's output). BACKWARD: their order within a layer, as backpropagation reaches them.
PARAMETERS = {"w": "weights", "b": "biases", "γ": "scales", "β": "offsets"}
GRADIENTS = {"w": "gradients", "b": "bias_gradients", "γ": "scale_gradients", "β": "offset_gradients"}
BACKWARD = ("γ", "β", "w", "b")
# Batch normalization's running statistics, by name in messages and key in a probe's quantities.
STATISTICS = {"mean": "running_means", "variance": "running_variances"}


def step_differences(probe):
    """Every quantity one probed step compared, in the order the maths computes them: each layer's output (l1 …
    lN), the loss, the gradients from the output layer down (backpropagation's order; a layer's weights, then its
    bias), the updates in the same order. Each: {quantity, layer (the weight matrix's index: w0's is 0; for
    forward, l1's is 0), parameter ("w", "b" or None), diff (the largest scaled difference, as judged), shown (the
    size a message gives), implied, ours, theirs (what a shape is read from: an update's step, where the state before
    it is known)}. A quantity the framework's probe could not expose (None) is left out; a missing layer differs by
    inf.

    Where the step implies the gradient (implied_rate), the gradient is −Δw/learning_rate on each side, judged by the
    update it came from (so a rounding of Δw is not magnified by 1/learning_rate), and the update is not compared
    twice. probe["steps"]: the optimizer steps the probed epoch takes (its mini-batches). With more than one, the
    epoch's loss is the mean of its steps' losses, each after the updates before it: it comes after the updates.
    """
    reference, framework, steps = probe["reference"], probe["framework"], probe.get("steps", 1)
    before = probe.get("before") or {}

    def pairs(key):
        ours, theirs = framework.get(key), reference.get(key)
        if ours is None or theirs is None:
            return {}
        return {i: (ours[i] if i < len(ours) else None, theirs[i] if i < len(theirs) else None)
                for i in range(max(len(ours), len(theirs)))}

    def compared(quantity, layer, parameter, ours, theirs, **extra):
        diff = float("inf") if ours is None or theirs is None else max_abs_diff(ours, theirs)
        return {"quantity": quantity, "layer": layer, "parameter": parameter, "diff": diff, "shown": diff,
                "implied": False, "ours": ours, "theirs": theirs, **extra}

    out = [compared("forward", i, None, *pair) for i, pair in pairs("layers").items()]
    # Batch normalization's running statistics, updated in the forward pass: each hidden layer's mean, then variance.
    # After more than one step they hold every step's batch, each after the updates before it: they come last.
    statistics = {name: pairs(key) for name, key in STATISTICS.items()}
    statistics = [compared("statistics", i, name, *statistics[name][i])
                  for i in sorted(set(statistics["mean"]) | set(statistics["variance"])) for name in STATISTICS
                  if i in statistics[name]]
    out += statistics if steps == 1 else []
    loss = []
    if framework.get("loss") is not None and reference.get("loss") is not None:
        loss = [compared("loss", None, None, framework["loss"], reference["loss"])]
    out += loss if steps == 1 else []
    rate = implied_rate(probe)
    by_parameter = {name: pairs(key) for name, key in PARAMETERS.items()}
    starts = {name: before.get(key) for name, key in PARAMETERS.items()}
    layers = sorted(set().union(*by_parameter.values()), reverse=True)  # the output layer first

    def step(name, i, after):  # the update's step from the state before it, where that state is known
        start = starts[name]
        if after is None or start is None or i >= len(start):
            return after
        return (np.asarray(after, dtype=np.float64) - np.asarray(start[i], dtype=np.float64)).tolist()

    updates = []
    for i in layers:
        for name in BACKWARD:
            if i in by_parameter[name]:
                ours, theirs = by_parameter[name][i]
                updated = compared("update", i, name, ours, theirs)
                updates.append({**updated, "ours": step(name, i, ours), "theirs": step(name, i, theirs)})
    if rate:
        gradients = []
        for update in updates:
            ours, theirs = (None if a is None else (-np.asarray(a, dtype=np.float64) / rate).tolist()
                            for a in (update["ours"], update["theirs"]))
            shown = float("inf") if ours is None or theirs is None else max_abs_diff(ours, theirs)
            gradients.append({**update, "quantity": "gradient", "shown": shown, "implied": True, "ours": ours,
                              "theirs": theirs})
        out += gradients
    else:
        by_parameter = {name: pairs(key) for name, key in GRADIENTS.items()}
        out += [compared("gradient", i, name, *by_parameter[name][i])
                for i in sorted(set().union(*by_parameter.values()), reverse=True)
                for name in BACKWARD if i in by_parameter[name]]
        out += updates
    return out + (statistics + loss if steps > 1 else [])


def layer_name(layer, depth):
    """The blog's name of a layer's output: 'l1 (the hidden layer)', 'l2 (the output, ŷ)'."""
    if layer == depth - 1:
        return f"l{layer + 1} (the output, ŷ)"
    return f"l{layer + 1} (the hidden layer)" if depth == 2 else f"l{layer + 1} (hidden layer {layer + 1})"


def parameter_name(comparison):
    return f"{comparison['parameter'] or 'w'}{comparison['layer']}"


def quantity_name(comparison, depth, steps=1):
    """'the gradient of w1 (l2_delta)', 'w1's step', 'the loss' …, in the blog's names."""
    quantity, layer, parameter = comparison["quantity"], comparison["layer"], parameter_name(comparison)
    if quantity == "forward":
        return layer_name(layer, depth)
    if quantity == "statistics":
        return f"the running {comparison['parameter']} of l{layer + 1}'s normalization"
    if quantity == "loss":
        return "the loss" if steps == 1 else f"the epoch's loss (its {steps} steps' mean)"
    if quantity == "gradient":  # a layer's gradients come from the delta one layer up: w0's from l1_delta
        return f"the gradient of {parameter} (l{layer + 1}_delta)" + (", implied by the step," if comparison["implied"]
                                                                       else "")
    return f"the updated {parameter}"


def agreeing_name(comparison):
    """How an agreeing neighbour of the same quantity is named: 'l1', 'w1's', 'w0'."""
    if comparison["quantity"] == "forward":
        return f"l{comparison['layer'] + 1}"
    if comparison["quantity"] == "statistics":
        return f"l{comparison['layer'] + 1}'s running {comparison['parameter']}"
    return parameter_name(comparison) + ("'s" if comparison["quantity"] == "gradient" else "")


# What each kind of quantity is called where it agrees, and what is missing where a probe could not observe it.
AGREED = {"forward": "the forward pass ({layers})", "statistics": "the running statistics", "loss": "the loss",
          "gradient": "the gradients", "update": "the updates"}
UNOBSERVED = {"forward": "the layers", "gradient": "the gradients"}


def cause(comparison, k, rows, loss):
    """A likely cause where a scale k fits one, in the blog's maths (its loss ½·Σ(y − ŷ)²); else None."""
    if loss != "half-sse" or k is None:
        return None
    quantity = comparison["quantity"]
    if quantity in ("gradient", "update"):
        return {2: "every delta doubled — the derivative of Σ(y − ŷ)² without the ½?",
                -1: "the step goes uphill: a sign",
                1 / rows: "a mean where the blog sums",
                2 / rows: "the mean squared error's gradient, 2/rows × the blog's: a mean, and no ½"}.get(k)
    if quantity == "loss":
        return {2: "Σ(y − ŷ)² without the ½?", 1 / rows: "a mean where the blog sums",
                2 / rows: "the mean squared error where the blog sums ½·Σ"}.get(k)
    return None


def rate_unused(probe, tol, parameter=None):
    """Whether the framework's step is the same at learning rate 1 as at the run's: its probe took both from the same
    state (a reader's code: compare.own.contract.step). parameter: (layer, "w" or "b"), that parameter's step alone;
    None, every parameter's. False where a step was not taken at rate 1, or the parameter did not move."""
    framework, before, rate = probe["framework"], probe.get("before") or {}, probe.get("learning_rate")
    if rate is None or rate == 1 or probe.get("optimizer", "sgd") != "sgd" or probe.get("steps", 1) != 1:
        return False
    checked = []
    for name, key in (("w", "weights"), ("b", "biases")):
        at_rate, at_1, start = framework.get(key), framework.get(f"{key}_at_rate_1"), before.get(key)
        if at_rate is None and at_1 is None:
            continue
        if at_rate is None or at_1 is None or start is None or not len(at_rate) == len(at_1) == len(start):
            return False
        checked += [(i, name, at_rate[i], at_1[i], start[i]) for i in range(len(at_rate))
                    if parameter is None or parameter == (i, name)]
    return bool(checked) and all(difference.fits(ours, at_1, tol) and not difference.fits(ours, start, tol)
                                 for _, _, ours, at_1, start in checked)


def rate_cause(comparison, probe, tol, rows, loss):
    """Where the framework's step of the differing parameter does not use the learning rate (rate_unused) and is m ×
    the reference's step at rate 1 (the quantity is m/learning_rate × the reference's): m and the cause, which says
    so before any other reading of the factor, "as if the rate were 1" and m's own cause where m has one (2: every
    delta doubled), else "as if the rate were m" (a rate of its own); None where no m fits."""
    from_step = comparison["quantity"] == "update" or comparison["implied"]  # a backward()'s gradient is not
    if not from_step or not rate_unused(probe, tol, (comparison["layer"], comparison["parameter"] or "w")):
        return None
    rate = probe["learning_rate"]
    at_1 = np.asarray(comparison["ours"], dtype=np.float64) * rate
    m = 1.0 if difference.fits(at_1, comparison["theirs"], tol) else difference.scale(at_1, comparison["theirs"], tol)
    if m is None:
        return None
    what = ("the step does not use the learning rate" if rate_unused(probe, tol)
            else f"{parameter_name(comparison)} moves without the learning rate")
    also = cause(comparison, m, rows, loss) if m != 1 else None
    # A step m × the reference's at rate 1 is the reference's at rate m: a rate of its own, or where m is a factor
    # with a likely cause, rate 1 and that factor.
    text = f"{what}: it moves as if the rate were {1 if m == 1 or also else f'{m:g}'}"
    text += f" (the same step at rate 1 as at {rate:g})"
    if also:
        text += f", and then {difference.times(m)} at that rate: {also}"
    return m, text


def rate_in_float32(comparison, k, probe):
    """Where a step k × the reference's is the reference's at the run's learning rate rounded to float32 (0.1 read
    as 0.100000001490116…): the cause, in words; else None. The rate made float32 on its way, as tf.cast does a
    Python float."""
    rate = probe.get("learning_rate")
    from_step = comparison["quantity"] == "update" or comparison["implied"]
    if not from_step or rate is None or probe.get("optimizer", "sgd") != "sgd" or probe.get("steps", 1) != 1:
        return None
    rounded = float(np.float32(rate))
    if rounded == rate or abs(k * rate - rounded) > abs(rounded - rate) / 10:
        return None
    return f"it moves as if the rate were {rounded!r}, the run's {rate:g} rounded to float32"


def momentum_flipped(comparison, k, network):
    """Where a running mean is (1 − m)/m × the reference's, from its start at 0: the cause, batch normalization's
    momentum written the other way round (Keras's and Flax's keep 1 − m of the old statistics, torch's m); else
    None."""
    m = (network or {}).get("norm_momentum")
    if comparison["quantity"] != "statistics" or comparison["parameter"] != "mean" or not m or m == 1:
        return None
    if abs(k - (1 - m) / m) > 1e-9 * max(1.0, abs(k)):
        return None
    return (f"the momentum written the other way round: the statistics take {1 - m:g} of each batch's where the "
            f"run's momentum {m:g} takes {m:g} (Keras's and Flax's momentum is 1 − torch's)")


def shape(comparison, others, probe, tol, data, network):
    """The shape of a comparison that differs, read from its numbers: {"scale", "scale_also", "shape", "cause",
    "rate_unused"}, and "scale_at_rate_1" where the step does not use the learning rate (rate_cause)."""
    ours, theirs, quantity = comparison["ours"], comparison["theirs"], comparison["quantity"]
    out = {"scale": None, "scale_also": [], "shape": None, "cause": None, "rate_unused": False}
    if ours is None or theirs is None:
        return out
    depth = len(probe["reference"].get("weights") or probe["reference"].get("layers") or [None, None])
    rows = len(data[1]) if data else len(np.asarray(probe["reference"]["layers"][-1]))
    loss = (network or {}).get("loss", "half-sse")
    k = difference.scale(ours, theirs, tol)
    if k is not None:
        also = [agreeing_name(other).removesuffix("'s") for other in others
                if other["quantity"] == quantity and other["ours"] is not None and other["theirs"] is not None
                and difference.fits(other["ours"], k * np.asarray(other["theirs"], dtype=np.float64), tol)]
        out.update(scale=k, scale_also=also,
                   cause=cause(comparison, k, rows, loss) or rate_in_float32(comparison, k, probe)
                   or momentum_flipped(comparison, k, network))
        unused = rate_cause(comparison, probe, tol, rows, loss)
        if unused:  # the step moves as if the rate were 1: the first reading of its factor
            out.update(rate_unused=True, scale_at_rate_1=unused[0], cause=unused[1])
        return out
    if quantity == "forward":
        activation = difference.activations(network, depth)[comparison["layer"]]
        if difference.reapplied(ours, theirs, activation, tol):
            out.update(shape="squashed twice", cause=f"{layer_name(comparison['layer'], depth).split(' ')[0]} is the "
                       f"reference's passed through {activation} once more: the activation applied twice")
        elif data is not None and probe.get("before"):
            i = comparison["layer"]
            below = data[0] if i == 0 else probe["reference"]["layers"][i - 1]
            biases = (probe["before"].get("biases") or [None] * depth)[i]
            if difference.layer_of_transposed(ours, below, probe["before"]["weights"][i], biases, activation, tol):
                out.update(shape="transposed", cause=f"it is what w{i} transposed gives: weights copied in (out, in) "
                           f"where the contract's are (in, out), which a square w{i} lets run")
    elif quantity == "gradient" and data is not None and probe.get("before"):
        before = probe["before"]
        slip = difference.slip(ours, comparison["layer"], data[0], data[1], before["weights"], before.get("biases"),
                      network, tol)
        if slip:
            activation = difference.activations(network, depth)[comparison["layer"]]
            out.update(shape=slip, cause=difference.SLIP_TEXT[slip].format(f=activation))
    return out


def transposed_update(comparison, probe, tol):
    """Whether the framework's updated weights are the reference's transposed (square, so the shapes cannot tell)."""
    if comparison["quantity"] not in ("update", "gradient") or comparison["parameter"] != "w":
        return False
    ours, theirs = (probe[side].get("weights") for side in ("framework", "reference"))
    i = comparison["layer"]
    return ours is not None and theirs is not None and difference.transposed(ours[i], theirs[i], tol)


def describe(diagnosis):
    """'the loss agrees, the layers were not observed; the gradient of w1 (l2_delta), implied by the step, is exactly
    2× the reference's (w0's too) at epoch 1, off by 4.1e-02: every delta doubled — …'. What was not observed is
    said, not how to observe it: that is the run's line to a file's author (compare.report.summary.observe_line)."""
    depth, steps = diagnosis.get("depth", 2), diagnosis.get("steps", 1)
    comparison = {"quantity": diagnosis["quantity"], "layer": diagnosis["layer"],
                  "parameter": diagnosis.get("parameter"), "implied": diagnosis.get("implied", False)}
    name = quantity_name(comparison, depth, steps)
    agreed = [AGREED[kind].format(layers=", ".join(f"l{i + 1}" for i in range(depth)))
              + (" implied by the step" if kind == "gradient" and diagnosis.get("implied") else "")
              for kind in diagnosis.get("agreed", [])]
    before = (", ".join(agreed[:-1]) + " and " + agreed[-1] if len(agreed) > 1 else "".join(agreed))
    before += (" agree" if len(agreed) > 1 or (agreed and agreed[0].startswith(("the gradients", "the updates",
                                                                                 "the running statistics")))
               else " agrees") if agreed else ""
    size = f"{diagnosis['max_diff']:.1e}"
    k, epoch = diagnosis.get("scale"), diagnosis["epoch"]
    if diagnosis.get("shape") == "transposed" and diagnosis["quantity"] != "forward":
        text = f"{name} is the reference's transposed at epoch {epoch} (off by {size})"
    elif k is not None:
        what = (f"{parameter_name(comparison)}'s step" if diagnosis["quantity"] == "update" else name)
        also = diagnosis.get("scale_also") or []
        if k == 0 and diagnosis["quantity"] == "update":
            text = (f"{parameter_name(comparison)} did not move at epoch {epoch}"
                    + (f" ({', '.join(also)} neither)" if also else "") + f", where the reference's moved by {size}")
        else:
            text = (f"{what} is exactly {difference.times(k)}" + (f" ({', '.join(a + chr(39) + 's' for a in also)} "
                                                                   f"too)" if also else "")
                    + f" at epoch {epoch}, off by {size}")
    else:
        text = f"{name} differs by {size} at epoch {epoch}"
    if diagnosis.get("agreeing") and k is None:
        text += f" ({', '.join(diagnosis['agreeing'])} agree{'s' if len(diagnosis['agreeing']) == 1 else ''})"
    if diagnosis["quantity"] == "loss" and "forward" in diagnosis.get("unobserved", []) and steps == 1:
        text += ": the forward pass or the loss formula"
    if diagnosis.get("cause"):
        text += f": {diagnosis['cause']}"
    missing = [UNOBSERVED[kind] + (" themselves" if kind == "gradient" and diagnosis.get("implied") else "")
               for kind in diagnosis.get("unobserved", [])]
    if missing:  # one clause: what was not observed (how to observe it is the run's line, not each message's)
        before += (", " if before else "") + f"{' and '.join(missing)} {'were' if missing else 'was'} not observed"
    return f"{before}; {text}" if before else text


def skipped(probes):
    """The probed epochs whose step compared nothing, and why (the framework's probe says): {"epochs", "why"}, or
    None where every probe compared something."""
    empty = [probe for probe in probes if probe["framework"].get("skipped")]
    if not empty:
        return None
    return {"epochs": [probe["epoch"] for probe in empty], "why": empty[0]["framework"]["skipped"]}


def diagnose(probes, tol, data=None, network=None):
    """The first quantity that differs beyond tol, at the earliest probed epoch where one does; None when every
    step agrees. {"epoch", "quantity", "layer", "parameter" ("w", "b" or null), "max_diff", "agreeing" (the same
    quantity's others, compared before it and agreeing), "agreed" (the kinds of quantity compared before it, all
    agreeing), "observed", "unobserved" (forward or gradient, where the probe could not see them), "implied", "scale"
    (k where the quantity is k × the reference's at every element, else null), "scale_also", "shape", "cause",
    "rate_unused" (the step is the same at learning rate 1 as at the run's, and k × the rate, "scale_at_rate_1",
    fits: read before any other cause), "message"}. data: the run's (x, y) and network: its options, where the shape
    of a slip is to be tested."""
    for probe in probes:
        diffs = step_differences(probe)
        for n, comparison in enumerate(diffs):
            if comparison["diff"] <= tol:  # NaN differs too
                continue
            quantity = comparison["quantity"]
            observed = list(dict.fromkeys(c["quantity"] for c in diffs))
            earlier = list(dict.fromkeys(c["quantity"] for c in diffs[:n] if c["quantity"] != quantity))
            agreeing = [agreeing_name(other) for other in diffs[:n] if other["quantity"] == quantity]
            found = shape(comparison, diffs[n + 1:], probe, tol, data, network)
            if found["scale"] is None and found["shape"] is None and transposed_update(comparison, probe, tol):
                found.update(shape="transposed", cause=f"{parameter_name(comparison)} handed back transposed: the "
                             f"contract's weights are (in, out)")
            depth = len(probe["reference"].get("weights") or []) or 2
            unobserved = [kind for kind in UNOBSERVED if kind not in observed]
            diagnosis = {"epoch": probe["epoch"], "quantity": quantity, "layer": comparison["layer"],
                         "parameter": comparison["parameter"], "max_diff": comparison["shown"],
                         "agreeing": agreeing, "agreed": earlier, "observed": observed, "unobserved": unobserved,
                         "implied": comparison["implied"], "steps": probe.get("steps", 1), "depth": depth, **found,
                         **({"how_to_observe": probe["framework"]["how_to_observe"]}
                            if unobserved and probe["framework"].get("how_to_observe") else {})}
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
    # γ, β and the running statistics, where the run tells them (a reader's train() may not: then they are not
    # compared, and the predictions, from the running statistics, still are).
    if "final_normalization" in reference and "final_normalization" in run:
        theirs, ours = reference["final_normalization"], run["final_normalization"]
        out["max_abs_normalization_diff"] = max(
            (max_abs_diff(a, b) for key in theirs for a, b in zip(ours[key], theirs[key], strict=True)), default=0.0) \
            if all(len(ours.get(key, ())) == len(theirs[key]) for key in theirs) else float("inf")
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
    agrees within the tolerance and only their sum parts (ε̂ at float32: each step's share is below 1e-5); a
    penalty's (a term the loss adds, the L2 penalty) as an optimizer's, or where the loss differs first; a
    statistics' (how batch normalization keeps its running variance) where that differs first."""
    for formula in formulas or []:
        if formula["kind"] == "loss":
            margin = saturation(probes, diagnosis, formula, ulp, tol)
            if margin is not None:
                entry.update(verdict="limited", formula=formula["what"], saturation=margin)
                return True
        elif formula["kind"] == "statistics":  # where the running variance differs first
            if diagnosis is not None and (diagnosis["quantity"], diagnosis["parameter"]) == ("statistics", "variance"):
                entry.update(verdict="limited", formula=formula["what"])
                return True
        elif diagnosis is None or diagnosis["quantity"] == "update" or (formula["kind"] == "penalty"
                                                                         and diagnosis["quantity"] == "loss"):
            entry.update(verdict="limited", formula=formula["what"])
            return True
    return False


def compare_run(reference, run, tol, limit=None, limit_tol=None, band=None, limit_band=None, formulas=None,
                ulp=None, data=None, network=None):
    """The parity entry of one framework's run against the reference run.

    limit: why this framework cannot hold the run's dtype (from the registry), to be checked at limit_tol instead.
    Where the curves part, the run's probes (step-local checks) and the reference's sensitivity band (compare.
    sensitivity: nudged at the run's precision, or at float32's, limit_band, for a limited framework) decide
    between FAIL and sensitive. formulas: the framework's declared formulas for the run's loss and optimizer, which
    may explain its first difference (see declared; ulp: the run's dtype's at 1): limited, as declared. data: the
    run's (x, y), network: its options, for the shape of a difference (see diagnose).
    """
    diffs = differences(reference, run)
    epoch, finals_ok = agrees(reference, run, tol)
    probes = run.get("probes", [])
    diagnosis = diagnose(probes, tol, data, network)
    ok = epoch is None and finals_ok and diagnosis is None
    entry = {**diffs, "first_divergent_epoch": epoch, "ok": ok, "verdict": "pass" if ok else "FAIL",
             "diagnosis": diagnosis, "probed_epochs": [probe["epoch"] for probe in probes],
             "skipped_checks": skipped(probes)}
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
                entry["diagnosis"] = diagnosis = diagnose(probes, tol, data, network)
            declared(entry, probes, diagnosis, formulas, ulp, tol)
    elif not ok:
        if limit:  # judged at the looser tolerance its declared limit allows, steps and curves alike
            entry["limit"], entry["limit_tolerance"] = limit, limit_tol
            tol = limit_tol
            entry["diagnosis"] = diagnosis = diagnose(probes, tol, data, network)
            limit_epoch, limit_finals_ok = agrees(reference, run, tol)
            if diagnosis is None and limit_epoch is None and limit_finals_ok:
                entry["verdict"] = "limited"
                return entry
        if declared(entry, probes, diagnosis, formulas, ulp, tol):
            return entry
        statistics = next((formula for formula in formulas or [] if formula["kind"] == "statistics"), None)
        reason = amplified(probes, diagnosis, tol, [STATISTICS["variance"]] if statistics else [])
        if reason:
            entry.update(verdict="sensitive", amplified=reason)
            if statistics and statistics_differ(probes, diagnosis, STATISTICS["variance"], tol):
                entry.update(verdict="limited", formula=statistics["what"])  # and rounding, amplified, the rest
            return entry
        if diagnosis is None:  # every step agrees, yet the curves part: amplified rounding, or unexplained
            sensitive = within_band(reference, run, limit_band if limit else band, tol)
            entry["verdict"] = "sensitive" if sensitive else "FAIL"
            entry["unexplained"] = not sensitive
            carried = None if sensitive else hidden_state(probes, entry["first_divergent_epoch"])
            if carried:
                entry["hidden_state"] = carried
        elif entry["verdict"] == "FAIL" and epoch is None and finals_ok:
            cancelled(entry, probes, tol)
    return entry


# A gradient element is 0 but for rounding where it is below this many ulps of its gradient's largest element: a
# sum of terms that cancel exactly in the maths (a weight whose input is the same in every row of a batch, feeding a
# batch normalization, which subtracts the batch's mean) leaves a few ulps of its terms.
ROUNDING_ULPS = 64


# Where a step differs from the reference's by no more than this many times what rounding-sized nudges move the
# reference's own step (compare.check.probes.spread), rounding made the difference. The margin is the curves' band's
# (compare.check.sensitivity); the largest ratio measured when it was chosen was 3.8× (Adam with batch normalization
# and batches of two rows, 12 probes in each of five frameworks), and a difference of the maths moves a step by
# orders of magnitude more.
SPREAD_FACTOR = BAND_MARGIN


def amplified(probes, diagnosis, tol, declared_statistics=()):
    """Where the first difference is an update by Adam or RMSprop, after gradients that agree, and rounding explains
    every element of every updated parameter that differs beyond tol (rounding_explains), and of the running
    statistics but those a declared formula explains (declared_statistics: keys of STATISTICS' values): the
    optimizer's 1/(√v + ε) scaling rounding noise up to a step, not different maths. The reason, in words; else
    None."""
    if diagnosis is None or diagnosis["quantity"] != "update" or diagnosis.get("implied"):
        return None
    probe = next(p for p in probes if p["epoch"] == diagnosis["epoch"])
    if probe.get("optimizer") not in ("adam", "rmsprop"):
        return None
    reasons = {}
    for name, key in PARAMETERS.items():
        sides = [probe[side].get(key) or [] for side in ("reference", "framework")]
        for i in range(min(map(len, sides))):
            reason = rounding_explains(probe, name, i, tol)
            if reason is None:
                return None
            reasons[name, i] = reason
    for key in set(STATISTICS.values()) - set(declared_statistics):  # after an epoch's later steps, as they start
        sides = [probe[side].get(key) or [] for side in ("reference", "framework")]
        for i in range(min(map(len, sides))):
            apart = difference.scaled_diff(sides[1][i], sides[0][i]) > tol
            spread = (probe.get("reference_spread") or {}).get(key)
            if apart.any() and not (spread and i < len(spread) and within_spread(sides, spread[i], i, apart)):
                return None
    reason = reasons.get((diagnosis["parameter"] or "w", diagnosis["layer"]))
    return reason or None


def statistics_differ(probes, diagnosis, key, tol):
    """Whether the running statistics `key` differ beyond tol at the diagnosis's probe."""
    probe = next(p for p in probes if p["epoch"] == diagnosis["epoch"])
    sides = [probe[side].get(key) or [] for side in ("reference", "framework")]
    return any((difference.scaled_diff(b, a) > tol).any() for a, b in zip(*sides, strict=False))


def within_spread(sides, spread, i, apart):
    """Whether the framework's (sides[1]) layer i is no further from the reference's (sides[0]) than SPREAD_FACTOR
    times `spread` at each element of `apart`."""
    gap = np.abs(np.asarray(sides[1][i], dtype=np.float64) - np.asarray(sides[0][i], dtype=np.float64))
    return bool((gap[apart] <= SPREAD_FACTOR * np.asarray(spread, dtype=np.float64)[apart]).all())


def rounding_explains(probe, name, i, tol):
    """Whether rounding explains where the updated parameter `name`, layer i, differs beyond tol: "" where it does
    not differ; in words, where its gradients agree and at each element that differs, its gradient is 0 but for
    rounding on both sides (ROUNDING_ULPS, in an epoch of one step), or the framework's step is no further from the
    reference's than SPREAD_FACTOR times what nudging the reference's own start by rounding's size moves it (the
    probe's reference_spread; any epoch, its steps too); else None."""
    after = [probe[side].get(PARAMETERS[name]) for side in ("reference", "framework")]
    apart = difference.scaled_diff(after[1][i], after[0][i]) > tol
    if not apart.any():
        return ""
    sides = [probe[side].get(GRADIENTS[name]) for side in ("reference", "framework")]
    if any(a is None or i >= len(a) for a in sides):
        return None
    theirs, ours = (np.asarray(a[i], dtype=np.float64) for a in sides)
    if not difference.fits(ours, theirs, tol):
        return None
    parameter, what = f"{name}{i}", f"{probe['optimizer']}'s 1/(√v + ε) scales"
    eps = float(np.finfo(np.float32 if probe.get("dtype") == "float32" else np.float64).eps)
    noise = ROUNDING_ULPS * eps * max(float(np.abs(theirs).max(initial=0.0)), float(np.abs(ours).max(initial=0.0)))
    if probe.get("steps", 1) == 1 and noise > 0 and (np.abs(theirs[apart]) <= noise).all() and (
            np.abs(ours[apart]) <= noise).all():
        return (f"the gradient of {parameter} is 0 but for rounding where the step differs (below {noise:.0e} on both "
                f"sides), and {what} that rounding up to a step: rounding amplified, not different maths")
    spread = (probe.get("reference_spread") or {}).get(PARAMETERS[name])
    if spread is None or i >= len(spread):
        return None
    if not within_spread(after, spread[i], i, apart):
        return None
    spread = np.asarray(spread[i], dtype=np.float64)
    steps = f"the epoch's {probe['steps']} steps" if probe.get("steps", 1) > 1 else "the step"
    return (f"{what} rounding up to steps: NumPy's own {parameter} after {steps} moves by up to "
            f"{float(spread[apart].max()):.0e} where the two differ when its start moves by a few ulps, and they "
            f"differ by no more than {SPREAD_FACTOR}× that: rounding amplified, not different maths")


def hidden_state(probes, parting):
    """Where the curves part beyond the band with every step that compared something agreeing, the step just before
    the parting among them: the run carries from one step to the next something that the reference's state, which
    each step starts from, does not hold (biases, a velocity, a counter). {"epoch": where it first shows (the
    parting), "step": the agreeing step before it, "code": what the contract calls (train or Network) for a reader's
    code, else null}; None where the step before the parting compared nothing."""
    if parting is None or parting < 2:
        return None
    step = next((probe for probe in probes if probe["epoch"] == parting - 1), None)
    if step is None or step["framework"].get("skipped") or not step_differences(step):
        return None
    return {"epoch": parting, "step": parting - 1,
            "code": next((probe["framework"]["code"] for probe in probes if probe["framework"].get("code")), None)}


def cancelled(entry, probes, tol):
    """A FAIL whose curves, final weights and predictions agree with the reference's all the same: its diagnosis
    says so, and why where the probe shows it (the updates agree, a factor in the gradient made up for by the step:
    the learning rate, where the step does not use it). diagnosis["cancelled"]: {"bit_for_bit", "updates_agree",
    "rate_unused", "learning_rate", "factor"}."""
    diagnosis = entry["diagnosis"]
    probe = next(p for p in probes if p["epoch"] == diagnosis["epoch"])
    finals = [value for key, value in entry.items() if key.startswith("max_abs_")]
    exact = all(value == 0 for value in finals)
    updates = [c for c in step_differences(probe) if c["quantity"] == "update"]
    agree = bool(updates) and all(c["diff"] <= tol for c in updates)
    k, rate = diagnosis.get("scale"), probe.get("learning_rate")
    unused = agree and rate_unused(probe, tol)
    text = ("the curves, the final weights and the predictions agree with the reference's "
            + ("bit for bit" if exact else f"within {tol:.0e}") + " all the same")
    if agree and diagnosis["quantity"] == "gradient" and k is not None:
        text += ": the updates agree"
        if unused and rate is not None and difference.fits(k, rate, tol):
            text += (f", for the step does not use the learning rate (the same step at rate 1 as at {rate:g}), and "
                     f"the rate of {rate:g} makes up for the factor of {difference.factor(k)}")
        else:
            text += f", the step making up for the factor of {difference.factor(k)}"
    elif agree:
        text += ": the updates agree"
    message = diagnosis["message"]
    diagnosis["message"] = message + (f" {text[0].upper()}{text[1:]}" if message.endswith("?") else f"; {text}")
    diagnosis["cancelled"] = {"bit_for_bit": exact, "updates_agree": agree, "rate_unused": unused,
                              "learning_rate": rate, "factor": k}


def check(runs, dtype, reference="numpy", limits=None, formulas=None, data=None, network=None):
    """The parity block of results.json: every run that finished, compared with the reference.

    limits: {framework: why it cannot hold dtype}; such a run is checked at float32's tolerance as well.
    formulas: {framework: [its declared formulas for the run's loss and optimizer, {"what", "margin", "kind"}]}.
    data, network: the run's (x, y) and its options (activation, output_activation, loss), for the shape of a
    difference.
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
                                           bands.get("float32"), formulas.get(name), float(np.finfo(dtype).eps),
                                           data, network)
    verdicts = [entry["verdict"] for entry in frameworks.values() if entry["ok"] is not None]
    diverged = diverged_at(ref) if ref.get("status") == "ok" else None
    return {
        "reference": reference,
        "tolerance": tol,
        "frameworks": frameworks,
        "reference_diverged_at_epoch": diverged,
        **({"reference_first_nonfinite": ref["first_nonfinite"]} if diverged and ref.get("first_nonfinite") else {}),
        "sensitivity": {precision: band_summary(band, tol if precision == dtype else tolerance(precision))
                        for precision, band in bands.items()},
        # A diverged run agrees with nothing worth trusting: the comparison holds only when training stayed finite.
        "ok": ref.get("status") == "ok" and diverged is None and all(v in ACCEPTED for v in verdicts),
    }
