"""One framework's run, in its own process: `python -m compare.run.worker REQUEST.json RESPONSE.json`; or request
after request in one process: `python -m compare.run.worker --serve` (compare.run.pool).

The runner starts one worker per framework, so that each import, backend choice and thread pool stays apart.
The request names the implementation, the problem and the initial-weights file; the response is JSON.
"""
import importlib
import importlib.metadata
import inspect
import json
import linecache
import os
import sys
import time

import numpy as np

from compare.check import parity, probes, sensitivity
from compare.own import contract
from compare.problem import dataset, initial_weights, load_parameters
from compare.run import environment, state
from compare.run.pool import servable
from compare.timing import phases


def versions(distributions):
    """'3.15.1 (tensorflow 2.21.0)': the framework's own version, then those it runs on."""
    found = [importlib.metadata.version(name) for name in distributions]
    extra = ", ".join(f"{name} {version}" for name, version in zip(distributions[1:], found[1:], strict=True))
    return found[0] + (f" ({extra})" if extra else "")


def implementation(request):
    """The module the request names (your own code adapted to the contract: compare.own.contract)."""
    return contract.adapted(request["module"]) if request.get("own") else importlib.import_module(request["module"])


def setup(request):
    """The threads and determinism switches applied; the data, the initial weights and the network's options:
    (x, y, weights, network options)."""
    environment.apply_threads(request["threads"])
    environment.apply_determinism()
    x, y = dataset(request["dataset"])
    weights, biases = load_parameters(request["weights_file"])
    network = dict(request.get("network", {}))  # the network's options beyond the blog's; a variant's beside them
    if biases is not None:
        network["biases"] = biases
    if request.get("orders") is not None:  # --shuffle: each epoch's order of the rows, the same for every worker
        network["orders"] = np.array(request["orders"])
    return x, y, weights, network


def final_normalization(net, network):
    """{"final_normalization": γ, β and the running statistics, each a list over the hidden layers}, where the run
    has normalization layers and the network tells them (a reader's code may not: then nothing)."""
    if not network.get("norm") or not callable(getattr(net, "get_normalization", None)):
        return {}
    found = net.get_normalization()
    return {} if found is None else {"final_normalization": {key: [np.asarray(a, dtype=np.float64).tolist()
                                                                   for a in arrays] for key, arrays in found.items()}}


def build(request, impl, weights, network):
    return impl.Network(weights, request["learning_rate"], request["dtype"], **network, **request.get("options", {}))


def timed_fits(request, net, x, y, weights, network):
    """What the steady state times: the network training on, and (but for the reference) NumPy's network beside it,
    timed in alternation as the yardstick. A reader's train() trains afresh for each timed block
    (compare.own.contract)."""
    fit = lambda n: getattr(net, "fit_afresh", net.fit)(x, y, n)  # noqa: E731
    if request["is_reference"]:
        return fit, None
    ref_net = importlib.import_module(request["reference_module"]).Network(
        weights, request["learning_rate"], request["dtype"], **network)
    return fit, lambda n: ref_net.fit(x, y, n)


def timing_replica(request):
    """Another process for the steady state alone: import, build, one epoch (where a framework compiles), ready."""
    impl = implementation(request)
    x, y, weights, network = setup(request)
    net = build(request, impl, weights, network)
    net.fit(x, y, 1)
    return {"status": "ok"}, timed_fits(request, net, x, y, weights, network)


