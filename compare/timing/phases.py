"""Timing, in one place: the worker times each phase of a framework's run, and its steady state, with these helpers.

The steady state is timed as the field's harnesses time a statement (pyperf, timeit, torch.utils.benchmark): a
block of N epochs, fit(N), is timed whole and its time divided by N. A time per epoch is never a difference of two
timings, so it is positive by construction, and a stall lengthens one block instead of being doubled into an
estimate.

- **Calibration** (calibrate), once per process, when nothing else runs: N is the smallest of 2, 5, 10, 20, … (1
  where one epoch alone lasts more than half of MAX_BLOCK_S) whose block lasts at least MIN_BLOCK_S (the median of
  CALIBRATION_TIMINGS timings) and in which a call's fixed cost is at most MAX_FIXED_SHARE of the block, unless that
  takes blocks longer than MAX_BLOCK_S (Keras's `fit` costs about 20 ms a call, where a share of 5 % would take
  0.7 s blocks). That cost is the intercept of a Theil–Sen fit of the block times over every size of the ladder
  timed, never a difference of one pair; it is reported apart (`call_overhead_s`, `call_overhead_share`), not taken
  out of the time per epoch.
- **Rounds** (one_round): each times the framework's block and NumPy's in ABBA order in the same process, each side
  after an untimed epoch of its own (on large arrays the first call after the other side's pays for what that side
  left behind). The round's pair is the two sides' times per epoch, (t_A1 + t_A2)/2N and (t_B1 + t_B2)/2M: a drift
  that is linear over the round cancels in their ratio.
- **One estimator** (summary): the median of the pooled pairs' ratios, and a 95 % interval for it from the binomial
  order statistics of the pooled pairs (median_interval), whose coverage holds for independent pairs whatever their
  distribution; tests/timing/test_simulation.py shows it on simulated block timings with stalls.
- **A flag only where earned** (flag): the interval reaches further than WIDE from the median; or the processes
  differ beyond what their pairs allow (Kruskal–Wallis across the processes' pairs, p < PROCESSES_P, and a process's
  median further than TIGHT from the median); or the machine was busy while it was timed (other processes used more
  than BUSY_CORES of the machine's cores, read from /proc/stat; where that cannot be read, the timed process had
  less than SHARE of a core).
"""
import json
import math
import os
import statistics
import time
import timeit
from contextlib import contextmanager

MIN_BLOCK_S = 0.025      # the shortest timed block (pyperf calibrates its loops to 100 ms; here four blocks make a
#                          round, and a run times nine frameworks in three processes each)
MAX_FIXED_SHARE = 0.05   # … and long enough that a fit call's fixed cost is at most this share of it, …
MAX_BLOCK_S = 0.25       # … unless that would take a block longer than this (Keras's fit: about 20 ms a call)
CALIBRATION_TIMINGS = 3  # timings of each block size while calibrating: their median decides
MIN_PAIRS = 10           # at least this many pairs in all (over the processes): from 10 on, the 95 % interval of the
#                          median leaves out the most extreme pair on each side
BUDGET_S = 3.0           # more rounds are timed until the interval is TIGHT, or the rounds have lasted this long …
MAX_PAIRS = 61           # … or this many pairs were timed in one process
CONFIDENCE = 0.95
TIGHT = 0.05             # a median whose 95 % interval reaches no further than ±5 % of it is measured enough
WIDE = 0.15              # one whose interval still reaches further than ±15 % when the budget is spent is flagged
PROCESSES_P = 0.01       # processes whose pairs differ at this significance (and by more than TIGHT) are flagged
SHARE = 0.9              # a timed process with less than this share of a core competed for it
BUSY_CORES = 0.5         # other processes using more than this many cores while a row was timed: a busy machine


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


def clock():
    """The wall clock that budgets and watches read (timeit's; the tests' simulation replaces it)."""
    return timeit.default_timer()


def ladder():
    """1, 2, 5, 10, 20, 50, …: the block sizes calibration tries, as timeit's autorange does."""
    scale = 1
    while True:
        yield from (scale, 2 * scale, 5 * scale)
        scale *= 10


