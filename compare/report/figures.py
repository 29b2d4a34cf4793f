"""The report's figures, drawn with matplotlib off screen (the Agg backend: no display needed).

Each function takes the contents of results.json or bench.json and a path, and writes one PNG.
"""
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from compare.report.summary import number  # noqa: E402

DPI = 120
ZERO = 1e-18  # where an exact zero difference is drawn on a log scale


def ok_runs(results):
    return {name: run for name, run in results["runs"].items() if run["status"] == "ok"}


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


LOSS_LABELS = {"half-sse": "½·Σ(y − ŷ)²", "mse": "mean (y − ŷ)²", "bce": "binary cross-entropy"}


def loss_curves(results, path):
    """Every framework's loss per epoch on one plot; the legend gives each one's max |Δloss| against numpy."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    parity = results["parity"]
    for i, (name, run) in enumerate(ok_runs(results).items()):
        entry = parity["frameworks"].get(name)
        judged = entry is not None and "reason" not in entry  # not the reference, nor left unjudged without it
        label = f"{name} (max |Δ| {number(entry['max_abs_loss_diff'], '.1e')})" if judged else name
        epochs = np.arange(1, len(run["loss"]) + 1)
        ax.plot(epochs, run["loss"], label=label, linewidth=max(0.8, 2.5 - 0.3 * i),
                linestyle=["-", "--", ":", "-."][i % 4])
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"loss: {LOSS_LABELS.get(results['config'].get('loss', 'half-sse'), 'loss')}")
    ax.set_title(f"Loss curves, {results['config']['dataset']} data, {results['config']['dtype']}")
    ax.legend()
    save(fig, path)


def loss_differences(results, path):
    """|Δloss| against the reference per epoch, log scale, with the tolerance line and the reference's own band:
    how far its runs from nudged initial weights part from it."""
    fig, ax = plt.subplots(figsize=(9, 4.2))
    parity = results["parity"]
    ref = np.asarray(results["runs"][parity["reference"]]["loss"], dtype=float)
    bands = results["runs"][parity["reference"]].get("sensitivity") or {}
    # The wider band behind; a band to each of the (up to two) colours.
    for (precision, band), color in reversed(list(zip(bands.items(), ("0.75", "wheat"), strict=False))):
        width = np.nan_to_num(np.asarray(band["loss"], dtype=float), nan=np.inf)
        ax.fill_between(np.arange(1, len(width) + 1), ZERO, np.maximum(width, ZERO), color=color, alpha=0.7,
                        step="mid", label=f"{parity['reference']}'s own band ({band['runs']} runs, ≤{band['ulps']} "
                                          f"{precision} ulps"
                                          + (f", 1 in {precision}" if band.get("computed_in") else "") + ")")
    for name, run in ok_runs(results).items():
        if name == parity["reference"]:
            continue
        loss = np.asarray(run["loss"], dtype=float)
        n = min(len(loss), len(ref))
        diff = np.abs(loss[:n] - ref[:n])
        ax.plot(np.arange(1, n + 1), np.maximum(diff, ZERO), marker=".", label=name)
    ax.axhline(parity["tolerance"], color="crimson", linestyle="--", label=f"tolerance {parity['tolerance']:.0e}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"|loss − {parity['reference']} loss|  (0 drawn at {ZERO:.0e})")
    ax.set_title("Difference from the reference, epoch by epoch")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    save(fig, path)


PHASES = [("import_s", "import"), ("build_s", "build"), ("first_epoch_s", "first epoch"),
          ("epoch_median_s", "per epoch (steady)")]


def timing(results, path):
    """Import, build, first epoch and steady-state time per epoch, per framework, log scale (the steady state with
    its 95 % interval); beside it, each framework's time per epoch over numpy's, with its 95 % interval."""
    runs = {name: run for name, run in ok_runs(results).items() if "epoch_median_s" in run["timing"]}
    fig, (ax, rax) = plt.subplots(1, 2, figsize=(12, 0.9 + 0.75 * max(1, len(runs))),
                                  gridspec_kw={"width_ratios": [3, 2]})
    height = 0.8 / len(PHASES)
    for i, (key, label) in enumerate(PHASES):
        values = [run["timing"][key] for run in runs.values()]
        errors = None
        if key == "epoch_median_s":
            errors = error_bars([(run["timing"][key], run["timing"].get("epoch_ci95_s")) for run in runs.values()])
        ax.barh(np.arange(len(runs)) + i * height, values, height=height, label=label, xerr=errors, capsize=2)
    ax.set_yticks(np.arange(len(runs)) + 0.4 - height / 2, list(runs))
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("seconds (log scale)")
    ax.set_title(f"Time by phase, {results['environment']['threads']} thread(s)")
    ax.legend(loc="lower right", fontsize="small")
    ratios = {name: run["timing"] for name, run in runs.items() if "ratio_to_reference" in run["timing"]}
    if ratios:
        rows = np.arange(len(ratios))
        rax.errorbar([t["ratio_to_reference"] for t in ratios.values()], rows, fmt="o", capsize=4,
                     xerr=error_bars([(t["ratio_to_reference"], t.get("ratio_ci95")) for t in ratios.values()]))
        for row, t in zip(rows, ratios.values(), strict=True):
            if "flagged" in t:
                rax.annotate("flagged", (t["ratio_to_reference"], row), textcoords="offset points", xytext=(6, 6),
                             fontsize="small", color="C3")
        rax.axvline(1, color="0.5", linewidth=0.8)
        rax.set_yticks(rows, list(ratios))
        rax.invert_yaxis()
        rax.set_xscale("log")
        rax.set_xlabel(f"time per epoch ÷ {results['parity']['reference']}'s (log scale)")
        rax.set_title("× numpy, with 95% intervals")
    else:
        rax.set_axis_off()
    save(fig, path)


def error_bars(points):
    """matplotlib's xerr, (2, n): each median's distance to its interval's ends (0 where it has none)."""
    return np.array([[median - interval[0], interval[1] - median] if interval else [0.0, 0.0]
                     for median, interval in points]).T