def train(request, replies=None, settle=None):
    """The parity run, timed by phase; then (the response written) the same network, warm, trains on for the
    steady state, timed round by round as the runner asks (compare.run.timekeeper). Replies, when given, hear when the
    phases after the import begin and end: nothing else should run meanwhile. settle, in a served worker, is called
    once the framework is imported (serve)."""
    timings = {}
    with phases.phase(timings, "import_s"):
        impl = implementation(request)
    if settle:
        settle()
    if replies:
        phases.reply(replies, {"quiet": True})
    x, y, weights, network = setup(request)
    with phases.phase(timings, "build_s"):
        net = build(request, impl, weights, network)
    lr, dtype, epochs = request["learning_rate"], request["dtype"], request["epochs"]
    with phases.phase(timings, "first_epoch_s"):  # tracing and compilation happen here
        histories = [net.fit(x, y, 1)]
    with phases.phase(timings, "train_s"):  # the epochs after the first; the first is added below
        if epochs > 1:
            histories.append(net.fit(x, y, epochs - 1))
    if replies:  # the phases after it (predictions, the checks) are not timed as a reader's: the lane may run
        phases.reply(replies, {"quiet": False})
    if not getattr(net, "replays", False):
        timings["train_s"] += timings["first_epoch_s"]
    elif epochs == 1:  # a reader's train(): its last call is the whole run (compare.own.contract.TrainNetwork)
        timings["train_s"] = timings["first_epoch_s"]
    curves = {key: np.concatenate([h[key] for h in histories]) for key in ("loss", "mean_abs_error")}
    response = {
        "status": "ok",
        "version": os.path.basename(impl.path) if request.get("own") else versions(request["versions"]),
        "network": repr(net),
        "loss": curves["loss"].tolist(),
        "mean_abs_error": curves["mean_abs_error"].tolist(),
        # Every step's loss, where the implementation reports it (one per mini-batch; the epoch's mean is "loss").
        **({"step_loss": np.concatenate([h["step_loss"] for h in histories]).tolist()}
           if all("step_loss" in h for h in histories) else {}),
        "final_weights": [w.tolist() for w in net.get_weights()],
        **({} if "biases" not in network else {"final_biases": [b.tolist() for b in net.get_biases()]}),
        **final_normalization(net, network),
        "predictions": net.predict(x).tolist(),
    }
    if request["is_reference"] and parity.diverged_at(response) is not None:
        response["first_nonfinite"] = first_nonfinite(impl, weights, x, y, lr, dtype, network,
                                                      parity.diverged_at(response))
    if request["is_reference"]:
        with phases.phase(timings, "sensitivity_s"):
            response["sensitivity"] = {precision: sensitivity.band(impl, response, weights, x, y, lr, dtype,
                                                                   request["seed"], precision, network)
                                       for precision in request["band_precisions"]}
    elif request.get("reference_run") and request["probe_module"] and request["reference_probe_module"]:
        with phases.phase(timings, "probe_s"):
            response.update(probe(request, impl, weights, x, y, response, network))
    timings["peak_memory_mb"] = phases.peak_memory_mb()
    timings["threads"] = request["threads"]
    timings["effective_threads"] = environment.effective_threads()
    response["timing"] = timings
    response["determinism"] = environment.determinism()
    return response, timed_fits(request, net, x, y, weights, network) if request.get("serve_timing") else None


# NumPy's floating-point errors, the NaN-making first (0/0, ∞ − ∞, 0·∞): the first a replay meets is reported.
ERRORS = ("invalid value", "divide by zero", "overflow")


def first_nonfinite(impl, weights, x, y, learning_rate, dtype, network, epochs):
    """Where the reference's run first made a NaN or an infinity: its run replayed up to `epochs` with NumPy's
    floating-point errors reported (np.errstate's call), the first invalid value (0/0, ∞ − ∞), else division by
    zero, else overflow; {"error", "epoch", "step", "quantity", "function", "file", "line", "code"}, or None."""
    net, seen, where = impl.Network(weights, learning_rate, dtype, **network), {}, {"epoch": 0, "step": 0}
    step = net.step

    def counted(*args):
        where["step"] += 1
        return step(*args)

    def call(error, flag):
        frame = inspect.currentframe().f_back
        if error not in seen and frame is not None:
            code = frame.f_code
            optimizer = code.co_name in frame.f_globals.get("OPTIMIZERS", {})
            seen[error] = {"error": error, **where, "function": code.co_name, "optimizer": optimizer,
                           "file": "/".join(code.co_filename.split(os.sep)[-2:]),  # impl_numpy/network.py
                           "line": frame.f_lineno, "code": linecache.getline(code.co_filename, frame.f_lineno).strip()}

    net.step = counted
    with np.errstate(all="call", under="ignore", call=call):
        for epoch in range(1, epochs + 1):
            where.update(epoch=epoch, step=0)
            net.fit(x, y, 1)
            if "invalid value" in seen:
                break
    found = next((seen[error] for error in ERRORS if error in seen), None)
    if found:
        name = found["function"]
        found["quantity"] = (f"the update ({name}'s step)" if found.pop("optimizer") else
                             {"backward": "the backward pass", "forward": "the forward pass", "step": "the step",
                              "fit": "the loss or mean |error|"}.get(name, f"{name}()"))
    return found


def probe(request, impl, weights, x, y, run, network):
    """Step-local checks from the reference's states: at the spread of epochs, and where this run's curves part from
    the reference's run (read from the request's reference_run file)."""
    with open(request["reference_run"]) as f:
        reference_run = json.load(f)
    tolerances = request.get("parting_tolerances") or [parity.tolerance(request["dtype"])]
    partings = [parity.first_divergent_epoch(reference_run, run, tol) for tol in tolerances]
    at = probes.epochs(request["epochs"], *partings)
    modules = [importlib.import_module(name) for name in
               (request["probe_module"], request["reference_run_module"], request["reference_probe_module"])]
    taken, identical = probes.take((impl, modules[0]), tuple(modules[1:]), weights, x, y, request["learning_rate"],
                                   request["dtype"], at, network, request.get("options", {}), reference_run["loss"])
    return {"probes": taken, "probe_replay_identical": identical}