def theil_sen(timed):
    """(fixed seconds per call, seconds per epoch): the Theil–Sen fit of t = fixed + n·epoch over [(n, t), …], the
    median of the slopes between timings of different sizes and the median of what each timing leaves above its
    epochs (scipy.stats.theilslopes with method="joint", which tests/timing checks it against): robust to a stalled
    timing. Written out here because importing scipy.stats costs about a second in each of a run's timing processes,
    which would be spent while nothing else may run."""
    import numpy as np

    sizes, times = (np.asarray(values, dtype=float) for values in zip(*timed, strict=True))
    i, j = np.triu_indices(len(sizes), 1)
    apart = sizes[i] != sizes[j]
    slope = float(np.median((times[j] - times[i])[apart] / (sizes[j] - sizes[i])[apart]))
    return float(np.median(times - slope * sizes)), slope


def calibrate(fit, min_block_s=MIN_BLOCK_S, max_fixed_share=MAX_FIXED_SHARE, timings=CALIBRATION_TIMINGS,
              max_block_s=MAX_BLOCK_S):
    """The block size for fit in this process: the smallest n of the ladder, from 2, whose block lasts at least
    min_block_s (the median of `timings` timings, taken where a first timing reaches it) and in which a call's fixed
    cost is at most max_fixed_share of the block; or, where a call costs so much that the next size would last longer
    than max_block_s (Keras's `fit`; this block scaled up to it, which a fixed cost only overstates), this one, its
    share said. The fixed cost is the intercept of
    theil_sen over every timing of the ladder so far: the small blocks pin it, a stalled or compiling timing does not
    move it (a framework that compiles per number of epochs, as jax-scan does, compiles in the first timing of each
    size). An epoch that alone lasts longer than half of max_block_s is timed one at a time, its fixed cost unknown.
    {"epochs": n, "block_s": the median block, "fixed_s": the fit's intercept (≥ 0, or None), "fixed_share": its
    share of the block}."""
    timed, previous = [], None
    for n, following in zip(ladder(), ladder_after(), strict=False):
        times = [seconds(fit, n)]
        if times[0] >= min_block_s:  # a candidate: the median of `timings` decides, and the size before it gets
            times += [seconds(fit, n) for _ in range(timings - 1)]  # as many, so that the fit rests on both
            if previous is not None and sum(size == previous for size, _ in timed) < timings:
                timed += [(previous, seconds(fit, previous)) for _ in range(timings - 1)]
        timed += [(n, t) for t in times]
        previous, block = n, statistics.median(times)
        if len(times) < timings or block < min_block_s:
            continue
        if n == 1:
            if 2 * block > max_block_s:
                return {"epochs": 1, "block_s": block, "fixed_s": None, "fixed_share": None}
            continue
        fixed, epoch = theil_sen(timed)
        fixed = max(fixed, 0.0)
        if fixed + n * epoch < min_block_s / 2:  # stalls made this size's median long, not its epochs
            continue
        if fixed <= max_fixed_share * block or block * following / n > max_block_s:
            return {"epochs": n, "block_s": block, "fixed_s": fixed, "fixed_share": fixed / block}


def ladder_after():
    """The ladder, one step ahead: 2, 5, 10, 20, …"""
    sizes = ladder()
    next(sizes)
    return sizes


def one_round(fit, n, reference=None, m=None):
    """One pair: [the framework's seconds per epoch, NumPy's (None without a reference)]. With a reference, blocks
    in ABBA order (A, B, B, A), each side after one untimed epoch of its own, so that a drift linear over the round
    cancels and neither side pays for what the other left behind; without one, a single block."""
    if reference is None:
        return [seconds(fit, n) / n, None]
    fit(1)
    first = seconds(fit, n)
    reference(1)
    own = seconds(reference, m) + seconds(reference, m)
    fit(1)
    return [(first + seconds(fit, n)) / (2 * n), own / (2 * m)]