def scaling(bench, path):
    """Time per epoch against hidden width, log-log, one panel per batch size, crossovers marked."""
    batches = bench["config"]["batches"]
    fig, axes = plt.subplots(1, len(batches), figsize=(4 * len(batches) + 1.5, 3.8), squeeze=False, sharey=True)
    colors = {name: f"C{i}" for i, name in enumerate(bench["frameworks"])}  # one colour per framework everywhere
    for ax, batch in zip(axes[0], batches, strict=True):
        for name, entry in bench["frameworks"].items():
            cells = sorted((c["width"], c["epoch_median_s"]) for c in entry.get("cells", [])
                           if c["batch"] == batch and "epoch_median_s" in c)
            if not cells:
                continue
            widths, times = zip(*cells, strict=True)
            ax.plot(widths, times, marker="o", color=colors[name], label=name)
            found = bench["crossovers"].get(name, {}).get(str(batch))
            if found is not None:  # a hollow star where an interval from there on reaches 1
                ax.plot([found["width"]], [dict(cells)[found["width"]]], marker="*", markersize=16,
                        color=colors[name], markerfacecolor="none" if found["straddles_1"] else colors[name])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(f"batch {batch}")
        ax.set_xlabel("hidden width")
    axes[0][0].set_ylabel("seconds per epoch")
    handles = [plt.Line2D([], [], color=colors[name], marker="o", label=name) for name in bench["frameworks"]]
    axes[0][-1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small")
    fig.suptitle("Time per epoch as the network grows (★: from here on faster than numpy, paired; ☆: not surely)")
    save(fig, path)


# A pitfall's two files beside the reference: NumPy wide and pale beneath, so that a file on its curve shows on it.
PITFALL_SIDES = (("as_ported", "as ported", "-", "C3"), ("lined_up", "lined up", "--", "C0"))


def pitfall(entry, path):
    """What a pitfall's default did: above, the loss curves of numpy, the as-ported file and the lined-up file on one
    axis; beneath, on the same epochs, each file's |Δloss| against numpy, log scale, with the tolerance line."""
    fig, (curves, gaps) = plt.subplots(2, 1, figsize=(7, 5.8), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    reference = (entry.get("reference") or {}).get("loss")
    if reference is not None:
        curves.plot(np.arange(1, len(reference) + 1), reference, color="0.55", linewidth=5, alpha=0.5,
                    solid_capstyle="butt", label="numpy, the reference")
    for key, label, style, color in PITFALL_SIDES:
        side = entry[key]
        if side["loss"] is None:
            continue
        epochs = np.arange(1, len(side["loss"]) + 1)
        curves.plot(epochs, side["loss"], style, color=color, linewidth=1.5, label=f"{label}: {side['verdict']}")
        diff = np.nan_to_num(np.asarray(side["loss_diff"], dtype=float), nan=np.inf)
        gaps.plot(epochs, np.maximum(diff, ZERO), style, color=color, marker=".", label=label)
    gaps.axhline(entry["tolerance"], color="crimson", linestyle=":", label=f"tolerance {entry['tolerance']:.0e}")
    curves.set_ylabel(f"loss: {LOSS_LABELS.get(entry.get('loss_name', 'half-sse'), 'loss')}")
    curves.set_title("\n".join(textwrap.wrap(entry["title"], 72)), fontsize="medium")
    curves.legend(fontsize="small")
    gaps.set_yscale("log")
    gaps.set_xlabel("epoch")
    gaps.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))  # whole epochs
    gaps.set_ylabel(f"|loss − numpy's|\n(0 drawn at {ZERO:.0e})")
    gaps.legend(fontsize="small", loc="center right")
    save(fig, path)
