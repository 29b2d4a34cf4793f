"""What the default run costs, and how steady its ratios are: `python -m compare cost`.

Two questions a reader asks of the timing table. Does the comparison cost much more than importing the frameworks
it compares (each bare import timed in a fresh process, as the workers do)? And does a second run tell the same
story (each framework's time per epoch as a ratio to NumPy's, from consecutive runs)?
"""
import math
import statistics
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

from compare.frameworks import FRAMEWORKS, REFERENCE
from compare.problem import Config
from compare.report.summary import estimate
from compare.run import environment, processes, results
from compare.run.runner import frameworks_to_run, worker_env
from compare.timing import phases


def checked(command, **kwargs):
    """Run command to its end in a process group of its own (stopped with the command: compare.run.processes)."""
    proc = processes.run(command, None, text=True, **kwargs)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, command, proc.stdout, proc.stderr)


def bare_import_seconds(framework, threads, repeats):
    """Median wall time of `python -c "import <module>"` for the framework's packages, in a fresh process."""
    statement = "; ".join(f"import {name}" for name in framework.requires)
    command = [*environment.fixed_layout(), sys.executable, "-c", statement]  # as the workers start
    env = worker_env(framework, threads)
    times = [timeit.Timer(lambda: checked(command, env=env)).timeit(1) for _ in range(repeats)]
    return statistics.median(times)


def default_run(out):
    """Wall time of `python -m compare --out OUT` in a fresh process, and its results."""
    command = [sys.executable, "-m", "compare", "--out", str(out)]
    seconds = timeit.Timer(lambda: checked(command)).timeit(1)
    return seconds, results.read_json(Path(out) / "results.json")


def ratios(run):
    """Each framework's time per epoch over NumPy's, as the run's table shows it, with its 95 % interval; for NumPy
    itself, its time per epoch across the run's processes: {name: [value, [low, high] or None]}."""
    out = {}
    for name, entry in run["runs"].items():
        timing = entry.get("timing", {})
        if entry["status"] == "ok" and "ratio_to_reference" in timing:
            out[name] = [timing["ratio_to_reference"], timing.get("ratio_ci95")]
        elif entry["status"] == "ok" and name == REFERENCE and "epoch_median_s" in timing:
            out[name] = [timing["epoch_median_s"], timing.get("epoch_ci95_s")]
    return out


def covered(ratio_runs):
    """Per framework, the test of the intervals: does each run's ratio fall inside every other run's 95 % interval?
    {name: {"inside": bool, "comparisons": how many, "misses": ["run 2's 4.9 outside run 1's 4.2–4.6", …]}}."""
    out = {}
    for name in ratio_runs[0]:
        found = [run[name] for run in ratio_runs if name in run]
        scale = 1e6 if name == REFERENCE else 1  # NumPy's own: its time per epoch, in µs, as the table shows it
        misses = [f"run {i + 1}'s {ratio * scale:.3g} outside run {j + 1}'s "
                  + ("(no interval)" if interval is None else f"{interval[0] * scale:.3g}–{interval[1] * scale:.3g}")
                  for i, (ratio, _) in enumerate(found) for j, (_, interval) in enumerate(found)
                  if i != j and (interval is None or not interval[0] <= ratio <= interval[1])]
        out[name] = {"inside": not misses, "comparisons": len(found) * (len(found) - 1), "misses": misses}
    return out


def calibrated(runs, confidence=phases.CONFIDENCE):
    """What the test of the intervals gives when the intervals are right, as a yardstick for what it finds.

    Take each run's estimate as normal about the true value, with the standard error se that its interval's
    half-width implies (z·se, z = 1.96 at 95 %), the same in every run. Run i's estimate is inside run j's interval
    when |Xᵢ − Xⱼ| ≤ z·se, and Xᵢ − Xⱼ has the standard error √2·se: one comparison holds with probability
    P(|Z| ≤ z/√2), 0.834 at 95 %. Every run is inside every other run's interval when the range of the runs'
    estimates is at most z·se: P(range of `runs` standard normals ≤ z) = runs·∫ φ(x) (Φ(x + z) − Φ(x))^(runs − 1) dx,
    0.652 for three runs. An interval at 95 % holds the true value, not another run's estimate, which has an error
    of its own: so calibrated intervals miss one comparison in six, and one framework in three misses at least one
    of its six comparisons among three runs. {"comparison": …, "every_comparison": …}."""
    from scipy import integrate, stats  # only where the cost is measured

    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    every = integrate.quad(lambda x: stats.norm.pdf(x) * (stats.norm.cdf(x + z) - stats.norm.cdf(x)) ** (runs - 1),
                           -math.inf, math.inf)[0]
    return {"comparison": float(2 * stats.norm.cdf(z / math.sqrt(2)) - 1), "every_comparison": float(runs * every)}


