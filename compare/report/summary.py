"""Reporting: the table a person reads at a glance, made from the contents of results.json alone."""
import json
import math

from compare.check.parity import ACCEPTED, tolerance
from compare.frameworks import REFERENCE


def seconds(s):
    """A duration with a readable unit: 12.3 µs, 4.56 ms, 1.23 s."""
    if s is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def number(x, spec=".3g"):
    return "NaN/inf" if x is None else format(x, spec)


def headline(results):
    c = results["config"]
    start = f"weights from {c['weights']}" if c["weights"] else f"seed {c['seed']}"
    hidden, out = c.get("activation", "sigmoid"), c.get("output_activation", "sigmoid")
    kind = hidden if hidden == out else f"{hidden}, {out} out"
    if c.get("bias"):
        kind += " with biases"
    if c.get("loss", "half-sse") != "half-sse":
        kind += f" · {c['loss']}"
    return (f"{c['dataset']} data · {'→'.join(map(str, results['layers']))} {kind} · {start} · {c['epochs']} epochs"
            f" · learning rate {c['learning_rate']:g} · {c['dtype']} · tolerance {results['parity']['tolerance']:.3g}")


def parity_cell(entry):
    if entry["verdict"] == "diverged":
        return f"diverged at {entry['diverged_at_epoch']}"
    return entry["verdict"]


def parting(entry, tol=None):
    """'the curves part at epoch 48 (max |Δloss| 4.1e-01)', or the final quantity that differs most: the
    predictions, where they differ and the weights agree within tol."""
    if entry["first_divergent_epoch"] is not None:
        return (f"the curves part at epoch {entry['first_divergent_epoch']} (max |Δloss| "
                f"{number(entry['max_abs_loss_diff'], '.1e')})")
    weights, predictions = entry["max_abs_weight_diff"], entry["max_abs_prediction_diff"]
    if tol is not None and weights is not None and weights <= tol and not predictions <= tol:
        return f"the predictions differ by {number(predictions, '.1e')} while the final weights agree within {tol:.0e}"
    return f"the final weights differ by {number(weights, '.1e')}"


def checks_line(entry):
    """'all 12 step-local checks agree, epoch 48 among them', and which were skipped and why."""
    skipped = entry.get("skipped_checks") or {"epochs": []}
    compared = [e for e in entry["probed_epochs"] if e not in skipped["epochs"]]
    text = f"all {len(compared)} step-local check{'s' if len(compared) != 1 else ''} agree"
    if entry["first_divergent_epoch"] in compared:
        text += f", epoch {entry['first_divergent_epoch']} among them"
    if skipped["epochs"]:
        text += f" ({skipped_line(entry)})"
    return text


def skipped_line(entry):
    """'11 of the 12 step-local checks skipped, at epochs 5 to 50: train(…) takes no optimizer_state=, …'."""
    skipped, probed = entry["skipped_checks"], entry["probed_epochs"]
    epochs = skipped["epochs"]
    where = f"at epoch {epochs[0]}" if len(epochs) == 1 else f"at epochs {epochs[0]} to {epochs[-1]}"
    return f"{len(epochs)} of the {len(probed)} step-local checks skipped, {where}: {skipped['why']}"


def hidden_state_line(hidden):
    """'hidden state, from epoch 2: every step from the reference's state agrees, …': where the curves part with
    every step agreeing, the one before the parting among them (compare.check.parity.hidden_state)."""
    code = {"train": "train()", "Network": "the Network"}.get(hidden.get("code"), "the code")
    text = (f"hidden state, from epoch {hidden['epoch']}: every step from the reference's state agrees, epoch "
            f"{hidden['step']}'s among them, yet the run parts, so {code} carries from one step to the next something "
            f"that the reference's state does not hold (biases, a velocity, a counter)")
    if hidden.get("code"):  # a reader's code: what the contract offers to hand such state in
        text += (": take it as the contract offers it, biases= (with --bias) or optimizer_state= (with --optimizer), "
                 "or declare the network the file implements (NETWORK = {…})")
    return text


