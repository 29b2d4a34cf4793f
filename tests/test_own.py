"""Your own implementation, checked: a file or module on the command line, the exercise, compare.testing."""
import importlib.metadata
import json
from pathlib import Path

import numpy as np
import pytest

from compare import cli
from compare.own import exercise
from compare.own.exercise import STARTER
from compare.report import summary
from compare.testing import assert_matches_reference
from tests import claims


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


EXPECTED = {  # each mistake of compare.own.exercise: the quantity that differs first, its scale, and the message
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
    # The others are NumPy's alone, which start well within the timeout on a loaded machine (torch may not).
    code, out, _, results = check(tmp_path, capsys, solved(**{"for _ in range(epochs):": "while True:"}),
                                  "--timeout", "5", frameworks="numpy,tests.own.written_differently")
    row = next(line for line in out.splitlines() if line.startswith("my_network "))
    assert code == 1 and row.split(maxsplit=1)[1] == "error: timed out after 5 s"
    assert results["parity"]["frameworks"]["written_differently"]["verdict"] == "pass"


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


# Learner-style files (tests/own/), each run as a reader runs one: the options of its run, then for each file the
# verdict, the quantity that differs first, its layer (w0's is 0, w1's 1), its scale, and the shape named.
OWN = Path(__file__).parent / "own"
GROUPS = {
    "blog": ((), {
        "twice_no_half": ("FAIL", "gradient", 1, 2, None),  # the output layer first, every layer doubled
        "mean_for_sum": ("FAIL", "gradient", 1, 0.25, None),  # 1/rows
        "uphill": ("FAIL", "gradient", 1, -1, None),
        "squashed_slope": ("FAIL", "gradient", 1, None, "squashed twice"),
        "tanh_undeclared": ("FAIL", "loss", None, None, None),  # a tanh network judged as the blog's sigmoid one
        "changes_x": ("FAIL", None, None, None, None),  # the weights agree, the predictions do not
        "class_feedforward": ("pass", None, None, None, None),
        "written_differently": ("pass", None, None, None, None),
        "own_biases": ("FAIL", None, None, None, None),  # its curves part: hidden state (below)
        "twice_no_rate": ("FAIL", "gradient", 1, 2, None),
        "mean_no_rate": ("FAIL", "gradient", 1, 0.25, None),
    }),
    "declared tanh": ((), {  # NETWORK = {"activation": "tanh"}: the run takes it from the files
        "tanh_declared": ("pass", None, None, None, None),
        "tanh_sech2": ("FAIL", "gradient", 0, None, "squashed twice"),  # l1's slope; w1's gradient agrees
    }),
    "biases": (("--bias", "--learning-rate", "0.5"), {"biases_step_size": ("pass", None, None, None, None)}),
    "momentum": (("--optimizer", "momentum", "--learning-rate", "0.5"), {"momentum": ("pass", None, None, None, None)}),
    "adam": (("--optimizer", "adam", "--learning-rate", "0.1"), {"adam_class": ("pass", None, None, None, None)}),
    "shuffle": (("--shuffle", "--batch-size", "2", "--learning-rate", "0.5"),
                {"shuffled": ("pass", None, None, None, None)}),
    # Each at two learning rates (own_biases, twice_no_rate and mean_no_rate at the blog's 1 too): a step size
    # declared and never used, biases kept inside train() in a run without --bias, and a gradient 2× (1/4 of) the
    # blog's with no step size, which a rate of 2 (0.25) hides from the curves.
    "rate 0.5": (("--learning-rate", "0.5"), {"alpha_unused": ("FAIL", "gradient", 1, 2, None),
                                              "own_biases": ("FAIL", None, None, None, None)}),
    "rate 0.1": (("--learning-rate", "0.1"), {"alpha_unused": ("FAIL", "gradient", 1, 10, None)}),
    "rate 2": (("--learning-rate", "2"), {"twice_no_rate": ("FAIL", "gradient", 1, 2, None)}),
    "rate 0.25": (("--learning-rate", "0.25"), {"mean_no_rate": ("FAIL", "gradient", 1, 0.25, None)}),
}
CASES = [pytest.param(group, name, *expected, id=name if not group.startswith("rate") else f"{name} at {group}")
         for group, (_, files) in GROUPS.items() for name, expected in files.items()]
OBSERVED = {"twice_no_rate", "mean_no_rate"}  # with forward() and backward(): their layers and gradients compared


@pytest.fixture(scope="module")
def group_runs(tmp_path_factory):
    """Each group's files in one run beside numpy, as `run --frameworks numpy,FILE,…` runs them: (exit code, stdout,
    results.json), made once per group."""
    made = {}

    def run(group):
        if group not in made:
            flags, files = GROUPS[group]
            out = tmp_path_factory.mktemp("own") / "out"
            paths = ",".join(str(OWN / f"{name}.py") for name in files)
            code = cli.main(["run", "--frameworks", f"numpy,{paths}", "--repeats", "0", *flags, "--out", str(out)])
            made[group] = code, json.loads((out / "results.json").read_text()), (out / "results.json")
        return made[group]

    return run


@pytest.mark.parametrize("group, name, verdict, quantity, layer, scale, shape", CASES)
def test_learner_files_are_judged_by_what_they_get_wrong(group_runs, capsys, group, name, verdict, quantity, layer,
                                                         scale, shape):
    _, results, _ = group_runs(group)
    capsys.readouterr()
    entry = results["parity"]["frameworks"][name]
    assert entry["verdict"] == verdict, entry.get("diagnosis")
    diagnosis = entry["diagnosis"]
    if quantity is None:
        assert diagnosis is None
    else:
        assert (diagnosis["epoch"], diagnosis["quantity"], diagnosis["layer"]) == (1, quantity, layer), diagnosis
        assert (diagnosis["scale"], diagnosis["shape"]) == (scale, shape), diagnosis
        # A train()-only file: its layers are never claimed; with plain SGD its step implies its gradients.
        assert (diagnosis["unobserved"], diagnosis["implied"]) == (([], False) if name in OBSERVED else
                                                                   (["forward"], quantity == "gradient"))
    claims.assert_claims_only_what_was_observed(results)


UNUSED_RATE = ("alpha_unused: the loss agrees, the layers were not observed; the gradient of w1 (l2_delta), implied "
               "by the step, is exactly {k}× the reference's (w0's too) at epoch 1, off by {size}: the step does not "
               "use the learning rate: it moves as if the rate were 1 (the same step at rate 1 as at {rate}).")
HIDDEN = ("own_biases: the curves part at epoch 2 (max |Δloss| 1.3e-02), beyond numpy's own band; all 13 step-local "
          "checks agree, epoch 2 among them: hidden state, from epoch 2: every step from the reference's state "
          "agrees, epoch 1's among them, yet the run parts, so train() carries from one step to the next something "
          "that the reference's state does not hold (biases, a velocity, a counter): take it as the contract offers "
          "it, biases= (with --bias) or optimizer_state= (with --optimizer), or declare the network the file "
          "implements (NETWORK = {…}).")
DOUBLED = ("twice_no_rate: the forward pass (l1, l2) and the loss agree; the gradient of w1 (l2_delta) is exactly 2× "
           "the reference's (w0's too) at epoch 1, off by 4.9e-02: every delta doubled — the derivative of Σ(y − ŷ)² "
           "without the ½?")
MEAN = ("mean_no_rate: the forward pass (l1, l2) and the loss agree; the gradient of w1 (l2_delta) is exactly 1/4 of "
        "the reference's (w0's too) at epoch 1, off by 3.7e-02: a mean where the blog sums")
SHAPES = {  # each shape at two learning rates: the line under the table names its cause (and only where it is)
    "alpha_unused at rate 0.5": ("rate 0.5", "alpha_unused", UNUSED_RATE.format(k=2, size="4.9e-02", rate=0.5)),
    "alpha_unused at rate 0.1": ("rate 0.1", "alpha_unused", UNUSED_RATE.format(k=10, size="4.4e-01", rate=0.1)),
    "own_biases at rate 1": ("blog", "own_biases", HIDDEN),
    "own_biases at rate 0.5": ("rate 0.5", "own_biases", HIDDEN),
    "twice_no_rate at rate 2": ("rate 2", "twice_no_rate", DOUBLED + (
        " The curves, the final weights and the predictions agree with the reference's bit for bit all the same: "
        "the updates agree, for the step does not use the learning rate (the same step at rate 1 as at 2), and the "
        "rate of 2 makes up for the factor of 2.")),
    "twice_no_rate at rate 1": ("blog", "twice_no_rate", DOUBLED),  # the curves part: nothing hides it
    "mean_no_rate at rate 0.25": ("rate 0.25", "mean_no_rate", MEAN + (
        "; the curves, the final weights and the predictions agree with the reference's bit for bit all the same: "
        "the updates agree, for the step does not use the learning rate (the same step at rate 1 as at 0.25), and "
        "the rate of 0.25 makes up for the factor of 1/4.")),
    "mean_no_rate at rate 1": ("blog", "mean_no_rate", MEAN + "."),
}


@pytest.mark.parametrize("group, name, line", SHAPES.values(), ids=SHAPES)
def test_an_unused_rate_hidden_state_and_a_factor_the_rate_hides_are_named(group_runs, capsys, group, name, line):
    _, results, _ = group_runs(group)
    capsys.readouterr()
    (note,) = [note for note in summary.notes(results) if note.startswith(f"{name}: ")]
    assert note == line
    hides = group in ("rate 2", "rate 0.25")  # the rate that makes up for the factor
    assert ("the step does not use the learning rate" in note) == (name == "alpha_unused" or hides)
    assert ("hidden state" in note) == (name == "own_biases")
    assert ("all the same" in note) == hides


def test_a_mistake_of_scale_is_named_with_its_likely_cause(group_runs, capsys):
    notes = summary.table(group_runs("blog")[1])
    capsys.readouterr()
    assert ("twice_no_half: the loss agrees, the layers were not observed; the gradient of w1 (l2_delta), implied by "
            "the step, is exactly 2× the reference's (w0's too) at epoch 1, off by") in notes
    # How to observe them is said once, to the run's files that did not show them, not inside each message.
    hint = "add forward(x, weights) and backward(layers, y, weights) to compare them"
    (line,) = [line for line in notes.splitlines() if hint in line]
    assert line.startswith("What was not observed in ") and "twice_no_half" in line and "tanh_undeclared" in line
    assert "every delta doubled — the derivative of Σ(y − ŷ)² without the ½?" in notes
    assert "is exactly 1/4 of the reference's (w0's too) at epoch 1" in notes and "a mean where the blog sums" in notes
    assert "is exactly −1× the reference's (w0's too) at epoch 1" in notes and "the step goes uphill: a sign" in notes
    assert "tanh_undeclared: the layers were not observed" in notes
    assert ": the forward pass or the loss formula" in notes
    assert "changes_x: the predictions differ by" in notes and "while the final weights agree within 1e-12" in notes
    assert "x changed in place?" in notes


def test_a_declared_network_is_the_one_the_run_compares_and_the_table_says_so(group_runs, capsys):
    code, results, _ = group_runs("declared tanh")
    assert results["config"]["activation"] == "tanh" and results["declared_networks"] == {
        "tanh_declared": {"activation": "tanh"}, "tanh_sech2": {"activation": "tanh"}}
    assert "tanh_declared declares the network it implements" in summary.table(results)
    assert "· 3→4→1 tanh, sigmoid out ·" in summary.table(results)


def test_a_file_that_cannot_take_the_runs_option_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(["run", "--frameworks", f"numpy,{OWN / 'tanh_undeclared.py'}", "--activation", "tanh",
                     "--repeats", "0", "--out", str(out)])
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("tanh_undeclared "))
    assert code == 2 and ("train(x, y, weights, epochs, learning_rate, dtype) does not take activation=, which this "
                          "run sets (--activation tanh): take it as a keyword argument, or declare NETWORK = "
                          '{"activation": "tanh"} if the file implements that network alone') in row


