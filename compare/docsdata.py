"""Regenerate every table, run excerpt and figure of the site and the README from real runs: `python -m
compare.docsdata` (or `make docs-data`), all of them or the blocks named.

Each block writes docs/generated/NAME.md, which the site's pages include; the default run's table also fills the
README's `<!-- default-run -->` block, between its markers, everything else there left alone. Figures go beside
the pages that show them (docs/loss_curves.png, docs/pitfalls/); the companion files' notebooks, run, to
docs/notebooks/.
"""
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compare import cli
from compare.check import parity
from compare.frameworks import DEFAULT, FRAMEWORKS, REFERENCE
from compare.problem import Config
from compare.report import markdown, pages, summary
from compare.run import pool, results, runner

ROOT = Path(__file__).resolve().parents[1]  # the project
README = ROOT / "README.md"
FIGURES = ROOT / "docs"
GENERATED = FIGURES / "generated"
DATA = GENERATED / "data"  # the JSON each data-backed block was rendered from (pages.py renders it again in the tests)
IN_README = ("default-run",)  # the blocks the README shows too
DRIFT_EPOCHS = (50, 500)


WORKERS = None  # the generator's served workers, one per framework for all its runs (main)


def compare_run(args):
    """`python -m compare run ARGS --out TMP`, run in this process with its untimed runs served by WORKERS
    (compare.run.pool), as the command line would run them in fresh processes: (exit code, stdout, results.json)."""
    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()) as printed:
        code = cli.main(["run", *args, "--out", out], workers=WORKERS)
        found = Path(out) / "results.json"
        data = results.read_json(found) if found.exists() else None
    return code, printed.getvalue(), data


def block(name, body, text):
    pattern = re.compile(rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no <!-- {name} --> block")
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text)


def write(name, body):
    """docs/generated/NAME.md, replaced in one rename; and the README's block of that name, if it shows one."""
    GENERATED.mkdir(parents=True, exist_ok=True)
    results.write_text(str(GENERATED / f"{name}.md"), body)
    if name in IN_README:
        results.write_text(str(README), block(name, body, README.read_text()))