def band_line(results, precision):
    """How far the reference parts from itself when its initial weights are nudged in `precision`."""
    parity = results["parity"]
    band = (parity.get("sensitivity") or {}).get(precision)
    if not band:
        return f"{parity['reference']}'s own sensitivity at {precision} was not measured."
    where = "never part" if band["parts_at_epoch"] is None else f"part from epoch {band['parts_at_epoch']}"
    also = f" and one computed in {precision} throughout" if band.get("computed_in") else ""
    return (f"{parity['reference']}'s own band: its runs from weights nudged by up to {band['ulps']} {precision} "
            f"ulps{also} (curves {where}), by up to {band['max_loss_diff']:.1e} in loss and "
            f"{number(band['max_weight_diff'], '.1e')} in the final weights.")


def notes(results):
    """One line per framework whose verdict needs its reason: a declared float64 limit, the quantity that differs,
    curves that part within the reference's own sensitivity (or beyond it, unexplained); then the band itself, and
    the line that says how to observe what the messages say was not."""
    out, bands = [], []
    for name, entry in results["parity"]["frameworks"].items():
        verdict, diagnosis = entry.get("verdict"), entry.get("diagnosis")
        if verdict == "limited" and "saturation" in entry:
            out.append(f"{name}: {diagnosis['message']}, from a state whose outputs come within "
                       f"{entry['saturation']:.1e} of 0 or 1: as declared, {entry['formula']}.")
        elif verdict == "limited" and "formula" in entry and entry.get("amplified"):
            out.append(f"{name}: {diagnosis['message']}: {entry['amplified']}; and, as declared, {entry['formula']}.")
        elif verdict == "limited" and "formula" in entry:
            seen = diagnosis["message"] if diagnosis else f"{parting(entry)}, every step-local check agreeing"
            out.append(f"{name}: {seen}: as declared, {entry['formula']}.")
        elif verdict == "limited":
            out.append(f"{name}: agrees only within float32's {entry['limit_tolerance']:.0e}, as declared: "
                       f"{entry['limit']}.")
        elif verdict == "sensitive" and entry.get("amplified"):
            out.append(f"{name}: {diagnosis['message']}: {entry['amplified']}.")
        elif verdict == "FAIL" and diagnosis:
            out.append(f"{name}: {diagnosis['message']}" + ("" if diagnosis["message"].endswith("?") else "."))
        elif "unexplained" in entry:
            checks = checks_line(entry)
            tol = entry.get("limit_tolerance") or results["parity"]["tolerance"]
            text = parting(entry, tol)
            if text.startswith("the predictions"):  # the weights agree: no band or step is what explains it
                out.append(f"{name}: {text}, and {checks}: predictions made from other inputs than x (x changed in "
                           f"place?) or from other weights than those returned.")
                continue
            bands.append("float32" if entry.get("limit") else results["config"]["dtype"])
            within = "within" if verdict == "sensitive" else "beyond"
            why = f": {hidden_state_line(entry['hidden_state'])}." if entry.get("hidden_state") else ": unexplained."
            out.append(f"{name}: {text}, {within} {results['parity']['reference']}'s own band; {checks}"
                       + (why if verdict == "FAIL" else "."))
        if entry.get("skipped_checks") and verdict in ACCEPTED:  # a verdict that holds only for the steps compared
            out.append(f"{name}: {skipped_line(entry)}.")
        if entry.get("limit") and (verdict not in ("limited", "diverged") or "formula" in entry):
            out.append(f"{name}: judged at float32's {entry['limit_tolerance']:.0e} for its declared float64 limit: "
                       f"{entry['limit']}.")
    observe = observe_line(results)
    return out + [band_line(results, precision) for precision in dict.fromkeys(bands)] + ([observe] if observe else [])


def observe_line(results):
    """'What was not observed in my_network and twice_no_half: add forward(x, weights) and backward(layers, y,
    weights) to compare them.': once a run, to the authors of the files whose diagnoses say something was not
    observed (compare.own.contract.HOW_TO_OBSERVE); None where none does."""
    found = {name: entry["diagnosis"]["how_to_observe"] for name, entry in results["parity"]["frameworks"].items()
             if (entry.get("diagnosis") or {}).get("how_to_observe")}
    if not found:
        return None
    names = list(found)
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"What was not observed in {who}: {next(iter(found.values()))}."


def span(low, high):
    """'7.8–8.7': a range in two significant figures, or as many more as it takes to tell its ends apart (up to
    four), without an exponent below 10⁶: 7.76 to 8.70 → 7.8–8.7; 10.6 to 11.2, both 11 at two, → 10.6–11.2."""
    for digits in (2, 3, 4):
        ends = [f"{float(f'{value:.{digits}g}'):g}" for value in (low, high)]
        if ends[0] != ends[1]:
            break
    return "–".join(ends)


