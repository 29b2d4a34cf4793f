"""The site's generated blocks: tables a page can hold (MyST pipe tables, each post's key columns) and the posts'
answers, every sentence with a number written here from the data it cites.

Each function takes the JSON a command wrote (results.json, bench.json, cost.json) or the companion files' counts,
and returns Markdown. compare.docsdata keeps that JSON beside each block (docs/generated/data/) and the tests render
each block again from it, so a page cannot show what its data no longer says.
"""
from compare.frameworks import REFERENCE
from compare.report.summary import (
    bench_ratio,
    crossover,
    estimate,
    number,
    parity_cell,
    ratio_cell,
    seconds,
    timing_notes,
    verdict,
)

GPU = ("A GPU, the other half of the frameworks' answer, is not measured here: this machine has none, and every "
       "figure on this page is its CPU's.")


def cell(text):
    return str(text).replace("|", "\\|")


def pipe_table(header, rows):
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                     + ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows])


def ratios(results):
    """{name: timing} for each framework timed beside numpy, in the run's order."""
    return {name: run["timing"] for name, run in results["runs"].items()
            if run["status"] == "ok" and "ratio_to_reference" in run.get("timing", {})}


def run_table(results):
    """A run as a page shows it: framework, verdict, largest |Δloss|, time per epoch and × numpy with its interval;
    then the verdict line and the timing notes."""
    parity, rows = results["parity"], []
    for name, run in results["runs"].items():
        if run["status"] != "ok":
            rows.append([name, "not installed" if run["status"] == "missing" else "error", "", "", ""])
            continue
        timing, entry = run["timing"], parity["frameworks"].get(name, {})
        if name == parity["reference"]:
            check, delta = "reference", ""
        elif "reason" in entry:
            check, delta = "not judged", ""
        else:
            check, delta = parity_cell(entry), number(entry["max_abs_loss_diff"], ".1e")
        ratio = ("1" if name == parity["reference"] and "epoch_median_s" in timing
                 else ratio_cell(timing) if "ratio_to_reference" in timing else "-")
        rows.append([name, check, delta, seconds(timing.get("epoch_median_s")), ratio])
    notes = [verdict(results), *timing_notes(results)]
    if ratios(results):
        notes.append("× numpy: the median of the pairs' ratios to numpy's epoch (whole blocks, each beside numpy's in "
                     "the same process), its 95 % interval in brackets.")
    return "\n".join([pipe_table(["framework", "verdict", "max \\|Δloss\\|", "per epoch", "× numpy"], rows), "",
                      *(f"{line}\n" for line in notes)])


def bench_tables(bench):
    """The sweep: a table per batch size, a row per framework, a column per width, each cell its time per epoch and
    its ratio to numpy; under each, where the frameworks overtake numpy."""
    config, out = bench["config"], []
    names = [name for name, entry in bench["frameworks"].items() if entry["status"] == "ok"]
    cells = {name: {(c["width"], c["batch"]): c for c in bench["frameworks"][name]["cells"]} for name in names}
    for batch in config["batches"]:
        rows = []
        for name in names:
            row = [name]
            for width in config["widths"]:
                found = cells[name].get((width, batch))
                row.append("-" if found is None else "skipped" if "skipped" in found else
                           f"{seconds(found['epoch_median_s'])}" + ("" if name == REFERENCE else
                                                                     f" · {bench_ratio(found)}×"))
            rows.append(row)
        overtakes = [crossover(name, found) for name, by_batch in bench["crossovers"].items()
                     if (found := by_batch.get(str(batch))) is not None]
        out += [f"**A batch of {batch} rows**: time per epoch, and × numpy (~: its 95 % interval reaches across 1)",
                "", pipe_table(["framework", *(f"width {width}" for width in config["widths"])], rows), "",
                "Faster than numpy from: " + ("; ".join(overtakes) if overtakes else "none in this range") + ".", ""]
    return "\n".join(out)


def baseline_sentence(bench):
    """impl_numpy beside the blog's loop written out flat, in one sentence."""
    found = bench["frameworks"]["numpy"]["against_plain_loop"]
    return (f"At the blog's size `impl_numpy` takes {seconds(found['epoch_median_s'])} an epoch, "
            f"{estimate(found['ratio'], found.get('ratio_ci95'))} × the {seconds(found['plain_loop_epoch_median_s'])}"
            f" of the blog's loop written out flat (the median of {found['repeats']} paired ratios, with its 95 % "
            "interval).\n")


