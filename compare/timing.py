"""Timing, in one place: the worker times each phase of a framework's run with these helpers.

Steady state is the marginal cost of an epoch: the time of fit(2n) minus the time of fit(n), divided by n. Each
fit call's fixed cost (Keras builds a data pipeline per call, for instance) cancels out, and is reported apart as
`call_overhead_s`. n is chosen the way timeit's autorange chooses its loop count (1, 2, 5, 10, 20, …), so that one
block lasts at least MIN_BLOCK_S and the timer's own cost (well under a microsecond) never matters.
"""
import statistics
import timeit
from contextlib import contextmanager

MIN_BLOCK_S = 0.02  # the shortest timed block: many short blocks ride out the machine's drift better than few long
REPEATS = 5         # at least this many timed pairs of blocks after the warm-up; median and IQR over them
TARGET_S = 1.5      # more pairs are timed until the measurement has lasted this long …
MAX_REPEATS = 41    # … or this many pairs were timed


@contextmanager
def phase(timings, name):
    """Add the wall-clock seconds the block takes to timings[name]."""
    start = timeit.default_timer()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + timeit.default_timer() - start


def seconds(fn, *args):
    """The seconds one call takes, timed as timeit times a statement (garbage collection paused)."""
    return timeit.Timer(lambda: fn(*args)).timeit(number=1)


def autorange(fit, min_block_s=MIN_BLOCK_S):
    """The smallest n in 1, 2, 5, 10, 20, … for which fit(n) lasts at least min_block_s; this is also the warm-up.

    Each n is run once untimed before it is timed: a framework that compiles per number of epochs (JAX's lax.scan
    loop) would otherwise count its compilation as a long block and settle on too small an n.
    """
    scale = 1
    while True:
        for n in (scale, 2 * scale, 5 * scale):
            fit(n)
            if seconds(fit, n) >= min_block_s:
                return n
        scale *= 10


def marginal_epoch(fit, n):
    """One timed pair: (seconds per epoch, seconds of fixed cost per call), from fit(n) and fit(2n)."""
    single = seconds(fit, n)
    double = seconds(fit, 2 * n)
    return (double - single) / n, 2 * single - double  # t(n) = overhead + n·epoch; t(2n) = overhead + 2n·epoch


def steady_state(fit, repeats=REPEATS, min_block_s=MIN_BLOCK_S, reference=None, target_s=TARGET_S):
    """Per-epoch seconds of fit(epochs) once warm: median and IQR of (t(fit(2n)) − t(fit(n))) / n over at least
    `repeats` pairs, and more until the pairs have taken target_s seconds (at most MAX_REPEATS).

    With a reference fit (NumPy's), each repeat also times the reference right after, in the same process, and
    the ratio of the two is taken repeat by repeat: the machine's drift from one moment to the next cancels out.
    """
    n = autorange(fit, min_block_s)
    fit(2 * n)  # the other block size, warmed (compiled) too
    m = autorange(reference, min_block_s) if reference else None
    if reference:
        reference(2 * m)
    per_epoch, overhead, ratios = [], [], []
    start = timeit.default_timer()
    while len(per_epoch) < repeats or (timeit.default_timer() - start < target_s and len(per_epoch) < MAX_REPEATS):
        epoch, fixed = marginal_epoch(fit, n)
        per_epoch.append(epoch)
        overhead.append(fixed)
        if reference:
            ratios.append(epoch / marginal_epoch(reference, m)[0])
    q1, _, q3 = statistics.quantiles(per_epoch, n=4, method="inclusive") if len(per_epoch) > 1 else (0.0, 0.0, 0.0)
    result = {
        "epoch_median_s": statistics.median(per_epoch),
        "epoch_iqr_s": q3 - q1,
        "call_overhead_s": max(0.0, statistics.median(overhead)),
        "block_epochs": n,
        "repeats": len(per_epoch),
    }
    if reference:
        result["ratio_to_reference"] = statistics.median(ratios)
    return result


def peak_memory_mb():
    """The process's peak resident memory so far, in MiB (Linux and macOS)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
