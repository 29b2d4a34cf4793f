"""Your own implementation, checked: a file or module on the command line, the exercise, compare.testing."""
import importlib.metadata
import json
from pathlib import Path

import pytest

from compare import cli, exercise
from compare.exercise import STARTER
from compare.testing import assert_matches_reference


def solved(**mistakes):
    return exercise.solved(mistakes)


def check(tmp_path, capsys, source, *flags, name="my_network.py", frameworks="numpy"):
    """Run `--frameworks numpy,FILE` on source; (exit code, stdout, stderr, results.json or None)."""
    path = tmp_path / name
    path.write_text(source)
    out = tmp_path / "out"
    code = cli.main(["--frameworks", f"{frameworks},{path}", "--repeats", "0", "--epochs", "5", *flags,
                     "--out", str(out)])
    captured = capsys.readouterr()
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else None
    return code, captured.out, captured.err, results


def test_the_exercise_solved_passes(tmp_path, capsys):
    code, out, _, results = check(tmp_path, capsys, solved())
    assert code == 0 and results["parity"]["frameworks"]["my_network"]["verdict"] == "pass", out
    assert results["runs"]["my_network"]["version"] == "my_network.py"
    assert "All 2 frameworks that ran agree with numpy within 1e-12." in out


EXPECTED = {  # each mistake of compare.exercise: the quantity that differs first, its scale, and the message
    "l1_delta without sigmoid'": (("gradient", 0, None), "the forward pass (l1, l2) and the loss agree; the gradient "
                                                         "of w0 (l1_delta) differs by"),
    "the update's sign flipped": (("update", 1, -1), "the forward pass (l1, l2), the loss and the gradients agree; "
                                                     "w1's step is exactly −1× the reference's (w0's too) at epoch 1"),
    "the loss averaged instead of summed": (("loss", None, 0.25), "the forward pass (l1, l2) agrees; the loss is "
                                                                  "exactly 1/4 of the reference's at epoch 1"),
    # forward() itself is right, called at float64; train's weights in float32 show first in the loss.
    "float32 arithmetic in a float64 run": (("loss", None, None), "the forward pass (l1, l2) agrees; the loss differs "
                                                                  "by"),
}
MISTAKES = {name: (exercise.MISTAKES[name], *EXPECTED[name]) for name in exercise.MISTAKES}


@pytest.mark.parametrize("mistakes, where, message", MISTAKES.values(), ids=MISTAKES)
def test_each_typical_mistake_fails_at_epoch_1_with_the_quantity_named(tmp_path, capsys, mistakes, where, message):
    code, out, _, results = check(tmp_path, capsys, solved(**mistakes))
    entry = results["parity"]["frameworks"]["my_network"]
    assert code == 1 and entry["verdict"] == "FAIL", out
    diagnosis = entry["diagnosis"]
    assert (diagnosis["epoch"], diagnosis["quantity"], diagnosis["layer"], diagnosis["scale"]) == (1, *where)
    assert f"my_network: {message}" in out and "at epoch 1" in diagnosis["message"]


def test_the_unfinished_exercise_says_which_gap_is_still_open(tmp_path, capsys):
    code, out, _, _ = check(tmp_path, capsys, STARTER)
    line = STARTER.splitlines().index('    raise NotImplementedError("TODO 1: l2_delta")') + 1
    assert code == 1
    assert f"my_network  error: my_network.py line {line}: TODO 1: l2_delta: a gap still to fill in" in out


def test_a_correct_implementation_written_quite_differently_passes(tmp_path, capsys):
    source = (Path(__file__).parent / "own" / "written_differently.py").read_text()
    code, out, _, results = check(tmp_path, capsys, source, name="written_differently.py")
    assert code == 0 and results["parity"]["frameworks"]["written_differently"]["verdict"] == "pass", out


