import pytest

from compare.problem import Config
from compare.run import runner

_RUNS = {}


@pytest.fixture(scope="session")
def run_config():
    """Run a Config through the real runner (one worker process per framework) once per session."""

    def run(**fields):
        config = Config(repeats=0, jobs=2, **fields)  # parity needs no timing, so workers may share the cores
        if config not in _RUNS:
            _RUNS[config] = runner.run(config)
        return _RUNS[config]

    return run
