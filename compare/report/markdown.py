"""report.md: the run (and the sweep, if there is one) as a page a blog post can use as is.

Every number is read from results.json or bench.json; every figure is drawn from them; the code is read from the
implementations' source files.
"""
from compare.frameworks import FRAMEWORKS
from compare.report.source import code_lines, source_file
from compare.report.summary import (
    bench_table,
    headline,
    notes,
    number,
    parity_cell,
    ratio_cell,
    seconds,
    timing_notes,
    verdict,
)


def cell(text):
    return str(text).replace("|", "\\|")


def results_table(results):
    parity = results["parity"]
    lines = ["| framework | version | final loss | max \\|Δloss\\| | max \\|Δweight\\| | first bad epoch | parity "
             "| train time | per epoch | × numpy |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, run in results["runs"].items():
        if run["status"] == "missing":
            lines.append(f"| {name} | not installed: `{run['install']}` | | | | | | | | |")
            continue
        if run["status"] != "ok":
            lines.append(f"| {name} | **error**: {cell(run['reason'])} | | | | | not run | | | |")
            continue
        timing = run["timing"]
        if name == parity["reference"]:
            check = ["reference", "", "", ""]
            ratio = "1" if "epoch_median_s" in timing else "-"
        elif "reason" in parity["frameworks"][name]:  # ran, but the reference did not: nothing to judge it by
            check, ratio = ["", "", "", "not judged"], "-"
        else:
            entry = parity["frameworks"][name]
            epoch = entry["first_divergent_epoch"]
            check = [number(entry["max_abs_loss_diff"], ".1e"), number(entry["max_abs_weight_diff"], ".1e"),
                     "-" if epoch is None else str(epoch),
                     "**FAIL**" if entry["verdict"] == "FAIL" else parity_cell(entry)]
            ratio = cell(ratio_cell(timing)) if "ratio_to_reference" in timing else "-"
        lines.append("| " + " | ".join([name, cell(run["version"]), number(run["loss"][-1], ".10g"), *check,
                                        seconds(timing["train_s"]), seconds(timing.get("epoch_median_s")),
                                        ratio]) + " |")
    return "\n".join(lines)


def environment_lines(environment):
    flags = ", ".join(f"{k}={v}" for k, v in environment["numeric_flags"].items() if v is not None) or "none set"
    return [f"- CPU: {environment['cpu']}, {environment['cores']} cores ({environment['machine']}), "
            f"{environment['os']}",
            f"- Python {environment['python']}; {environment['threads']} thread(s) for every framework",
            f"- numeric flags: {flags}"]


def implementations(results):
    """Each implementation's network.py, with its count of code lines, in the order of the run."""
    modules = {}
    for name in results["runs"]:
        if name in FRAMEWORKS:
            modules.setdefault(FRAMEWORKS[name].module, name)
    sources = {m: source_file(m) for m in modules}
    probes = {m: p.parent / "probe.py" for m, p in sources.items() if p is not None}
    sources = {m: p.read_text() for m, p in sources.items() if p is not None and p.exists()}
    out = ["| implementation | network.py: the lesson | probe.py: for the checker |", "|---|---|---|"]
    out += [f"| `{m}` | {code_lines(text)} | "
            f"{code_lines(probes[m].read_text()) if probes[m].exists() else '-'} |" for m, text in sources.items()]
    out.append("")
    out.append("Lines of code leave out blank lines, comments and docstrings. network.py is what a reader compares; "
               "probe.py only reads one step's quantities out of it for the step-local checks.")
    for module, text in sources.items():
        out += ["", f"### `{module}/network.py` ({code_lines(text)} lines of code)", "", "```python", text.rstrip(),
                "```"]
    return out


def companion_table():
    """The lines of code each framework's user changes to go from the blog's network to the deeper one."""
    import companion

    out = ["| framework | the blog's network | two hidden tanh layers, biases, cross-entropy | lines removed | "
           "lines added |", "|---|---|---|---|---|"]
    for name in companion.FRAMEWORKS:
        c = companion.changes(name)
        out.append(f"| {name} | {c['blog']} | {c['deep']} | {c['removed']} | {c['added']} |")
    return out


def companion_section():
    """report.md's companion to "why frameworks, not NumPy?": the counts, then each pair's diff."""
    import companion

    out = ["## From the blog's network to a deeper one", "",
           "What a user of each framework changes to go from the blog's network to two hidden layers of tanh with "
           "biases and binary cross-entropy: the two versions are files in `companion/`, each trained by the "
           "tests against the NumPy reference; the counts are their lines of code (no blank lines, comments or "
           "docstrings, nor the run at the end of each file, the same in all of them) that differ. In NumPy the "
           "change includes every derivative the backward pass needs.", "",
           *companion_table(), ""]
    for name in companion.FRAMEWORKS:
        out += [f"<details><summary>{name}</summary>", "", "```diff", companion.changes(name)["diff"], "```", "",
                "</details>", ""]
    return out


def document(results=None, bench=None, figures=()):
    """The text of report.md; `figures` names the PNG files written beside it."""
    out = ["# Same network, same weights, many frameworks", ""]
    if results is not None:
        c = results["config"]
        out += [headline(results), "", f"**{verdict(results)}**", "", results_table(results), ""]
        lines = notes(results) + timing_notes(results)
        out += [f"- {note}" for note in lines] + ([""] if lines else [])
        out += ["Config: " + ", ".join(f"{k} = {v}" for k, v in c.items() if k != "out") + ".", ""]
        out += ["## Environment", "", *environment_lines(results["environment"]), ""]
        reference = results["parity"]["reference"]
        diffs = [e["max_abs_loss_diff"] for e in results["parity"]["frameworks"].values()
                 if e.get("max_abs_loss_diff") is not None]
        if "loss_curves.png" in figures:
            worst = f"the largest difference from {reference} over all epochs is {max(diffs):.1e}" if diffs else \
                "no other framework finished"
            out += ["## Loss curves", "", "![loss curves](loss_curves.png)", "",
                    f"Every framework's loss per epoch, from the same initial weights; {worst}.", ""]
        if "loss_differences.png" in figures:
            out += ["## How close, epoch by epoch", "", "![differences](loss_differences.png)", "",
                    f"|loss − {reference} loss| per epoch on a log scale, against the tolerance "
                    f"{results['parity']['tolerance']:.0e}. Exact zeros are drawn at the bottom of the axis. The "
                    f"shaded band is how far {reference}'s own runs from initial weights nudged by a few ulps part "
                    f"from it: how far any correct implementation may wander in this regime.", ""]
        if "timing.png" in figures:
            out += ["## Time", "", "![time by phase](timing.png)", "",
                    "Import, build and first epoch (tracing and compilation included) are paid once; the steady "
                    "state per epoch is paid every step.", ""]
    if bench is not None:
        out += ["## Scaling", "", "```", bench_table(bench), "```", ""]
        if "scaling.png" in figures:
            out += ["![scaling](scaling.png)", ""]
    if results is not None:
        out += ["## The implementations side by side", "", *implementations(results), ""]
        out += companion_section()
    return "\n".join(out)


def write(directory):
    """Write report.md and its figures into `directory`, from the results.json and bench.json found there."""
    from pathlib import Path

    from compare.errors import ProblemError
    from compare.report import figures
    from compare.run.results import read_document, replacing, write_text

    directory = Path(directory)
    found = {name: read_document(directory / name) if (directory / name).is_file() else None
             for name in ("results.json", "bench.json")}
    results, bench = found["results.json"], found["bench.json"]
    if results is None and bench is None:
        raise ProblemError(f"no results.json or bench.json in '{directory}' (run `python -m compare` first)")
    drawn = []
    plans = []
    if results is not None:
        reference_ok = results["runs"].get(results["parity"]["reference"], {}).get("status") == "ok"
        timed = any("epoch_median_s" in run.get("timing", {}) for run in results["runs"].values())
        plans += [("loss_curves.png", figures.loss_curves, True),
                  ("loss_differences.png", figures.loss_differences, reference_ok),
                  ("timing.png", figures.timing, timed)]
    plans = [(name, draw, results) for name, draw, wanted in plans if wanted]
    if bench is not None:
        plans.append(("scaling.png", figures.scaling, bench))
    for name, draw, data in plans:
        with replacing(directory / name) as tmp:
            draw(data, tmp)
        drawn.append(name)
    write_text(directory / "report.md", document(results, bench, drawn))
    return directory / "report.md"
