"""The companion pairs train what they say they train: each file against the NumPy reference, in its own process
(a Keras file needs its backend chosen before keras is imported)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose

import companion
import impl_numpy
from compare.check import parity
from compare.frameworks import FRAMEWORKS
from compare.problem import Config, dataset

EPOCHS, LEARNING_RATE = 50, 1.0
RUN = """
import importlib, json, sys
import numpy as np
data = np.load(sys.argv[1])
out = {}
for kind, layers in (("blog", 2), ("deep", 3)):
    train = importlib.import_module(f"companion.{sys.argv[2]}_{kind}").train
    weights = [data[f"{kind}{i}"] for i in range(layers)]
    out[kind] = np.asarray(train(data["x"], data["y"], weights, int(sys.argv[3]), float(sys.argv[4]))).tolist()
print(json.dumps(out))
"""


def test_the_counts_come_from_the_files():
    numpy, torch = companion.changes("numpy"), companion.changes("torch")
    assert numpy["added"] > torch["added"] > 0 and numpy["removed"] > 0  # NumPy writes the derivatives too
    assert "+        l2_delta = (l3_delta @ w2.T) * (1 - l2**2)  # tanh' = 1 − tanh²" in numpy["diff"]
    assert companion.DEEP["loss"] == "bce" and companion.DEEP["activation"] == "tanh"
    assert len(companion.DEEP["hidden"]) == 2


@pytest.mark.parametrize("framework", companion.FRAMEWORKS)
def test_pair_matches_the_reference(framework, tmp_path):
    missing = FRAMEWORKS[framework].missing()
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed")
    x, y = dataset("blog")
    blog, deep = Config(), Config(**companion.DEEP)
    np.savez(tmp_path / "data.npz", x=x, y=y, **{f"blog{i}": w for i, w in enumerate(blog.initial_weights())},
             **{f"deep{i}": w for i, w in enumerate(deep.initial_weights())})
    env = {**FRAMEWORKS[framework].env, "PYTHONPATH": str(companion.HERE.parent)}
    proc = subprocess.run([sys.executable, "-c", RUN, str(tmp_path / "data.npz"), framework, str(EPOCHS),
                           str(LEARNING_RATE)], capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL, env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.splitlines()[-1])
    expected = {
        "blog": impl_numpy.train(x, y, blog.initial_weights(), EPOCHS, LEARNING_RATE, "float64"),
        "deep": impl_numpy.train(x, y, deep.initial_weights(), EPOCHS, LEARNING_RATE, "float64",
                                 biases=deep.initial_biases(), **deep.network),
    }
    for kind, reference in expected.items():
        assert_allclose(got[kind], reference["predictions"], rtol=0, atol=parity.tolerance("float64"), err_msg=kind)
    # Not a trivial agreement: the two networks learn different functions of the same data.
    assert np.max(np.abs(np.array(got["blog"]) - got["deep"])) > 1e-3
