"""The report's figures, drawn with matplotlib off screen (the Agg backend: no display needed).

Each function takes the contents of results.json or bench.json and a path, and writes one PNG.
"""
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

DPI = 120
LABEL_PT = 10  # the scaling figure's smallest text (ticks, legend, titles): legible at a page's column width
ZERO = 1e-18  # where an exact zero difference is drawn on a log scale


# One colour and one marker per framework, the same in every figure of the report and the site: a family shares a
# hue (torch's oranges, TensorFlow's blues, Keras's reds, JAX's greens), each member its own shade and marker.
STYLES = {
    "numpy": ("black", "o"), "pytensor": ("#6a51a3", "D"),
    "torch": ("#e6550d", "s"), "torch-compile": ("#fdae6b", "d"),
    "tensorflow": ("#2171b5", "^"), "tensorflow-loop": ("#6baed6", "8"),
    "jax": ("#238b45", "v"), "jax-scan": ("#74c476", "H"), "flax": ("#00441b", "P"),
    "keras": ("#cb181d", "X"), "keras-xla": ("#fc9272", "p"), "keras-train-on-batch": ("#67000d", "h"),
    "keras-jax": ("#8c6d31", "<"), "keras-torch": ("#e377c2", ">"),
}
OTHER_MARKERS = "o^sDv"  # a reader's own files, drawn in grey


def style(name, i=0):
    """{color, marker} for a framework's line: its own, or, for a name the suite does not know, a grey and a marker
    by its place."""
    color, marker = STYLES.get(name, (f"{0.35 + 0.1 * (i % 4):.2f}", OTHER_MARKERS[i % len(OTHER_MARKERS)]))
    return {"color": color, "marker": marker}


def ok_runs(results):
    return {name: run for name, run in results["runs"].items() if run["status"] == "ok"}


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


LOSS_LABELS = {"half-sse": "½·Σ(y − ŷ)²", "mse": "mean (y − ŷ)²", "bce": "binary cross-entropy"}


def loss_curves(results, path):
    """Every framework's loss per epoch (above), and beneath it each one's |Δloss| against the reference on a log
    axis with the tolerance: where the curves lie on top of each other, the lower panel shows by how little."""
    fig, (ax, dax) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, height_ratios=(3, 2))
    parity = results["parity"]
    runs = ok_runs(results)
    reference = runs.get(parity["reference"])
    tolerances = {parity["tolerance"]}
    for i, (name, run) in enumerate(runs.items()):
        look = style(name, i)
        epochs = np.arange(1, len(run["loss"]) + 1)
        every = max(1, len(epochs) // 10)
        if name == parity["reference"]:
            ax.plot(epochs, run["loss"], color=look["color"], linewidth=3, alpha=0.35, label=name)
            continue
        ax.plot(epochs, run["loss"], linestyle="none", markevery=(i % every, every), markersize=5, label=name,
                **look)
        entry = parity["frameworks"].get(name) or {}
        if reference is None or "reason" in entry:
            continue
        loss, ref = np.asarray(run["loss"], dtype=float), np.asarray(reference["loss"], dtype=float)
        n = min(len(loss), len(ref))
        diff = np.nan_to_num(np.abs(loss[:n] - ref[:n]), nan=np.inf)
        dax.plot(epochs[:n], np.maximum(diff, ZERO), linewidth=1, markevery=(i % every, every), markersize=4,
                 **look)
        if entry.get("limit_tolerance"):
            tolerances.add(entry["limit_tolerance"])
    dax.set_yscale("log")
    low, high = dax.get_ylim()  # every tolerance inside, with room for its label, however far the curves are off
    dax.set_ylim(min(low, min(tolerances) / 30), max(3 * high, 30 * max(tolerances)))
    for tolerance in sorted(tolerances):
        dax.axhline(tolerance, color="crimson", linestyle="--", linewidth=1)
        dax.annotate(f"tolerance {tolerance:.0e}", (1, tolerance), xycoords=("axes fraction", "data"),
                     xytext=(-4, 3), textcoords="offset points", ha="right", fontsize="small", color="crimson")
    ax.set_ylabel(f"loss: {LOSS_LABELS.get(results['config'].get('loss', 'half-sse'), 'loss')}")
    ax.set_title(f"Loss curves, {results['config']['dataset']} data, {results['config']['dtype']}")
    ax.legend(ncol=2, fontsize="small", loc="upper right")
    dax.set_xlabel("epoch")
    dax.xaxis.set_major_locator(MaxNLocator(integer=True))
    dax.set_ylabel(f"|loss − {parity['reference']}'s|\n(0 drawn at {ZERO:.0e})")
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
        ax.plot(np.arange(1, n + 1), np.maximum(diff, ZERO), label=name, markersize=4, **style(name))
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
    """Time per epoch against hidden width, log-log: a panel per batch size, one above the other so that the figure
    keeps its labels legible at a page's column width; each crossover a star on its own framework's line."""
    batches = bench["config"]["batches"]
    names = list(bench["frameworks"])
    fig, axes = plt.subplots(len(batches), 1, figsize=(7, 2.6 * len(batches) + 1.2), squeeze=False, sharex=True)
    for ax, batch in zip(axes[:, 0], batches, strict=True):
        for i, name in enumerate(names):
            entry = bench["frameworks"][name]
            cells = sorted((c["width"], c["epoch_median_s"]) for c in entry.get("cells", [])
                           if c["batch"] == batch and "epoch_median_s" in c)
            if not cells:
                continue
            look = style(name, i)
            widths, times = zip(*cells, strict=True)
            ax.plot(widths, times, markersize=5, linewidth=1.2, label=name, **look)
            found = bench["crossovers"].get(name, {}).get(str(batch))
            if found is not None:  # a hollow star where an interval from there on reaches 1
                ax.plot([found["width"]], [dict(cells)[found["width"]]], marker="*", markersize=15,
                        color=look["color"], markeredgecolor="black", markeredgewidth=0.6,
                        markerfacecolor="none" if found["straddles_1"] else look["color"])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_title(f"batch of {batch} rows", fontsize=LABEL_PT + 1)
        ax.tick_params(labelsize=LABEL_PT)
        ax.set_ylabel("seconds per epoch", fontsize=LABEL_PT)
    widths = bench["config"]["widths"]
    axes[-1][0].set_xticks(widths, [str(width) for width in widths])
    axes[-1][0].set_xlabel("hidden width", fontsize=LABEL_PT)
    handles = [plt.Line2D([], [], label=name, **style(name, i)) for i, name in enumerate(names)]
    handles.append(plt.Line2D([], [], color="0.4", marker="*", markersize=12, linestyle="none",
                              label="faster than numpy from here on"))
    fig.suptitle("Time per epoch as the network grows", fontsize="large")
    fig.tight_layout()
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0), ncol=3, frameon=False,
               fontsize=LABEL_PT)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


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
