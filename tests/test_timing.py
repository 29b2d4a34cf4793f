"""The timing helpers' arithmetic, on a fake clock (no speed is asserted here: the benchmarks measure that)."""
import numpy as np
import pytest

from compare import timing


@pytest.fixture
def fake_clock(monkeypatch):
    """fit(n) 'takes' 10 ms of fixed cost plus 1 ms per epoch; the reference 0.1 ms per epoch, no fixed cost."""
    calls = []

    def seconds(fn, n):
        calls.append(n)
        return fn(n)

    monkeypatch.setattr(timing, "seconds", seconds)
    return calls


def test_steady_state_cancels_the_fixed_cost_of_a_call(fake_clock):
    result = timing.steady_state(lambda n: 0.010 + 0.001 * n, repeats=5, min_block_s=0.02, budget_s=0)
    # 10 epochs last 20 ms, but half of that is the call's fixed cost: from 50 epochs (60 ms) it is a sixth.
    assert result["block_epochs"] == 50
    assert result["epoch_median_s"] == pytest.approx(0.001)
    assert result["call_overhead_s"] == pytest.approx(0.010)
    assert result["epoch_iqr_s"] == pytest.approx(0.0, abs=1e-15)
    assert result["repeats"] == 5
    assert fake_clock[:6] == [1, 2, 5, 10, 20, 50] and fake_clock[6:8] == [50, 100]


def test_without_a_fixed_cost_the_shortest_block_will_do(fake_clock):
    assert timing.autorange(lambda n: 0.001 * n, min_block_s=0.02) == 20


def test_steady_state_ratio_to_a_reference(fake_clock):
    result = timing.steady_state(lambda n: 0.010 + 0.001 * n, repeats=3, min_block_s=0.02, budget_s=0,
                                 reference=lambda n: 0.0001 * n)
    assert result["ratio_to_reference"] == pytest.approx(10.0)


def test_phase_accumulates():
    timings = {}
    with timing.phase(timings, "a"):
        pass
    with timing.phase(timings, "a"):
        pass
    assert set(timings) == {"a"} and timings["a"] >= 0


def test_peak_memory_is_plausible():
    assert 1 < timing.peak_memory_mb() < 100_000


def test_the_median_interval_is_the_binomial_order_statistics():
    assert timing.median_interval([3.0, 1.0, 2.0, 5.0, 4.0]) is None  # 5 values: no 95 % interval exists
    assert timing.median_interval([6, 1, 5, 2, 4, 3]) == (1, 6)  # 6: the extremes, coverage 1 − 2/64
    assert timing.median_interval(list(range(1, 21))) == (6, 15)  # 20: P(B ≤ 5) = 0.021 ≤ 0.025 < P(B ≤ 6)


def test_the_median_interval_covers_the_true_median_at_least_95_percent_of_the_time():
    rng = np.random.default_rng(5)
    samples = rng.lognormal(0.0, 0.5, size=(4000, 15))  # skewed, like timings; the true median is exp(0) = 1
    intervals = [timing.median_interval(sample) for sample in samples]
    coverage = np.mean([low <= 1.0 <= high for low, high in intervals])
    assert coverage >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / len(samples))  # its guarantee, within sampling error


def jittered(values):
    """A fit whose per-epoch time follows `values`, one per timed pair (the fixed cost cancels: see above). A pair
    starts with a block of 50 epochs; autorange runs two of those before the pairs begin."""
    state = {"pairs": -2, "epoch": values[0]}

    def fit(n):
        if n == 50:
            state["pairs"] += 1
            state["epoch"] = values[min(max(state["pairs"], 0), len(values) - 1)]
        return 0.010 + state["epoch"] * n
    return fit


def test_pairs_are_taken_until_the_interval_is_within_5_percent(fake_clock):
    # Two outliers among steady pairs: six pairs span them (±30 %); from nine pairs the interval drops one per side.
    fit = jittered([0.001, 0.0013, 0.0007] + [0.001] * 40)
    result = timing.steady_state(fit, repeats=6, min_block_s=0.02, budget_s=60, reference=lambda n: 0.0001 * n)
    assert result["repeats"] == 9 and result["ci95_half_width"] <= timing.TIGHT
    assert result["ratio_ci95"][0] <= result["ratio_to_reference"] <= result["ratio_ci95"][1]
    assert "unstable" not in result


def test_a_ratio_still_wide_when_the_budget_is_spent_is_flagged_unstable(fake_clock):
    fit = jittered([0.001, 0.0015, 0.0006, 0.0012, 0.0008, 0.0014, 0.0007] * 10)
    result = timing.steady_state(fit, repeats=6, min_block_s=0.02, budget_s=1e-9, reference=lambda n: 0.0001 * n)
    assert result["repeats"] == 6 and result["ci95_half_width"] > timing.UNSTABLE
    assert isinstance(result["unstable"], str) and result["unstable"]
    share = timing.unstable_cause({**result, "cpu_share": 0.4, "load_average": 0.1}, cores=2)
    assert share == "the worker had 40% of a core while timed"
    load = timing.unstable_cause({**result, "cpu_share": 1.0, "load_average": 3.2}, cores=2)
    assert load == "load average 3.2 on 2 cores"
