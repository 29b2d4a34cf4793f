"""The pitfalls gallery: each default that makes a port disagree, run as your own file would be, and diagnosed.

pitfalls/<name>/ holds as_ported.py (the natural port, with a framework's default left in), lined_up.py (the same
file with the pitfall's lines changed, nothing else) and pitfall.toml (its title, its framework, the run's options,
the quantity the suite must name, and where users met it). Both files follow the contract of your own code
(compare.own.contract) and run beside the reference as `--frameworks numpy,./pitfalls/<name>/as_ported.py` runs
them. A pitfall holds when the as-ported file FAILs with the named quantity and the lined-up file passes. The site's
pages of the gallery are written from the run's pitfalls.json by compare.commands.gallery.
"""
import difflib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tomllib

from compare.check import parity
from compare.errors import ProblemError
from compare.problem import Config, save_weights

GALLERY = Path(__file__).resolve().parents[2] / "pitfalls"
# What a diagnosis can name first, in a step's order: batch normalization's running statistics move in the forward pass
QUANTITIES = ("forward", "statistics", "loss", "gradient", "update")
FIELDS = {"title": str, "framework": str, "names": str, "why": str, "threads": list, "options": dict}
# {"scale": k, "zero_rows": {"w0": [rows]}}: the seed's weights times k, with these rows set to 0
OPTIONAL = {"weights": dict}


@dataclass(frozen=True)
class Pitfall:
    name: str
    folder: Path
    title: str
    framework: str
    names: str      # the quantity the suite must name first: forward, statistics, loss, gradient or update
    why: str        # the default left in, in a sentence
    threads: tuple  # where users met it: public issues and threads
    options: dict   # the run's options: Config's fields
    weights: dict | None = None

    @property
    def as_ported(self):
        return self.folder / "as_ported.py"

    @property
    def lined_up(self):
        return self.folder / "lined_up.py"


def load(folder):
    """The pitfall in `folder`; a ProblemError, in one line, where its pitfall.toml is missing or not as above."""
    folder = Path(folder)
    path = folder / "pitfall.toml"
    try:
        with open(path, "rb") as f:
            meta = tomllib.load(f)
    except FileNotFoundError:
        raise ProblemError(f"{path}: missing (a pitfall's title, framework, options and threads)") from None
    except tomllib.TOMLDecodeError as err:
        raise ProblemError(f"{path}: not TOML: {err}") from None
    unknown = sorted(set(meta) - set(FIELDS) - set(OPTIONAL))
    missing = [key for key in FIELDS if key not in meta]
    wrong = [key for key, kind in {**FIELDS, **OPTIONAL}.items() if key in meta and not isinstance(meta[key], kind)]
    if unknown or missing or wrong:
        what = (f"unknown key '{unknown[0]}'" if unknown else f"no '{missing[0]}'" if missing
                else f"'{wrong[0]}' is not a {FIELDS.get(wrong[0], OPTIONAL.get(wrong[0])).__name__}")
        raise ProblemError(f"{path}: {what} (keys: {', '.join([*FIELDS, *OPTIONAL])})")
    if meta["names"] not in QUANTITIES:
        raise ProblemError(f"{path}: names '{meta['names']}', not one of {', '.join(QUANTITIES)}")
    for name in ("as_ported.py", "lined_up.py"):
        if not (folder / name).is_file():
            raise ProblemError(f"{folder}: no {name}")
    options = {key: tuple(value) if isinstance(value, list) else value for key, value in meta["options"].items()}
    try:
        Config(**options)
    except (TypeError, ProblemError) as err:
        raise ProblemError(f"{path}: options: {err}") from None
    return Pitfall(folder.name, folder, meta["title"], meta["framework"], meta["names"], meta["why"],
                   tuple(meta["threads"]), options, meta.get("weights"))


def gallery(root=None, only=None):
    """Every pitfall under root (GALLERY), by name; only: the names to keep (a ProblemError names one that is not
    there)."""
    folders = sorted(Path(GALLERY if root is None else root).iterdir())
    found = {folder.name: folder for folder in folders if (folder / "pitfall.toml").exists()}
    for name in only or ():
        if name not in found:
            raise ProblemError(f"no pitfall '{name}' (choose from {', '.join(found)})")
    return [load(folder) for name, folder in found.items() if not only or name in only]


def lines_changed(a, b):
    """How many lines the pitfall changes: per block that differs, the longer of its two sides."""
    matcher = difflib.SequenceMatcher(None, a.splitlines(), b.splitlines(), autojunk=False)
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal")


def diff(pitfall):
    """The unified diff from as_ported.py to lined_up.py."""
    a, b = pitfall.as_ported.read_text(), pitfall.lined_up.read_text()
    return "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), "as_ported.py", "lined_up.py", n=2))


