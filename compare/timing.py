"""Timing, in one place: the worker times each phase of a framework's run with these helpers.

Steady state is the marginal cost of an epoch: the time of fit(2n) minus the time of fit(n), divided by n. Each
fit call's fixed cost (Keras builds a data pipeline per call, for instance) cancels out, and is reported apart as
`call_overhead_s`. n is chosen the way timeit's autorange chooses its loop count (1, 2, 5, 10, 20, …), so that one
block lasts at least MIN_BLOCK_S and the timer's own cost (well under a microsecond) never matters.
"""
import math
import os
import statistics
import time
import timeit
from contextlib import contextmanager

MIN_BLOCK_S = 0.01  # the shortest timed block: many short blocks ride out the machine's drift better than few long
MAX_FIXED_SHARE = 0.2  # … and long enough that a fit call's fixed cost is at most this share of it
REPEATS = 6         # at least this many timed pairs of blocks after the warm-up (6: the fewest a 95 % interval
#                     for a median can rest on)
BUDGET_S = 1.0      # more pairs are timed until the interval is TIGHT, or the measurement has lasted this long …
MAX_REPEATS = 61    # … or this many pairs were timed
CONFIDENCE = 0.95
TIGHT = 0.05        # a median whose 95 % interval reaches no further than ±5 % of it is measured enough
UNSTABLE = 0.10     # one still wider than ±10 % when the budget is spent is flagged as unstable


def median_interval(values, confidence=CONFIDENCE):
    """A distribution-free confidence interval for the median: the order statistics (x₍ⱼ₎, x₍ₙ₊₁₋ⱼ₎), j the largest
    with P(B < j) ≤ (1 − confidence)/2 for B ~ Binomial(n, ½), the count of values below the true median. Its
    coverage is at least `confidence` whatever the distribution, for independent values; None below 6 values."""
    xs, n = sorted(values), len(values)
    tail, below, j = (1 - confidence) / 2, 0.0, 0
    for k in range(n + 1):
        below += math.comb(n, k) / 2**n  # P(B ≤ k)
        if below > tail:
            break
        j = k + 1
    return None if j == 0 else (xs[j - 1], xs[n - j])


def half_width(interval, median):
    """How far the interval reaches from the median, as a fraction of it (the wider side); inf without one."""
    if interval is None or not median > 0:
        return math.inf
    return max(median - interval[0], interval[1] - median) / median


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


def autorange(fit, min_block_s=MIN_BLOCK_S, max_fixed_share=MAX_FIXED_SHARE):
    """The smallest n in 1, 2, 5, 10, 20, … for which fit(n) lasts at least min_block_s and a call's fixed cost is
    at most max_fixed_share of it; this is also the warm-up.

    The fixed cost is estimated from the last two block sizes timed (t = fixed + n·epoch). A steady-state pair
    subtracts two blocks, so their fixed costs' jitter lands on the epoch's time divided by n: a framework whose
    every fit call builds a data pipeline (Keras) needs longer blocks than one without (NumPy). Each n is run once
    untimed before it is timed: a framework that compiles per number of epochs (JAX's lax.scan loop) would
    otherwise count its compilation as a long block and settle on too small an n.
    """
    scale, timed = 1, []
    while True:
        for n in (scale, 2 * scale, 5 * scale):
            fit(n)
            t = seconds(fit, n)
            timed.append((n, t))
            if t >= min_block_s and len(timed) >= 2:
                (n1, t1), (n2, t2) = timed[-2:]
                fixed = t1 - n1 * (t2 - t1) / (n2 - n1)
                if fixed <= max_fixed_share * t:
                    return n
        scale *= 10


def marginal_epoch(fit, n):
    """One timed pair: (seconds per epoch, seconds of fixed cost per call), from fit(n) and fit(2n)."""
    single = seconds(fit, n)
    double = seconds(fit, 2 * n)
    return (double - single) / n, 2 * single - double  # t(n) = overhead + n·epoch; t(2n) = overhead + 2n·epoch


