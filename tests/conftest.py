import pytest

from compare.problem import Config
from compare.run import pool, runner

_RUNS = {}


@pytest.fixture(scope="session")
def workers():
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
