"""Stopping and failing halfway: signals, timeouts, frameworks that all fail, results that cannot be written. Each
leaves no worker, no process a worker started, no temporary folder, and no half-written or lost result."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compare import cli
from compare.frameworks import FRAMEWORKS, Framework
from compare.report import markdown
from compare.run import runner

ROOT = Path(__file__).resolve().parents[2]
EARLIER = '{"earlier": true}\n'


def processes_with(marker):
    """The live processes whose command line holds marker (a zombie's is empty)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def gone(marker, within=10):
    deadline = time.monotonic() + within
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not processes_with(marker)


@pytest.fixture
def stand_in(tmp_path):
    """`python -m tests.stand_in ARGS…` (the command line, with stand-in frameworks), started with its own TMPDIR
    and an out folder that holds an earlier results.json; returns (start, out, tmp, marker)."""
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    tmp.mkdir()
    (out / "results.json").write_text(EARLIER)
    marker = f"stand-in-marker-{os.getpid()}-{tmp_path.name}"
    env = {**os.environ, "TMPDIR": str(tmp), "STAND_IN_MARKER": marker}

    def start(*args, reference=None):
        return subprocess.Popen([sys.executable, "-m", "tests.stand_in", *args, "--out", str(out)], cwd=ROOT,
                                env={**env, **({"STAND_IN_REFERENCE": reference} if reference else {})},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)

    yield start, out, tmp, marker
    for pid in processes_with(marker):  # only if a test failed: leave nothing behind
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_every_worker_and_what_it_started_at_once_and_keeps_the_earlier_results(stand_in, sig, code):
    start, out, tmp, marker = stand_in
    proc = start("run", "--frameworks", "numpy,spawning", "--repeats", "0", "--epochs", "5")
    deadline = time.monotonic() + 120
    while not processes_with(marker):  # the worker has started a process of its own, and hangs
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    signalled = time.monotonic()
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert time.monotonic() - signalled < 20  # not after the worker's timeout
    assert proc.returncode == code, stderr
    assert stderr.strip().splitlines()[-1] == (f"compare: interrupted by {sig.name}: workers stopped, nothing "
                                               f"written (earlier results kept)")
    assert "Traceback" not in stderr
    assert (out / "results.json").read_text() == EARLIER and sorted(os.listdir(out)) == ["results.json"]
    assert gone(marker), "a process the worker started outlived the command"
    assert os.listdir(tmp) == []  # the run's compare-run-* folder went with it


def test_a_signal_stops_a_bench_and_its_workers_too(stand_in):
    """The stand-in in the reference's place: the bench's first worker (NumPy's would time its baseline and a cell
    first, seconds that stop nothing) starts its process and hangs."""
    start, out, tmp, marker = stand_in
    proc = start("bench", "--frameworks", "spawning", "--widths", "4", "--batches", "4", "--repeats", "1",
                 reference="spawning")
    deadline = time.monotonic() + 120
    while not processes_with(marker):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1].startswith("compare: interrupted by SIGTERM")
    assert not (out / "bench.json").exists() and gone(marker) and os.listdir(tmp) == []


def test_a_timed_out_worker_is_stopped_with_what_it_started_and_the_others_still_run(stand_in):
    start, out, tmp, marker = stand_in
    stdout, stderr = start("run", "--frameworks", "numpy,spawning", "--repeats", "0", "--epochs", "5",
                           "--timeout", "8").communicate(timeout=300)
    assert "spawning   error: timed out after 8 s" in stdout, stdout + stderr
    assert json.loads((out / "results.json").read_text())["runs"]["numpy"]["status"] == "ok"
    assert gone(marker), "the timed-out worker's own process outlived it"
    assert os.listdir(tmp) == []


def test_a_run_in_which_no_framework_could_run_is_bad_input_and_writes_nothing(tmp_path, monkeypatch, capsys):
    broken = Framework("numpy", "tests.broken_impl", ("numpy",), "numpy", ("numpy",), probe=None)
    registry = {"numpy": broken, "other": Framework("other", "tests.broken_impl", ("numpy",), "numpy", ("numpy",))}
    monkeypatch.setattr(cli, "FRAMEWORKS", registry)
    monkeypatch.setattr(runner, "FRAMEWORKS", registry)
    (tmp_path / "results.json").write_text(EARLIER)
    code = cli.main(["--frameworks", "numpy,other", "--repeats", "0", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.strip().splitlines()[-1] == ("compare: error: no framework could run from this input; numpy: "
                                                     "worker failed: RuntimeError: this implementation is broken on "
                                                     "purpose")
    assert (tmp_path / "results.json").read_text() == EARLIER and os.listdir(tmp_path) == ["results.json"]


def test_a_300_kB_error_line_is_cut_and_pads_no_row(tmp_path, monkeypatch, capsys):
    noisy = Framework("noisy", "tests.noisy_impl", ("numpy",), "numpy", ("numpy",), probe=None)
    registry = {"numpy": FRAMEWORKS["numpy"], "noisy": noisy}
    monkeypatch.setattr(cli, "FRAMEWORKS", registry)
    monkeypatch.setattr(runner, "FRAMEWORKS", registry)
    assert cli.main(["--frameworks", "numpy,noisy", "--repeats", "0", "--epochs", "5", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) < 400
    row = next(line for line in out.splitlines() if line.startswith("noisy "))
    assert row.endswith("x …") and "FAIL" not in row  # it did not run: no verdict
    assert "numpy" in next(line for line in out.splitlines() if line.startswith("numpy ")) and len(
        next(line for line in out.splitlines() if line.startswith("numpy "))) < 200
    assert "noisy failed to run." in out and "disagree" not in out
    stderr = json.loads((tmp_path / "results.json").read_text())["runs"]["noisy"]["stderr"]
    assert max(len(line) for line in stderr.splitlines()) <= runner.STDERR_LINE_CHARS + 2


def test_results_that_cannot_be_written_after_training_cost_the_file_not_the_table(tmp_path, monkeypatch, capsys):
    """The out folder removed while the run trained: the table is printed, one line says what was not written."""
    out = tmp_path / "out"
    real = runner.run

    def run_then_remove_out(config, **kwargs):
        data = real(config, **kwargs)
        shutil.rmtree(out)
        return data

    monkeypatch.setattr(runner, "run", run_then_remove_out)
    code = cli.main(["--frameworks", "numpy,torch", "--repeats", "0", "--epochs", "5", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    assert "All 2 frameworks that ran agree with numpy" in captured.out and "Results:" not in captured.out
    assert captured.err.strip().splitlines()[-1] == (f"compare: results not written to "
                                                     f"'{out / 'results.json'}': No such file or directory")


def test_a_results_path_that_is_a_folder_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "results.json").mkdir()
    assert cli.main(["--frameworks", "numpy", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"compare: error: cannot write '{tmp_path / 'results.json'}': it exists and is not a file\n"


def test_a_report_that_fails_leaves_no_earlier_report_beside_the_new_results(tmp_path, monkeypatch, capsys):
    (tmp_path / "results.json").write_text(EARLIER)
    (tmp_path / "report.md").write_text("the earlier run's report\n")

    def fails(directory):
        raise ValueError("cannot draw")

    monkeypatch.setattr(markdown, "write", fails)
    assert cli.main(["--frameworks", "numpy,torch", "--repeats", "0", "--epochs", "5", "--out", str(tmp_path)]) == 0
    assert "compare: report not written: ValueError: cannot draw" in capsys.readouterr().err
    assert json.loads((tmp_path / "results.json").read_text())["runs"]["torch"]["status"] == "ok"
    assert not (tmp_path / "report.md").exists()
