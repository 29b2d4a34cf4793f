"""The timing helpers' arithmetic, on a fake clock (no speed is asserted here: the benchmarks measure that)."""
import numpy as np
import pytest

from compare.timing import phases


@pytest.fixture
def fake_clock(monkeypatch):
    """phases.seconds returns what fit(n) returns (its 'duration'), and records n."""
    calls = []

    def seconds(fn, n):
        calls.append(n)
        return fn(n)

    monkeypatch.setattr(phases, "seconds", seconds)
    return calls


def test_calibration_takes_the_smallest_block_long_enough_whose_fixed_cost_is_a_small_share(fake_clock):
    # 1 ms of fixed cost per call plus 1 ms an epoch: 20 epochs last 21 ms, a call's cost 5 % of 21 ms: too short;
    # 50 epochs, 51 ms, 2 % of it.
    found = phases.calibrate(lambda n: 0.001 + 0.001 * n, min_block_s=0.025)
    assert found["epochs"] == 50 and found["block_s"] == pytest.approx(0.051)
    assert found["fixed_s"] == pytest.approx(0.001) and found["fixed_share"] == pytest.approx(0.001 / 0.051)
    # Each size is timed once, and three times where that first timing reaches the shortest block; the size before
    # it then gets three timings too, so that the fixed cost rests on two sizes' medians at least.
    assert fake_clock == [1, 2, 5, 10, 20, 50, 50, 50, 20, 20]


def test_a_costly_call_stops_calibration_before_blocks_grow_past_the_longest(fake_clock):
    """Keras-like: 20 ms a call and 30 ms an epoch. A share of 5 % would take 20 epochs (0.62 s); the size after 5
    epochs would last 0.32 s, more than MAX_BLOCK_S, so 5 it is, its call's share (11 %) said."""
    found = phases.calibrate(lambda n: 0.020 + 0.030 * n, min_block_s=0.025)
    assert found["epochs"] == 5 and found["fixed_share"] == pytest.approx(0.020 / 0.170)


def test_theil_sen_is_scipys():
    from scipy import stats

    rng = np.random.default_rng(8)
    sizes = np.repeat([1, 2, 5, 10, 20], 3)
    times = 0.002 + 0.0003 * sizes * rng.lognormal(0, 0.1, sizes.size)
    times[4] += 0.05  # a stall
    slope, intercept, *_ = stats.theilslopes(times, sizes, method="joint")
    assert phases.theil_sen(list(zip(sizes, times, strict=True))) == (pytest.approx(intercept), pytest.approx(slope))


def test_calibration_is_robust_to_one_stalled_timing(fake_clock):
    stalls = iter([0.0, 0.0, 0.5] + [0.0] * 100)  # the third call (5 epochs) stalls for half a second
    found = phases.calibrate(lambda n: 0.0001 * n + next(stalls), min_block_s=0.025)
    assert found["epochs"] == 500 and found["fixed_s"] == pytest.approx(0.0, abs=1e-9)


def test_an_epoch_longer_than_half_the_longest_block_is_timed_one_at_a_time(fake_clock):
    found = phases.calibrate(lambda n: 0.2 * n, min_block_s=0.025)
    assert found == {"epochs": 1, "block_s": pytest.approx(0.2), "fixed_s": None, "fixed_share": None}


def test_a_round_times_whole_blocks_in_abba_order_each_side_settled_first(fake_clock):
    """The first call after the other side's pays 1 ms more (what that side left behind): the untimed epoch before
    each side's first block takes it, and a drift linear in time cancels in the pair's ratio."""
    log, clock = [], [0.0]

    def side(name, per_epoch):
        def fit(n):
            switched = not log or log[-1][0] != name
            took = per_epoch * n * (1 + clock[0]) + (0.001 if switched else 0.0)  # 100 % slower a second later
            log.append((name, n))
            clock[0] += took
            return took
        return fit

    framework, numpy = side("framework", 0.001), side("numpy", 0.0001)
    epoch, reference = phases.one_round(framework, 10, numpy, 100)
    assert log == [("framework", 1), ("framework", 10), ("numpy", 1), ("numpy", 100), ("numpy", 100),
                   ("framework", 1), ("framework", 10)]
    assert epoch > 0.001 and reference > 0.0001  # the drift slows both …
    assert epoch / reference == pytest.approx(10.0, rel=0.02)  # … and cancels in their ratio


