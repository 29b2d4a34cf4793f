"""The companion pairs train what they say they train: each file against the NumPy reference, and each file run as
a script prints NumPy's numbers, in one process per framework (a Keras file needs its backend chosen before keras is
imported), two processes at a time."""
import contextlib
import io
import json
import os
import runpy
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_allclose

import companion
import impl_numpy
from companion import blog
from compare.check import parity
from compare.frameworks import FRAMEWORKS
from compare.problem import Config, dataset, initial_weights

EPOCHS, LEARNING_RATE = 50, 1.0
# Each file run as `python -m` runs it, what it prints captured; then its train() from the suite's weights.
RUN = """
import contextlib, importlib, io, json, runpy, sys
import numpy as np
data = np.load(sys.argv[1])
out = {}
for kind in ("blog", "deep"):
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        runpy.run_module(f"companion.{sys.argv[2]}_{kind}", run_name="__main__", alter_sys=True)
    out[f"{kind} printed"] = printed.getvalue()
for kind, layers in (("blog", 2), ("deep", 3)):
    train = importlib.import_module(f"companion.{sys.argv[2]}_{kind}").train
    weights = [data[f"{kind}{i}"] for i in range(layers)]
    losses, predictions = train(data["x"], data["y"], weights, int(sys.argv[3]), float(sys.argv[4]))
    out[kind] = {"loss": np.asarray(losses, dtype=float).tolist(), "predictions": np.asarray(predictions).tolist()}
print(json.dumps(out))
"""


# The processes two at a time, the longest first (Keras's, then TensorFlow's): most of each one's time is its
# framework's import, on a core of its own.
LONGEST_FIRST = ("keras", "tensorflow")


@pytest.fixture(scope="module")
def processes(tmp_path_factory):
    """Each installed framework's pair, run in a process of its own: {framework: the finished process}."""
    x, y = dataset("blog")
    blog_weights, deep_weights = Config().initial_weights(), Config(**companion.DEEP).initial_weights()
    path = tmp_path_factory.mktemp("companion") / "data.npz"
    np.savez(path, x=x, y=y, **{f"blog{i}": w for i, w in enumerate(blog_weights)},
             **{f"deep{i}": w for i, w in enumerate(deep_weights)})

    def run(framework):
        env = {**FRAMEWORKS[framework].env, "PYTHONPATH": str(companion.HERE.parent)}
        return subprocess.run([sys.executable, "-c", RUN, str(path), framework, str(EPOCHS), str(LEARNING_RATE)],
                              capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
                              env={**os.environ, **env})

    installed = [name for name in companion.FRAMEWORKS if not FRAMEWORKS[name].missing()]
    installed.sort(key=lambda name: LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST))
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(installed, pool.map(run, installed), strict=True))


@pytest.fixture(scope="module", params=companion.FRAMEWORKS)
def ran(request, processes):
    """One framework's pair: what each file printed, and what its train() returned."""
    framework = request.param
    missing = FRAMEWORKS[framework].missing()
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed")
    proc = processes[framework]
    assert proc.returncode == 0, proc.stderr[-2000:]
    return framework, json.loads(proc.stdout.splitlines()[-1])


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
