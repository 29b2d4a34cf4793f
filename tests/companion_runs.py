"""The companion files run in one process per framework (a Keras file needs its backend chosen before keras is
imported), two processes at a time, the longest imports first: most of each one's time is its framework's import,
paid once for all its files. tests/conftest.py runs them once per session for tests/test_companion.py (the pair:
each `_blog` and `_deep` file run as a script, what it printed, and its train() from the suite's weights) and
tests/test_companion_loop.py (the `_loop` file's train())."""
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import companion
from compare.frameworks import FRAMEWORKS
from compare.problem import Config, dataset
from tests.schedule import imports_longest_first

EPOCHS, LEARNING_RATE = 50, 1.0
LOOPED = tuple(name for name in companion.FRAMEWORKS if name != "numpy")  # numpy_loop, the reference, runs in-process
LOOP_KEYS = ("loss", "val_loss", "val_mae", "stopped_at", "predictions")
# The pair: each file run as `python -m` runs it, what it prints captured; then its train() from the suite's weights.
# The loop file: its train() on companion.loop_data. Each part's error, if any, is said in its part of the output.
RUN = """
import contextlib, importlib, io, json, runpy, sys, traceback
import numpy as np
from companion import loop_data
data, framework, epochs, rate = np.load(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
out = {}


def pair():
    for kind in ("blog", "deep"):
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            runpy.run_module(f"companion.{framework}_{kind}", run_name="__main__", alter_sys=True)
        out[f"{kind} printed"] = printed.getvalue()
    for kind, layers in (("blog", 2), ("deep", 3)):
        train = importlib.import_module(f"companion.{framework}_{kind}").train
        weights = [data[f"{kind}{i}"] for i in range(layers)]
        losses, predictions = train(data["x"], data["y"], weights, epochs, rate)
        out[kind] = {"loss": np.asarray(losses, dtype=float).tolist(), "predictions": np.asarray(predictions).tolist()}


def loop():
    history = importlib.import_module(f"companion.{framework}_loop").train(**loop_data.arguments())
    out["loop"] = {key: np.asarray(history[key]).tolist() for key in json.loads(sys.argv[6])}


for name in sys.argv[5].split(","):
    try:
        {"pair": pair, "loop": loop}[name]()
    except Exception:
        out[f"{name} error"] = traceback.format_exc()[-2000:]
print(json.dumps(out))
"""


def run_all(folder):
    """{framework: the finished process} for each installed framework of companion.FRAMEWORKS."""
    x, y = dataset("blog")
    blog_weights, deep_weights = Config().initial_weights(), Config(**companion.DEEP).initial_weights()
    path = folder / "data.npz"
    np.savez(path, x=x, y=y, **{f"blog{i}": w for i, w in enumerate(blog_weights)},
             **{f"deep{i}": w for i, w in enumerate(deep_weights)})

    def run(framework):
        env = {**FRAMEWORKS[framework].env, "PYTHONPATH": str(companion.HERE.parent)}
        parts = "pair,loop" if framework in LOOPED else "pair"
        return subprocess.run([sys.executable, "-c", RUN, str(path), framework, str(EPOCHS), str(LEARNING_RATE),
                               parts, json.dumps(LOOP_KEYS)], capture_output=True, text=True, timeout=600,
                              stdin=subprocess.DEVNULL, cwd=companion.HERE.parent, env={**os.environ, **env})

    installed = imports_longest_first(name for name in companion.FRAMEWORKS if not FRAMEWORKS[name].missing())
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(installed, pool.map(run, installed), strict=True))


def part(proc, name):
    """What the process's `name` part ("pair" or "loop") gave; its failure, if any, as the assertion's message."""
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    assert f"{name} error" not in out, out.get(f"{name} error")
    return out