def significant(value, digits):
    """value to `digits` significant figures, without an exponent between 10⁻⁴ and 10⁶: 1234 → '1200' at two,
    0.403 → '0.40' (a figure kept, zero or not, is printed)."""
    rounded = float(f"{value:.{digits}g}")
    if not 1e-4 <= abs(rounded) < 1e6:
        return f"{rounded:g}"
    decimals = digits - 1 - math.floor(math.log10(abs(rounded)))
    return f"{rounded:.{decimals}f}" if decimals > 0 else f"{rounded:g}"


def supported_digits(median, interval):
    """The significant figures a median's 95 % interval supports, as torch.utils.benchmark sizes them: down to the
    place of the interval's reach from the median, from 2 to 4 (2 without an interval)."""
    if not interval or not median > 0:
        return 2
    reach = max(median - interval[0], interval[1] - median)
    if reach <= 0:
        return 4
    return min(max(math.floor(math.log10(median / reach)) + 1, 2), 4)


def estimate(median, interval):
    """'9.2 (8.6–10)': a median and its 95 % interval, to the digits the interval supports (the interval's ends
    with as many figures as it takes to tell them apart from each other and from the median, up to four)."""
    digits = supported_digits(median, interval)
    shown = significant(median, digits)
    if not interval:
        return shown
    for ends in range(digits, 5):  # more figures where an end would read as the other, or as a median it is not
        low, high = significant(interval[0], ends), significant(interval[1], ends)
        shown = significant(median, ends)  # the median as finely as its ends, or it can read as outside them
        if low != high and (low != shown or interval[0] == median) and (high != shown or interval[1] == median):
            break
    return f"{shown} ({low}–{high})"


def ratio_cell(timing):
    """'9.2 (8.6–10)': the median of the pairs' ratios to numpy, with its 95 % interval; '*' marks a flagged row
    (the notes say why)."""
    return estimate(timing["ratio_to_reference"], timing.get("ratio_ci95")) + ("*" if "flagged" in timing else "")


def timing_notes(results):
    """A line per framework whose timing is flagged, saying why; then what a fit call costs apart from its epochs,
    where that is more than a hundredth of its timed block."""
    out = []
    for name, run in results["runs"].items():
        timing = run.get("timing", {})
        if run.get("status") == "ok" and "flagged" in timing and "ratio_to_reference" in timing:
            out.append(f"*{name}: × numpy {ratio_cell(timing)[:-1]} is flagged: {timing['flagged']} "
                       f"({timing['repeats']} pairs from {timing['processes']} processes in "
                       f"{timing['timed_s']:.1f} s).")
    calls = [f"{name} {seconds(run['timing']['call_overhead_s'])} ({run['timing']['call_overhead_share']:.0%})"
             for name, run in results["runs"].items()
             if run.get("status") == "ok" and (run["timing"].get("call_overhead_share") or 0) >= 0.01]
    if calls:
        out.append("a fit call's fixed cost, apart from its epochs (the intercept of a Theil–Sen fit over blocks of "
                   "several sizes), and its share of a timed block, which the time per epoch includes: "
                   f"{', '.join(calls)}.")
    return out


def rows(results):
    parity = results["parity"]
    yield ["framework", "version", "final loss", "max |Δloss|", "first bad epoch", "parity", "train time",
           "per epoch", "× numpy"]
    for name, run in results["runs"].items():
        if run["status"] == "missing":
            yield [name, f"not installed: {run['install']}"]
            continue
        if run["status"] != "ok":  # not run: no verdict, its reason spans the row
            yield [name, f"error: {run['reason']}"]
            continue
        if name == parity["reference"]:
            check = ["reference", "-", "-"]
        elif "reason" in parity["frameworks"][name]:  # ran, but the reference did not: nothing to judge it by
            check = ["-", "-", "not judged"]
        else:
            entry = parity["frameworks"][name]
            epoch = entry["first_divergent_epoch"]
            check = [number(entry["max_abs_loss_diff"], ".1e"), "-" if epoch is None else str(epoch),
                     parity_cell(entry)]
        epoch = run["timing"].get("epoch_median_s")
        ratio = ratio_cell(run["timing"]) if "ratio_to_reference" in run["timing"] else (
            "1" if name == parity["reference"] and epoch else "-")
        yield [name, run["version"], number(run["loss"][-1], ".10g"), *check, seconds(run["timing"]["train_s"]),
               seconds(epoch), ratio]


