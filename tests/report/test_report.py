"""report.md and its figures: as the default run wrote them, every number from the JSON; failures said plainly."""
import struct
import subprocess
import sys
import warnings

import pytest

from compare.commands.bench import crossovers
from compare.frameworks import FRAMEWORKS, Framework
from compare.problem import Config
from compare.report import figures, markdown, summary
from compare.report.source import code_lines
from compare.run import results, runner

pytest.importorskip("matplotlib")


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def drawn(default_run):
    """A timed run's report, as the run wrote it beside its results.json (markdown.write, called by the command
    line): the default run's (tests/conftest.py), every framework in it."""
    out, _, data = default_run
    return out, data


def test_report_and_figures_are_written(drawn):
    out, _ = drawn
    for name in ("loss_curves.png", "loss_differences.png", "timing.png"):
        width, height = png_size(out / name)
        assert 400 <= width <= 3000 and 150 <= height <= 2000, (name, width, height)
        assert f"]({name})" in (out / "report.md").read_text()


def test_numbers_in_the_report_come_from_the_json(drawn):
    out, data = drawn
    text = (out / "report.md").read_text()
    for name, run in data["runs"].items():
        row = next(line for line in text.splitlines() if line.startswith(f"| {name} |"))
        assert format(run["loss"][-1], ".10g") in row
        assert run["version"] in row
    entry = data["parity"]["frameworks"]["torch"]
    torch_row = next(line for line in text.splitlines() if line.startswith("| torch |"))
    assert format(entry["max_abs_loss_diff"], ".1e") in torch_row
    assert summary.ratio_cell(data["runs"]["torch"]["timing"]) in torch_row
    assert data["environment"]["cpu"] in text
    assert "learning rate 1" in text and f"{Config().epochs} epochs" in text


def test_the_implementations_are_shown_with_their_size(drawn):
    out, _ = drawn
    text = (out / "report.md").read_text()
    for module in ("impl_numpy", "impl_torch"):
        source = (runner.ROOT / module / "network.py").read_text()
        assert f"| `{module}` | {code_lines(source)} |" in text
        assert source.strip().splitlines()[-1] in text


def test_code_lines_leave_out_blanks_comments_and_docstrings():
    source = ('"""Module doc."""\n\nimport os  # why\n\n\ndef f(x):\n    """Doc\n    on two lines."""\n'
              '    # a comment\n    return (x +\n            1)\n')
    assert code_lines(source) == 4  # import, def, and the return spread over two lines


def test_a_failed_framework_is_said_so(tmp_path, monkeypatch):
    broken = Framework("broken", "tests.broken_impl", ("numpy",), "numpy", ("numpy",))
    monkeypatch.setattr(runner, "FRAMEWORKS", {"numpy": FRAMEWORKS["numpy"], "broken": broken})
    data = runner.run(Config(frameworks=("numpy", "broken"), epochs=3, repeats=0, out=str(tmp_path)))
    results.write_json(tmp_path / "results.json", data)
    text = markdown.write(tmp_path).read_text()
    assert "| broken | **error**: worker failed: RuntimeError: this implementation is broken on purpose" in text
    assert "broken failed to run" in text
    png_size(tmp_path / "loss_curves.png")


def test_a_curve_far_off_the_reference_keeps_the_tolerance_in_sight(tmp_path, monkeypatch):
    """A reader's loss a quarter of the reference's: |Δloss| ≈ 0.3, eleven decades above the tolerance. The lower
    panel still spans both (the line and its label inside, nothing pushed off the figure) and counts whole epochs."""
    loss = [0.44, 0.43, 0.42, 0.41, 0.40]
    data = {"config": {"dataset": "blog", "dtype": "float64"},
            "runs": {"numpy": {"status": "ok", "loss": loss},
                     "my_network": {"status": "ok", "loss": [value / 4 for value in loss]}},
            "parity": {"reference": "numpy", "tolerance": 1e-12, "frameworks": {"my_network": {"ok": False}}}}
    drawn = []
    monkeypatch.setattr(figures, "save", lambda fig, path: drawn.append(fig))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figures.loss_curves(data, tmp_path / "loss_curves.png")
        drawn[0].tight_layout()
    lower = drawn[0].axes[1]
    low, high = lower.get_ylim()
    assert low < 1e-12 and high > 0.33
    assert all(float(tick) == int(tick) for tick in lower.get_xticks())