def steady_state(fit, repeats=REPEATS, min_block_s=MIN_BLOCK_S, reference=None, budget_s=BUDGET_S):
    """Per-epoch seconds of fit(epochs) once warm: median, IQR and 95 % interval of (t(fit(2n)) − t(fit(n))) / n
    over at least `repeats` pairs, and more until the interval of what is measured is TIGHT or the pairs have taken
    budget_s seconds (at most MAX_REPEATS).

    With a reference fit (NumPy's), each repeat also times the reference right after, in the same process, and
    the ratio of the two is taken repeat by repeat: the machine's drift from one moment to the next cancels out,
    and the pairs' ratios, not the times, decide when to stop. A result still wider than UNSTABLE is flagged, with
    what the worker could see of the cause: its CPU time against the wall time, and the load average.
    """
    n = autorange(fit, min_block_s)
    fit(2 * n)  # the other block size, warmed (compiled) too
    m = autorange(reference, min_block_s) if reference else None
    if reference:
        reference(2 * m)
    per_epoch, overhead, ratios, reference_epoch = [], [], [], []
    start, cpu_start = timeit.default_timer(), time.process_time()
    while True:
        epoch, fixed = marginal_epoch(fit, n)
        per_epoch.append(epoch)
        overhead.append(fixed)
        if reference:
            reference_epoch.append(marginal_epoch(reference, m)[0])
            ratios.append(epoch / reference_epoch[-1])
        decided = ratios or per_epoch
        if len(per_epoch) >= max(repeats, 1) and (
                half_width(median_interval(decided), statistics.median(decided)) <= TIGHT
                or timeit.default_timer() - start >= budget_s or len(per_epoch) >= MAX_REPEATS):
            break
    wall = timeit.default_timer() - start
    q1, _, q3 = statistics.quantiles(per_epoch, n=4, method="inclusive") if len(per_epoch) > 1 else (0.0, 0.0, 0.0)
    result = {
        "epoch_median_s": statistics.median(per_epoch),
        "epoch_iqr_s": q3 - q1,
        "epoch_ci95_s": median_interval(per_epoch),
        "call_overhead_s": max(0.0, statistics.median(overhead)),
        "block_epochs": n,
        "repeats": len(per_epoch),
        "timed_s": wall,
        "cpu_share": (time.process_time() - cpu_start) / wall if wall > 0 else None,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    if reference:
        result["ratio_to_reference"] = statistics.median(ratios)
        result["ratio_ci95"] = median_interval(ratios)
        result["reference_epoch_median_s"] = statistics.median(reference_epoch)  # NumPy's, in this worker
    decided_median = result.get("ratio_to_reference", result["epoch_median_s"])
    width = half_width(result.get("ratio_ci95", result["epoch_ci95_s"]), decided_median)
    result["ci95_half_width"] = None if math.isinf(width) else width
    if width > UNSTABLE and budget_s > 0:  # with no budget (the reference's own, a bench cell) nothing was tried
        result["unstable"] = unstable_cause(result, os.cpu_count() or 1)
    return result


def unstable_cause(result, cores):
    """Why an interval stayed wide, where the worker can see it: too few pairs, the worker's share of a core (its
    CPU time over the wall time, below 0.9 when another process takes the core), the load average."""
    if result["repeats"] < REPEATS:
        return f"only {result['repeats']} pairs: too few for a 95 % interval"
    share, load = result["cpu_share"], result["load_average"]
    causes = []
    if share is not None and share < 0.9:
        causes.append(f"the worker had {share:.0%} of a core while timed")
    if load is not None and load > cores - 0.5:
        causes.append(f"load average {load:.1f} on {cores} cores")
    return "; ".join(causes) or "no competing load seen: the framework's own time varies"


def peak_memory_mb():
    """The process's peak resident memory so far, in MiB (Linux and macOS)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