def test_a_declaration_that_the_run_contradicts_is_refused(tmp_path, capsys):
    code = cli.main(["run", "--frameworks", f"numpy,{OWN / 'tanh_declared.py'}", "--activation", "relu",
                     "--repeats", "0", "--out", str(tmp_path / "out")])
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "compare: error: tanh_declared declares activation 'tanh' in its NETWORK, but this run asks for 'relu': leave "
        "the option out to run the file's own network, or run the file alone")


def test_state_a_file_keeps_is_carried_and_steps_it_cannot_be_handed_are_said_skipped(group_runs, capsys):
    _, momentum, _ = group_runs("momentum")
    entry = momentum["parity"]["frameworks"]["momentum"]
    assert entry["verdict"] == "pass"
    assert entry["skipped_checks"]["epochs"] == entry["probed_epochs"][1:]  # epoch 1 starts from no velocity
    assert "takes no optimizer_state=" in entry["skipped_checks"]["why"]
    for group, name in (("adam", "adam_class"), ("biases", "biases_step_size"), ("shuffle", "shuffled")):
        _, results, _ = group_runs(group)
        assert results["parity"]["frameworks"][name]["skipped_checks"] is None, name  # each step handed its state
    capsys.readouterr()


def test_train_is_called_once_for_the_whole_run(group_runs, capsys):
    """The run's numbers are those of one call of the file's train for every epoch, from the initial state."""
    from compare.own import contract
    from compare.problem import dataset

    _, results, path = group_runs("biases")
    capsys.readouterr()
    x, y = dataset("blog")
    module, _ = contract.load(str(OWN / "biases_step_size.py"))
    weights = [np.array(w) for w in results["initial_weights"]]
    once = module.train(x, y, weights, 50, 0.5, "float64", biases=[np.array(b) for b in results["initial_biases"]])
    run = results["runs"]["biases_step_size"]
    assert run["loss"] == [float(v) for v in once["loss"]]
    assert run["final_biases"] == [b.tolist() for b in once["biases"]]