def default_run():
    """The default run's table for the site (the README shows the terminal's), and its loss-curve figure copied to
    docs/."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "compare", "--out", out], capture_output=True)
        data = results.read_json(Path(out) / "results.json")
        FIGURES.mkdir(exist_ok=True)
        shutil.copyfile(Path(out) / "loss_curves.png", FIGURES / "loss_curves.png")
    results.write_text(str(README), block("default-run", f"```\n$ python -m compare\n{summary.table(data)}\n```\n",
                                          README.read_text()))
    return keep("default-run", trimmed(data))


def trimmed(data):
    """results.json less what no page shows (weights, predictions, step losses, the probes' states)."""
    runs = {name: {key: run[key] for key in ("status", "version", "loss", "timing", "reason", "install", "missing")
                   if key in run} for name, run in data["runs"].items()}
    return {key: data[key] for key in ("schema", "config", "layers", "parity")} | {"runs": runs}


def keep(name, data):
    """Keep `data` as docs/generated/data/NAME.json, and return its block rendered from it."""
    DATA.mkdir(parents=True, exist_ok=True)
    results.write_text(str(DATA / f"{name}.json"), json.dumps(data, indent=1) + "\n")
    return RENDER[name](data)


def kept(name):
    return json.loads((DATA / f"{name}.json").read_text())


def companion_counts():
    """Each companion file's lines of code, and what going to the deeper network changes (from the files)."""
    import companion

    return {name: {key: value for key, value in companion.changes(name).items() if key != "diff"}
            for name in companion.FRAMEWORKS}


ANSWERS = {  # a post's answer and conclusion: the blocks they are rendered from, and how
    "post1-answer": (("default-run",), pages.post1_answer),
    "post1-conclusion": (("default-run",), pages.post1_conclusion),
    "post2-answer": (("companion", "default-run", "bench"), pages.post2_answer),
    "post2-conclusion": (("bench",), pages.post2_conclusion),
    "post3-answer": (("companion", "loops", "idioms"), pages.post3_answer),
    "post3-conclusion": (("idioms",), pages.post3_conclusion),
}


def answers():
    """Each post's answer and conclusion, from the data its blocks were rendered from: written here, not typed."""
    for name, (sources, render) in ANSWERS.items():
        write(name, render(*(kept(source) for source in sources)))
    write("posts", posts_block())


def posts_block():
    """The home page's list of the posts, each with the start of its answer."""
    return pages.posts({post: (GENERATED / f"{post}-answer.md").read_text() for post, _ in pages.POSTS})


def drift():
    """max |Δloss| against numpy as runs get longer, beside the tolerance the checker applies; a verdict other than
    pass is written beside its number."""
    others = [name for name in DEFAULT if name != REFERENCE and not FRAMEWORKS[name].missing()]
    runs = []
    for dtype in ("float32", "float64"):
        for dataset in ("blog", "xor"):
            for epochs in DRIFT_EPOCHS:
                data = runner.run(Config(dataset=dataset, dtype=dtype, epochs=epochs, repeats=0), workers=WORKERS)
                cells = {}
                for name in others:
                    entry = data["parity"]["frameworks"].get(name, {})
                    value = entry.get("max_abs_loss_diff")
                    cells[name] = "not run" if value is None else f"{value:.1e}" + (
                        "" if entry["verdict"] == "pass" else f" {entry['verdict']}")
                runs.append({"dtype": dtype, "dataset": dataset, "epochs": epochs,
                             "tolerance": parity.tolerance(dtype), "cells": cells})
                print(runs[-1], file=sys.stderr)
    return keep("drift", runs)


# The large-step regimes where free-running curves part (the verdict section's commands).
REGIMES = [
    ["--frameworks", "numpy,torch,jax,pytensor", "--dataset", "xor", "--hidden", "32", "--learning-rate", "10",
     "--epochs", "60000"],
    ["--frameworks", "numpy,torch,tensorflow,jax,pytensor", "--dataset", "xor", "--hidden", "4", "--learning-rate",
     "100", "--epochs", "60000"],
    ["--dataset", "xor", "--learning-rate", "10", "--epochs", "2000", "--dtype", "float32"],
]


def regimes():
    """Each large-step regime's run: where every framework's curves part, its verdict, and the reference's band."""
    lines = ["| command | framework | curves part at | max \\|Δloss\\| | step-local checks | verdict |",
             "|---|---|---|---|---|---|"]
    bands = []
    for args in REGIMES:
        data = compare_run([*args, "--repeats", "0"])[2]
        command = "`" + " ".join(args) + "`"
        for name, entry in data["parity"]["frameworks"].items():
            if entry.get("ok") is None:
                continue
            epoch = entry["first_divergent_epoch"]
            checks = "agree" if entry["diagnosis"] is None else entry["diagnosis"]["message"]
            lines.append(f"| {command} | {name} | {'-' if epoch is None else epoch} | "
                         f"{entry['max_abs_loss_diff']:.1e} | {len(entry['probed_epochs'])} {checks} | "
                         f"{entry['verdict']} |")
            command = ""
        for precision, band in data["parity"]["sensitivity"].items():
            where = "never" if band["parts_at_epoch"] is None else f"from epoch {band['parts_at_epoch']}"
            bands.append(f"| `{' '.join(args)}` | {precision} | {where} | {band['max_loss_diff']:.1e} |")
        print(lines[-1], file=sys.stderr)
    return "\n".join(lines + ["", "The reference's own band in each: its runs from initial weights nudged by a few "
                                   "ulps of the precision shown (at float32 in a float64 run, also one run computed "
                                   "in float32 throughout).", "",
                                   "| command | nudged in | parts | by up to (loss) |", "|---|---|---|---|",
                                   *bands]) + "\n"


SATURATION = ["--frameworks", "all", "--loss", "bce", "--learning-rate", "100"]


def saturation():
    """The cross-entropy run whose outputs saturate: each framework's verdict and, where it parts, its declared
    formula, from a real run and the registry."""
    data = compare_run([*SATURATION, "--repeats", "0"])[2]
    lines = [f"`python -m compare run {' '.join(SATURATION)}`:", "",
             "| framework | verdict | max \\|Δloss\\| | first difference | outputs within (of 0 or 1) | declared |",
             "|---|---|---|---|---|---|"]
    for name, entry in data["parity"]["frameworks"].items():
        if entry.get("ok") is None:
            continue
        first = "-" if entry["diagnosis"] is None else entry["diagnosis"]["message"]
        within = f"{entry['saturation']:.1e}" if "saturation" in entry else "-"
        formula = FRAMEWORKS[name].formulas.get("bce")
        lines.append(f"| {name} | {entry['verdict']} | {entry['max_abs_loss_diff']:.1e} | {first} | {within} | "
                     f"{formula.what if formula else '(the reference’s formula)'} |")
    return "\n".join(lines) + "\n"


# Each optimizer with Keras's built-in, at its defaults and with the setting that lines it up.
OPTIMIZER_RUNS = [
    ["--optimizer", "momentum"], ["--optimizer", "momentum", "--momentum", "0.875"],
    ["--optimizer", "rmsprop"], ["--optimizer", "rmsprop", "--epsilon", "0"],
    ["--optimizer", "adam"], ["--optimizer", "adam", "--epsilon", "0"],
    ["--optimizer", "adam", "--epsilon", "0", "--beta1", "0.5", "--beta2", "0.875"],
]


def optimizers():
    """Each optimizer run: every framework's verdict, and the size of what optax's and Keras's built-ins compute
    otherwise."""
    lines = ["| command | torch, tensorflow, pytensor | jax (optax) | keras | keras-jax | keras-torch |",
             "|---|---|---|---|---|---|"]
    for args in OPTIMIZER_RUNS:
        args = [*args, "--learning-rate", "0.1"]
        entries = compare_run([*args, "--repeats", "0", "--jobs", "2"])[2]["parity"]["frameworks"]
        plain = sorted({entries[name]["verdict"] for name in ("torch", "tensorflow", "pytensor")})
        cells = [f"{entries[name]['verdict']}{' (formula)' if 'formula' in entries[name] else ''}, "
                 f"{entries[name]['max_abs_weight_diff']:.1e}" for name in ("jax", "keras", "keras-jax", "keras-torch")]
        lines.append(f"| `{' '.join(args)}` | {', '.join(plain)} | " + " | ".join(cells) + " |")
        print(lines[-1], file=sys.stderr)
    return "\n".join(lines) + "\n"


# Every optimizer at both dtypes, full batch and in mini-batches (one row a step; two, in row order and shuffled).
MATRIX_BATCHES = {"full batch": [], "batch 1": ["--batch-size", "1"], "batch 2": ["--batch-size", "2"],
                  "batch 2, shuffled": ["--batch-size", "2", "--shuffle"]}


def optimizer_matrix():
    """The whole product of optimizers, dtypes and batchings in the nine frameworks: each one's verdict."""
    others = [name for name in DEFAULT if name != REFERENCE]
    runs = []
    for optimizer in ("sgd", "momentum", "nesterov", "rmsprop", "adam"):
        for dtype in ("float64", "float32"):
            for batches, args in MATRIX_BATCHES.items():
                args = ["--optimizer", optimizer, "--dtype", dtype, *args, "--learning-rate", "0.1"]
                entries = compare_run([*args, "--repeats", "0", "--jobs", "2"])[2]["parity"]["frameworks"]
                runs.append({"optimizer": optimizer, "dtype": dtype, "batches": batches,
                             "cells": {name: entries[name]["verdict"] + ("†" if "formula" in entries[name] else "")
                                       for name in others}})
                print(runs[-1], file=sys.stderr)
    return keep("optimizer-matrix", runs)


# The training loop's options (compare.problem): each alone, then in combinations with momentum, Adam, mini-batches,
# biases and float32, pairwise rather than their product. The same cases hold impl_numpy to a second reference
# (tests/test_training_loop.py); the tests run a sample of them in every framework (tests/test_parity.py).
LOOP_CASES = {
    "weight decay, coupled": dict(weight_decay=0.05, learning_rate=0.5),
    "weight decay, decoupled": dict(weight_decay=0.05, decay="decoupled", learning_rate=0.5),
    "L2 penalty": dict(l2=0.01),
    "exponential schedule": dict(schedule="exponential", decay_rate=0.5, decay_steps=20),
    "step schedule": dict(schedule="step", decay_rate=0.5, decay_steps=7),
    "cosine schedule": dict(schedule="cosine", decay_steps=30, alpha=0.1),
    "clip, global norm": dict(clip_norm=0.05),
    "clip, each variable's norm": dict(clip_norm=0.03, clip="per-variable"),
    "clip by value": dict(clip_value=0.02),
    "momentum, decoupled decay, cosine": dict(optimizer="momentum", weight_decay=0.1, decay="decoupled",
                                              schedule="cosine", decay_steps=40, learning_rate=0.5),
    "adam, coupled decay, global clip": dict(optimizer="adam", epsilon=0.0, beta1=0.5, beta2=0.875,
                                             weight_decay=0.01, clip_norm=0.05, learning_rate=0.05),
    "adam, decoupled decay, exponential, biases": dict(optimizer="adam", epsilon=0.0, beta1=0.5, beta2=0.875,
                                                       weight_decay=0.1, decay="decoupled", schedule="exponential",
                                                       decay_rate=0.9, decay_steps=10, learning_rate=0.05,
                                                       bias=True),
    "batches of 2 shuffled, step schedule per epoch, L2": dict(batch_size=2, shuffle=True, schedule="step",
                                                               decay_rate=0.5, decay_steps=10, schedule_per="epoch",
                                                               l2=0.005, learning_rate=0.5),
    "batches of 3, step schedule, each variable's clip, biases, mse": dict(
        batch_size=3, schedule="step", decay_rate=0.5, decay_steps=10, clip_norm=0.02, clip="per-variable",
        bias=True, loss="mse"),
    "nesterov, batches of 1, clip by value, coupled decay, xor": dict(
        optimizer="nesterov", momentum=0.5, batch_size=1, clip_value=0.01, weight_decay=0.02, learning_rate=0.5,
        dataset="xor"),
    "float32: cosine schedule, global clip, decoupled decay": dict(
        dtype="float32", schedule="cosine", decay_steps=30, alpha=0.1, clip_norm=0.05, weight_decay=0.05,
        decay="decoupled", learning_rate=0.5),
    "batch normalization": dict(norm="batch"),
    "layer normalization": dict(norm="layer"),
    "batch normalization, batches of 2 shuffled, momentum 0.2, ε 1e-3, nesterov": dict(
        norm="batch", norm_momentum=0.2, norm_epsilon=1e-3, batch_size=2, shuffle=True, optimizer="nesterov",
        learning_rate=0.1),
    "layer normalization, biases, momentum, coupled decay, mse": dict(
        norm="layer", bias=True, optimizer="momentum", weight_decay=0.01, loss="mse", learning_rate=0.5),
    "batch normalization, two hidden layers, biases, L2": dict(norm="batch", hidden=(5, 4), bias=True, l2=0.001),
}


def flags(fields):
    """The command line's flags for Config fields: {"clip_norm": 0.05, "bias": True, "hidden": (5, 4)} →
    --clip-norm 0.05 --bias --hidden 5,4."""
    out = []
    for name, value in fields.items():
        text = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
        out += [f"--{name.replace('_', '-')}"] + ([] if value is True else [text])
    return out


def loop_matrix():
    """Each training-loop case in the nine frameworks: its command's flags and each framework's verdict."""
    others = [name for name in DEFAULT if name != REFERENCE]
    runs = []
    for title, fields in LOOP_CASES.items():
        entries = compare_run([*flags(fields), "--repeats", "0", "--jobs", "2"])[2]["parity"]["frameworks"]
        runs.append({"case": title, "flags": " ".join(flags(fields)),
                     "cells": {name: entries[name]["verdict"] + ("†" if "formula" in entries[name] else "")
                               for name in others},
                     "formulas": {name: entries[name]["formula"] for name in others if "formula" in entries[name]}})
        print(runs[-1]["case"], runs[-1]["cells"], file=sys.stderr)
    return keep("loop-matrix", runs)


def exercise_check():
    """The exercise solved, then each typical mistake (compare.own.exercise), checked by a real run: its rows."""
    from compare.own import exercise

    lines = ["$ python -m compare exercise", "$ # … fill in the three gaps, then:",
             "$ python -m compare run --frameworks numpy,./my_network.py --repeats 0"]
    with tempfile.TemporaryDirectory() as tmp:
        for name, mistakes in {"the gaps filled in as the blog does": {}, **exercise.MISTAKES}.items():
            (Path(tmp) / "my_network.py").write_text(exercise.solved(mistakes))
            code, printed, _ = compare_run(["--frameworks", f"numpy,{Path(tmp) / 'my_network.py'}", "--repeats", "0"])
            rows = [line for line in printed.splitlines() if line.startswith(("framework ", "my_network"))]
            lines += ["", f"# {name}: exit {code}", *rows]
            print(lines[-1], file=sys.stderr)
    return "```\n" + "\n".join(lines) + "\n```\n"


# Learner-style files (tests/own/), each group run as a reader runs one: a title, the run's flags, the files.
OWN_CASES = [
    ("the blog's network: the ×2, mean-for-sum and uphill slips, a slope of a squashed output, a tanh file run as the "
     "blog's, x changed in place, and a class with feedforward/backprop", (),
     ("twice_no_half", "mean_for_sum", "uphill", "squashed_slope", "tanh_undeclared", "changes_x",
      "class_feedforward")),
    ("files that declare NETWORK = {\"activation\": \"tanh\"}, one right, one with sech² of l1", (),
     ("tanh_declared", "tanh_sech2")),
    ("biases and a step size, kept inside train()", ("--bias", "--learning-rate", "0.5"), ("biases_step_size",)),
    ("momentum kept inside train(), which takes no optimizer_state=", ("--optimizer", "momentum", "--learning-rate",
                                                                         "0.5"), ("momentum",)),
    ("Adam in a Network class that takes optimizer_state=", ("--optimizer", "adam", "--learning-rate", "0.1"),
     ("adam_class",)),
    ("mini-batches in the run's shuffled order (orders=)", ("--shuffle", "--batch-size", "2", "--learning-rate", "0.5"),
     ("shuffled",)),
    ("a step size declared and never used, beside the ×2 slip, which uses its rate", ("--learning-rate", "0.5"),
     ("alpha_unused", "twice_no_half")),
    ("the step size never used, at another rate", ("--learning-rate", "0.1"), ("alpha_unused",)),
    ("biases kept inside train() in a run without --bias", (), ("own_biases",)),
    ("a doubled gradient and no step size, at the one rate that hides it", ("--learning-rate", "2"),
     ("twice_no_rate",)),
    ("a mean for the sum and no step size, at the one rate that hides it", ("--learning-rate", "0.25"),
     ("mean_no_rate",)),
    ("a run the tanh file cannot take", ("--activation", "tanh"), ("tanh_undeclared",)),
]


def own_cases():
    """Each group of OWN_CASES checked by a real run: its command, its rows and the lines under its table."""
    lines = []
    for title, flags, names in OWN_CASES:
        files = ",".join(f"tests/own/{name}.py" for name in names)
        args = ["--frameworks", f"numpy,{files}", *flags, "--repeats", "0"]
        code, printed, _ = compare_run([*args[:1], ",".join(["numpy", *(str(ROOT / "tests" / "own" / f"{name}.py")
                                                                      for name in names)]), *args[2:]])
        kept = [line for line in printed.splitlines()
                if not line.startswith(("Results:", "Report:", "  ", "numpy's own band"))]
        lines += [f"# {title}: exit {code}", f"$ python -m compare run {' '.join(args)}", "\n".join(kept).strip(), ""]
        print(lines[-4], file=sys.stderr)
    return "```\n" + "\n".join(lines).rstrip() + "\n```\n"


IDIOMS = ["--frameworks", "numpy,tensorflow,tensorflow-loop,keras,keras-xla,keras-train-on-batch,jax,jax-scan,flax"]


def idioms():
    """Post 3's run: each Keras idiom beside the level below it, and JAX's beside Flax's, timed as the default run
    times its frameworks."""
    code, printed, data = compare_run(IDIOMS)
    return keep("idioms", trimmed(data))


BENCH_ARGS = ["--widths", "4,64,1024,4096", "--batches", "4,1024,16384", "--budget", "900"]


NUMPY_BASELINE_ARGS = ["bench", "--frameworks", "numpy", "--widths", "4", "--batches", "4", "--budget", "60"]


def numpy_baseline():
    """impl_numpy beside the blog's loop written out flat, as bench's NumPy worker times it: the line it prints."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "compare", *NUMPY_BASELINE_ARGS, "--out", out], capture_output=True,
                       check=True)
        data = results.read_json(Path(out) / "bench.json")
    return keep("numpy-baseline", data)


def pitfalls_gallery():
    """The pitfalls gallery, every pair run (python -m compare pitfalls): its figures, pitfalls.md and pitfalls.json
    in docs/pitfalls/, its pages there (an index of cards, a page per pitfall: compare.commands.gallery), and here
    the sentence of numbers with which post 3 sends its reader to them."""
    from compare.commands import gallery, pitfalls

    out = FIGURES / "pitfalls"
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["pitfalls", "--out", str(out)], workers=WORKERS)
    if code not in (0, 1):  # refused or interrupted: nothing new to write pages from
        raise SystemExit(f"compare.docsdata: python -m compare pitfalls exited {code}; the gallery's pages are kept")
    data = results.read_json(out / "pitfalls.json")
    held = "every as-ported file caught, every lined-up file passing" if code == 0 else "NOT every pitfall held"
    gallery.write(data, out, held)
    entries = data["pitfalls"]
    frameworks = sorted({entry["framework"] for entry in entries})
    named = {quantity: sum(entry["as_ported"]["quantity"] == quantity for entry in entries)
             for quantity in pitfalls.QUANTITIES}
    return (f"The gallery holds {len(entries)} pitfalls, in {', '.join(frameworks[:-1])} and {frameworks[-1]}. In "
            f"its last run ({held}), the suite named first "
            + ", ".join(f"the {quantity} for {count}" for quantity, count in named.items() if count) + ".\n")


def notebooks():
    """Each companion file as a notebook, made and run in a fresh kernel (companion.notebooks):
    docs/notebooks/<file>.ipynb; what the blog's run printed in each (post 1's table, this block's), the deeper
    network's (post 2's, generated/notebooks-deep.md) and the training loop's (post 3's,
    generated/notebooks-loop.md)."""
    from companion import notebooks as made

    printed = {kind: {} for kind in made.KINDS}
    for (framework, source), notebook in zip(made.sources(), made.write(made.sources()), strict=True):
        printed[made.kind(source)][framework] = notebook
    write("notebooks-deep", made.table(printed["deep"]))
    write("notebooks-loop", made.loop_table(printed["loop"]))
    return made.table(printed["blog"])


def command_block(name, args, json_name, figure=None):
    """Run `python -m compare ARGS --out TMP`, keep the JSON it writes and render the block from it; its figure, if
    named, goes to docs/generated/."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "compare", *args, "--out", out], capture_output=True, check=True)
        data = results.read_json(Path(out) / json_name)
        if figure:
            GENERATED.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(out) / figure, GENERATED / figure)
    return keep(name, data)


