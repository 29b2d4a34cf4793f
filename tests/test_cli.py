"""The command line: exit codes, one-line errors for bad input, results.json written whole or not at all."""
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import pytest

from compare import cli
from compare.frameworks import DEFAULT, FRAMEWORKS, Framework
from compare.problem import Config, save_weights
from compare.report import summary
from compare.run import runner


def compare(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "compare", *args], capture_output=True, text=True, cwd=cwd,
                          stdin=subprocess.DEVNULL, timeout=600)


@pytest.fixture
def earlier(tmp_path):
    """An out directory that already holds a results.json, which a refused run must leave as it was."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text('{"earlier": true}\n')
    return out


def bad_weights(tmp_path):
    np.savez(tmp_path / "bad.npz", w0=np.ones((2, 4)), w1=np.ones((4, 1)))
    return str(tmp_path / "bad.npz")


def odd_weights(tmp_path):
    """Weights files that are not what they claim: {name: path}."""
    good = {"w0": np.ones((3, 4)), "w1": np.ones((4, 1))}
    np.save(tmp_path / "bare.npy", good["w0"])
    np.savez(tmp_path / "good.npz", **good)
    whole = (tmp_path / "good.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(whole[:len(whole) // 2])
    np.savez(tmp_path / "complex.npz", w0=good["w0"] * (1 + 1j), w1=good["w1"])
    np.savez(tmp_path / "huge.npz", w0=np.full((3, 4), 1e300), w1=good["w1"])
    header = io.BytesIO()  # a header that declares 3e9 values, and no data behind it
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (3, 10**9)})
    with zipfile.ZipFile(tmp_path / "giant.npz", "w") as z:
        z.writestr("w0.npy", header.getvalue())
    os.mkfifo(tmp_path / "pipe.npz")
    return {name: str(tmp_path / file) for name, file in (("npy", "bare.npy"), ("cut", "cut.npz"),
            ("complex", "complex.npz"), ("huge", "huge.npz"), ("giant", "giant.npz"), ("pipe", "pipe.npz"))}


BAD = [
    (["--epochs", "0"], "argument --epochs: must be a positive integer, got '0'"),
    (["--epochs", "-3"], "argument --epochs: must be a positive integer, got '-3'"),
    (["--epochs", "ten"], "argument --epochs: must be a positive integer, got 'ten'"),
    (["--hidden", "0"], "argument --hidden: must be positive integers separated by commas, got '0'"),
    (["--hidden", "4,0"], "argument --hidden: must be positive integers separated by commas, got '4,0'"),
    (["--hidden", "4,,4"], "argument --hidden: must be positive integers separated by commas, got '4,,4'"),
    (["--activation", "swish"], "argument --activation: invalid choice: 'swish'"),
    (["--output-activation", "tanh"], "argument --output-activation: invalid choice: 'tanh'"),
    (["--loss", "hinge"], "argument --loss: invalid choice: 'hinge'"),
    (["--optimizer", "adagrad"], "argument --optimizer: invalid choice: 'adagrad'"),
    (["--batch-size", "5"], "batch size must be an integer from 1 to the data's 4 rows, got 5"),
    (["--batch-size", "0"], "argument --batch-size: must be a positive integer, got '0'"),
    (["--momentum", "0.5"], "--momentum is read by momentum and nesterov, not by --optimizer sgd"),
    (["--optimizer", "adam", "--beta2", "1"], "beta2 must be a number in [0, 1), got 1.0"),
    (["--optimizer", "rmsprop", "--epsilon=-1e-8"], "epsilon must be a number in [0, ∞), got -1e-08"),
    (["--optimizer", "momentum", "--momentum", "nan"], "momentum must be a number in [0, 1), got nan"),
    (["--loss", "bce", "--output-activation", "linear"], "--loss bce needs outputs in (0, 1): a sigmoid output, not "
                                                         "'linear'"),
    (["--frameworks", "numpy,tensorflw"], "unknown framework 'tensorflw'"),
    (["--frameworks", ","], "argument --frameworks: names no framework"),
    (["--dataset", "and"], "argument --dataset: invalid choice: 'and'"),
    (["--dtype", "float16"], "argument --dtype: invalid choice: 'float16'"),
    (["--learning-rate", "nan"], "argument --learning-rate: must be a finite number > 0, got 'nan'"),
    (["--learning-rate", "inf"], "argument --learning-rate: must be a finite number > 0, got 'inf'"),
    (["--learning-rate", "-1"], "argument --learning-rate: must be a finite number > 0, got '-1'"),
    (["--learning-rate", "0"], "argument --learning-rate: must be a finite number > 0, got '0'"),
    (["--timeout", "0"], "argument --timeout: must be a finite number > 0, got '0'"),
    (["--jobs", "0"], "argument --jobs: must be a positive integer, got '0'"),
    (["--weights", "{tmp}/missing.npz"], "weights file '{tmp}/missing.npz' does not exist"),
    (["--weights", "{tmp}"], "is a directory"),
    (["--weights", "{bad}"], "w0 has shape (2, 4)"),
    (["--weights", "{text}"], "is not a .npz file, or it is cut short"),
    (["--weights", "{npy}"], "is not a .npz file, or it is cut short (np.savez writes one; a bare .npy is not one)"),
    (["--weights", "{cut}"], "is not a .npz file, or it is cut short"),
    (["--weights", "{pipe}"], "is not a regular file"),  # reading a named pipe would block forever
    (["--weights", "{giant}"], "w0 has shape (3, 1000000000), more than 10,000,000 values"),
    (["--weights", "{complex}"], "w0 has shape (3, 4) complex128, expected real numbers"),
    (["--weights", "{huge}", "--dtype", "float32"], "w0 holds values float32 cannot hold (beyond ±3.4e+38)"),
    (["--hidden", "10000000000"], "hidden 10000000000 makes 40,000,000,000 weights; at most 10,000,000 are allowed"),
    (["--timeout", "3e6"], "timeout must be at most 1e+06, got 3e+06"),
    (["--timing-budget", "-1"], "argument --timing-budget: must be a finite number ≥ 0, got '-1'"),
    (["--timing-budget", "nan"], "argument --timing-budget: must be a finite number ≥ 0, got 'nan'"),
    (["--timing-budget", "1e7"], "timing budget must be a number of seconds from 0 to 1e+06, got 10000000.0"),
    (["--frameworks", "numpy,./nowhere.py"], "no file './nowhere.py' (a framework id, a path to a .py file, or a "
                                             "module name)"),
    (["--epochs", "100000000000"], "epochs must be at most 1e+07, got 1e+11"),
    (["--threads", "100000"], "threads must be at most 1,024, got 100,000"),
    (["--out", "{text}/sub"], "cannot write to --out '{text}/sub'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--weight-decay", "-0.1"], "argument --weight-decay: must be a finite number ≥ 0, got '-0.1'"),
    (["--clip-norm", "-1"], "argument --clip-norm: must be a finite number > 0, got '-1'"),
    (["--schedule", "step", "--decay-steps", "5"], "the step schedule needs its decay rate (--decay-rate)"),
    (["--decay-rate", "0.5"], "--decay-rate needs --schedule"),
    (["--clip", "per-variable"], "--clip per-variable needs --clip-norm"),
    (["--norm", "batch", "--batch-size", "1"],
     "--norm batch needs two rows or more in every batch: a batch size of 1 leaves each batch one row of the data's 4, "
     "and one row has no variance"),
    (["--norm", "layer", "--norm-momentum", "0.5"], "--norm-momentum needs --norm batch"),
]


@pytest.mark.parametrize("args, message", BAD, ids=[" ".join(args) for args, _ in BAD])
def test_bad_input_exits_2_with_one_line(tmp_path, earlier, args, message):
    text = tmp_path / "text.npz"
    text.write_text("not a zip")
    fill = {"tmp": str(tmp_path), "bad": bad_weights(tmp_path), "text": str(text), **odd_weights(tmp_path)}
    args = [arg.format(**fill) for arg in args]
    proc = compare("run", "--frameworks", "numpy", "--out", str(earlier), *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("compare: error: ")
    assert message.format(**fill) in lines[0]
    assert (earlier / "results.json").read_text() == '{"earlier": true}\n'
    assert sorted(p.name for p in earlier.iterdir()) == ["results.json"]


def test_help_states_every_default():
    proc = compare("run", "--help")
    assert proc.returncode == 0
    flags = ("--frameworks", "--dataset", "--hidden", "--activation", "--output-activation", "--loss", "--bias",
             "--seed", "--weights", "--epochs", "--learning-rate", "--batch-size", "--shuffle", "--optimizer",
             "--momentum", "--rho", "--beta1", "--beta2", "--epsilon", "--weight-decay", "--decay", "--l2",
             "--schedule", "--schedule-per", "--decay-rate", "--decay-steps", "--alpha", "--clip-norm", "--clip",
             "--clip-value", "--norm", "--norm-momentum", "--norm-epsilon", "--dtype", "--timeout", "--threads",
             "--repeats", "--timing-budget", "--timing-processes", "--jobs", "--out")
    for flag in flags:
        assert flag in proc.stdout
    assert proc.stdout.count("(default:") == len(flags)


def test_weights_file_and_seed_give_the_same_run(tmp_path):
    config = Config(frameworks=("numpy",), seed=5, hidden=6)
    save_weights(tmp_path / "w.npz", config.initial_weights())
    proc = compare("--frameworks", "numpy", "--weights", str(tmp_path / "w.npz"), "--out", str(tmp_path / "a"))
    assert proc.returncode == 0, proc.stderr
    from_file = json.loads((tmp_path / "a" / "results.json").read_text())
    from_seed = runner.run(config)
    assert from_file["config"]["hidden"] == [6] and from_file["layers"] == [3, 6, 1]
    assert from_file["initial_weights"] == from_seed["initial_weights"]
    assert from_file["runs"]["numpy"]["loss"] == from_seed["runs"]["numpy"]["loss"]


def test_weights_file_and_hidden_must_agree(tmp_path):
    save_weights(tmp_path / "w.npz", Config(hidden=6).initial_weights())
    proc = compare("--weights", str(tmp_path / "w.npz"), "--hidden", "5", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == "compare: error: --hidden 5 does not match the weights file's hidden widths 6"
    assert not (tmp_path / "out").exists()


def use_registry(monkeypatch, framework):
    """numpy and one stand-in framework, as both the command line and the runner see the registry."""
    registry = {"numpy": FRAMEWORKS["numpy"], framework.name: framework}
    monkeypatch.setattr(cli, "FRAMEWORKS", registry)
    monkeypatch.setattr(runner, "FRAMEWORKS", registry)


def test_a_missing_framework_is_reported_and_the_others_still_run(tmp_path, monkeypatch, capsys):
    ghost = Framework("ghost", "impl_ghost", ("no_such_module_here",), "ghost", ("no_such_module_here",))
    use_registry(monkeypatch, ghost)
    code = cli.main(["--frameworks", "numpy,ghost", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "ghost      not installed: pip install -e '.[ghost]'" in out
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["runs"]["ghost"] == {"status": "missing", "missing": ["no_such_module_here"],
                                        "install": "pip install -e '.[ghost]'"}
    assert results["runs"]["numpy"]["status"] == "ok"


def test_a_crashing_framework_is_an_error_and_exit_1(tmp_path, monkeypatch, capsys):
    broken = Framework("broken", "tests.broken_impl", ("numpy",), "numpy", ("numpy",))
    use_registry(monkeypatch, broken)
    code = cli.main(["--frameworks", "broken", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "error: worker failed: RuntimeError: this implementation is broken on purpose" in out
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["runs"]["broken"]["status"] == "error"
    assert "Traceback" in results["runs"]["broken"]["stderr"]
    assert results["runs"]["numpy"]["status"] == "ok"


def test_the_default_run(default_run):
    """`python -m compare`: every framework at the blog's defaults, a table, results.json with every field (the run:
    tests/conftest.py's default_run)."""
    out, proc, results = default_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert results["config"] == {**Config().to_json(), "out": str(out)}
    assert list(results["runs"]) == list(DEFAULT)  # every framework but the variants, the reference first
    assert np.shape(results["initial_weights"][0]) == (3, 4) and np.shape(results["initial_weights"][1]) == (4, 1)
    installed = [name for name in DEFAULT if not FRAMEWORKS[name].missing()]
    for name in DEFAULT:
        run = results["runs"][name]
        if name not in installed:
            assert run["status"] == "missing" and f"not installed: {run['install']}" in proc.stdout
            continue
        assert run["status"] == "ok"
        assert len(run["loss"]) == len(run["mean_abs_error"]) == 50
        assert np.shape(run["predictions"]) == (4, 1)
        assert run["version"] and run["timing"]["train_s"] > 0
        assert f"\n{name} " in proc.stdout
    assert results["parity"]["reference"] == "numpy" and results["parity"]["tolerance"] == 1e-12
    for name in installed[1:]:
        entry = results["parity"]["frameworks"][name]
        assert entry["verdict"] == ("limited" if FRAMEWORKS[name].float64_limit else "pass"), (name, entry)
        assert set(entry) >= {"max_abs_loss_diff", "max_abs_weight_diff", "first_divergent_epoch"}
        if FRAMEWORKS[name].float64_limit:
            assert entry["limit"] == FRAMEWORKS[name].float64_limit and entry["limit"] in proc.stdout
    assert proc.stdout.count(" pass ") == sum(not FRAMEWORKS[name].float64_limit for name in installed[1:])
    for name, run in results["runs"].items():
        timing = run["timing"]
        assert set(timing) >= {"import_s", "build_s", "first_epoch_s", "train_s", "epoch_median_s", "epoch_iqr_s",
                               "repeats", "threads", "peak_memory_mb"}
        assert 0 < timing["epoch_median_s"] < timing["train_s"] and timing["threads"] == 1
        assert timing["repeats"] >= Config().repeats
        processes = Config().timing_processes
        # Whole blocks: no time per epoch, ratio or interval end is ever at or below 0.
        assert timing["epoch_median_s"] > 0 and 0 < timing["epoch_ci95_s"][0] <= timing["epoch_ci95_s"][1]
        if name != "numpy":  # timed in the worker and its replicas, each beside NumPy; one interval over their pairs
            assert timing["processes"] == processes and len(timing["process_ratios"]) == processes
            low, high = timing["ratio_ci95"]
            assert 0 < low <= timing["ratio_to_reference"] <= high and min(timing["process_ratios"]) > 0
            assert len(timing["block_epochs"]) == len(timing["reference_block_epochs"]) == processes
            assert all(n >= 1 for n in timing["block_epochs"] + timing["reference_block_epochs"])
            assert "reference_epochs_s" not in timing and ("flagged" in timing) == (f"*{name}: " in proc.stdout)
        else:  # NumPy's time per epoch, from its worker and every other framework's timing processes
            assert timing["processes"] == 1 + processes * (len(installed) - 1)
            assert timing["epoch_ci95_s"][0] <= timing["epoch_median_s"] <= timing["epoch_ci95_s"][1]
    assert results["runs"]["torch"]["timing"]["effective_threads"]["torch_intra_op"] == 1
    assert results["runs"]["keras"]["timing"]["effective_threads"]["tensorflow_intra_op"] == 1
    assert results["runs"]["tensorflow"]["timing"]["effective_threads"]["tensorflow_intra_op"] == 1
    assert results["determinism"]["seed"] == 1 and set(results["determinism"]["frameworks"]) == set(installed)
    env = results["environment"]
    assert env["cores"] >= 1 and env["cpu"] and env["threads"] == 1
    assert env["thread_variables"]["OMP_NUM_THREADS"] == "1" and "TF_ENABLE_ONEDNN_OPTS" in env["numeric_flags"]
    assert summary.verdict(results) in proc.stdout and results["parity"]["ok"]
    assert f"Report: {out / 'report.md'}" in proc.stdout
    assert (out / "loss_curves.png").stat().st_size > 0


