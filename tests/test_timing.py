"""The timing helpers' arithmetic, on a fake clock (no speed is asserted here: the benchmarks measure that)."""
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
    result = timing.steady_state(lambda n: 0.010 + 0.001 * n, repeats=5, min_block_s=0.02, target_s=0)
    assert result["block_epochs"] == 10  # 1, 2 and 5 epochs last under 20 ms; 10 epochs last 20 ms
    assert result["epoch_median_s"] == pytest.approx(0.001)
    assert result["call_overhead_s"] == pytest.approx(0.010)
    assert result["epoch_iqr_s"] == pytest.approx(0.0, abs=1e-15)
    assert result["repeats"] == 5
    assert fake_clock[:4] == [1, 2, 5, 10] and fake_clock[4:6] == [10, 20]


def test_steady_state_ratio_to_a_reference(fake_clock):
    result = timing.steady_state(lambda n: 0.010 + 0.001 * n, repeats=3, min_block_s=0.02, target_s=0,
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