EXITS = {"sys.exit": ("import sys\n\n\ndef train(x, y, weights, epochs, learning_rate, dtype):\n    sys.exit(0)\n",
                      "my_network.py line 5: sys.exit(0) would end the process that runs your code"),
         "os._exit": ("import os\n\n\ndef train(x, y, weights, epochs, learning_rate, dtype):\n    os._exit(3)\n",
                      "my_network.py line 5: os._exit(3) would end the process that runs your code")}


@pytest.mark.parametrize("source, line", EXITS.values(), ids=EXITS)
def test_a_file_that_ends_its_own_process_is_told_so_in_its_row(tmp_path, capsys, source, line):
    code, out, _, _ = check(tmp_path, capsys, source)
    assert code == 1 and f"my_network  error: {line}, before it answers: return train's dict (or fit's) instead" in out


def test_a_nan_is_traced_to_what_made_it_not_blamed_on_the_learning_rate(tmp_path, capsys):
    code = cli.main(["run", "--frameworks", "numpy", "--optimizer", "adam", "--epsilon", "0", "--batch-size", "2",
                     "--repeats", "0", "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 1 and "learning rate is too large" not in out and "too large a learning rate" not in out
    assert ("Training diverged (inf or NaN) at epoch 1 in numpy: its first invalid value (0/0, ∞ − ∞ or 0·∞) came at "
            "epoch 1, step 1, in the update (adam's step) (impl_numpy/network.py line") in out
