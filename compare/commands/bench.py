"""The scaling sweep: steady-state time per epoch over hidden width × batch size, for each framework.

At the blog's size NumPy wins: the frameworks' per-step machinery costs more than the arithmetic. As width and
batch grow the arithmetic dominates and the compiled frameworks catch up. The sweep finds, per batch size, the width
from which each framework is faster than NumPy. Random data of each shape; no parity check (the runs do that).
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from compare.errors import ProblemError
from compare.frameworks import DEFAULT, FRAMEWORKS, REFERENCE
from compare.run import environment, processes
from compare.run.results import BENCH_SCHEMA
from compare.run.runner import tail, worker_env

IMPORT_GRACE_S = 120  # beyond its budget, the time a bench worker has to import its framework before it is killed
BYTES_PER_CELL_VALUE = 8 * 12  # rough peak: a dozen float64 arrays of batch × width alive at once (activations, grads)


@dataclass(frozen=True)
class BenchConfig:
    """A sweep; the command line overrides these defaults."""

    frameworks: tuple = DEFAULT + ("keras-train-on-batch", "jax-scan")  # and each framework's faster idiom
    widths: tuple = (4, 16, 64, 256, 1024, 4096)          # hidden widths
    batches: tuple = (4, 64, 1024, 16384, 65536)          # rows of random data
    inputs: int = 3                                       # input width
    dtype: str = "float64"
    learning_rate: float = 0.01  # small, so that random targets keep the sigmoids out of saturation
    threads: int = 1
    repeats: int = 10            # timed pairs per cell: from 10 on, the 95 % interval of the median leaves out the
    #                              most extreme pair on each side (a page-compaction stall can make one pair wild)
    budget: float = 600.0        # seconds for the whole sweep, shared by the frameworks
    seed: int = 0
    out: str = "results"

    def cells(self):
        """Every (width, batch), the cheapest first, so that a spent budget skips the largest."""
        return sorted(({"width": w, "batch": b} for w in self.widths for b in self.batches),
                      key=lambda c: (c["width"] * c["batch"], c["batch"]))


def available_memory():
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return math.inf


def run_framework(framework, config, cells, budget, workdir, on_cell):
    """One worker runs every cell of one framework within `budget` seconds; returns its entry of bench.json."""
    missing = framework.missing()
    if missing:
        return {"status": "missing", "install": framework.install_command, "cells": []}
    request = {"kind": "bench", "module": framework.module, "options": framework.options,
               "versions": list(framework.versions), "cells": cells, "inputs": config.inputs, "dtype": config.dtype,
               "learning_rate": config.learning_rate, "repeats": config.repeats, "seed": config.seed,
               "budget_s": budget, "baseline": framework.name == REFERENCE, "threads": config.threads,
               "reference": None if framework.name == REFERENCE else FRAMEWORKS[REFERENCE].module}
    request_file, response_file = workdir / f"{framework.name}.bench.json", workdir / f"{framework.name}.out.json"
    request_file.write_text(json.dumps(request))
    command = [*environment.fixed_layout(), sys.executable, "-m", "compare.run.worker", str(request_file),
               str(response_file)]
    grace = budget + IMPORT_GRACE_S
    with tempfile.TemporaryFile("w+") as stderr:
        proc = processes.start(command, env=worker_env(framework, config.threads, workdir), cwd=workdir, text=True,
                               stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL)
        # Kills a worker that hangs between two cells too, and whatever it started (its process group).
        watchdog = threading.Timer(grace, processes.kill, [proc])
        watchdog.start()
        try:
            for line in proc.stdout:
                if line.startswith("{"):
                    on_cell(framework.name, json.loads(line))
            proc.wait()
        finally:
            timed_out = not watchdog.is_alive() and proc.returncode != 0
            watchdog.cancel()
            processes.finished(proc)
        if processes.stopping():
            raise processes.Stopped("interrupted")
        stderr.seek(0)
        err = stderr.read()
    if timed_out:
        return {"status": "error", "reason": f"timed out after {grace:.0f} s", "stderr": tail(err), "cells": []}
    if proc.returncode != 0:
        return {"status": "error", "reason": f"worker failed: {tail(err, 1) or proc.returncode}",
                "stderr": tail(err), "cells": []}
    return json.loads(response_file.read_text())


def crossovers(frameworks, reference=REFERENCE):
    """Per framework and batch size, from each cell's ratio to NumPy (timed in alternation in the framework's own
    worker): None if the framework is never faster, else the smallest width from which its median ratio stays
    below 1 at every larger width measured, with that cell's ratio and 95 % interval. `straddles_1`
    says that some interval from there on reaches 1 (or there is none: too few pairs), so that "faster" is not
    certain there; `surely_from` is the smallest width from which every interval lies between 0 and 1 (None if
    none does)."""
    found = {}
    for name, entry in frameworks.items():
        if name == reference or entry.get("status") != "ok":
            continue
        cells = [c for c in entry.get("cells", []) if "ratio_to_reference" in c]
        found[name] = {}
        for batch in sorted({c["batch"] for c in cells}):
            row = sorted((c for c in cells if c["batch"] == batch), key=lambda c: c["width"])
            faster = [c["ratio_to_reference"] < 1 for c in row]
            surely = [c.get("ratio_ci95") is not None and c["ratio_ci95"][1] < 1 for c in row]
            first = next((i for i in range(len(row)) if all(faster[i:])), None)
            sure = next((i for i in range(len(row)) if all(surely[i:])), None)
            found[name][str(batch)] = None if first is None else {
                "width": row[first]["width"], "ratio": row[first]["ratio_to_reference"],
                "ratio_ci95": row[first].get("ratio_ci95"), "straddles_1": not all(surely[first:]),
                "surely_from": None if sure is None else row[sure]["width"]}
    return found


def bench(config, progress=None):
    """Run the sweep; return the contents of bench.json."""
    unknown = [name for name in config.frameworks if name not in FRAMEWORKS]
    if unknown:
        raise ProblemError(f"unknown framework '{unknown[0]}' (choose from {', '.join(FRAMEWORKS)})")
    names = [REFERENCE] + [n for n in dict.fromkeys(config.frameworks) if n != REFERENCE]
    memory = available_memory()
    cells, too_big = [], []
    for cell in config.cells():
        need = cell["width"] * cell["batch"] * BYTES_PER_CELL_VALUE
        (too_big if need > memory / 2 else cells).append(cell)
    results = {}
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="compare-bench-") as work:
        for i, name in enumerate(names):
            # What one framework leaves of the budget, the next gets.
            share = max(0.0, config.budget - (time.monotonic() - start)) / (len(names) - i)
            results[name] = run_framework(FRAMEWORKS[name], config, cells, share, Path(work),
                                          progress or (lambda *_: None))
    return {
        "schema": BENCH_SCHEMA,
        "config": {**asdict(config), "frameworks": names},
        "environment": environment.describe(config.threads),
        "skipped_for_memory": too_big,
        "frameworks": results,
        "crossovers": crossovers(results),
    }