LOOP_TIMING = """
import importlib, json, sys
from companion import loop_data
from compare.timing import phases
train = importlib.import_module(f"companion.{sys.argv[1]}_loop").train
reference = importlib.import_module("companion.numpy_loop").train
arguments = loop_data.arguments()
def runs(train):
    def fit(n):
        for _ in range(n):
            train(**arguments)
    return fit
print(json.dumps(phases.steady_state(runs(train), runs(reference), budget_s=float(sys.argv[2]))))
"""
LOOP_BUDGET_S = 5.0  # seconds of timed rounds per framework, at least ten pairs: a Keras run of the loop lasts seconds


def loops():
    """The training-loop companion files (companion/<framework>_loop.py): each one's lines of code beside its blog
    file's, and a whole early-stopped training run timed beside numpy_loop's in the same process (whole runs, in
    rounds of pairs, as compare.timing.phases times a bench cell)."""
    import companion
    from compare.frameworks import FRAMEWORKS

    found = {}
    for name in companion.FRAMEWORKS:
        counts = {key: value for key, value in companion.changes(name, "loop").items() if key != "diff"}
        proc = subprocess.run([sys.executable, "-c", LOOP_TIMING, name, str(LOOP_BUDGET_S)], capture_output=True,
                              text=True, cwd=ROOT, env={**os.environ, **FRAMEWORKS[name].env}, check=True)
        found[name] = {**counts, "timing": json.loads(proc.stdout.splitlines()[-1])}
    return keep("loops", found)