def table(results):
    """The run as aligned text: a headline, one row per framework, and the verdict."""
    lines = list(rows(results))
    widths = [max(len(row[i]) for row in lines if i < len(row) and len(row) > 2) for i in range(len(lines[0]))]
    out = [headline(results)]
    out += [f"{name} declares the network it implements (NETWORK = {declaration(network)}): the run takes "
            f"{', '.join(f'{key} {value}' for key, value in network.items())} from it"
            for name, network in results.get("declared_networks", {}).items()]
    out.append("")
    for row in lines:
        if len(row) == 2:  # a framework that did not run: its message spans the row
            out.append(f"{row[0]:<{widths[0]}}  {row[1]}")
        else:
            out.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    out += ["", verdict(results), *notes(results), *timing_notes(results)]
    if any("ratio_to_reference" in run.get("timing", {}) for run in results["runs"].values()):
        out.append("× numpy: the median of the pairs' ratios to numpy's epoch (whole blocks, each framework's beside "
                   "numpy's in the same process), with its 95 % interval in brackets, to the digits the interval "
                   "supports.")
    return "\n".join(out)


def declaration(network):
    """NETWORK as a reader writes it: {"activation": "tanh", "bias": True}."""
    return "{" + ", ".join(f"{json.dumps(key)}: {json.dumps(value) if isinstance(value, str) else repr(value)}"
                           for key, value in network.items()) + "}"


def verdict(results):
    parity, runs = results["parity"], results["runs"]
    ref, tol = parity["reference"], parity["tolerance"]
    ran = [name for name, run in runs.items() if run["status"] == "ok"]
    failed = [name for name, run in runs.items() if run["status"] == "error"]
    by_verdict = {v: [name for name, entry in parity["frameworks"].items() if entry.get("verdict") == v]
                  for v in ("FAIL", "limited", "diverged", "sensitive")}
    disagree, limited, sensitive = by_verdict["FAIL"], by_verdict["limited"], by_verdict["sensitive"]
    missing = [name for name, run in runs.items() if run["status"] == "missing"]
    diverged = parity.get("reference_diverged_at_epoch")
    parts = []
    if diverged is not None:
        alike = by_verdict["diverged"] + [ref]
        parts.append(f"Training diverged (inf or NaN) at epoch {diverged} in {', '.join(alike)}"
                     + first_nonfinite(parity.get("reference_first_nonfinite"), runs[ref])
                     + "; a comparison past it means nothing")
    if failed:
        parts.append(f"{', '.join(failed)} failed to run")
    unjudged = [name for name, entry in parity["frameworks"].items() if "reason" in entry and name in ran]
    if unjudged:
        parts.append(f"{', '.join(unjudged)} ran but cannot be judged without {ref}")
    if disagree:
        parts.append(f"{', '.join(disagree)} disagree{'s' if len(disagree) == 1 else ''} with {ref} beyond {tol:.3g}")
    if not parts:
        agree = len(ran) - len(limited) - len(sensitive)
        if ran == [ref]:
            parts.append(f"Only {ref}, the reference, ran: nothing was compared")
        elif not limited and not sensitive:
            parts.append(f"All {len(ran)} frameworks that ran agree with {ref} within {tol:.3g}")
        else:
            formula = [name for name in limited if "formula" in parity["frameworks"][name]]
            float32 = [name for name in limited if name not in formula]
            also = ([f"{', '.join(float32)} within float32's {tolerance('float32'):.0e}, as declared below"]
                    if float32 else [])
            also += ([f"{', '.join(formula)} up to where their declared formula parts from {ref}'s (below)"]
                     if formula else [])
            amplified = [name for name in sensitive if parity["frameworks"][name].get("amplified")]
            banded = [name for name in sensitive if name not in amplified]
            also += ([f"{', '.join(banded)} step by step, with curves that part no further than {ref}'s own "
                      f"(sensitive, below)"] if banded else [])
            also += ([f"{', '.join(amplified)} but for a step where an adaptive optimizer scales a gradient's "
                      f"rounding up (sensitive, below)"] if amplified else [])
            parts.append(f"{agree} of the {len(ran)} frameworks that ran agree with {ref} within {tol:.3g}, and "
                         + ", and ".join(also))
    if missing:
        parts.append(f"not installed: {', '.join(missing)}")
    return "; ".join(parts) + "."