def cost_table(cost):
    """`cost --runs K`: the default run's wall time against the bare imports, then each framework's ratio in each run
    and how far the runs spread."""
    runs = cost["ratio_to_numpy"]
    rows = []
    for name in cost["ratio_change"]:
        scale = 1e6 if name == REFERENCE else 1
        values = [estimate(run[name][0] * scale, run[name][1] and [end * scale for end in run[name][1]])
                  if name in run else "-" for run in runs]
        spread = cost.get("ratio_spread", {}).get(name)
        rows.append([name + (" (µs per epoch)" if name == REFERENCE else ""), *values,
                     f"±{spread['reach']:.0%}" if spread else "-"])
    walls = ", ".join(f"{s:.0f} s" for s in cost["default_run_s"])
    held, made = cost["comparisons_inside"]
    return "\n".join([
        f"The default run took {walls}: {cost['cost_ratio']:.1f}× the {cost['bare_import_total_s']:.1f} s its "
        "frameworks take to import, each in a fresh process.", "",
        pipe_table(["framework", *(f"run {i}" for i in range(1, len(runs) + 1)), "runs within"], rows), "",
        f"{held} of {made} comparisons put a run's ratio inside another run's 95 % interval ({held / made:.0%}; "
        f"calibrated 95 % intervals would give {cost['calibrated']['comparison']:.0%}).", ""])


def loop_table(loops):
    """The training-loop files: each one's lines of code beside its blog file's, what going from one to the other
    removes and adds, and a whole early-stopped run's time beside numpy_loop's."""
    rows = []
    for name, found in loops.items():
        timing = found["timing"]
        ratio = "1" if name == REFERENCE else estimate(timing["ratio_to_reference"], timing.get("ratio_ci95")) + (
            "*" if "flagged" in timing else "")
        rows.append([name, found["blog"], found["loop"], found["removed"], found["added"],
                     seconds(timing["epoch_median_s"]), ratio])
    flagged = [f"*{name}: {found['timing']['flagged']}." for name, found in loops.items()
               if "flagged" in found["timing"] and name != REFERENCE]
    return "\n".join([pipe_table(["framework", "blog's loop", "training loop", "lines removed", "lines added",
                                  "a run", "× numpy"], rows), "", *(f"{line}\n" for line in flagged)])


def drift_tables(runs):
    """max |Δloss| against numpy as runs get longer: a table per precision, a row per framework, a column per run."""
    out = []
    for dtype in dict.fromkeys(run["dtype"] for run in runs):
        taken = [run for run in runs if run["dtype"] == dtype]
        names = list(taken[0]["cells"])
        out += [f"**{dtype}**, tolerance {taken[0]['tolerance']:.0e}: max \\|Δloss\\| against numpy", "",
                pipe_table(["framework", *(f"{run['dataset']}, {run['epochs']} epochs" for run in taken)],
                           [[name, *(run["cells"][name] for run in taken)] for name in names]), ""]
    return "\n".join(out)


def optimizer_tables(runs):
    """Each framework's verdict for every optimizer and batching: a table per precision, then the count."""
    out, counts = [], {}
    for dtype in dict.fromkeys(run["dtype"] for run in runs):
        taken = [run for run in runs if run["dtype"] == dtype]
        names = list(taken[0]["cells"])
        out += [f"**{dtype}**", "", pipe_table(["optimizer, batches", *names],
                                               [[f"{run['optimizer']}, {run['batches']}",
                                                 *(run["cells"][name] for name in names)] for run in taken]), ""]
    for run in runs:
        for found in run["cells"].values():
            counts[found.rstrip("†")] = counts.get(found.rstrip("†"), 0) + 1
    total = ", ".join(f"{n} {found}" for found, n in sorted(counts.items()))
    return "\n".join(out) + f"\n{sum(counts.values())} verdicts: {total}. †: limited by a declared formula.\n"


def loop_matrix_tables(runs):
    """Each training-loop case's verdicts: a table of the cases and the frameworks, its flags below, then the count
    and every declared formula that limited a cell."""
    names = list(runs[0]["cells"])
    out = [pipe_table(["case", *names], [[run["case"], *(run["cells"][name] for name in names)] for run in runs]), ""]
    out += ["The flags of each case, after `python -m compare run`:", ""]
    out += [f"- {run['case']}: `{run['flags']}`" for run in runs]
    counts = {}
    for run in runs:
        for found in run["cells"].values():
            counts[found.rstrip("†")] = counts.get(found.rstrip("†"), 0) + 1
    total = ", ".join(f"{n} {found}" for found, n in sorted(counts.items()))
    out += ["", f"{sum(counts.values())} verdicts: {total}. †: limited by a declared formula:"]
    seen = {}
    for run in runs:
        for name, formula in run["formulas"].items():
            seen.setdefault(formula, []).append(f"{name} ({run['case']})")
    out += ["", *(f"- {formula} — {'; '.join(where)}" for formula, where in seen.items())] if seen else []
    return "\n".join(out) + "\n"