def test_an_importable_module_runs_under_its_own_name(tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(["--frameworks", "numpy,tests.own.written_differently", "--repeats", "0", "--epochs", "5",
                     "--out", str(out)])
    assert code == 0, capsys.readouterr().out
    assert json.loads((out / "results.json").read_text())["parity"]["frameworks"]["written_differently"]["ok"]


MALFORMED = {
    "a syntax error": ("import numpy as np\ndef train(x, y\n", 2, "my_network.py line 2: SyntaxError: "),
    "an exception at import": ("import numpy as np\nraise ValueError('no data here')\n", 2,
                               "my_network.py line 2: ValueError: no data here (while importing it)"),
    "no train and no Network": ("def fit(x, y):\n    return None\n", 2,
                                "my_network.py has no Network class and no train function"),
    "weights of the wrong shape": (solved(**{'"weights": weights,': '"weights": [w.T for w in weights],'}), 2,
                                   "the weights came back as shapes [(4, 3), (1, 4)], expected [(3, 4), (4, 1)]"),
    "a dict without mean_abs_error": (solved(**{'"mean_abs_error": mean_abs_error, ': ""}), 2,
                                      "train's dict has no mean_abs_error"),
}


@pytest.mark.parametrize("source, code, line", MALFORMED.values(), ids=MALFORMED)
def test_a_file_that_breaks_the_contract_gets_one_line_and_exit_2_and_numpy_still_runs(tmp_path, capsys, source,
                                                                                        code, line):
    got, out, err, results = check(tmp_path, capsys, source)
    assert got == code and "Traceback" not in out + err
    row = next(row for row in out.splitlines() if row.startswith("my_network "))
    assert line in row, row
    assert results["runs"]["numpy"]["status"] == "ok" and results["runs"]["my_network"]["contract"] is True


def test_nan_returned_fails_at_epoch_1(tmp_path, capsys):
    code, out, _, results = check(tmp_path, capsys, solved(**{"loss.append(0.5 * np.sum(error**2))":
                                                                "loss.append(float('nan'))"}))
    entry = results["parity"]["frameworks"]["my_network"]
    assert code == 1 and entry["verdict"] == "FAIL" and entry["first_divergent_epoch"] == 1, out
    assert "my_network: the forward pass (l1, l2) agrees; the loss differs by nan at epoch 1." in out
    assert (tmp_path / "out" / "report.md").is_file()  # a NaN curve is drawn, not a failed report


def test_an_endless_loop_times_out_and_the_other_frameworks_still_run(tmp_path, capsys):
    code, out, _, results = check(tmp_path, capsys, solved(**{"for _ in range(epochs):": "while True:"}),
                                  "--timeout", "5", frameworks="numpy,torch")
    assert code == 1 and "my_network  error: timed out after 5 s" in out
    assert results["parity"]["frameworks"]["torch"]["verdict"] == "pass"


def test_the_exercise_writes_its_starter_and_never_overwrites_a_file(tmp_path, capsys):
    path = tmp_path / "mine.py"
    assert cli.main(["exercise", "--out", str(path)]) == 0
    assert path.read_text() == STARTER.replace("./my_network.py", str(path))
    assert f"run --frameworks numpy,{path}" in capsys.readouterr().out
    path.write_text("my own work\n")
    assert cli.main(["exercise", "--out", str(path)]) == 2
    assert capsys.readouterr().err == (f"compare: error: '{path}' exists: the exercise never overwrites a file "
                                       f"(choose another --out)\n")
    assert path.read_text() == "my own work\n"


def test_assert_matches_reference_passes_a_correct_file_and_raises_the_diagnosis_for_a_wrong_one(tmp_path):
    right, wrong = tmp_path / "right.py", tmp_path / "wrong.py"
    right.write_text(solved())
    wrong.write_text(exercise.solved(exercise.MISTAKES["l1_delta without sigmoid'"]))
    results = assert_matches_reference(str(right), epochs=5)
    assert results["parity"]["frameworks"]["right"]["verdict"] == "pass"
    with pytest.raises(AssertionError, match=r"^wrong: the forward pass \(l1, l2\) and the loss agree; the gradient "
                                             r"of w0 \(l1_delta\) differs by .* at epoch 1"):
        assert_matches_reference(str(wrong), epochs=5)


def test_idli_is_the_command_line_after_installation():
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="idli")
    assert script.value == "compare.cli:main"
