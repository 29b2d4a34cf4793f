"""Timing, in one place: the worker times each phase of a framework's run with these helpers.

Steady state is the marginal cost of an epoch: the time of fit(2n) minus the time of fit(n), divided by n. Each
fit call's fixed cost (Keras builds a data pipeline per call, for instance) cancels out, and is reported apart as
`call_overhead_s`. n is chosen the way timeit's autorange chooses its loop count (1, 2, 5, 10, 20, …), so that one
block lasts at least MIN_BLOCK_S and the timer's own cost (well under a microsecond) never matters.
"""
import json
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
TIGHT = 0.05        # a median whose pairs' 95 % interval reaches no further than ±5 % of it is measured enough
UNSTABLE = 0.10     # one whose pairs' interval is still wider than ±10 % when the budget is spent is flagged
#                     unstable, as is one whose processes' medians lie further than ±10 % from it


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


def warm(fit, reference=None, min_block_s=MIN_BLOCK_S):
    """Choose the block sizes (autorange, which is also the warm-up) and run each block size once untimed:
    (n, m), m None without a reference."""
    n = autorange(fit, min_block_s)
    fit(2 * n)  # the other block size, warmed (compiled) too
    m = None
    if reference:
        m = autorange(reference, min_block_s)
        reference(2 * m)
    return n, m


def pairs(fit, n, reference=None, m=None, seconds_s=0.0, at_least=1, settle=False):
    """Timed pairs for seconds_s (at least `at_least`): [[epoch_s, fixed_s, reference_epoch_s or None], …]. With a
    reference fit (NumPy's), each pair also times the reference right after, in the same process, so that the ratio
    of the two is taken pair by pair: the machine's drift from one moment to the next cancels out.

    With `settle`, each side first runs one block untimed. On large arrays the first call after the other side's
    pays for what that side left behind (its freed memory faulted back in): NumPy's first 16384 × 1024 epoch after a
    torch block took twice its time, which t(2m) − t(m) turns into an epoch of almost nothing."""
    taken, start = [], timeit.default_timer()
    while len(taken) < at_least or timeit.default_timer() - start < seconds_s:
        if settle:
            fit(n)
        epoch, fixed = marginal_epoch(fit, n)
        if reference and settle:
            reference(m)
        taken.append([epoch, fixed, marginal_epoch(reference, m)[0] if reference else None])
    return taken


def steady_state(fit, repeats=REPEATS, min_block_s=MIN_BLOCK_S, reference=None, budget_s=BUDGET_S, settle=False):
    """Per-epoch seconds of fit(epochs) once warm, in this one process: median, IQR and 95 % interval of
    (t(fit(2n)) − t(fit(n))) / n over at least `repeats` pairs, and more until the interval of what is measured is
    TIGHT or the pairs have taken budget_s seconds (at most MAX_REPEATS). With a reference, the pairs' ratios, not
    the times, decide when to stop; `settle` as for pairs. (A run times each framework in several processes:
    compare.run.timekeeper.)"""
    n, m = warm(fit, reference, min_block_s)
    taken, start, cpu_start = [], timeit.default_timer(), time.process_time()
    while True:
        taken += pairs(fit, n, reference, m, settle=settle)
        if len(taken) >= max(repeats, 1) and (tight(summary([taken]))
                                              or timeit.default_timer() - start >= budget_s
                                              or len(taken) >= MAX_REPEATS):
            break
    wall = timeit.default_timer() - start
    result = summary([taken], block_epochs=n, wall_s=wall, cpu_s=time.process_time() - cpu_start)
    if budget_s > 0:  # with no budget (a bench cell) nothing was tried
        flag_unstable(result)
    return result


def serve(fit, reference, commands, replies, min_block_s=MIN_BLOCK_S):
    """The worker's side of a timed run (compare.run.timekeeper): warm up, say so, then for each line of commands (a
    number of seconds) time pairs for that long (at least one) and reply with them, until commands end. One JSON
    object per line: {"ready": …} first, then {"pairs": […], "cpu_s": …, "wall_s": …} per round."""
    n, m = warm(fit, reference, min_block_s)
    reply(replies, {"ready": True, "block_epochs": n, "reference_block_epochs": m})
    for line in commands:
        cpu, wall = time.process_time(), timeit.default_timer()
        taken = pairs(fit, n, reference, m, float(line))
        reply(replies, {"pairs": taken, "cpu_s": time.process_time() - cpu, "wall_s": timeit.default_timer() - wall})


def reply(replies, message):
    replies.write(json.dumps(message) + "\n")
    replies.flush()


def t_quantile(probability, df):
    from scipy import stats  # only where several processes were timed

    return float(stats.t.ppf(probability, df))


def between_processes(medians, confidence=CONFIDENCE):
    """A confidence interval for the typical value of a process: Student's t on the logarithms of the processes'
    medians (timings are multiplicative and skewed). It holds what varies from one process to the next (where its
    code and heap land, the core it runs on), which no count of pairs inside one process can see."""
    logs = [math.log(value) for value in medians]
    k, centre = len(logs), statistics.fmean(logs)
    reach = t_quantile(1 - (1 - confidence) / 2, k - 1) * statistics.stdev(logs) / math.sqrt(k)
    return math.exp(centre - reach), math.exp(centre + reach)


