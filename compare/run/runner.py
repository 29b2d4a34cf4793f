"""The runner: one initial-weights file, one worker process per framework, then the parity check."""
import hashlib
import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from compare.check import parity
from compare.errors import ProblemError
from compare.frameworks import FRAMEWORKS, REFERENCE, with_own
from compare.own import contract
from compare.problem import dataset, save_weights
from compare.run import environment, pool, processes, timekeeper
from compare.run.results import SCHEMA

ROOT = Path(__file__).resolve().parents[2]  # the project, so that workers import the same packages
STDERR_TAIL_LINES = 20


def frameworks_to_run(config, registry):
    """The frameworks of a run in order, the reference first; a ProblemError for an unknown id."""
    unknown = [name for name in config.frameworks if name not in registry]
    if unknown:
        raise ProblemError(f"unknown framework '{unknown[0]}' (choose from {', '.join(registry)})")
    return [REFERENCE] + [name for name in dict.fromkeys(config.frameworks) if name != REFERENCE]


def worker_env(framework, threads, workdir=None):
    """The worker's environment: the project importable, the threads pinned, and (with workdir) TMPDIR inside the
    run's own temporary folder, so that whatever a framework leaves there goes when the run's folder does."""
    env = dict(os.environ)
    if workdir is not None:
        env["TMPDIR"] = str(workdir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # TensorFlow's INFO notices (oneDNN, missing CUDA) stay out of the log; its warnings and errors do not.
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    env.update(environment.thread_env(threads))
    env.update(environment.malloc_env(env))
    if "jax" in framework.requires:
        env["XLA_FLAGS"] = environment.xla_flags(threads, env.get("XLA_FLAGS", ""))
    env.update(framework.env)
    return env


STDERR_LINE_CHARS = 300


def tail(text, lines=STDERR_TAIL_LINES):
    """The last lines of a worker's stderr, each cut to STDERR_LINE_CHARS (a line can be a 300 kB dump)."""
    return "\n".join(line if len(line) <= STDERR_LINE_CHARS else line[:STDERR_LINE_CHARS] + " …"
                     for line in text.strip().splitlines()[-lines:])


# What every worker's response must hold, and of what kind, before anything reads it.
RESPONSE_FIELDS = {"version": str, "network": str, "loss": list, "mean_abs_error": list, "final_weights": list,
                   "predictions": list, "timing": dict}


def worker_request(framework, config, weights_file, reference=None, reference_run=None, band_precisions=()):
    """What a worker is asked to do (JSON).

    reference: the reference's Framework, for the step-local checks; reference_run: the file of its finished run.
    band_precisions: for the reference, the precisions whose ulps its sensitivity runs nudge the weights by.
    """
    return {
        "module": framework.module,
        "reference_module": FRAMEWORKS[REFERENCE].module,  # the timing yardstick
        "is_reference": reference is None,
        "probe_module": framework.probe_module,
        "reference_run": None if reference_run is None else str(reference_run),
        "reference_run_module": None if reference is None else reference.module,
        "reference_probe_module": None if reference is None else reference.probe_module,
        "seed": config.seed,
        "band_precisions": list(band_precisions),
        # Where its curves part from the reference's, at each tolerance it is judged at (float32's too, for a
        # framework with a declared float64 limit): the step-local checks probe around each.
        "parting_tolerances": [parity.tolerance(config.dtype)] + (
            [parity.tolerance("float32")] if framework.float64_limit and config.dtype == "float64" else []),
        "network": config.network,
        "orders": None if config.orders() is None else config.orders().tolist(),
        "options": framework.options,
        "own": framework.own,  # your own code: module is its path or module name (compare.own.contract)
        "versions": list(framework.versions),
        "dataset": config.dataset,
        "weights_file": str(weights_file),
        "epochs": config.epochs,
        "learning_rate": config.learning_rate,
        "dtype": config.dtype,
        "threads": config.threads,
        "serve_timing": config.repeats > 0,  # the steady state, timed after the response is written
    }


def worker_command(framework, workdir, request, kind=None):
    """The command that runs a worker on `request` (written beside the others in workdir); kind "timing" for a
    timing replica, whose response file is nowhere."""
    suffix = "request" if kind is None else kind
    request_file = workdir / f"{framework.name}.{suffix}.json"
    request_file.write_text(json.dumps(request if kind is None else {**request, "kind": kind}))
    response = workdir / f"{framework.name}.response.json" if kind is None else Path(os.devnull)
    return [*environment.fixed_layout(), sys.executable, "-m", "compare.run.worker", str(request_file), str(response)]


def run_worker(framework, config, weights_file, workdir, reference=None, reference_run=None, band_precisions=(),
               lane=None, workers=None, deferred=None):
    """Run one framework in its own process and return its entry of results.json's runs; then time its steady state
    in that process and the replicas the lane prepared (compare.run.timekeeper).

    reference: the reference's Framework, for the step-local checks; reference_run: the file of its finished run.
    band_precisions: for the reference, the precisions whose ulps its sensitivity runs nudge the weights by.
    workers: a compare.run.pool.Pool, whose served worker runs the request where it may (compare.run.pool.servable).
    deferred: a list to append the framework's Timing to, to be measured later, instead of timing it now.
    """
    missing = framework.missing()
    if missing:
        if lane:
            lane.started(framework.name)
        return {"status": "missing", "missing": missing, "install": framework.install_command}
    request = worker_request(framework, config, weights_file, reference, reference_run, band_precisions)
    command = worker_command(framework, workdir, request)
    response_file = Path(command[-1])
    if workers is not None and pool.servable(request):
        env = worker_env(framework, config.threads)
        ended, stderr = workers.run(framework, env, command[-2], response_file, config.timeout)
        if ended != "refused":
            if processes.stopping():
                raise processes.Stopped("interrupted")
            return finished_response(ended, stderr, config, response_file)
    served = timekeeper.Served(command, config.timeout, on_quiet=lane.quiet if lane else None,
                               env=worker_env(framework, config.threads, workdir), cwd=workdir)
    if lane:
        lane.started(framework.name)
    timed = [served] if served.wait_ready() else []
    if timed:  # it wrote its response, and now waits to be timed
        response = finished_response("done", "", config, response_file)
    else:
        code, stderr = served.close(wait=True)
        if processes.stopping():
            raise processes.Stopped("interrupted")
        response = finished_response("timed out" if served.timed_out else code, stderr, config, response_file)
    timing = Timing(framework.name, timed, response, config, reference is not None, lane)
    if deferred is None:
        timing.measure()
    else:
        deferred.append(timing)
    return response


class Timing:
    """A framework's steady state, timed in its worker (waiting, warm, once its response is written) and in the
    replicas the lane prepared: measure() now, or after every framework has trained (run's `deferred`), so that the
    lane has the workers' whole run to prepare the replicas; its results go into the framework's response."""

    def __init__(self, name, timed, response, config, budgeted, lane):
        self.name, self.timed, self.response, self.config, self.lane = name, timed, response, config, lane
        self.budget_s = config.timing_budget if budgeted else 0

    def measure(self):
        failed = []
        try:
            if self.lane:
                replicas, failed = self.lane.take(self.name)
                self.timed += replicas
            if self.response["status"] == "ok" and self.timed:
                if self.lane:
                    self.lane.pause()  # nothing else runs while a framework is timed
                try:
                    measured = timekeeper.measure(self.timed, self.config.repeats, self.budget_s)
                finally:
                    if self.lane:
                        self.lane.resume()
                if measured:
                    self.response["timing"].update(measured)
                if failed:
                    self.response["timing"]["timing_processes_failed"] = failed
        finally:
            self.close()
        if processes.stopping():
            raise processes.Stopped("interrupted")

    def close(self):
        for process in self.timed:
            process.close()
        self.timed = []


def finished_response(ended, stderr, config, response_file):
    """The worker's response from its file, once it wrote it. How the worker ended decides first: "done" (a served
    worker's reply, or a fresh one waiting to be timed) or exit code 0 reads the file; a timeout or a failure is the
    framework's error."""
    if ended == "timed out":
        return {"status": "error", "reason": f"timed out after {config.timeout:g} s", "stderr": tail(stderr)}
    if ended not in ("done", 0):
        last = tail(stderr, 1) or f"exit code {ended}"
        return {"status": "error", "reason": f"worker failed: {last}", "stderr": tail(stderr)}
    try:
        response = json.loads(response_file.read_text())
        if response.get("status") == "error" and isinstance(response.get("reason"), str):  # your code's, said so
            return {"status": "error", "reason": response["reason"][:STDERR_LINE_CHARS],
                    "contract": bool(response.get("contract")), "stderr": tail(stderr)}
        if response.get("status") != "ok":
            raise ValueError("no 'ok' status")
        missing = [key for key, kind in RESPONSE_FIELDS.items() if not isinstance(response.get(key), kind)]
        if missing:
            raise ValueError(f"no {', '.join(missing)}")
    except (OSError, ValueError, AttributeError) as err:
        return {"status": "error", "reason": f"unreadable worker response ({err})", "stderr": tail(stderr)}
    return response


def limits(names, registry, dtype):
    """{framework: why it cannot hold dtype} for the frameworks of a run that declare such a limit."""
    if dtype != "float64":
        return {}
    return {name: registry[name].float64_limit for name in names if registry[name].float64_limit}


def formula_keys(config):
    """The training loop's options of a run, as the keys a Framework's formulas declare them under: "schedule",
    "clip-global" or "clip-per-variable", "clip-value", "weight-decay-coupled" or "-decoupled", "l2", "norm-batch" or
    "norm-layer"."""
    keys = ["schedule"] if config.schedule is not None else []
    keys += [f"clip-{config.clip}"] if config.clip_norm is not None else []
    keys += ["clip-value"] if config.clip_value is not None else []
    keys += [f"weight-decay-{config.decay}"] if config.weight_decay else []
    keys += ["l2"] if config.l2 else []
    keys += [f"norm-{config.norm}"] if config.norm is not None else []
    return keys


def formulas(names, registry, config):
    """{framework: [its declared Formulas for this run's loss and optimizer, as JSON]} for the frameworks of a run
    that declare one that applies to it."""
    out = {}
    for name in names:
        chosen = [registry[name].formulas.get(option) for option in (config.loss, config.optimizer,
                                                                      *formula_keys(config))]
        chosen = [{"what": f.what, "margin": f.margin, "kind": f.kind} for f in chosen
                  if f is not None and (f.when is None or f.when(config))]
        if chosen:
            out[name] = chosen
    return out


def determinism(config, weights_sha256, runs):
    """What makes a second run give the same bits, in one place: the one weights file every worker read, the
    threads, the flags that choose kernels, and each framework's own determinism switches as it reported them."""
    return {
        "seed": None if config.weights else config.seed,
        "weights_file": config.to_json()["weights"],
        "initial_weights_sha256": weights_sha256,
        "threads": config.threads,
        "numeric_flags": environment.describe(config.threads)["numeric_flags"],
        "frameworks": {name: run.get("determinism", {}) for name, run in runs.items() if run["status"] == "ok"},
    }


def run(config, registry=None, progress=None, workers=None):
    """Train every framework of config from the same initial weights; return the contents of results.json.
    workers: a compare.run.pool.Pool whose served workers take the runs they may (those not timed, not your own
    code); without one, every framework runs in a fresh process."""
    names, registry = with_own(config.frameworks, FRAMEWORKS if registry is None else registry)
    config, declared = contract.adopted(config, [registry[name] for name in names if registry[name].own])
    names = frameworks_to_run(replace(config, frameworks=tuple(names)), registry)
    weights, biases = config.initial_weights(), config.initial_biases()
    with tempfile.TemporaryDirectory(prefix="compare-run-") as work:
        work = Path(work)
        weights_file = work / "initial_weights.npz"
        save_weights(weights_file, weights, biases)  # written once: every worker starts from these bytes
        weights_sha256 = hashlib.sha256(weights_file.read_bytes()).hexdigest()

        reference_run = work / "reference_run.json"
        lane = None
        if config.repeats > 0 and config.timing_processes > 1:
            lane = timekeeper.Lane(
                [(name, config.timing_processes - 1,
                  worker_command(registry[name], work, worker_request(registry[name], config, weights_file,
                                                                      registry[REFERENCE]), kind="timing"),
                  {"env": worker_env(registry[name], config.threads, work), "cwd": work})
                 for name in names[1:] if not registry[name].missing()], config.timeout)

        def one(name):
            if progress:
                progress(name, None)
            if name == REFERENCE:
                # Nudged at the run's precision, and at float32's where a framework holds only that (its limit).
                precisions = dict.fromkeys([config.dtype] + ["float32" for _ in limits(names, registry, config.dtype)])
                run = run_worker(registry[name], config, weights_file, work, band_precisions=precisions, lane=lane,
                                 workers=workers, deferred=deferred)
            else:
                run = run_worker(registry[name], config, weights_file, work, registry[REFERENCE],
                                 reference_run if reference_run.exists() else None, lane=lane, workers=workers,
                                 deferred=deferred)
            if progress:
                progress(name, run)
            return run

        # Each framework's steady state is timed once every framework has trained, in the order they ran: the lane
        # prepares the replicas while the workers train, not while the runner waits for them.
        deferred = []
        try:
            # The reference first: every other worker takes its step-local checks from the reference's states, and
            # reads where its own curves part from the reference's run.
            runs = {REFERENCE: one(REFERENCE)}
            if runs[REFERENCE]["status"] == "ok":
                reference_run.write_text(json.dumps({key: runs[REFERENCE][key] for key in parity.CURVES}))
            # One worker at a time, so that no framework is timed while another competes for the cores; --jobs > 1
            # trades that for a sooner parity verdict.
            with ThreadPoolExecutor(max_workers=config.jobs) as executor:
                others = names[1:]
                runs.update(zip(others, executor.map(one, others), strict=True))
            order = list(runs)
            if lane and deferred:
                lane.drain()
            for timing in sorted(deferred, key=lambda timing: order.index(timing.name)):
                timing.measure()
        finally:
            for timing in deferred:
                timing.close()
            if lane:
                lane.close()
        across_processes(runs)
    return {
        "schema": SCHEMA,
        "config": config.to_json(),
        "environment": environment.describe(config.threads),
        "layers": [weights[0].shape[0]] + [w.shape[1] for w in weights],
        "initial_weights": [w.tolist() for w in weights],
        **({} if biases is None else {"initial_biases": [b.tolist() for b in biases]}),
        **({"declared_networks": declared} if declared else {}),
        "runs": runs,
        "determinism": determinism(config, weights_sha256, runs),
        "parity": parity.check(runs, config.dtype, reference=REFERENCE, limits=limits(names, registry, config.dtype),
                               formulas=formulas(names, registry, config), data=dataset(config.dataset),
                               network={"activation": config.activation, "output_activation": config.output_activation,
                                        "loss": config.loss,
                                        **({"norm_momentum": config.norm_momentum} if config.norm == "batch" else {})}),
    }


def across_processes(runs):
    """NumPy's time per epoch from every process that timed it: its own worker's and, as the yardstick, every other
    framework's timing processes (each a process of its own), with the interval over them."""
    groups = [run["timing"].pop("reference_epochs_s", None) for run in runs.values() if run["status"] == "ok"]
    reference = runs.get(REFERENCE, {})
    if reference.get("status") == "ok" and reference["timing"].get("own_epochs_s"):
        groups = reference["timing"].pop("own_epochs_s") + [group for found in groups if found for group in found]
        reference["timing"].update(timekeeper.reference_across(groups))


def exit_code(results):
    """0 when every framework that ran agrees with the reference (or within its declared limit), 1 when any
    disagrees, failed, or the training diverged; 2 when your own code does not follow the contract (bad input)."""
    if any(run.get("contract") for run in results["runs"].values()):
        return 2
    failed = any(run["status"] == "error" for run in results["runs"].values())
    return 0 if results["parity"]["ok"] and not failed else 1