def test_phase_accumulates():
    timings = {}
    with phases.phase(timings, "a"):
        pass
    with phases.phase(timings, "a"):
        pass
    assert set(timings) == {"a"} and timings["a"] >= 0


def test_peak_memory_is_plausible():
    assert 1 < phases.peak_memory_mb() < 100_000


def test_the_median_interval_is_the_binomial_order_statistics():
    assert phases.median_interval([3.0, 1.0, 2.0, 5.0, 4.0]) is None  # 5 values: no 95 % interval exists
    assert phases.median_interval([6, 1, 5, 2, 4, 3]) == (1, 6)  # 6: the extremes, coverage 1 − 2/64
    assert phases.median_interval(list(range(1, 21))) == (6, 15)  # 20: P(B ≤ 5) = 0.021 ≤ 0.025 < P(B ≤ 6)


def test_the_median_interval_covers_the_true_median_at_least_95_percent_of_the_time():
    rng = np.random.default_rng(5)
    samples = rng.lognormal(0.0, 0.5, size=(4000, 15))  # skewed, like timings; the true median is exp(0) = 1
    intervals = [phases.median_interval(sample) for sample in samples]
    coverage = np.mean([low <= 1.0 <= high for low, high in intervals])
    assert coverage >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / len(samples))  # its guarantee, within sampling error


def pairs(ratios, reference=1e-5):
    """[[seconds per epoch, NumPy's], …] with these ratios."""
    return [[ratio * reference, reference] for ratio in ratios]


def test_the_interval_is_the_binomial_one_of_the_pooled_pairs():
    groups = [[2.0, 2.1, 1.9, 2.05], [2.02, 1.98, 2.2], [1.95, 2.01, 2.03]]
    result = phases.summary([pairs(group) for group in groups])
    pooled = [value for group in groups for value in group]
    assert result["ratio_to_reference"] == pytest.approx(np.median(pooled))
    assert result["ratio_ci95"] == pytest.approx(phases.median_interval(pooled))
    assert result["process_ratios"] == pytest.approx([np.median(group) for group in groups])
    assert result["repeats"] == 10 and result["processes"] == 3


def flagged(result, cores=2):
    phases.flag(result, cores=cores)
    return result.get("flagged")


def steady(rng, centre=2.0, count=12, spread=0.01):
    return list(centre * (1 + spread * rng.standard_normal(count)))


def test_a_steady_row_on_a_quiet_machine_is_not_flagged():
    rng = np.random.default_rng(1)
    result = phases.summary([pairs(steady(rng)) for _ in range(3)], wall_s=3.0, cpu_s=2.9, machine_cpu_s=3.0)
    assert result["other_cores"] == pytest.approx(0.1 / 3.0)
    assert flagged(result) is None


def test_one_wild_pair_never_flags_a_row():
    rng = np.random.default_rng(2)
    groups = [steady(rng, count=4), steady(rng, count=3), steady(rng, count=3)]
    groups[1][0] = 9.0  # one pair four times the rest: a stall
    result = phases.summary([pairs(group) for group in groups])
    assert flagged(result) is None and result["ci95_half_width"] < phases.WIDE


def test_a_wide_interval_is_flagged_and_says_how_wide():
    rng = np.random.default_rng(3)
    result = phases.summary([pairs(steady(rng, spread=0.4, count=4)) for _ in range(3)])
    assert result["ci95_half_width"] > phases.WIDE
    assert flagged(result).startswith(f"its 95 % interval reaches ±{result['ci95_half_width']:.0%} from its median, "
                                      "more than ±15%")


def test_processes_that_differ_beyond_their_pairs_are_flagged_by_a_test_across_them():
    rng = np.random.default_rng(4)
    apart = phases.summary([pairs(steady(rng, 1.8)), pairs(steady(rng, 2.0)), pairs(steady(rng, 2.2))])
    assert apart["processes_p"] < phases.PROCESSES_P
    assert "its processes differ beyond what their pairs allow (medians 1.8, 2, 2.2; Kruskal–Wallis p = " in (
        flagged(apart))
    # Significant but within ±5 % of the median: a difference too small to matter is not flagged.
    close = phases.summary([pairs(steady(rng, 1.97, spread=0.001)), pairs(steady(rng, 2.0, spread=0.001)),
                            pairs(steady(rng, 2.03, spread=0.001))])
    assert close["processes_p"] < phases.PROCESSES_P and flagged(close) is None