def config(pitfall, weights_dir):
    """The run of a pitfall: the reference and its two files, untimed, with its options (and its weights, written
    to weights_dir, where it sets some). Untimed, the two files' workers run at once (--jobs 2): nothing is timed
    that they could disturb."""
    options = dict(pitfall.options)
    if pitfall.weights:
        weights = [w * pitfall.weights.get("scale", 1.0) for w in Config(**options).initial_weights()]
        for layer, rows in pitfall.weights.get("zero_rows", {}).items():
            weights[int(layer.removeprefix("w"))][rows, :] = 0.0
        path = os.path.join(weights_dir, f"{pitfall.name}.npz")
        save_weights(path, weights)
        options["weights"] = path
    return Config(frameworks=("numpy", str(pitfall.as_ported), str(pitfall.lined_up)), repeats=0, jobs=2, **options)


def side(results, name):
    """One file's part of a pitfall's entry: its verdict, the suite's diagnosis, how far its loss parts."""
    run, entry = results["runs"][name], results["parity"]["frameworks"].get(name, {})
    if run["status"] != "ok":
        return {"verdict": run["status"], "diagnosis": run.get("reason") or run.get("stderr"), "quantity": None,
                "epoch": None, "max_abs_loss_diff": None, "loss": None, "loss_diff": None, "how_to_observe": None}
    reference = np.asarray(results["runs"]["numpy"]["loss"], dtype=float)
    loss = np.asarray(run["loss"], dtype=float)
    diagnosis = entry.get("diagnosis") or {}
    return {"verdict": entry.get("verdict"), "diagnosis": diagnosis.get("message"),
            "quantity": diagnosis.get("quantity"), "epoch": diagnosis.get("epoch"),
            "max_abs_loss_diff": entry.get("max_abs_loss_diff"), "loss": loss.tolist(),
            "loss_diff": np.abs(loss - reference[:len(loss)]).tolist(),
            "how_to_observe": diagnosis.get("how_to_observe")}  # said once, under the diagnoses (observe_line)


def judged(pitfall, results):
    """The pitfall's entry in pitfalls.json, with `ok` and, where it does not hold, `problem`: why."""
    ported, lined = side(results, "as_ported"), side(results, "lined_up")
    problem = None
    if ported["verdict"] != "FAIL":
        problem = f"the as-ported file was not caught: {ported['verdict']}"
    elif ported["quantity"] != pitfall.names:
        problem = f"the as-ported file was caught at {ported['quantity']}, where pitfall.toml names {pitfall.names}"
    elif lined["verdict"] != "pass":
        problem = f"the lined-up file did not pass: {lined['verdict']}" + (
            f" ({lined['diagnosis']})" if lined["diagnosis"] else "")
    a, b = pitfall.as_ported.read_text(), pitfall.lined_up.read_text()
    return {"name": pitfall.name, "title": pitfall.title, "framework": pitfall.framework, "why": pitfall.why,
            "options": dict(pitfall.options, **({"weights": pitfall.weights} if pitfall.weights else {})),
            "threads": list(pitfall.threads), "names": pitfall.names, "lines_changed": lines_changed(a, b),
            "diff": diff(pitfall), "figure": f"{pitfall.name}.png",
            "tolerance": parity.tolerance(results["config"]["dtype"]),
            "loss_name": results["config"].get("loss", "half-sse"),
            "reference": {"loss": results["runs"]["numpy"].get("loss")},  # the curve the figure draws beside theirs
            "as_ported": ported, "lined_up": lined, "ok": problem is None, "problem": problem}


def run(pitfalls, run_config, progress=None):
    """{"pitfalls": [entry, …]}, each pitfall run by run_config(Config) → results (compare.run.runner.run);
    progress(pitfall, entry) after each."""
    entries = []
    with tempfile.TemporaryDirectory(prefix="compare-pitfalls-") as weights_dir:
        for pitfall in pitfalls:
            entry = judged(pitfall, run_config(config(pitfall, weights_dir)))
            entries.append(entry)
            if progress:
                progress(pitfall, entry)
    return {"pitfalls": entries}


def status(entry):
    """'caught at the loss, lined up passes', or what went wrong."""
    if not entry["ok"]:
        return f"NOT AS EXPECTED: {entry['problem']}"
    return f"caught at the {entry['names']} (epoch {entry['as_ported']['epoch']}), lined up passes"


def flags(options):
    """The run's options as the command line gives them: '--loss bce --learning-rate 0.5'."""
    out = []
    for key, value in options.items():
        flag = f"--{key.replace('_', '-')}"
        if isinstance(value, bool):
            out += [flag] if value else []
        elif isinstance(value, tuple) and value != getattr(Config, key):
            out += [flag, ",".join(map(str, value))]
        elif key != "weights" and value != getattr(Config, key):
            out += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    return " ".join(out)