COMPUTE_GUARD = 4  # at most this many times NumPy's time for the same added work, in the sweep's guesses below


def predict_seconds(measured, cell, pairs):
    """A cautious guess of a cell's cost, from the largest cell measured so far: the lesser of two guesses of each
    side's epoch, each high where the other is loose. One scales all of that cell's epoch (the framework's and
    NumPy's beside it) with the work (batch × width): high where a fixed cost per epoch dominates, as Keras's `fit`
    does (over 30 ms an epoch at every size), which alone kept Keras from every cell after its first. The other keeps
    the framework's epoch and adds COMPUTE_GUARD times what NumPy's would add for the new work (in the site's sweep,
    docs/generated/bench.md, no framework's epoch grew with the work faster than 2.4× NumPy's): high where the work
    dominates. NumPy's own row, with nothing beside it, is scaled whole.

    What a cell costs in blocks: each side's calibration (three timings of each size of the ladder up to its block,
    about five blocks in all, with the size before it) and two blocks of each side per pair, a block lasting at
    least phases.MIN_BLOCK_S and at most about 2.5 of it, or two epochs where one epoch is longer (the ladder's
    smallest blocks are 1 and 2 epochs); a fit call's fixed cost, at most a twentieth of a block, is in the blocks."""
    if not measured:
        return 0.0
    largest = max(measured, key=lambda c: c["width"] * c["batch"])
    scale = cell["width"] * cell["batch"] / (largest["width"] * largest["batch"])
    own, numpy_epoch = largest["epoch_median_s"], largest.get("reference_epoch_median_s")

    def block(epoch):
        return max(2.5 * phases.MIN_BLOCK_S, 2 * epoch)

    if numpy_epoch is None:
        return block(own * scale) * (3 * 2 + pairs)
    epoch = min(own * scale, own + COMPUTE_GUARD * numpy_epoch * (scale - 1))
    return (block(epoch) + block(numpy_epoch * scale)) * (3 * 2 + 2 * pairs)


def against_plain_loop(impl, budget_s=10.0):
    """The NumPy implementation beside the blog's loop written out flat (compare.timing.baseline), at the blog's size,
    timed as a run times a framework beside NumPy (phases.steady_state, in this one process): the median of the
    pairs' ratios, with its 95 % interval."""
    from compare.timing.baseline import plain_loop

    x, y = dataset("blog")
    w0, w1 = initial_weights(1, [3, 4, 1])

    def fit(n):  # both sides train from the blog's weights in every block: an epoch's cost depends on where it is
        return impl.Network([w0, w1], 1.0, "float64").fit(x, y, n)

    found = phases.steady_state(fit, reference=lambda n: plain_loop(x, y, w0, w1, n, 1.0), budget_s=budget_s)
    return {"epoch_median_s": found["epoch_median_s"], "plain_loop_epoch_median_s": found["reference_epoch_median_s"],
            "ratio": found["ratio_to_reference"], "ratio_ci95": found["ratio_ci95"],
            "block_epochs": found["block_epochs"][0], "reference_block_epochs": found["reference_block_epochs"][0],
            "repeats": found["repeats"], **({"flagged": found["flagged"]} if "flagged" in found else {})}