def test_a_busy_machine_is_flagged_in_plain_words():
    rng = np.random.default_rng(5)
    busy = phases.summary([pairs(steady(rng)) for _ in range(3)], wall_s=2.0, cpu_s=2.0, machine_cpu_s=3.6)
    assert flagged(busy) == ("the machine was busy: other processes used 0.8 of its 2 cores while it was timed; "
                             "rerun on a quiet machine")
    # Where the machine's own count cannot be read, the timed process's share of a core says it.
    unknown = phases.summary([pairs(steady(rng)) for _ in range(3)], wall_s=2.0, cpu_s=1.4)
    assert flagged(unknown) == "the machine was busy: the timed process had 70% of a core; rerun on a quiet machine"


def test_too_few_pairs_for_an_interval_are_flagged():
    result = phases.summary([pairs([2.0, 2.1, 1.9])])
    assert result["ratio_ci95"] is None and flagged(result) == "only 3 pairs: too few for a 95 % interval"


def test_steady_state_stops_once_the_interval_is_within_5_percent(fake_clock, monkeypatch):
    now = [0.0]
    monkeypatch.setattr(phases, "clock", lambda: now[0])
    noise = iter(np.random.default_rng(6).lognormal(0, 0.02, 10_000))

    def timed(per_epoch):
        def fit(n):
            now[0] += per_epoch * n
            return per_epoch * n * next(noise)
        return fit

    result = phases.steady_state(timed(0.001), reference=timed(0.0001), budget_s=60)
    assert result["repeats"] == phases.MIN_PAIRS and result["ci95_half_width"] <= phases.TIGHT
    assert result["ratio_to_reference"] == pytest.approx(10.0, rel=0.03)
    assert result["block_epochs"] == [50] and result["reference_block_epochs"] == [500]
    assert "flagged" not in result


def test_a_served_worker_calibrates_when_asked_then_replies_with_its_pairs(fake_clock):
    import io
    import json

    replies = io.StringIO()
    phases.serve(lambda n: 0.001 * n, lambda n: 0.0001 * n, io.StringIO("calibrate\n0\n0\n"), replies)
    ready, calibrated, *rounds = [json.loads(line) for line in replies.getvalue().splitlines()]
    assert ready == {"ready": True}  # nothing timed before the runner asks: the lane may stop a replica meanwhile
    assert calibrated["calibration"]["epochs"] == 50 and calibrated["reference_calibration"]["epochs"] == 500
    assert len(rounds) == 2 and all(len(r["pairs"]) == 1 for r in rounds)  # a round takes at least one pair
    epoch, reference = rounds[0]["pairs"][0]
    assert epoch == pytest.approx(0.001) and reference == pytest.approx(0.0001)


def test_the_cost_test_of_the_intervals_names_each_miss_in_the_units_shown():
    from compare.commands import cost

    runs = [{"numpy": [18.8e-6, [15.2e-6, 19.5e-6]], "torch": [4.6, [4.5, 4.7]]},
            {"numpy": [19.2e-6, [18.9e-6, 19.8e-6]], "torch": [4.65, [4.4, 4.8]]}]
    found = cost.covered(runs)
    assert found["torch"] == {"inside": True, "comparisons": 2, "misses": []}
    assert found["numpy"] == {"inside": False, "comparisons": 2,
                              "misses": ["run 1's 18.8 outside run 2's 18.9–19.8"]}  # µs


def test_ideal_intervals_pass_the_cost_test_as_often_as_calibrated_says():
    """Estimates normal about one true value, each with its calibrated 95 % interval: the test of the intervals
    (cost.covered) passes them at the rates cost.calibrated gives, one comparison in six missed, and a framework's
    every comparison among three runs only two times in three."""
    from compare.commands import cost

    rng, se = np.random.default_rng(14), 0.1
    names = [f"framework {i}" for i in range(3000)]
    runs = [{name: [x, [x - 1.96 * se, x + 1.96 * se]] for name, x in zip(names, row, strict=True)}
            for row in 10 + se * rng.standard_normal((3, len(names)))]
    found, ideal = cost.covered(runs), cost.calibrated(3)
    assert all(entry["comparisons"] == 6 for entry in found.values())
    held = sum(entry["comparisons"] - len(entry["misses"]) for entry in found.values()) / (6 * len(names))
    assert held == pytest.approx(ideal["comparison"], abs=0.02)
    assert ideal["comparison"] == pytest.approx(0.834, abs=1e-3)
    every = sum(entry["inside"] for entry in found.values()) / len(names)
    assert every == pytest.approx(ideal["every_comparison"], abs=0.03)
    assert ideal["every_comparison"] == pytest.approx(0.652, abs=1e-3)
    two = cost.calibrated(2)  # two runs make one comparison each way: the same event
    assert two["every_comparison"] == pytest.approx(two["comparison"])


