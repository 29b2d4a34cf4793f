import json
import os
import subprocess
import sys

import pytest

from compare.problem import Config
from compare.run import pool, runner

_RUNS = {}


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels(tmp_path_factory):
    """One folder for torch.compile's compiled kernels (TorchInductor's cache) for every worker of the test run,
    fresh or served: a run gives each worker a TMPDIR of its own, where the cache would go with it, so each of the
    suite's torch-compile runs would compile its kernels anew (some 20 s). The kernels a cache hands back are the
    ones compiling gives (test_the_same_run_twice_is_bit_identical_fresh_and_served holds either way)."""
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("torchinductor"))
    yield
    os.environ.pop("TORCHINDUCTOR_CACHE_DIR", None)


@pytest.fixture(scope="session")
def workers(compiled_kernels):
    """One served worker per framework for the whole test run (compare.run.pool), started when a test first needs
    it, stopped at the end; a hung request is killed with its worker's process group after the run's timeout. Tests
    of what needs a fresh process (a crash, a hang, signals, the environment record, timing) run without it."""
    with pool.Pool() as served:
        yield served


@pytest.fixture(scope="session")
def run_config(workers):
    """Run a Config through the real runner and the session's served workers once per session; rerun=True runs it
    again whatever ran before (a test that needs the run made now, in workers that have just run something else),
    and keeps that run for the others."""

    def run(rerun=False, **fields):
        config = Config(repeats=0, jobs=2, **fields)  # parity needs no timing, so workers may share the cores
        if rerun or config not in _RUNS:
            _RUNS[config] = runner.run(config, workers=workers)
        return _RUNS[config]

    return run


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """`python -m compare` as the README runs it, once per session: every framework but the variants at the blog's
    defaults, each in a fresh process, timed. (out folder, the finished process, results.json read back). The test of
    the default run checks it; the report's tests draw from its results.json; the determinism test takes it as the
    fresh side of its comparison."""
    out = tmp_path_factory.mktemp("default-run")
    proc = subprocess.run([sys.executable, "-m", "compare", "--out", str(out)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc, json.loads((out / "results.json").read_text())


@pytest.fixture(scope="session")
def companion_processes(tmp_path_factory):
    """Every companion file, run in one process per framework (tests/companion_runs.py): {framework: the finished
    process}, read by tests/test_companion.py and tests/test_companion_loop.py."""
    from tests import companion_runs

    return companion_runs.run_all(tmp_path_factory.mktemp("companion"))