def test_biases_come_from_the_weights_file_with_bias_and_are_refused_without(tmp_path):
    config = Config(hidden=(3,))
    weights = config.initial_weights()
    save_weights(tmp_path / "wb.npz", weights, [np.full(3, 0.25), np.full(1, -0.5)])
    proc = compare("--frameworks", "numpy", "--weights", str(tmp_path / "wb.npz"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("holds biases b0, b1, …: add --bias to train them")
    proc = compare("--frameworks", "numpy", "--weights", str(tmp_path / "wb.npz"), "--bias", "--repeats", "0",
                   "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert data["initial_biases"] == [[0.25] * 3, [-0.5]] and data["config"]["bias"] is True
    assert "with biases" in proc.stdout and len(data["runs"]["numpy"]["final_biases"][0]) == 3


def test_every_framework_runs_with_more_than_one_thread_and_leaves_nothing_in_tmpdir(tmp_path, monkeypatch):
    """--threads 2 reaches every worker's thread pools, the JAX ones through XLA_FLAGS, and none of them fails;
    whatever a framework writes to TMPDIR (PyTensor does, on every run) goes with the run's own folder."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    code = cli.main(["--frameworks", "numpy,torch,tensorflow,pytensor,jax,keras,keras-jax,keras-torch,jax-scan",
                     "--threads", "2", "--repeats", "0", "--epochs", "5", "--jobs", "2", "--out", str(tmp_path)])
    assert os.listdir(tmp) == []
    results = json.loads((tmp_path / "results.json").read_text())
    for name, run in results["runs"].items():
        if run["status"] != "missing":
            assert run["status"] == "ok", (name, run.get("reason"))
            assert run["timing"]["threads"] == 2
    assert code == 0


def test_a_failed_reference_leaves_every_other_framework_a_row_it_cannot_be_judged_by(tmp_path, monkeypatch,
                                                                                       capsys):
    registry = {"numpy": Framework("numpy", "tests.broken_impl", ("numpy",), "numpy", ("numpy",)),
                "torch": FRAMEWORKS["torch"]}
    monkeypatch.setattr(cli, "FRAMEWORKS", registry)
    monkeypatch.setattr(runner, "FRAMEWORKS", registry)
    code = cli.main(["--frameworks", "numpy,torch", "--repeats", "0", "--epochs", "5", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    assert "numpy failed to run; torch ran but cannot be judged without numpy." in captured.out
    row = next(line for line in captured.out.splitlines() if line.startswith("torch "))
    assert "not judged" in row
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["parity"]["frameworks"]["torch"]["ok"] is None and not results["parity"]["ok"]
    assert (tmp_path / "report.md").is_file() and "not judged" in (tmp_path / "report.md").read_text()
    assert cli.main(["report", "--from", str(tmp_path)]) == 0


def test_the_reference_alone_compares_nothing_and_says_so(tmp_path, capsys):
    assert cli.main(["--frameworks", "numpy", "--repeats", "0", "--epochs", "3", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Only numpy, the reference, ran: nothing was compared." in out and "agree" not in out


def test_a_worker_answering_ok_with_fields_missing_is_an_unreadable_row(tmp_path, monkeypatch, capsys):
    real = runner.worker_command

    def half(framework, workdir, request, kind=None):
        command = real(framework, workdir, request, kind)
        if framework.name != "torch" or kind:
            return command
        answer = "import sys; open(sys.argv[2], 'w').write('{\"status\": \"ok\", \"loss\": [0.5]}')"
        return [sys.executable, "-c", answer, *command[-2:]]

    monkeypatch.setattr(runner, "worker_command", half)
    code = cli.main(["--frameworks", "numpy,torch,jax", "--repeats", "0", "--epochs", "5", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "error: unreadable worker response (no version, network, mean_abs_error" in out
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["runs"]["torch"]["status"] == "error" and results["runs"]["jax"]["status"] == "ok"
    assert results["parity"]["frameworks"]["jax"]["verdict"] == "pass"
