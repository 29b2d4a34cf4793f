"""The companion pairs train what they say they train: each file against the NumPy reference, and each file run as
a script prints NumPy's numbers, in one process per framework (a Keras file needs its backend chosen before keras is
imported; tests/companion_runs.py)."""
import contextlib
import io
import runpy

import numpy as np
import pytest
from numpy.testing import assert_allclose

import companion
import impl_numpy
from companion import blog
from compare.check import parity
from compare.frameworks import FRAMEWORKS
from compare.problem import Config, dataset, initial_weights
from tests import companion_runs
from tests.companion_runs import EPOCHS, LEARNING_RATE


@pytest.fixture(scope="module", params=companion.FRAMEWORKS)
def ran(request, companion_processes):
    """One framework's pair, run in a process of its own (tests/companion_runs.py): what each file printed, and what
    its train() returned."""
    framework = request.param
    missing = FRAMEWORKS[framework].missing()
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed")
    return framework, companion_runs.part(companion_processes[framework], "pair")


def printed_by_numpy(kind):
    """What `python -m companion.numpy_<kind>` prints, run here (the blog's seed touches NumPy's global state: it is
    put back)."""
    state = np.random.get_state()
    try:
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            runpy.run_module(f"companion.numpy_{kind}", run_name="__main__")
    finally:
        np.random.set_state(state)
    return printed.getvalue()


def test_the_counts_come_from_the_files():
    numpy, torch = companion.changes("numpy"), companion.changes("torch")
    assert numpy["added"] > torch["added"] > 0 and numpy["removed"] > 0  # NumPy writes the derivatives too
    assert "+        l2_delta = (l3_delta @ w2.T) * (1 - l2**2)  # tanh' = 1 − tanh²" in numpy["diff"]
    assert companion.DEEP["loss"] == "bce" and companion.DEEP["activation"] == "tanh"
    assert len(companion.DEEP["hidden"]) == 2


def test_the_blogs_run_is_the_suites():
    state = np.random.get_state()
    try:
        for drawn, suites in ((blog.weights(3, 4, 1), initial_weights(1, [3, 4, 1])),
                              (blog.weights(3, 4, 4, 1), Config(**companion.DEEP).initial_weights())):
            assert len(drawn) == len(suites)
            for w, expected in zip(drawn, suites, strict=True):
                assert_allclose(w, expected, rtol=0, atol=0)
    finally:
        np.random.set_state(state)
    x, y = dataset("blog")
    assert_allclose(blog.X, x, rtol=0, atol=0)
    assert_allclose(blog.y, y, rtol=0, atol=0)
    assert (blog.EPOCHS, blog.LEARNING_RATE) == (EPOCHS, LEARNING_RATE) == (Config().epochs, Config().learning_rate)


def test_pair_matches_the_reference(ran):
    framework, got = ran
    x, y = dataset("blog")
    blog_config, deep = Config(), Config(**companion.DEEP)
    expected = {
        "blog": impl_numpy.train(x, y, blog_config.initial_weights(), EPOCHS, LEARNING_RATE, "float64"),
        "deep": impl_numpy.train(x, y, deep.initial_weights(), EPOCHS, LEARNING_RATE, "float64",
                                 biases=deep.initial_biases(), **deep.network),
    }
    for kind, reference in expected.items():
        for curve in ("loss", "predictions"):
            assert_allclose(got[kind][curve], reference[curve], rtol=0, atol=parity.tolerance("float64"),
                            err_msg=f"{framework} {kind}: {curve}")
    # Not a trivial agreement: the two networks learn different functions of the same data.
    assert np.max(np.abs(np.array(got["blog"]["predictions"]) - got["deep"]["predictions"])) > 1e-3


def test_each_file_run_as_a_script_prints_numpys_numbers(ran):
    framework, got = ran
    for kind in ("blog", "deep"):
        expected = printed_by_numpy(kind)
        lines = expected.splitlines()
        assert lines[0] == "iteration  loss" and lines[EPOCHS + 1] == "prediction    target", lines
        assert [line.split()[0] for line in lines[1:EPOCHS + 1]] == [str(i) for i in range(1, EPOCHS + 1)]
        assert len(lines) == EPOCHS + 2 + 4  # a loss per iteration, then a prediction per row
        assert got[f"{kind} printed"] == expected, f"{framework}_{kind}"
