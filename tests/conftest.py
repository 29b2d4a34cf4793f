import os

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
    """Run a Config through the real runner and the session's served workers once per session."""

    def run(**fields):
        config = Config(repeats=0, jobs=2, **fields)  # parity needs no timing, so workers may share the cores
        if config not in _RUNS:
            _RUNS[config] = runner.run(config, workers=workers)
        return _RUNS[config]

    return run
