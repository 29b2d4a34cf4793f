"""A helper for your own tests: check your implementation against the NumPy reference from pytest.

    from compare.testing import assert_matches_reference

    def test_my_network_learns_what_the_blogs_does():
        assert_matches_reference("my_network.py")                  # the blog's run: 50 epochs, learning rate 1
        assert_matches_reference("my_network.py", epochs=500, dtype="float32")
"""
import tempfile

from compare.frameworks import REFERENCE, name_of, target_of
from compare.problem import Config
from compare.report import summary
from compare.run import runner

AGREE = ("pass", "sensitive")  # sensitive: every step agrees; the curves part no further than the reference's own


def assert_matches_reference(path_or_module, **options):
    """Train your code (a path to a .py file, or a module name) and the reference from the same weights, as
    `python -m compare run --frameworks numpy,PATH` does, and check it epoch by epoch and step by step.

    options: any of the run's settings (compare.problem.Config: epochs, learning_rate, dtype, hidden, dataset, …;
    repeats defaults to 0 here, no timing). Returns the run's results (results.json's contents) when your code
    agrees; raises AssertionError when it does not, with the diagnosis as its message (the first quantity that
    differs and the epoch), or why it could not run.
    """
    with tempfile.TemporaryDirectory(prefix="compare-testing-") as out:
        config = Config(**{"repeats": 0, **options, "frameworks": (REFERENCE, path_or_module), "out": out})
        results = runner.run(config)
    name = name_of(target_of(path_or_module))
    run = results["runs"][name]
    if run["status"] != "ok":
        raise AssertionError(f"{name} did not run: {run['reason']}")
    entry = results["parity"]["frameworks"][name]
    if entry.get("verdict") not in AGREE:
        reasons = [line for line in summary.notes(results) if line.startswith(f"{name}:")]
        raise AssertionError(reasons[0] if reasons else f"{name}: {entry.get('verdict')}: {summary.verdict(results)}")
    return results