def measure(runs=2, repeats=3):
    """The contents of cost.json."""
    config = Config()
    names = [name for name in frameworks_to_run(config, FRAMEWORKS) if not FRAMEWORKS[name].missing()]
    imports = {name: bare_import_seconds(FRAMEWORKS[name], config.threads, repeats) for name in names}
    walls, ratio_runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            seconds, run = default_run(Path(tmp) / str(i))
            walls.append(seconds)
            ratio_runs.append(ratios(run))
    first, last = ({name: value[0] for name, value in run.items()} for run in (ratio_runs[0], ratio_runs[-1]))
    cover = covered(ratio_runs)
    return {
        "schema": 3,  # 3: its ratios timed in whole blocks
        "environment": environment.describe(config.threads),
        "bare_import_s": imports,
        "bare_import_total_s": sum(imports.values()),
        "default_run_s": walls,
        "cost_ratio": statistics.median(walls) / sum(imports.values()),
        "ratio_to_numpy": ratio_runs,
        "ratio_change": {name: abs(last[name] - first[name]) / first[name] for name in first if name in last},
        "ratio_spread": spread(ratio_runs),
        "intervals_cover": cover,
        "comparisons_inside": [sum(entry["comparisons"] - len(entry["misses"]) for entry in cover.values()),
                               sum(entry["comparisons"] for entry in cover.values())],
        "calibrated": calibrated(runs),
    }


def spread(ratio_runs):
    """Per framework, how far the runs' medians lie from their common median (the median of the runs'), at most, as
    a fraction of it: {name: {"common": …, "reach": …}}."""
    out = {}
    for name in ratio_runs[0]:
        values = [run[name][0] for run in ratio_runs if name in run]
        common = statistics.median(values)
        out[name] = {"common": common, "reach": max(abs(value / common - 1) for value in values)}
    return out


def at_least(count, frameworks, probability):
    """The chance that `count` or more of `frameworks` pass, each with `probability` (independently)."""
    from scipy import stats

    return float(stats.binom.sf(count - 1, frameworks, probability))


def table(data):
    lines = ["bare imports, each in a fresh process: "
             + ", ".join(f"{name} {s:.2f} s" for name, s in data["bare_import_s"].items())
             + f" (total {data['bare_import_total_s']:.2f} s)",
             "default run, wall: " + ", ".join(f"{s:.2f} s" for s in data["default_run_s"])
             + f" → {data['cost_ratio']:.2f}× the bare imports"]
    cover, spreads = data["intervals_cover"], data.get("ratio_spread", {})
    for name, change in data["ratio_change"].items():
        scale = 1e6 if name == REFERENCE else 1  # NumPy's own: its time per epoch, in µs
        values = ", ".join(estimate(run[name][0] * scale, run[name][1] and [end * scale for end in run[name][1]])
                           for run in data["ratio_to_numpy"] if name in run)
        test = ("each run inside the others' intervals" if cover[name]["inside"]
                else "; ".join(cover[name]["misses"]))
        what = ("µs per epoch across each run's processes, each run's median (95 % interval)" if name == REFERENCE
                else "per epoch ÷ numpy's, each run's median (95 % interval)")
        apart = (f"within ±{spreads[name]['reach']:.0%} of their common median" if name in spreads
                 else f"{change:.0%} apart")
        lines.append(f"{name} {what}: {values} ({apart}): {test}")
    inside, (held, made) = sum(entry["inside"] for entry in cover.values()), data["comparisons_inside"]
    ideal = data["calibrated"]
    lines.append(f"{held} of {made} comparisons: a run's ratio inside another run's 95% interval ({held / made:.0%}; "
                 f"calibrated 95% intervals: {ideal['comparison']:.0%})")
    lines.append(f"{inside} of {len(cover)} frameworks: each run's ratio inside every other run's 95% interval "
                 f"(calibrated 95% intervals pass {ideal['every_comparison'] * len(cover):.1f} of {len(cover)} on "
                 f"average, and {inside} or more {at_least(inside, len(cover), ideal['every_comparison']):.0%} of the "
                 "time)")
    return "\n".join(lines)