def test_a_bench_report(tmp_path):
    cells = [{"width": w, "batch": 4, "epoch_median_s": t} for w, t in ((4, 1e-4), (64, 2e-4))]
    paired = [{**cells[0], "epoch_median_s": 1.5e-4, "ratio_to_reference": 1.5, "ratio_ci95": [1.4, 1.6]},
              {**cells[1], "epoch_median_s": 1.5e-4, "ratio_to_reference": 0.75, "ratio_ci95": [0.7, 0.8]}]
    bench = {"schema": results.BENCH_SCHEMA,
             "config": {"batches": [4], "widths": [4, 64], "inputs": 3, "dtype": "float64", "threads": 1},
             "frameworks": {"numpy": {"status": "ok", "cells": cells}, "torch": {"status": "ok", "cells": paired}},
             "crossovers": crossovers({"torch": {"status": "ok", "cells": paired}}), "skipped_for_memory": []}
    results.write_json(tmp_path / "bench.json", bench)
    text = markdown.write(tmp_path).read_text()
    assert "faster than numpy from: torch at width 64 (× numpy 0.75 (0.70–0.80))" in text
    assert "](scaling.png)" in text
    png_size(tmp_path / "scaling.png")


def test_a_bench_json_of_the_earlier_schema_is_refused_in_one_line(tmp_path):
    results.write_json(tmp_path / "bench.json", {"schema": 1, "config": {}, "frameworks": {}, "crossovers": {}})
    proc = subprocess.run([sys.executable, "-m", "compare", "report", "--from", str(tmp_path)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert f"is not a bench.json of schema {results.BENCH_SCHEMA}" in proc.stderr


@pytest.mark.parametrize("make", [lambda p: p / "missing", lambda p: p])
def test_report_without_json_is_refused(tmp_path, make):
    proc = subprocess.run([sys.executable, "-m", "compare", "report", "--from", str(make(tmp_path))],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("compare: error: ")


@pytest.mark.parametrize("name, text", [
    ("results.json", '{"schema": 1, "runs": '),                # cut short
    ("results.json", "not json at all"),
    ("results.json", "[1, 2]"),                                 # JSON, but not an object
    ("results.json", '{"schema": 1, "config": {}, "environment": {}, "runs": {}, "parity": {}}'),  # another schema
    ("results.json", '{"schema": 2, "config": {}}'),           # fields missing
    ("bench.json", '{"schema": 1, "frameworks": {}}'),
    ("results.json", "\udcff"),                                 # not UTF-8
])
def test_report_from_a_file_that_is_not_what_it_claims_is_refused_in_one_line(tmp_path, name, text):
    (tmp_path / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    proc = subprocess.run([sys.executable, "-m", "compare", "report", "--from", str(tmp_path)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("compare: error: ")
    assert name in proc.stderr and not (tmp_path / "report.md").exists()


@pytest.mark.parametrize("median, interval, shown", [
    (9.2, (8.6, 10.04), "9.2 (8.6–10)"),           # the interval supports two figures
    (0.442, (0.4389, 0.4481), "0.442 (0.439–0.448)"),  # ends told apart with a third, and the median too
    (1460, (1100, 1530), "1460 (1100–1530)"),       # no end reads as the median it is not
    (19.4, (19.08, 19.96), "19.4 (19.1–20.0)"),      # never a median printed outside its own interval
    (0.403, (0.39, 0.43), "0.40 (0.39–0.43)"),       # a figure kept is printed, zero or not
    (9.5, (8.05, 12.08), "9.5 (8.1–12)"),           # never fewer than two figures
    (0.0456, (0.0455, 0.0457), "0.0456 (0.0455–0.0457)"),  # a tight interval supports more
    (3.2e-5, None, "3.2e-05"),
])
def test_a_median_is_printed_with_the_digits_its_interval_supports(median, interval, shown):
    assert summary.estimate(median, interval) == shown