def first_nonfinite(found, run):
    """': its first invalid value … came at epoch 1, step 1, in the update (adam's step) (file line: code)', as the
    reference's replay found it; else, where the loss rose before it, that fact (and a learning rate only asked)."""
    if found:
        gloss = " (0/0, ∞ − ∞ or 0·∞)" if found["error"] == "invalid value" else ""
        return (f": its first {found['error']}{gloss} came at epoch {found['epoch']}, step {found['step']}, in "
                f"{found['quantity']} ({found['file']} line {found['line']}: {found['code']})")
    loss = [v for v in run.get("loss", []) if v is not None]
    if len(loss) > 1 and loss[-1] > loss[0]:
        return f" after its loss rose from {loss[0]:.3g} to {loss[-1]:.3g}: too large a learning rate?"
    return ""


def crossover(name, found):
    """'jax at width 64 (× numpy 0.46 (0.41–0.52))', and where an interval from there on reaches 1, says so."""
    text = f"{name} at width {found['width']} (× numpy {estimate(found['ratio'], found['ratio_ci95'])}"
    if found["straddles_1"]:
        text += ": straddles 1, " + (f"surely faster from width {found['surely_from']}" if found["surely_from"]
                                     else "not surely faster at any width")
    return text + ")"


def bench_ratio(cell):
    """A cell's ratio to NumPy, to the digits its interval supports: '0.44', '0.97~' where its interval reaches
    across 1 (or there is none), '-' where there is no ratio."""
    if cell is None or "ratio_to_reference" not in cell:
        return "-"
    interval = cell.get("ratio_ci95")
    unsure = interval is None or interval[0] <= 1 <= interval[1]
    return significant(cell["ratio_to_reference"], supported_digits(cell["ratio_to_reference"], interval)) + (
        "~" if unsure else "")


def bench_table(data):
    """Time per epoch for each batch size and width, one column per framework, and where each overtakes numpy."""
    names = [name for name, entry in data["frameworks"].items() if entry["status"] == "ok"]
    times = {name: {(c["width"], c["batch"]): c for c in data["frameworks"][name]["cells"]} for name in names}
    config = data["config"]
    out = [f"time per epoch · {config['inputs']} inputs → width → 1 · {config['dtype']} · "
           f"{config['threads']} thread(s)"]
    for batch in config["batches"]:
        out += ["", f"batch {batch}", "  ".join(["width".rjust(6)] + [n.rjust(12) for n in names])]
        for width in config["widths"]:
            cells = []
            for name in names:
                cell = times[name].get((width, batch))
                cells.append(("-" if cell is None else "skipped" if "skipped" in cell
                              else seconds(cell["epoch_median_s"])).rjust(12))
            out.append("  ".join([str(width).rjust(6)] + cells))
        if any("ratio_to_reference" in cell for name in names for cell in times[name].values()):
            out.append("× numpy, paired in each framework's worker (~: its 95 % interval reaches across 1)")
            for width in config["widths"]:
                out.append("  ".join([str(width).rjust(6)] + [
                    ("1" if name == REFERENCE else bench_ratio(times[name].get((width, batch)))).rjust(12)
                    for name in names]))
        overtakes = [crossover(name, found) for name, by_batch in data["crossovers"].items()
                     if (found := by_batch.get(str(batch))) is not None]
        out.append("faster than numpy from: " + (", ".join(overtakes) if overtakes else "none in this range"))
    for name, entry in data["frameworks"].items():
        if entry["status"] != "ok":
            out.append(f"{name}: {entry['status']} {entry.get('reason') or entry.get('install', '')}".rstrip())
    skipped = sum("skipped" in c for n in names for c in data["frameworks"][n]["cells"])
    if skipped or data["skipped_for_memory"]:
        out.append(f"skipped: {skipped} cell(s) over the --budget, {len(data['skipped_for_memory'])} over memory")
    baseline = data["frameworks"].get("numpy", {}).get("against_plain_loop")
    if baseline:
        out.append(f"impl_numpy per epoch at the blog's size: {seconds(baseline['epoch_median_s'])}, "
                   f"{estimate(baseline['ratio'], baseline.get('ratio_ci95'))} × the plain loop's "
                   f"{seconds(baseline['plain_loop_epoch_median_s'])} (the median of {baseline['repeats']} paired "
                   "ratios, with its 95 % interval)")
    return "\n".join(out)