def test_the_cost_table_sets_the_test_of_the_intervals_beside_calibrated_intervals():
    from compare.commands import cost

    runs = [{"numpy": [19e-6, [18e-6, 20e-6]], "torch": [4.6, [4.5, 4.7]]},
            {"numpy": [19.5e-6, [19.2e-6, 19.8e-6]], "torch": [4.65, [4.4, 4.8]]}]
    cover = cost.covered(runs)
    data = {"bare_import_s": {"numpy": 0.1, "torch": 1.0}, "bare_import_total_s": 1.1, "default_run_s": [2.0, 2.2],
            "cost_ratio": 1.9, "ratio_to_numpy": runs, "ratio_change": {"numpy": 0.03, "torch": 0.01},
            "intervals_cover": cover, "comparisons_inside": [3, 4], "calibrated": cost.calibrated(2)}
    *_, comparisons, frameworks = cost.table(data).splitlines()
    assert comparisons == ("3 of 4 comparisons: a run's ratio inside another run's 95% interval (75%; "
                           "calibrated 95% intervals: 83%)")
    assert frameworks == ("1 of 2 frameworks: each run's ratio inside every other run's 95% interval "
                          "(calibrated 95% intervals pass 1.7 of 2 on average, and 1 or more 97% of the time)")
    assert cost.at_least(7, 8, 0.652) == pytest.approx(0.652**8 + 8 * 0.652**7 * 0.348)
    assert cost.at_least(0, 8, 0.3) == pytest.approx(1.0)


class ScriptedProcess:
    """A served process (compare.run.timekeeper.Served) that answers each round with one pair of a fixed ratio."""

    def __init__(self, ratio):
        self.ratio, self.pairs = ratio, []
        self.cpu_s = self.wall_s = 0.0

    def calibrate(self):
        self.calibration = {"epochs": 10, "block_s": 0.03, "fixed_s": 0.0, "fixed_share": 0.0}
        self.reference_calibration = {"epochs": 100, "block_s": 0.03, "fixed_s": 0.0, "fixed_share": 0.0}
        return True

    def round(self, seconds):
        self.pairs.append([self.ratio * 1e-5 * (1 + 0.01 * (len(self.pairs) % 3)), 1e-5])
        self.wall_s += seconds
        return True


def test_processes_timed_in_turn_give_one_interval_over_their_pooled_pairs():
    from compare.run import timekeeper

    processes = [ScriptedProcess(2.0), ScriptedProcess(2.0), ScriptedProcess(2.0)]
    result = timekeeper.measure(processes, 10, 0)  # no budget: ten pairs in all, in turn
    assert [len(process.pairs) for process in processes] == [4, 3, 3]
    assert result["processes"] == 3 and result["repeats"] == 10
    assert result["block_epochs"] == [10, 10, 10] and result["reference_block_epochs"] == [100, 100, 100]
    low, high = result["ratio_ci95"]
    assert low <= result["ratio_to_reference"] <= high
    assert [len(group) for group in result["reference_epochs_s"]] == [4, 3, 3]
    assert "flagged" not in result  # no budget: nothing is flagged (NumPy's own row)


def test_a_worker_that_ends_inside_its_quiet_phases_ends_them():
    """Its quiet phases paused the lane; nothing else would resume it, and the run would wait on it for ever."""
    import sys

    from compare.run import timekeeper

    heard = []
    served = timekeeper.Served([sys.executable, "-c", "print('{\"quiet\": true}', flush=True); raise SystemExit(1)"],
                               30, on_quiet=heard.append)
    assert served.wait_ready() is False
    assert heard == [True, False]
    served.close(wait=True)