def machine_cpu_s():
    """Seconds of CPU the whole machine has spent busy since boot, over all its cores (user, system, interrupts,
    and time stolen by a hypervisor: /proc/stat), or None where there is no /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(value) for value in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and iowait
    busy = sum(fields[:8]) - idle  # user, nice, system, idle, iowait, irq, softirq, steal (guest is in user)
    return busy / os.sysconf("SC_CLK_TCK")


class Watch:
    """The wall time, this process's CPU time and the machine's busy CPU time over a stretch of timing."""

    def __init__(self):
        self.wall, self.cpu, self.machine = clock(), time.process_time(), machine_cpu_s()

    def read(self):
        """{"wall_s", "cpu_s", "machine_cpu_s" (None where unknown)} since the watch started."""
        machine = machine_cpu_s()
        return {"wall_s": clock() - self.wall, "cpu_s": time.process_time() - self.cpu,
                "machine_cpu_s": None if machine is None or self.machine is None else machine - self.machine}


def steady_state(fit, reference=None, min_pairs=MIN_PAIRS, budget_s=BUDGET_S, min_block_s=MIN_BLOCK_S):
    """Per-epoch seconds of fit(epochs) once warm, in this one process (the bench's cells, impl_numpy beside the flat
    loop): calibrate each side, then rounds until there are min_pairs and the interval is TIGHT, or the rounds have
    lasted budget_s (at most MAX_PAIRS); summary's fields, flagged where earned when there is a budget. (A run times
    each framework in several processes: compare.run.timekeeper.)"""
    calibration = calibrate(fit, min_block_s)
    reference_calibration = calibrate(reference, min_block_s) if reference else None
    taken, watch = [], Watch()
    while True:
        taken.append(one_round(fit, calibration["epochs"], reference,
                               reference_calibration and reference_calibration["epochs"]))
        if len(taken) >= max(min_pairs, 1) and (tight([taken]) or len(taken) >= MAX_PAIRS
                                                or clock() - watch.wall >= budget_s):
            break
    result = summary([taken], [calibration], [reference_calibration] if reference else None, **watch.read())
    if budget_s > 0:
        flag(result)
    return result


def serve(fit, reference, commands, replies):
    """The worker's side of a timed run (compare.run.timekeeper): say it is ready; then, for each line of commands,
    "calibrate" (the block sizes, in this process, now that nothing else runs) or a number of seconds (rounds for
    that long, at least one), and reply, until commands end. One JSON object per line: {"ready": true} first, then
    {"calibration": …, "reference_calibration": …} or {"pairs": […], "cpu_s": …, "wall_s": …} per command."""
    reply(replies, {"ready": True})
    n = m = None
    for line in commands:
        if line.strip() == "calibrate":
            calibration = calibrate(fit)
            reference_calibration = calibrate(reference) if reference else None
            n, m = calibration["epochs"], reference_calibration and reference_calibration["epochs"]
            reply(replies, {"calibration": calibration, "reference_calibration": reference_calibration})
            continue
        watch, taken = Watch(), []
        while not taken or clock() - watch.wall < float(line):
            taken.append(one_round(fit, n, reference, m))
        found = watch.read()
        reply(replies, {"pairs": taken, "cpu_s": found["cpu_s"], "wall_s": found["wall_s"]})


def reply(replies, message):
    replies.write(json.dumps(message) + "\n")
    replies.flush()


def processes_differ(groups):
    """The p-value of the Kruskal–Wallis test that the groups (the processes' values) come from one distribution:
    whether the processes differ beyond what their pairs allow. None with fewer than two groups of two or more."""
    from scipy import stats

    groups = [group for group in groups if len(group) >= 2]
    if len(groups) < 2 or len({value for group in groups for value in group}) < 2:
        return None
    return float(stats.kruskal(*groups).pvalue)


def summary(by_process, calibrations=None, reference_calibrations=None, wall_s=None, cpu_s=None,
            machine_cpu_s=None):
    """What results.json records of a steady state timed in one or more processes, from each process's pairs
    ([[seconds per epoch, NumPy's or None], …] per process) and calibrations."""
    epochs = [[pair[0] for pair in taken] for taken in by_process]
    pooled = [value for values in epochs for value in values]
    quartiles = statistics.quantiles(pooled, n=4, method="inclusive") if len(pooled) > 1 else (pooled[0],) * 3
    result = {
        "epoch_median_s": statistics.median(pooled),
        "epoch_iqr_s": quartiles[2] - quartiles[0],
        "epoch_ci95_s": median_interval(pooled),
        "repeats": len(pooled),
        "processes": len(by_process),
        "timed_s": wall_s,
        "cpu_share": cpu_s / wall_s if cpu_s is not None and wall_s else None,
        "other_cores": (None if machine_cpu_s is None or cpu_s is None or not wall_s
                        else max(0.0, (machine_cpu_s - cpu_s) / wall_s)),
        "cores": os.cpu_count(),
    }
    if calibrations:
        result["block_epochs"] = [c["epochs"] for c in calibrations]
        result["block_s"] = [c["block_s"] for c in calibrations]
        known = [c for c in calibrations if c["fixed_s"] is not None]
        result["call_overhead_s"] = statistics.median(c["fixed_s"] for c in known) if known else None
        result["call_overhead_share"] = statistics.median(c["fixed_share"] for c in known) if known else None
    if reference_calibrations:
        result["reference_block_epochs"] = [c["epochs"] for c in reference_calibrations]
    if pooled and all(pair[1] for taken in by_process for pair in taken):
        ratios = [[pair[0] / pair[1] for pair in taken] for taken in by_process]
        result["ratio_to_reference"] = statistics.median(value for values in ratios for value in values)
        result["ratio_ci95"] = median_interval([value for values in ratios for value in values])
        result["reference_epoch_median_s"] = statistics.median(pair[1] for taken in by_process for pair in taken)
        if len(by_process) > 1:
            result["process_ratios"] = [statistics.median(values) for values in ratios]
            result["processes_p"] = processes_differ(ratios)
    elif len(by_process) > 1:
        result["process_epochs_s"] = [statistics.median(values) for values in epochs]
        result["processes_p"] = processes_differ(epochs)
    median = result.get("ratio_to_reference", result["epoch_median_s"])
    width = half_width(result.get("ratio_ci95", result["epoch_ci95_s"]), median)
    result["ci95_half_width"] = None if math.isinf(width) else width
    return result


def tight(by_process):
    """Measured enough: the 95 % interval of what decides (the pooled pairs' ratios, or times without a reference)
    reaches no further than TIGHT from their median."""
    values = [pair[0] / pair[1] if pair[1] else pair[0] for taken in by_process for pair in taken]
    return half_width(median_interval(values), statistics.median(values)) <= TIGHT


def flag(result, cores=None):
    """Flag a result only where it is earned, saying why in plain words (result["flagged"]): its interval wider
    than ±WIDE (or none: too few pairs); its processes differing beyond what their pairs allow; the machine busy."""
    median = result.get("ratio_to_reference", result["epoch_median_s"])
    medians = result.get("process_ratios") or result.get("process_epochs_s") or []
    cores = cores or result.get("cores") or os.cpu_count() or 1
    which = []
    reach = result["ci95_half_width"]
    if reach is None:
        which.append(f"only {result['repeats']} pairs: too few for a 95 % interval")
    elif reach > WIDE:
        which.append(f"its 95 % interval reaches ±{reach:.0%} from its median, more than ±{WIDE:.0%}")
    p = result.get("processes_p")
    if p is not None and p < PROCESSES_P and max(abs(value / median - 1) for value in medians) > TIGHT:
        which.append("its processes differ beyond what their pairs allow (medians "
                     + ", ".join(f"{value:.3g}" for value in medians) + f"; Kruskal–Wallis p = {p:.2g})")
    busy = busy_machine(result, cores)
    if busy:
        which.append(busy)
    if which:
        result["flagged"] = "; ".join(which)


def busy_machine(result, cores):
    """'the machine was busy: …; rerun on a quiet machine' where other processes used more than BUSY_CORES of the
    cores while it was timed; where that is unknown, where the timed process had less than SHARE of a core (a
    process can also wait on its own threads, which the machine's count tells apart); else ''."""
    share, others = result.get("cpu_share"), result.get("other_cores")
    if others is not None:
        seen = (f"other processes used {others:.1f} of its {cores} cores while it was timed" if others > BUSY_CORES
                else "")
    else:
        seen = f"the timed process had {share:.0%} of a core" if share is not None and share < SHARE else ""
    return f"the machine was busy: {seen}; rerun on a quiet machine" if seen else ""


def peak_memory_mb():
    """The process's peak resident memory so far, in MiB (Linux and macOS)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
