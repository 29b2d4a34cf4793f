"""How two runs' quantities differ: by how much (scaled_diff), and in what shape, where one differs.

k × the reference's at every element, its transpose, the reference's passed through the activation once more, or
what a typical slip in the backward pass gives from the same state: the shape points at the line to fix, the size
does not. Pure functions of the probes' numbers, judged at the run's tolerance.
"""
from fractions import Fraction

import numpy as np

# The largest denominator of the simple fractions a scale is snapped to: 1/rows and 2/rows for the data's rows.
DENOMINATOR = 16


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


def fits(ours, theirs, tol):
    """Whether ours equals theirs at every element within tol (absolute up to 1 in size, relative above)."""
    return max_abs_diff(ours, theirs) <= tol


def scale(ours, theirs, tol):
    """k where ours = k × theirs at every element within tol, else None (also where theirs is 0 throughout, or
    either is not finite). k is a simple fraction (p/q, q ≤ DENOMINATOR) where one fits: a scalar gets one only
    then, since any ratio of two numbers is some k."""
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    if a.shape != b.shape or not (np.isfinite(a).all() and np.isfinite(b).all()) or not np.any(b):
        return None
    k = float(np.vdot(a, b) / np.vdot(b, b))  # least squares: the k that fits best, if any does
    simple = float(Fraction(k).limit_denominator(DENOMINATOR))
    for candidate in (simple,) if b.size == 1 else (simple, k):
        if abs(candidate - 1) > tol and fits(a, candidate * b, tol):
            return candidate
    return None


def factor(k):
    """'2', '−1', '1/4', '0.37', '1.000000015': k as a simple fraction where it is one, else in four significant
    figures, or as many more as it takes to show how far it is from the nearest simple fraction (1 + 1.5e-8 is not
    '1')."""
    fraction = Fraction(k).limit_denominator(DENOMINATOR)
    if float(fraction) == k:
        return str(fraction).replace("-", "−")
    apart = abs(k - float(fraction))
    text = next(t for t in (f"{k:.{digits}g}" for digits in range(4, 18)) if abs(float(t) - k) <= apart / 10)
    return text.replace("-", "−")


def times(k):
    """'2× the reference's', '−1× the reference's', '1/4 of the reference's', '0.37× the reference's'."""
    return f"{factor(k)} of the reference's" if "/" in factor(k) else f"{factor(k)}× the reference's"


def transposed(ours, theirs, tol):
    """Whether ours is theirs transposed (a square matrix, where the shapes cannot tell): a layout slip."""
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    return a.ndim == 2 and a.shape[0] == a.shape[1] > 1 and not fits(a, b, tol) and fits(a, b.T, tol)


def activations(network, depth):
    """Each layer's activation by name, l1 first: the hidden layers', then the output's."""
    network = network or {}
    return [network.get("activation", "sigmoid")] * (depth - 1) + [network.get("output_activation", "sigmoid")]


def reapplied(ours, theirs, activation, tol):
    """Whether ours is theirs passed through `activation` once more: a layer squashed twice."""
    from impl_numpy.network import ACTIVATIONS  # the reference's own table of activations

    if activation == "linear":  # linear again is the same layer
        return False
    with np.errstate(all="ignore"):
        return fits(ours, ACTIVATIONS[activation][0](np.asarray(theirs, dtype=np.float64)), tol)


def layer_of_transposed(ours, below, w, bias, activation, tol):
    """Whether ours is the layer that w transposed gives from the layer below it (square, so it runs)."""
    from impl_numpy.network import ACTIVATIONS  # the reference's own table of activations

    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        return False
    with np.errstate(all="ignore"):
        z = np.asarray(below, dtype=np.float64) @ w.T + (0 if bias is None else np.asarray(bias, dtype=np.float64))
        return fits(ours, ACTIVATIONS[activation][0](z), tol)


# Slips in the backward pass: each layer's slope f'(z), written (as the blog writes sigmoid's) in terms of the
# layer's output a = f(z), taken of the wrong thing. slope(d, f, a, z): d is the derivative in terms of the output.
SLIPS = {
    "squashed twice": lambda d, f, a, z: d(f(a)),  # sigmoid'(l1) of an l1 that is already sigmoid(z): σ(a)(1 − σ(a))
    "pre-activation": lambda d, f, a, z: d(z),     # the output's formula s·(1 − s) on z: z·(1 − z)
}
SLIP_TEXT = {
    "squashed twice": "the slope taken of an output that was already squashed, {f}'({f}(z)) where {f}'(z) belongs: "
                      "a slope function that applies the {f} itself, called on the layer's output?",
    "pre-activation": "the slope's formula in terms of the output, a·(1 − a), applied to z, the pre-activation",
}


def slipped_gradients(slip, at, x, y, weights, biases, network):
    """The gradients the reference's backward pass gives from weights (and biases) with layer `at`'s slope (l{at+1}'s)
    taken as `slip` (SLIPS) takes it, the others as they should be: what a file with that slip computes from the
    same state. The layers above it agree where its gradient is the first to differ, so only its own slope is in
    question."""
    from impl_numpy.network import ACTIVATIONS, LOSSES  # the reference's own tables

    names = activations(network, len(weights))
    with np.errstate(all="ignore"):
        layers, zs = [np.asarray(x, dtype=np.float64)], []
        for i, w in enumerate(weights):
            zs.append(layers[-1] @ np.asarray(w) + (0 if biases is None else np.asarray(biases[i])))
            layers.append(ACTIVATIONS[names[i]][0](zs[-1]))

        def slope(i):  # layer i + 1's slope (l{i+1})
            f, d = ACTIVATIONS[names[i]]
            return SLIPS[slip](d, f, layers[i + 1], zs[i]) if i == at else d(layers[i + 1])

        delta = -LOSSES[(network or {}).get("loss", "half-sse")][1](np.asarray(y, dtype=np.float64), layers[-1]) \
            * slope(len(weights) - 1)
        gradients = [None] * len(weights)
        for i in reversed(range(len(weights))):
            gradients[i] = -layers[i].T @ delta
            if i > 0:
                delta = (delta @ np.asarray(weights[i]).T) * slope(i - 1)
    return gradients


def slip(ours, layer, x, y, weights, biases, network, tol):
    """The slip in SLIPS whose gradient of w{layer} equals ours within tol, or None."""
    if x is None or weights is None:
        return None
    for name in SLIPS:
        if fits(ours, slipped_gradients(name, layer, x, y, weights, biases, network)[layer], tol):
            return name
    return None