def bench(request, report=print):
    """Steady-state time per epoch for each cell (width, batch) of a sweep, on random data of that shape, within
    the request's budget: a cell that would not fit in what is left is skipped and marked so. With a reference
    (NumPy's implementation), each timed block of the framework is followed by one of NumPy training the same
    network on the same data, here in the same process, so that each cell's ratio to NumPy is taken pair by pair,
    as a run's is, with the run's estimator (phases.steady_state): whole blocks in ABBA order, `repeats` pairs."""
    start = time.monotonic()
    impl = importlib.import_module(request["module"])
    reference = importlib.import_module(request["reference"]) if request.get("reference") else None
    environment.apply_threads(request["threads"])
    rng = np.random.default_rng(request["seed"])
    response = {"status": "ok", "version": versions(request["versions"]), "cells": []}
    if request.get("baseline"):  # not a cell: its second or two are not taken from the cells' budget
        before = time.monotonic()
        response["against_plain_loop"] = against_plain_loop(impl)
        start += time.monotonic() - before
    measured = []
    for cell in request["cells"]:
        left = request["budget_s"] - (time.monotonic() - start)
        need = predict_seconds(measured, cell, request["repeats"])
        if need > left:
            result = {**cell, "skipped": f"budget: about {need:.0f} s needed, {max(left, 0):.0f} s left"}
        else:
            x = rng.random((cell["batch"], request["inputs"]))
            y = (rng.random((cell["batch"], 1)) < 0.5).astype(np.float64)
            weights = initial_weights(request["seed"], [request["inputs"], cell["width"], 1])
            net = impl.Network(weights, request["learning_rate"], request["dtype"], **request.get("options", {}))
            epochs = lambda n: net.fit(x, y, n)  # noqa: B023, E731 — called here, within this cell
            numpy_epochs = None
            if reference:
                numpy_net = reference.Network(weights, request["learning_rate"], request["dtype"])
                numpy_epochs = lambda m: numpy_net.fit(x, y, m)  # noqa: B023, E731
            result = {**cell, **phases.steady_state(epochs, reference=numpy_epochs, min_pairs=request["repeats"],
                                                    budget_s=0)}
            measured.append(result)
            del net, x, y, numpy_epochs
        response["cells"].append(result)
        report(json.dumps(result), flush=True)  # one line per cell: the runner's progress bar reads it
    response["peak_memory_mb"] = phases.peak_memory_mb()
    response["effective_threads"] = environment.effective_threads()
    return response


def handle(request, settle=None):
    """A request's response, and the steady state's fits to serve (or None): a reader's own code's errors and exits
    become its response; any other error propagates (the worker fails with it, as it should)."""
    if request.get("own"):
        contract.guard_exits()
    try:
        return (timing_replica(request) if request.get("kind") == "timing"
                else train(request, REPLIES if request.get("serve_timing") else None, settle))
    except (SystemExit, contract.Exited) as err:  # your own code ended its process: said in its row
        if not request.get("own"):
            raise
        return {"status": "error", "reason": contract.exited(err, contract.source_path(request["module"]))}, None
    except contract.ContractError as err:  # your own code does not follow the contract: one line, and exit 2
        return {"status": "error", "reason": str(err), "contract": True}, None
    except Exception as err:  # noqa: BLE001 — your own code raised while it ran: its own line says where
        if not request.get("own"):
            raise
        return {"status": "error", "reason": contract.located(err, contract.source_path(request["module"]))}, None


def write(response, response_path):
    with open(response_path, "w") as f:
        json.dump(response, f)  # floats as repr: float64 values round-trip exactly


def serve(commands):
    """Request after request in this one process: each line of commands is {"request": path, "response": path}; the
    response written, {"done": n} is the reply. Before each request after the first, whatever the one before may have
    changed is set afresh (compare.run.state), to the settings found right after the first request's import. A
    request that is not servable, or names another implementation than the first, is refused: {"refused": why}."""
    first, found = None, {}

    def settle():
        if found:
            state.restore(found)
        else:
            found.update(state.settings())

    for n, line in enumerate(commands, 1):
        message = json.loads(line)
        with open(message["request"]) as f:
            request = json.load(f)
        first = first or request["module"]
        if not servable(request) or request["module"] != first:
            phases.reply(REPLIES, {"refused": f"a served worker of {first} takes no such request"})
            continue
        response, _ = handle(request, settle)
        response.setdefault("timing", {})["served_request"] = n  # 1: this process's first, its import included
        write(response, message["response"])
        phases.reply(REPLIES, {"done": n})


REPLIES = None  # the worker's replies (timing rounds, served requests): its standard output, kept for them alone


def main(argv):
    global REPLIES
    request = None
    if argv[0] != "--serve":  # --serve FOLDER: the pool's (compare.run.pool)
        request_path, response_path = argv
        with open(request_path) as f:
            request = json.load(f)
        if request.get("kind") == "bench":  # its progress lines go to stdout
            write(bench(request), response_path)
            return
    # Standard output carries the replies (compare.run.timekeeper, compare.run.pool); what a framework prints goes
    # to stderr.
    REPLIES = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    if request is None:
        serve(sys.stdin)
        return
    response, fits = handle(request)
    write(response, response_path)
    if fits and request.get("serve_timing"):
        try:
            phases.serve(*fits, sys.stdin, REPLIES)
        except Exception as err:  # noqa: BLE001 — your own code raised while timed
            if not request.get("own"):
                raise
            print(contract.located(err, contract.source_path(request["module"])), file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