RENDER = {  # the blocks rendered from data kept in docs/generated/data/
    "default-run": pages.run_table, "idioms": pages.run_table, "bench": pages.bench_tables,
    "numpy-baseline": pages.baseline_sentence, "cost": pages.cost_table, "drift": pages.drift_tables,
    "optimizer-matrix": pages.optimizer_tables, "loop-matrix": pages.loop_matrix_tables,
    "companion": lambda counts: "\n".join(markdown.companion_table()) + "\n", "loops": pages.loop_table,
}


def stale():
    """The generated blocks that their kept data no longer renders to: a page that says what its data does not."""
    found = []
    for name, render in RENDER.items():
        if (DATA / f"{name}.json").exists() and render(kept(name)) != (GENERATED / f"{name}.md").read_text():
            found.append(name)
    for name, (sources, render) in ANSWERS.items():
        if render(*(kept(source) for source in sources)) != (GENERATED / f"{name}.md").read_text():
            found.append(name)
    if posts_block() != (GENERATED / "posts.md").read_text():
        found.append("posts")
    return found


def render_all():
    """Every data-backed block and the posts' answers, rendered again from the data kept: no run."""
    for name, render in RENDER.items():
        if (DATA / f"{name}.json").exists():
            write(name, render(kept(name)))
    answers()


