"""Property: from any seed, width, learning rate and dataset, every framework agrees with NumPy at float64.

Each example trains every framework in its own worker (seconds each), so CI runs a few examples; set
HYPOTHESIS_PROFILE=thorough for many more.
"""
import os

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

from compare.frameworks import DEFAULT, FRAMEWORKS  # noqa: E402
from compare.problem import Config  # noqa: E402
from compare.run import runner  # noqa: E402
from tests.schedule import longest_first  # noqa: E402

settings.register_profile("ci", max_examples=3, deadline=None, derandomize=True)
settings.register_profile("thorough", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

INSTALLED = longest_first(name for name in DEFAULT if not FRAMEWORKS[name].missing())  # tests/schedule.py


@given(seed=st.integers(0, 2**32 - 1), hidden=st.integers(1, 12),
       learning_rate=st.floats(0.05, 5.0, allow_nan=False), dataset=st.sampled_from(["blog", "xor"]))
def test_every_framework_agrees_at_float64(workers, seed, hidden, learning_rate, dataset):
    results = runner.run(Config(frameworks=INSTALLED, seed=seed, hidden=hidden, learning_rate=learning_rate,
                                dataset=dataset, epochs=20, repeats=0, jobs=2), workers=workers)
    for name in INSTALLED:
        assert results["runs"][name]["status"] == "ok", results["runs"][name].get("stderr")
    for name, entry in results["parity"]["frameworks"].items():
        assert entry["verdict"] == ("limited" if FRAMEWORKS[name].float64_limit else "pass"), (name, entry)
    assert results["parity"]["ok"]
