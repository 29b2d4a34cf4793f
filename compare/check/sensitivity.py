"""The reference's own sensitivity: how far its curves part when its initial weights move by a few ulps.

With small steps, gradient descent damps a rounding difference; with large ones it amplifies it for a while, and
two correct implementations part as far as the reference parts from itself. That distance, epoch by epoch, is the
band any correct implementation may wander within in the run's regime.

A framework with a declared float32 limit rounds to float32 at every step, not once at the start: its band (float32
nudges in a float64 run) also holds the reference trained entirely in float32, the most such rounding can do.
"""
import numpy as np

from compare.check.parity import scaled_diff

RUNS = 4  # nudged runs: the band is their largest difference from the reference at each epoch
ULPS = 4  # each initial weight moves by up to this many units in the last place of the run's dtype


def nudged(weights, dtype, rng):
    """The weights moved by -ULPS to +ULPS units in the last place of `dtype`, each by its own seeded random count
    (a random direction), as float64."""
    out = []
    for w in weights:
        w = np.asarray(w, dtype=dtype)
        steps = rng.integers(-ULPS, ULPS + 1, size=w.shape)
        out.append((w + steps * np.spacing(w)).astype(dtype).astype(np.float64))  # float64 holds it exactly
    return out


def band(impl, reference_run, weights, x, y, learning_rate, dtype, seed, precision=None, network=None):
    """RUNS runs of impl.Network from nudged weights against `reference_run`: the per-epoch largest scaled difference
    of the loss and the mean |error|, and the largest of the final weights and predictions.

    precision: the dtype whose ulps the nudges are counted in, the run's own by default; float32 for a framework
    that holds only float32 on some path of a float64 run (its declared limit), whose rounding is that coarse. A
    coarser precision than the run's adds one run computed in it throughout (from the weights and data rounded to it).
    network: the run's Network options.
    """
    precision = precision or dtype
    rng = np.random.default_rng([seed, np.dtype(precision).itemsize])
    epochs = len(reference_run["loss"])
    worst = {"loss": np.zeros(epochs), "mean_abs_error": np.zeros(epochs), "weights": 0.0, "predictions": 0.0}
    with np.errstate(all="ignore"):
        starts = [(nudged(weights, precision, rng), dtype) for _ in range(RUNS)]
        if precision != dtype:
            starts.append(([np.asarray(w, dtype=precision) for w in weights], precision))
        for start, computed_in in starts:
            net = impl.Network(start, learning_rate, computed_in, **(network or {}))
            xs, ys = x.astype(computed_in), y.astype(computed_in)
            run = {**net.fit(xs, ys, epochs), "weights": net.get_weights(), "predictions": net.predict(xs)}
            for curve in ("loss", "mean_abs_error"):
                worst[curve] = np.fmax(worst[curve], scaled_diff(run[curve], reference_run[curve]))
            pairs = zip(run["weights"], reference_run["final_weights"], strict=True)
            worst["weights"] = max([worst["weights"]] + [float(np.nanmax(scaled_diff(a, b))) for a, b in pairs])
            worst["predictions"] = max(worst["predictions"],
                                       float(np.nanmax(scaled_diff(run["predictions"], reference_run["predictions"]))))
    return {"runs": RUNS, "ulps": ULPS, "precision": precision, "computed_in": precision != dtype, "seed": seed,
            "loss": worst["loss"].tolist(),
            "mean_abs_error": worst["mean_abs_error"].tolist(), "weights": worst["weights"],
            "predictions": worst["predictions"]}
