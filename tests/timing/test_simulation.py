"""The timing estimator on simulated block timings from a known truth: its 95 % interval covers the truth about as
often as it says, and no time per epoch, ratio or interval end is ever at or below 0. Nothing is timed: every
block's duration is drawn, and the clock is the simulation's (phases.seconds and phases.clock replaced)."""
import math

import numpy as np
import pytest

from compare.run import timekeeper
from compare.timing import phases

FRAMEWORK_EPOCH_S, NUMPY_EPOCH_S = 300e-6, 25e-6  # a torch-like framework beside NumPy, at the blog's size
TRUTH = FRAMEWORK_EPOCH_S / NUMPY_EPOCH_S
RUNS = 1000


class Machine:
    """Block timings as this kind of machine gives them, from one truth: each block's epochs with lognormal noise
    (σ 5 %), a drift of the whole machine's speed (±10 % over seconds, shared by both sides), now and then a stall
    of 20 to 200 of the framework's epochs (2 % of calls), the first call after the other side's paying for what that
    side left behind (3 epochs more), and a small fixed cost per call."""

    def __init__(self, rng):
        self.rng, self.now, self.last = rng, 0.0, None
        self.phase = rng.uniform(0, 2 * math.pi)

    def fit(self, side, epoch_s, fixed_s):
        def run(n):
            switched, self.last = self.last != side, side
            drift = math.exp(0.1 * math.sin(self.now / 7.0 + self.phase))
            took = fixed_s + n * epoch_s * drift * self.rng.lognormal(0.0, 0.05)
            if switched:
                took += 3 * epoch_s
            if self.rng.random() < 0.02:
                took += self.rng.uniform(20, 200) * FRAMEWORK_EPOCH_S
            self.now += took
            return took
        return run


class SimulatedProcess:
    """A timing process as compare.run.timekeeper.measure drives it (Served's calibrate and round), on the
    simulated machine: phases' own calibration and rounds run on it."""

    def __init__(self, machine, name):
        self.fit = machine.fit((name, "framework"), FRAMEWORK_EPOCH_S, 200e-6)
        self.reference = machine.fit((name, "numpy"), NUMPY_EPOCH_S, 5e-6)
        self.pairs, self.cpu_s, self.wall_s = [], 0.0, 0.0
        self.machine = machine

    def calibrate(self):
        self.calibration = phases.calibrate(self.fit)
        self.reference_calibration = phases.calibrate(self.reference)
        return True

    def round(self, seconds):
        start = self.machine.now
        self.pairs.append(phases.one_round(self.fit, self.calibration["epochs"], self.reference,
                                           self.reference_calibration["epochs"]))
        self.wall_s += self.machine.now - start
        self.cpu_s += self.machine.now - start
        return True


@pytest.fixture
def simulated(monkeypatch):
    """Run timekeeper.measure over three simulated processes, as a default run times a framework."""
    machines = []
    monkeypatch.setattr(phases, "seconds", lambda fn, *args: fn(*args))
    monkeypatch.setattr(phases, "clock", lambda: machines[-1].now)
    monkeypatch.setattr(phases, "machine_cpu_s", lambda: None)

    def run(rng):
        machines.append(Machine(rng))
        served = [SimulatedProcess(machines[-1], i) for i in range(3)]
        return timekeeper.measure(served, phases.MIN_PAIRS, phases.BUDGET_S)
    return run


def test_the_95_percent_interval_covers_the_truth_in_93_to_99_percent_of_runs(simulated):
    rng = np.random.default_rng(34)
    results = [simulated(rng) for _ in range(RUNS)]
    covered = np.mean([low <= TRUTH <= high for low, high in (r["ratio_ci95"] for r in results)])
    assert 0.93 <= covered <= 0.99, covered
    # Every estimate positive, every interval around its median.
    for r in results:
        assert r["epoch_median_s"] > 0 and r["reference_epoch_median_s"] > 0 and r["ratio_to_reference"] > 0
        low, high = r["ratio_ci95"]
        assert 0 < low <= r["ratio_to_reference"] <= high
        assert r["repeats"] >= phases.MIN_PAIRS and r["processes"] == 3
    # The interval is not covering by being wide: the runs' median half-width stays within a few per cent.
    assert np.median([r["ci95_half_width"] for r in results]) < 0.06
    # And a flag is earned: on this machine (no busy cores, processes alike) few runs are flagged.
    assert np.mean(["flagged" in r for r in results]) < 0.05


def test_differencing_two_blocks_would_go_negative_where_whole_blocks_cannot():
    """The old estimator's flaw, shown on the same machine: (t(2n) − t(n))/n goes at or below 0 whenever a stall in
    t(n) is longer than n epochs; a whole block divided by its count cannot."""
    rng = np.random.default_rng(7)
    machine = Machine(rng)
    fit = machine.fit("numpy", NUMPY_EPOCH_S, 5e-6)
    n = 1000  # 25 ms of NumPy's epochs
    differences = [(fit(2 * n) - fit(n)) / n for _ in range(2000)]
    assert min(differences) <= 0
    assert min(fit(n) / n for _ in range(2000)) > 0