def faster_slower(results):
    """Frameworks surely faster and surely slower per epoch than numpy (their interval wholly below or above 1)."""
    faster = {name: t for name, t in ratios(results).items() if (t.get("ratio_ci95") or [1, 1])[1] < 1}
    slower = {name: t for name, t in ratios(results).items() if (t.get("ratio_ci95") or [1, 1])[0] > 1}
    return faster, slower


def listing(timings):
    return ", ".join(f"{name} ({estimate(t['ratio_to_reference'], t.get('ratio_ci95'))}×)"
                     for name, t in timings.items()) or "none"


def post1_answer(results):
    """Post 1: does every framework learn what the blog's NumPy learns, from the same weights?"""
    parity = results["parity"]
    judged = {name: entry for name, entry in parity["frameworks"].items() if "verdict" in entry}
    passed = [name for name, entry in judged.items() if entry["verdict"] == "pass"]
    limited = {name: entry for name, entry in judged.items() if entry["verdict"] == "limited"}
    worst = max(judged[name]["max_abs_loss_diff"] for name in passed) if passed else None
    text = (f"**The question, and its answer.** Does the blog's network, written in each framework, learn what NumPy "
            f"learns from the same weights? Yes. From the blog's weights, {len(passed)} of the {len(judged)} "
            f"frameworks beside NumPy learn exactly what NumPy learns: their loss agrees with NumPy's at every one of "
            f"the {results['config']['epochs']} epochs within {parity['tolerance']:.0e}, at worst by "
            f"{number(worst, '.1e')}, and so do their weights and predictions.")
    if limited:
        tolerances = sorted({entry["limit_tolerance"] for entry in limited.values()})
        text += (f" {' and '.join(limited)} agree within float32's {', '.join(f'{t:.0e}' for t in tolerances)}: "
                 "a difference each declares, with its source, explains it (below the table).")
    return text + "\n"


def post1_conclusion(results):
    parity = results["parity"]
    final = results["runs"][parity["reference"]]["loss"]
    faster, slower = faster_slower(results)
    return (f"**In short.** The blog's network is the same network in every framework: the loss falls from "
            f"{final[0]:.4f} to {final[-1]:.4f} in each, epoch for epoch. What differs is the code a reader writes and "
            f"the time an epoch takes: at the blog's size, {len(slower)} of the {len(ratios(results))} frameworks "
            f"timed are slower per epoch than NumPy and {len(faster)} faster. Post 2 asks what a framework buys "
            "for that.\n")


def trend(bench):
    """For each framework, its ratio to numpy at the sweep's smallest cell and at the largest it was timed in:
    {name: (small cell, large cell)}."""
    config, out = bench["config"], {}
    small = (min(config["widths"]), min(config["batches"]))
    for name, entry in bench["frameworks"].items():
        cells = {(c["width"], c["batch"]): c for c in entry.get("cells", []) if "ratio_to_reference" in c}
        if name != REFERENCE and small in cells and len(cells) > 1:
            out[name] = (cells[small], cells[max(cells, key=lambda cell: (cell[0] * cell[1], cell))])
    return out


def post2_answer(counts, results, bench):
    """Post 2: why TensorFlow/Theano, not NumPy? The backward pass not written; speed at the blog's size and where
    each framework overtakes NumPy as the network grows."""
    numpy_added = counts["numpy"]["added"]
    others = {name: c["added"] for name, c in counts.items() if name != "numpy"}
    faster, slower = faster_slower(results)
    overtaking = sorted({name for name, by_batch in bench["crossovers"].items()
                         if any(found is not None for found in by_batch.values())})
    moved = sorted(trend(bench).items(), key=lambda item: item[1][1]["ratio_to_reference"]
                   / item[1][0]["ratio_to_reference"])[:2]  # the two whose ratio falls the most
    falls = moved and moved[0][1][1]["ratio_to_reference"] < moved[0][1][0]["ratio_to_reference"]
    moves = [f"{name}'s from {bench_ratio(a)}× to {bench_ratio(b)}× (width {b['width']}, {b['batch']} rows)"
             for name, (a, b) in moved]
    return (f"**The answer.** For the calculus you no longer write; for speed, only where the numbers below say so. "
            f"Going to a deeper network, NumPy's file adds {numpy_added} lines of code, every derivative among them; "
            f"each framework's adds {min(others.values())}–{max(others.values())}, and autodiff writes the backward "
            f"pass. At the blog's 4 × 4 arithmetic a framework's fixed cost per step weighs most: slower per epoch "
            f"than NumPy are {listing(slower)}; faster, {listing(faster)}. As the network and the batch grow, "
            + (f"the arithmetic takes over and the ratios fall ({'; '.join(moves)}), and " if falls else
               "no framework's ratio falls, and ")
            + f"{', '.join(overtaking) if overtaking else 'no framework'} overtake NumPy somewhere in the sweep below, "
            "on this machine's CPU: a GPU, the other half of the answer, is not measured here.\n")