def starting(weights):
    """' · from the seed's weights times 30, w0's row 2 at 0': where a pitfall's run starts, if not from the seed's."""
    if not weights:
        return ""
    parts = [f"times {weights['scale']:g}"] if "scale" in weights else []
    parts += [f"{layer}'s row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))} at 0"
              for layer, rows in weights.get("zero_rows", {}).items()]
    return " · from the seed's weights " + ", ".join(parts)


def sentence(text):
    """A diagnosis as a sentence: its first letter capitalized, a full stop at its end."""
    return "" if not text else text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def markdown(data):
    """pitfalls.md: per pitfall, its title, the diff of its two files, its figure, the suite's diagnosis of each."""
    lines = ["# The pitfalls gallery", "",
             "Each pitfall is a port of the blog's network with one framework's default left in (`as_ported.py`), "
             "beside the same file with the pitfall's lines changed (`lined_up.py`), run against the reference with "
             "`python -m compare pitfalls`. The diagnoses are the suite's own words.", ""]
    for entry in data["pitfalls"]:
        folder = f"pitfalls/{entry['name']}"
        options = flags({k: tuple(v) if isinstance(v, list) else v for k, v in entry["options"].items()})
        lines += [f"## {entry['title']}", "",
                  f"{entry['framework']} · `--frameworks numpy,./{folder}/as_ported.py,./{folder}/lined_up.py"
                  + (f" {options}" if options else "") + "`" + starting(entry["options"].get("weights")), "",
                  entry["why"], "",
                  f"Lines changed to line it up: {entry['lines_changed']}.", "",
                  "```diff", entry["diff"].rstrip("\n"), "```", "",
                  f"![{entry['name']}]({entry['figure']})", "",
                  f"- **As ported: {entry['as_ported']['verdict']}.** {sentence(entry['as_ported']['diagnosis'])}",
                  f"- **Lined up: {entry['lined_up']['verdict']}**, max \\|Δloss\\| "
                  f"{entry['lined_up']['max_abs_loss_diff']:.1e}." if entry["lined_up"]["max_abs_loss_diff"]
                  is not None else f"- **Lined up: {entry['lined_up']['verdict']}.**",
                  "- Where users met it: " + ", ".join(f"<{url}>" for url in entry["threads"]), ""]
        if not entry["ok"]:
            lines += [f"**Not as expected:** {entry['problem']}.", ""]
    observe = observe_line(data)
    return "\n".join(lines + ([observe, ""] if observe else []))


def observe_line(data):
    """'What was not observed in the files above: add forward(x, weights) and backward(layers, y, weights) to compare
    them.': the hint to a file's author, once for the gallery rather than in each diagnosis; None where no diagnosis
    says something was not observed."""
    how = next((entry[key]["how_to_observe"] for entry in data["pitfalls"] for key in ("as_ported", "lined_up")
                if entry[key].get("how_to_observe")), None)
    return None if how is None else f"What was not observed in the files above: {how}."


def write(data, out):
    """Each pitfall's figure, pitfalls.md, then pitfalls.json, each replacing the earlier one in one rename."""
    from compare.report import figures
    from compare.run import results

    for entry in data["pitfalls"]:
        with results.replacing(os.path.join(out, entry["figure"])) as tmp:
            figures.pitfall(entry, tmp)
    results.write_text(os.path.join(out, "pitfalls.md"), markdown(data))
    results.write_json(os.path.join(out, "pitfalls.json"), data)


def table(data, link=None):
    """The gallery as a Markdown table: each pitfall (linked to link.format(name=…), e.g. "{name}.md", unless None),
    its framework, what the suite names first, how far the two files' loss curves part from the reference's, and the
    lines changed to line it up."""
    lines = ["| pitfall | framework | the suite names first | max \\|Δloss\\| as ported | lined up | lines changed |",
             "|---|---|---|---|---|---|"]
    for entry in data["pitfalls"]:
        ported, lined = entry["as_ported"], entry["lined_up"]
        named = f"{ported['quantity']}, epoch {ported['epoch']}" if ported["quantity"] else ported["verdict"]

        def size(value):
            return "—" if value is None else f"{value:.1e}"
        title = entry["title"] if link is None else f"[{entry['title']}]({link.format(name=entry['name'])})"
        lines.append(f"| {title} | {entry['framework']} | {named} "
                     f"({ported['verdict']}) | {size(ported['max_abs_loss_diff'])} | {size(lined['max_abs_loss_diff'])}"
                     f" ({lined['verdict']}) | {entry['lines_changed']} |")
    return "\n".join(lines)