def interval(by_process, confidence=CONFIDENCE, between=True):
    """The 95 % interval of a median measured in one or more processes (values grouped by process).

    One process: the binomial order statistics of its values (median_interval). Several: the widest of
    • Student's t over the processes' medians (between_processes): the spread from one process to the next;
    • each process's own binomial interval, where it has one: the spread inside a process;
    • the binomial interval of all values pooled.
    Each alone holds the median at least 95 % of the time under its own assumption (t: processes that vary
    log-normally; binomial: independent values); the union of intervals holds it whenever any of them does, so the
    union is conservative, never narrower than what either the processes or the pairs show. None with no interval.
    between=False leaves out the t over the processes: the pairs' interval, the one more pairs can tighten (with
    two processes, t on one degree of freedom spans a wide range however many pairs each gives)."""
    groups = [list(values) for values in by_process if len(values)]
    pooled = [value for values in groups for value in values]
    found = [median_interval(values, confidence) for values in groups] + [median_interval(pooled, confidence)]
    if between and len(groups) >= 2 and all(value > 0 for value in pooled):
        found.append(between_processes([statistics.median(values) for values in groups], confidence))
    found = [bounds for bounds in found if bounds is not None]
    if len(groups) == 1 or not found:
        return median_interval(pooled, confidence)
    return min(low for low, _ in found), max(high for _, high in found)


def summary(by_process, block_epochs=None, wall_s=None, cpu_s=None):
    """What results.json records of a steady state timed in one or more processes, from each process's pairs
    ([[epoch_s, fixed_s, reference_epoch_s or None], …] per process)."""
    epochs = [[pair[0] for pair in taken] for taken in by_process]
    pooled = [value for values in epochs for value in values]
    quartiles = statistics.quantiles(pooled, n=4, method="inclusive") if len(pooled) > 1 else (0.0, 0.0, 0.0)
    result = {
        "epoch_median_s": statistics.median(pooled),
        "epoch_iqr_s": quartiles[2] - quartiles[0],
        "epoch_ci95_s": interval(epochs),
        "call_overhead_s": max(0.0, statistics.median(pair[1] for taken in by_process for pair in taken)),
        "block_epochs": block_epochs,
        "repeats": len(pooled),
        "processes": len(by_process),
        "timed_s": wall_s,
        "cpu_share": cpu_s / wall_s if cpu_s is not None and wall_s else None,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    if all(pair[2] for taken in by_process for pair in taken):
        ratios = [[pair[0] / pair[2] for pair in taken] for taken in by_process]
        references = [pair[2] for taken in by_process for pair in taken]
        result["ratio_to_reference"] = statistics.median(value for values in ratios for value in values)
        result["ratio_ci95"] = interval(ratios)
        result["ratio_pairs_ci95"] = interval(ratios, between=False)
        result["reference_epoch_median_s"] = statistics.median(references)  # NumPy's, in these processes
        if len(by_process) > 1:
            result["process_ratios"] = [statistics.median(values) for values in ratios]
    elif len(by_process) > 1:
        result["process_epochs_s"] = [statistics.median(values) for values in epochs]
    median = result.get("ratio_to_reference", result["epoch_median_s"])
    width = half_width(result.get("ratio_ci95", result["epoch_ci95_s"]), median)
    result["ci95_half_width"] = None if math.isinf(width) else width
    pairs_width = half_width(result.get("ratio_pairs_ci95", interval(epochs, between=False)), median)
    result["pairs_half_width"] = None if math.isinf(pairs_width) else pairs_width
    return result


def tight(result):
    """Measured enough: the pairs' interval of what decides (the ratio, or the time without a reference) reaches
    no further than TIGHT from the median. (The processes' spread is theirs: more pairs cannot narrow it.)"""
    return result["pairs_half_width"] is not None and result["pairs_half_width"] <= TIGHT


def flag_unstable(result, cores=None):
    """Mark a result the budget left unsettled, saying which way: its pairs' interval still wider than UNSTABLE (or
    missing), or its processes' medians further than UNSTABLE from its median; and what the worker saw of the
    cause."""
    median = result["ratio_to_reference"] if "ratio_to_reference" in result else result["epoch_median_s"]
    medians = result.get("process_ratios") or result.get("process_epochs_s") or []
    which = []
    if medians and (median <= 0 or max(abs(value / median - 1) for value in medians) > UNSTABLE):
        which.append(f"its processes disagree by more than ±{UNSTABLE:.0%} (medians "
                     + ", ".join(f"{value:.3g}" for value in medians) + ")")
    reach = result["pairs_half_width"]
    if reach is None or reach > UNSTABLE:
        which.append(f"its pairs' 95 % interval stays wider than ±{UNSTABLE:.0%}"
                     + ("" if reach is None else f" (±{reach:.0%})"))
    if which:
        result["unstable"] = "; ".join([*which, unstable_cause(result, cores or os.cpu_count() or 1)])


def unstable_cause(result, cores):
    """What the workers can see of why a measurement stayed unsettled: too few pairs, the share of a core the timed
    processes had (their CPU time over the wall time, below 0.9 when another process takes the core), the load
    average."""
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