def post2_conclusion(bench):
    batches = bench["config"]["batches"]
    lines = []
    for batch in batches:
        found = [f"{name} from width {by_batch[str(batch)]['width']}"
                 for name, by_batch in bench["crossovers"].items() if by_batch.get(str(batch)) is not None]
        lines.append(f"with {batch} rows a batch, {', '.join(found) if found else 'none'}")
    return ("**In short.** Choose a framework for the derivatives it writes for you and for the sizes where its "
            "fixed cost is paid back: in this sweep, " + "; ".join(lines) + f". {GPU}\n")


def post3_answer(counts, loops, idioms):
    """Post 3: why Keras, not TensorFlow/Theano? Lines saved where they are (the training loop), what fit costs."""
    keras = ratios(idioms).get("keras", {})
    lower = {name: counts[name]["blog"] for name in ("tensorflow", "pytensor")}
    on_network = "saves lines" if counts["keras"]["blog"] < min(lower.values()) else "saves no lines"
    others = {name: found["loop"] for name, found in loops.items() if name != "keras"}
    on_loop = loops and loops["keras"]["loop"] < min(others.values())
    lead = ("For the training loop, not the network." if on_loop and on_network == "saves no lines" else
            "For the training loop." if on_loop else "Not for lines, on the evidence here.")
    text = (f"**The answer.** {lead} On the blog's 50-epoch full-batch loop Keras {on_network}: it takes "
            f"{counts['keras']['blog']} lines, TensorFlow {lower['tensorflow']} and PyTensor {lower['pytensor']}.")
    if loops:
        text += (f" On the loop people write — mini-batches, a shuffle each epoch, a validation split, a metric, "
                 f"early stopping — Keras takes {loops['keras']['loop']} lines where the others take "
                 f"{min(others.values())}–{max(others.values())}.")
    if keras:
        text += (f" It is paid for at run time: at the blog's size `fit` costs {seconds(keras.get('call_overhead_s'))} "
                 f"a call and its epoch {estimate(keras['ratio_to_reference'], keras.get('ratio_ci95'))} × NumPy's")
        if loops:
            run = loops["keras"]["timing"]
            text += (f"; a whole early-stopped run of the loop takes "
                     f"{estimate(run['ratio_to_reference'], run.get('ratio_ci95'))} × NumPy's")
        text += "."
    return text + " And its defaults are choices a port must line up: the gallery shows which bite.\n"


def post3_conclusion(idioms):
    timed = ratios(idioms)
    text = "**In short.** Keras saves the lines of the loop around the network, not of the network."
    keras = {name: t for name, t in timed.items() if name.startswith("keras")}
    if "keras" in keras and len(keras) > 1:
        cheapest = min(keras, key=lambda name: keras[name]["ratio_to_reference"])
        shown = {name: estimate(t["ratio_to_reference"], t.get("ratio_ci95")) for name, t in keras.items()}
        text += (f" Where its epoch is paid for, its idioms differ: {cheapest} runs one in {shown[cheapest]} × "
                 f"NumPy's time, `fit` in {shown['keras']} ×.")
    return text + " Read its defaults before you port: each pitfall in the gallery is one.\n"


POSTS = (("post1", "Post 1 — Deep Learning using NumPy"), ("post2", "Post 2 — Why TensorFlow/Theano, not NumPy?"),
         ("post3", "Post 3 — Why Keras, not TensorFlow/Theano?"))


def lead(answer):
    """An answer's first two sentences, less its bold opening: the line the home page gives its post."""
    text = answer.split(".** ", 1)[1].strip()  # less its bold opening
    sentences = text.split(". ")
    return ". ".join(sentences[:2]).rstrip(".") + "."


def posts(answers):
    """The home page's list of the posts, each with the start of its answer: {post: its answer's Markdown}."""
    return "\n".join(f"- **[{title}]({name}.md)**: {lead(answers[name])}" for name, title in POSTS) + "\n"
