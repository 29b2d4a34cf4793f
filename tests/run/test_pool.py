"""Served workers (compare.run.pool): many runs in one process per framework, each as a fresh process runs it."""
from pathlib import Path

import numpy as np

from compare.frameworks import FRAMEWORKS, Framework
from compare.problem import Config
from compare.run import pool, runner, state
from tests.run.test_stopping import gone, processes_with

NUMPY = FRAMEWORKS["numpy"]


def run_with(workers, framework, **fields):
    registry = {"numpy": NUMPY, framework.name: framework}
    return runner.run(Config(frameworks=("numpy", framework.name), repeats=0, **fields), registry=registry,
                      workers=workers)


def test_one_worker_serves_run_after_run_with_the_bits_of_a_fresh_process():
    """The reference, and NumPy again as another framework (its step-local checks too): served after a different run,
    the same bits as in fresh processes."""
    again = Framework("again", "impl_numpy", ("numpy",), "numpy", ("numpy",))
    registry = {"numpy": NUMPY, "again": again}
    config = Config(frameworks=("numpy", "again"), dataset="xor", repeats=0)
    fresh = runner.run(config, registry=registry)["runs"]
    with pool.Pool() as workers:
        runner.run(Config(frameworks=("numpy", "again"), dtype="float32", hidden=(5, 4), activation="tanh", bias=True,
                          optimizer="adam", learning_rate=0.1, repeats=0), registry=registry, workers=workers)
        served = runner.run(config, registry=registry, workers=workers)["runs"]
        assert workers.started == 2
    for name in registry:
        assert served[name]["timing"]["served_request"] == 2 and "served_request" not in fresh[name]["timing"]
    for key in ("loss", "mean_abs_error", "final_weights", "predictions", "sensitivity"):
        assert served["numpy"][key] == fresh["numpy"][key], key
    for key in ("loss", "mean_abs_error", "final_weights", "predictions", "probes"):
        assert served["again"][key] == fresh["again"][key], key


def test_a_hung_request_is_killed_with_its_worker_and_the_next_gets_a_new_one():
    hung = Framework("hung", "tests.hanging_impl", ("numpy",), "numpy", ("numpy",))
    with pool.Pool() as workers:
        results = run_with(workers, hung, timeout=3)
        assert results["runs"]["hung"] == {**results["runs"]["hung"], "status": "error",
                                           "reason": "timed out after 3 s"}
        assert len(processes_with(str(workers.dir))) == 1  # numpy's: the hung one went with its process group
        started = workers.started
        results = run_with(workers, Framework("other", "impl_numpy", ("numpy",), "numpy", ("numpy",)))
        assert results["runs"]["other"]["status"] == "ok" and workers.started == started + 1
    assert gone(str(workers.dir))  # closed: every worker of the pool ended


def test_a_crash_in_a_served_worker_reads_as_a_fresh_workers_crash():
    broken = Framework("broken", "tests.broken_impl", ("numpy",), "numpy", ("numpy",))
    fresh = run_with(None, broken)["runs"]["broken"]
    with pool.Pool() as workers:
        served = run_with(workers, broken)["runs"]["broken"]
        again = run_with(workers, broken)["runs"]["broken"]
        assert workers.started == 3  # numpy's, and one for each crash
    assert served["reason"] == fresh["reason"] == again["reason"] == (
        "worker failed: RuntimeError: this implementation is broken on purpose")


def test_a_worker_that_vanishes_reads_as_a_fresh_one_that_does():
    gone_impl = Framework("gone", "tests.vanishing_impl", ("numpy",), "numpy", ("numpy",))
    with pool.Pool() as workers:
        served = run_with(workers, gone_impl)["runs"]["gone"]
    fresh = run_with(None, gone_impl)["runs"]["gone"]
    for run in (served, fresh):  # the response file it did not write is in each run's own folder
        assert run["reason"].startswith("unreadable worker response ([Errno 2] No such file or directory")


def test_timed_runs_and_your_own_code_get_a_fresh_process(tmp_path):
    own = tmp_path / "mine.py"
    own.write_text((Path(__file__).parents[1] / "own" / "written_differently.py").read_text())
    with pool.Pool() as workers:
        results = runner.run(Config(frameworks=("numpy", str(own)), epochs=5, repeats=1, timing_budget=0),
                             workers=workers)
        assert workers.started == 0
    assert all(run["status"] == "ok" for run in results["runs"].values())
    assert not any("served_request" in run["timing"] for run in results["runs"].values())
    assert not pool.servable({"own": True}) and not pool.servable({"serve_timing": True})
    assert not pool.servable({"kind": "timing"}) and pool.servable({"module": "impl_numpy"})


def test_settings_a_run_changed_are_put_back():
    found = state.settings()
    assert found["numpy.errors"] == np.geterr()
    before = np.geterr()
    np.seterr(all="raise")
    try:
        state.restore(found)
        assert np.geterr() == before
    finally:
        np.seterr(**before)
