"""Timing, in one place: the worker times each phase of a framework's run with these helpers.

Steady state is the marginal cost of an epoch: the time of fit(2n) minus the time of fit(n), divided by n. Each
fit call's fixed cost (Keras builds a data pipeline per call, for instance) cancels out, and is reported apart as
`call_overhead_s`. n is chosen the way timeit's autorange chooses its loop count (1, 2, 5, 10, 20, …), so that one
block lasts at least MIN_BLOCK_S and the timer's own cost (well under a microsecond) never matters.
"""
import statistics
import timeit
from contextlib import contextmanager

MIN_BLOCK_S = 0.05  # the shortest timed block
REPEATS = 5         # timed pairs of blocks after the warm-up; median and interquartile range over them


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
    """The smallest n in 1, 2, 5, 10, 20, … for which fit(n) lasts at least min_block_s; this is also the warm-up."""
    scale = 1
    while True:
        for n in (scale, 2 * scale, 5 * scale):
            if seconds(fit, n) >= min_block_s:
                return n
        scale *= 10


def steady_state(fit, repeats=REPEATS, min_block_s=MIN_BLOCK_S):
    """Per-epoch seconds of fit(epochs) once warm: median and IQR of (t(fit(2n)) − t(fit(n))) / n over repeats."""
    n = autorange(fit, min_block_s)
    per_epoch, overhead = [], []
    for _ in range(repeats):
        single = seconds(fit, n)
        double = seconds(fit, 2 * n)
        per_epoch.append((double - single) / n)
        overhead.append(2 * single - double)  # t(n) = overhead + n·epoch; t(2n) = overhead + 2n·epoch
    q1, _, q3 = statistics.quantiles(per_epoch, n=4, method="inclusive") if repeats > 1 else (0.0, 0.0, 0.0)
    return {
        "epoch_median_s": statistics.median(per_epoch),
        "epoch_iqr_s": q3 - q1,
        "call_overhead_s": max(0.0, statistics.median(overhead)),
        "block_epochs": n,
        "repeats": repeats,
    }


def peak_memory_mb():
    """The process's peak resident memory so far, in MiB (Linux and macOS)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