class Usage(cli.Parser):
    def error(self, message):
        """Bad usage: one line, exit 2, nothing regenerated."""
        self.exit(2, f"compare.docsdata: error: {message}\n")


def main(argv=None):
    """Regenerate the blocks from real runs: all of them, or the names given (e.g. `saturation`), or with --quick
    the default run alone; a progress line per block on stderr. (The command line's usage is the site's own:
    sphinx-argparse reads compare.cli's parser.)"""

    blocks = {"default-run": default_run,
              "cost": lambda: command_block("cost", ["cost", "--runs", "5"], "cost.json"),
              "bench": lambda: command_block("bench", ["bench", *BENCH_ARGS], "bench.json", "scaling.png"),
              "drift": drift, "regimes": regimes, "saturation": saturation, "optimizers": optimizers,
              "optimizer-matrix": optimizer_matrix, "loop-matrix": loop_matrix, "exercise": exercise_check,
              "own": own_cases,
              "companion": lambda: keep("companion", companion_counts()), "loops": loops,
              "pitfalls": pitfalls_gallery, "numpy-baseline": numpy_baseline, "idioms": idioms,
              "notebooks": notebooks}
    global WORKERS
    parser = Usage(
        prog="python -m compare.docsdata", description="Regenerate the site's and the README's data-backed blocks "
        "(tables, run excerpts, figures, notebooks) from real runs, into docs/generated/.")
    parser.add_argument("names", nargs="*", metavar="BLOCK", help=f"the blocks to regenerate (all of them if none "
                        f"is named): {', '.join(blocks)}")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--quick", action="store_true", help="the default run alone")
    which.add_argument("--render", action="store_true", help="no run: render every block again from its data kept")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in blocks]
    if unknown:
        parser.error(f"no block {unknown[0]!r}; the blocks: {', '.join(blocks)}")
    if args.render:
        if args.names:
            parser.error("--render renders every block from its data kept: name no block with it")
        return render_all()
    names = args.names or (["default-run"] if args.quick else list(blocks))
    with pool.Pool() as WORKERS:
        for i, name in enumerate(names, 1):
            print(f"docs-data [{i}/{len(names)}] {name} …", file=sys.stderr, flush=True)
            start = time.monotonic()
            write(name, blocks[name]())
            print(f"docs-data [{i}/{len(names)}] {name}: docs/generated/{name}.md in "
                  f"{time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
    if all((DATA / f"{name}.json").exists() for sources, _ in ANSWERS.values() for name in sources):
        answers()


if __name__ == "__main__":
    main()
