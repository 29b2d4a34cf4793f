"""The command line: parse flags into a Config, run, write results.json, print the table, exit 0/1/2."""
import argparse
import os
import signal
import subprocess
import sys
from contextlib import contextmanager

import numpy as np

from compare.commands import bench
from compare.errors import ProblemError
from compare.frameworks import FRAMEWORKS, with_own
from compare.problem import (
    ACTIVATIONS,
    CLIPS,
    DECAYS,
    DTYPES,
    LOSSES,
    NORMS,
    OPTIMIZERS,
    OUTPUT_ACTIVATIONS,
    SCHEDULE_PER,
    SCHEDULES,
    TARGETS,
    Config,
    load_parameters,
)
from compare.report import summary
from compare.run import processes, results, runner

DEFAULT = Config()


class Parser(argparse.ArgumentParser):
    def error(self, message):
        """Bad usage: one line naming the problem, exit 2, no usage dump."""
        self.exit(2, f"compare: error: {message}\n")


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got '{text}'") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got '{text}'")
    return value


def non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer ≥ 0, got '{text}'")
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got '{text}'") from None
    if not (value > 0 and value != float("inf")):  # also refuses NaN
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got '{text}'")
    return value


def non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got '{text}'") from None
    if not (value >= 0 and value != float("inf")):  # also refuses NaN
        raise argparse.ArgumentTypeError(f"must be a finite number ≥ 0, got '{text}'")
    return value


def framework_list(text, own=False):
    """Framework ids, or all; with own (run's), also your own code: a path to a .py file or a module name."""
    if text.strip() == "all":
        return tuple(FRAMEWORKS)
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    for name in names:
        if name not in FRAMEWORKS and not own:
            raise argparse.ArgumentTypeError(f"unknown framework '{name}' (choose from {', '.join(FRAMEWORKS)})")
    if not names:
        raise argparse.ArgumentTypeError("names no framework")
    if own:
        try:
            with_own(names, FRAMEWORKS)
        except ProblemError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        names = tuple(name if name in FRAMEWORKS or not name.endswith(".py") else os.path.abspath(name)
                      for name in names)
    return names


def run_framework_list(text):
    return framework_list(text, own=True)


def build_parser():
    parser = Parser(prog="idli" if os.path.basename(sys.argv[0]) == "idli" else "python -m compare",
                    description="Train the blog's 3→4→1 sigmoid network in several frameworks from the same initial "
                                "weights and check, epoch by epoch, that they agree.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    run = commands.add_parser("run", help="train every framework and check parity (the default command)",
                              description="Train every framework from the same initial weights; write results.json; "
                                          "exit 0 if all agree with numpy, 1 if any disagrees or fails, 2 on bad "
                                          "input.")
    run.add_argument("--frameworks", type=run_framework_list, default=DEFAULT.frameworks, metavar="A,B,…",
                     help=f"frameworks to run, of {', '.join(FRAMEWORKS)}, or all, and your own code (a path "
                          f"to a .py file, or a module name); numpy, the reference, always runs (default: "
                          f"{','.join(DEFAULT.frameworks)})")
    run.add_argument("--dataset", choices=list(TARGETS), default=DEFAULT.dataset,
                     help=f"blog: y = first column of X; xor: y = x0 XOR x1 (default: {DEFAULT.dataset})")
    run.add_argument("--hidden", type=int_list, default=None, metavar="W,W,…",
                     help=f"one width per hidden layer, e.g. 8,8 for two (default: "
                          f"{','.join(map(str, DEFAULT.hidden))}, or the widths in --weights)")
    run.add_argument("--activation", choices=ACTIVATIONS, default=DEFAULT.activation,
                     help=f"the hidden layers' activation (default: {DEFAULT.activation})")
    run.add_argument("--output-activation", choices=OUTPUT_ACTIVATIONS, default=DEFAULT.output_activation,
                     help=f"the output layer's activation (default: {DEFAULT.output_activation})")
    run.add_argument("--loss", choices=LOSSES, default=DEFAULT.loss,
                     help=f"half-sse: ½·Σ(y − ŷ)², the blog's; mse: the mean of (y − ŷ)² over the rows; bce: binary "
                          f"cross-entropy, with a sigmoid output (default: {DEFAULT.loss})")
    run.add_argument("--bias", action="store_true",
                     help="a bias vector per layer, starting at zero, or at b0, b1, … from --weights (default: none, "
                          "as the blog's)")
    run.add_argument("--seed", type=int, default=DEFAULT.seed,
                     help=f"RandomState seed of the initial weights (default: {DEFAULT.seed})")
    run.add_argument("--weights", metavar="FILE.npz", default=DEFAULT.weights,
                     help="initial weights w0, w1, … as (in, out) matrices instead of the seed (default: none)")
    run.add_argument("--epochs", type=positive_int, default=DEFAULT.epochs, metavar="N",
                     help=f"full-batch gradient-descent steps (default: {DEFAULT.epochs})")
    run.add_argument("--learning-rate", type=positive_float, default=DEFAULT.learning_rate, metavar="F",
                     help=f"step size (default: {DEFAULT.learning_rate:g})")
    run.add_argument("--batch-size", type=positive_int, default=None, metavar="N",
                     help="rows per step, in row order (default: all of them, one step per epoch, the blog's)")
    run.add_argument("--shuffle", action="store_true",
                     help="a new order of the rows each epoch, drawn from --seed, the same for every framework "
                          "(default: row order)")
    run.add_argument("--optimizer", choices=list(OPTIMIZERS), default=DEFAULT.optimizer,
                     help=f"each framework's own where it has one (default: {DEFAULT.optimizer}, the blog's)")
    for name, what in (("momentum", "μ of momentum and nesterov"), ("rho", "ρ of rmsprop"), ("beta1", "β₁ of adam"),
                       ("beta2", "β₂ of adam"), ("epsilon", "ε of rmsprop and adam")):
        run.add_argument(f"--{name}", type=float, default=None, metavar="F",
                         help=f"{what} (default: {getattr(DEFAULT, name):g})")
    loop = run.add_argument_group("the training loop", "weight decay, an L2 penalty, the rate's schedule, clipping and "
                                  "normalization layers, each through every framework's own API; the blog's loop has "
                                  "none of them")
    loop.add_argument("--weight-decay", type=non_negative_float, default=DEFAULT.weight_decay, metavar="λ",
                      help="weight decay: λθ added to the gradient, or with --decay decoupled θ −= lr·λ·θ beside the "
                           "optimizer's step (torch's weight_decay; AdamW and Keras's weight_decay) (default: 0, none)")
    loop.add_argument("--decay", choices=DECAYS, default=None,
                      help=f"how --weight-decay enters the step (default: {DEFAULT.decay})")
    loop.add_argument("--l2", type=non_negative_float, default=DEFAULT.l2, metavar="l",
                      help="an L2 penalty l·Σθ² over every weight and bias, added to the loss (Keras's L2(l)) "
                           "(default: 0, none)")
    loop.add_argument("--schedule", choices=list(SCHEDULES), default=None,
                      help="the learning rate's schedule at step t: exponential lr·γ^(t/k), step lr·γ^⌊t/k⌋, cosine "
                           "lr·(α + (1 − α)·½(1 + cos(π·min(t, k)/k))) (default: a constant rate)")
    loop.add_argument("--schedule-per", choices=SCHEDULE_PER, default=None,
                      help="t counts optimizer steps, or epochs (default: step)")
    loop.add_argument("--decay-rate", type=positive_float, default=None, metavar="γ",
                      help="γ of the exponential and step schedules, in (0, 1] (default: none; they need it)")
    loop.add_argument("--decay-steps", type=positive_int, default=None, metavar="k",
                      help="k of every schedule: the steps (or epochs) it decays over (default: none; they need it)")
    loop.add_argument("--alpha", type=non_negative_float, default=None, metavar="α",
                      help="α of the cosine schedule, the fraction of the rate it ends at (default: 0)")
    loop.add_argument("--clip-norm", type=positive_float, default=None, metavar="c",
                      help="the gradient rescaled to norm at most c (Keras's global_clipnorm, tf.clip_by_global_norm, "
                           "optax's clip_by_global_norm) (default: none)")
    loop.add_argument("--clip", choices=CLIPS, default=None,
                      help="the norm --clip-norm clips: all gradients together, or each variable's own (Keras's "
                           "clipnorm) (default: global)")
    loop.add_argument("--clip-value", type=positive_float, default=None, metavar="c",
                      help="each gradient's entries clipped to [−c, c] (Keras's clipvalue, tf.clip_by_value, optax's "
                           "clip) (default: none)")
    loop.add_argument("--norm", choices=NORMS, default=None,
                      help="a normalization layer after each hidden Dense layer, before its activation: "
                           "γ·(z − μ)/√(σ² + ε) + β, with μ and σ² of each unit over the batch (batch: its running "
                           "statistics in the predictions) or of each row over its units (layer) (default: none)")
    loop.add_argument("--norm-momentum", type=positive_float, default=None, metavar="m",
                      help=f"batch normalization's running statistics move m of the way to each batch's, torch's "
                           f"momentum (Keras's momentum is 1 − m) (default: {DEFAULT.norm_momentum:g})")
    loop.add_argument("--norm-epsilon", type=positive_float, default=None, metavar="ε",
                      help=f"ε of the normalization layer (default: {DEFAULT.norm_epsilon:g}, torch's)")
    run.add_argument("--dtype", choices=DTYPES, default=DEFAULT.dtype,
                     help=f"float64 agrees exactly, float32 within a looser tolerance (default: {DEFAULT.dtype})")
    run.add_argument("--timeout", type=positive_float, default=DEFAULT.timeout, metavar="S",
                     help=f"seconds one framework may take before it counts as failed (default: {DEFAULT.timeout:g})")
    run.add_argument("--threads", type=positive_int, default=DEFAULT.threads, metavar="N",
                     help=f"threads every framework may use, the same for all (default: {DEFAULT.threads})")
    run.add_argument("--repeats", type=non_negative_int, default=DEFAULT.repeats, metavar="N",
                     help=f"at least this many timed pairs of blocks, over its processes, for each framework's "
                          f"steady-state time per epoch; 0 skips it (default: {DEFAULT.repeats})")
    run.add_argument("--timing-budget", type=non_negative_float, default=DEFAULT.timing_budget, metavar="S",
                     help=f"seconds of timed rounds per framework, at most: pairs are timed until the 95%% "
                          f"interval of its ratio to numpy is within ±5%%, or this is spent (default: "
                          f"{DEFAULT.timing_budget:g})")
    run.add_argument("--timing-processes", type=positive_int, default=DEFAULT.timing_processes, metavar="K",
                     help=f"processes each framework is timed in: the one that trained it and K-1 replicas, so that "
                          f"the interval holds what varies from one process to the next (default: "
                          f"{DEFAULT.timing_processes})")
    run.add_argument("--jobs", type=positive_int, default=DEFAULT.jobs, metavar="N",
                     help=f"frameworks run at once; more give the parity verdict sooner, but timings that compete "
                          f"for the cores (default: {DEFAULT.jobs})")
    run.add_argument("--out", metavar="DIR", default=DEFAULT.out,
                     help=f"directory for results.json (default: {DEFAULT.out})")
    add_bench_parser(commands)
    rep = commands.add_parser("report", help="write report.md and its figures from a run's JSON",
                              description="Write report.md and PNG figures from the results.json and bench.json in "
                                          "a directory (run and bench also write it at their end).")
    rep.add_argument("--from", dest="source", metavar="DIR", default=DEFAULT.out,
                     help=f"directory holding results.json and/or bench.json (default: {DEFAULT.out})")
    exercise = commands.add_parser("exercise", help="write a starter file: the blog's network with gaps to fill",
                                   description="Write the blog's network with its forward pass given and its "
                                               "backward pass and update left as gaps, to rebuild from memory and "
                                               "check with `run --frameworks numpy,FILE`. Never overwrites a file.")
    exercise.add_argument("--out", metavar="FILE", default="my_network.py",
                          help="the file to write (default: my_network.py)")
    cost = commands.add_parser("cost", help="time the default run against bare imports, twice over",
                               description="Wall time of the default run against the bare imports of its frameworks, "
                                           "and each framework's ratio to numpy in consecutive runs; writes cost.json.")
    cost.add_argument("--runs", type=positive_int, default=2, metavar="N", help="default runs to time (default: 2)")
    cost.add_argument("--out", metavar="DIR", default=DEFAULT.out,
                      help=f"directory for cost.json (default: {DEFAULT.out})")
    gallery = commands.add_parser("pitfalls", help="run the pitfalls gallery: each port with a default left in",
                                  description="Run each pitfall's as-ported and lined-up files (pitfalls/<name>/) "
                                              "against the reference; writes pitfalls.json, a figure per pitfall "
                                              "and pitfalls.md. Exit 0 when every as-ported file is caught at the "
                                              "quantity its pitfall.toml names and every lined-up file passes.")
    gallery.add_argument("--only", type=name_list, metavar="NAME,…", help="the pitfalls to run (default: all)")
    gallery.add_argument("--out", metavar="DIR", default=PITFALLS_OUT,
                         help=f"directory for pitfalls.json, pitfalls.md and the figures (default: {PITFALLS_OUT})")
    return parser


PITFALLS_OUT = os.path.join(DEFAULT.out, "pitfalls")


def name_list(text):
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"must be pitfall names separated by commas, got '{text}'")
    return names


def int_list(text):
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"must be positive integers separated by commas, got '{text}'")
    return values


def add_bench_parser(commands):
    d = bench.BenchConfig()
    sweep = commands.add_parser("bench", help="time every framework over hidden width × batch size",
                                description="Steady-state time per epoch over hidden width × batch size, on random "
                                            "data; writes bench.json and names where each framework overtakes numpy.")
    sweep.add_argument("--frameworks", type=framework_list, default=d.frameworks, metavar="A,B,…",
                       help=f"frameworks to time, or all (default: {','.join(d.frameworks)})")
    sweep.add_argument("--widths", type=int_list, default=d.widths, metavar="W,W,…",
                       help=f"hidden widths (default: {','.join(map(str, d.widths))})")
    sweep.add_argument("--batches", type=int_list, default=d.batches, metavar="B,B,…",
                       help=f"batch sizes, rows of random data (default: {','.join(map(str, d.batches))})")
    sweep.add_argument("--inputs", type=positive_int, default=d.inputs, metavar="N",
                       help=f"input width (default: {d.inputs})")
    sweep.add_argument("--dtype", choices=DTYPES, default=d.dtype, help=f"(default: {d.dtype})")
    sweep.add_argument("--threads", type=positive_int, default=d.threads, metavar="N",
                       help=f"threads every framework may use (default: {d.threads})")
    sweep.add_argument("--repeats", type=positive_int, default=d.repeats, metavar="N",
                       help="timed pairs per cell, each two blocks of the framework and two of NumPy in its worker, "
                            "in ABBA order; from 6 on, each cell's ratio has a 95 %% interval, from 10 on one that "
                            f"leaves out the most extreme pair on each side (default: {d.repeats})")
    sweep.add_argument("--budget", type=positive_float, default=d.budget, metavar="S",
                       help="seconds for the whole sweep; cells that would not fit are skipped "
                            f"(default: {d.budget:g})")
    sweep.add_argument("--out", metavar="DIR", default=d.out, help=f"directory for bench.json (default: {d.out})")


def command_bench(args):
    from tqdm import tqdm

    config = bench.BenchConfig(frameworks=args.frameworks, widths=args.widths, batches=args.batches,
                               inputs=args.inputs, dtype=args.dtype, threads=args.threads, repeats=args.repeats,
                               budget=args.budget, out=args.out)
    results.prepare(config.out, "bench.json")
    total = len(config.cells()) * len(set(config.frameworks) | {"numpy"})
    with tqdm(total=total, unit="cell", file=sys.stderr, dynamic_ncols=True, disable=None) as bar:
        def progress(name, cell):
            bar.set_postfix_str(f"{name} width {cell['width']} batch {cell['batch']}")
            bar.update()
        data = bench.bench(config, progress)
    with deferred_signals():
        if not write_results(os.path.join(config.out, "bench.json"), data, summary.bench_table(data)):
            return 1
        write_report(config.out)
    return 0 if all(e["status"] != "error" for e in data["frameworks"].values()) else 1


def write_report(directory):
    """The report at the end of run and bench: a failure to draw it costs the report, never the results; an
    earlier report.md goes, so that none is left beside results it does not describe."""
    from compare.report import markdown

    try:
        path = markdown.write(directory)
    except Exception as err:  # noqa: BLE001 — the JSON is already safe; say why the report is missing
        stale = os.path.join(directory, "report.md")
        if os.path.isfile(stale):
            os.remove(stale)
        print(f"compare: report not written: {type(err).__name__}: {err}", file=sys.stderr)
        return
    print(f"Report: {path}")


def write_results(path, data, table):
    """Print the table, then write the results (atomically); a failure to write costs the file, not the table.
    Returns whether the file was written."""
    print(table)
    try:
        results.write_json(path, data)
    except OSError as err:
        print(f"compare: results not written to '{path}': {err.strerror or err}", file=sys.stderr)
        return False
    print(f"Results: {path}")
    return True


def command_report(args):
    from compare.report import markdown

    if not os.path.isdir(args.source):
        raise ProblemError(f"--from '{args.source}' is not a directory")
    print(f"Report: {markdown.write(args.source)}")
    return 0


def command_exercise(args):
    from compare.own.exercise import STARTER

    path = args.out
    if not path.endswith(".py"):
        raise ProblemError(f"--out '{path}' must name a .py file, which `run --frameworks numpy,{path}` checks")
    shown = path if os.path.isabs(path) or path.startswith(".") else f"./{path}"
    text = STARTER.replace("./my_network.py", shown)
    try:
        with open(path, "x") as f:  # x: never over a file that exists
            f.write(text)
    except FileExistsError:
        raise ProblemError(f"'{path}' exists: the exercise never overwrites a file (choose another --out)") from None
    except OSError as err:
        raise ProblemError(f"cannot write '{path}': {err.strerror or err}") from None
    print(f"Wrote {path}: the blog's network, with its backward pass and its update left as three gaps (TODO 1 to 3).")
    print(f"Fill them in, then check it against the reference: python -m compare run --frameworks numpy,{shown}")
    return 0


def command_pitfalls(args, workers=None):
    from compare.commands import pitfalls

    chosen = pitfalls.gallery(only=args.only)
    results.prepare(args.out, "pitfalls.json", "pitfalls.md")

    def progress(pitfall, entry):
        print(f"  {pitfall.name} … {pitfalls.status(entry)}", file=sys.stderr, flush=True)

    data = pitfalls.run(chosen, lambda config: runner.run(config, workers=workers), progress)
    with deferred_signals():
        pitfalls.write(data, args.out)
    print(f"Pitfalls: {os.path.join(args.out, 'pitfalls.md')}")
    wrong = [entry for entry in data["pitfalls"] if not entry["ok"]]
    for entry in wrong:
        print(f"compare: pitfall {entry['name']}: {entry['problem']}", file=sys.stderr)
    return 1 if wrong else 0


def command_cost(args):
    from compare.commands import cost

    results.prepare(args.out, "cost.json")
    try:
        data = cost.measure(runs=max(2, args.runs))
    except subprocess.CalledProcessError as err:
        last = (err.stderr or "").strip().splitlines()[-1:] or [f"exit code {err.returncode}"]
        print(f"compare: cost not measured: `{' '.join(err.cmd[1:])}` failed: {last[0][:300]}", file=sys.stderr)
        return 1
    with deferred_signals():
        return 0 if write_results(os.path.join(args.out, "cost.json"), data, cost.table(data)) else 1


def config_from(args):
    """The run's Config; a ProblemError for flags that cannot go together or a bad weights file."""
    hidden = args.hidden or DEFAULT.hidden
    if args.weights is not None:
        weights, biases = load_parameters(args.weights)
        for i, array in enumerate(weights + (biases or [])):  # what every worker will hold: the run's dtype
            with np.errstate(over="ignore"):
                held = np.asarray(array, dtype=args.dtype)
            if not np.all(np.isfinite(held)):
                name = f"w{i}" if i < len(weights) else f"b{i - len(weights)}"
                raise ProblemError(f"weights file '{args.weights}': {name} holds values {args.dtype} cannot hold "
                                   f"(beyond ±{np.finfo(args.dtype).max:.3g})")
        if biases is not None and not args.bias:
            raise ProblemError(f"weights file '{args.weights}' holds biases b0, b1, …: add --bias to train them")
        widths = tuple(w.shape[1] for w in weights[:-1])
        if not widths:
            raise ProblemError(f"weights file '{args.weights}' has 1 layer; the network needs a hidden layer")
        if args.hidden is not None and args.hidden != widths:
            raise ProblemError(f"--hidden {','.join(map(str, args.hidden))} does not match the weights file's "
                               f"hidden widths {','.join(map(str, widths))}")
        hidden = widths
    hyper = {name: getattr(args, name) for name in ("momentum", "rho", "beta1", "beta2", "epsilon")
             if getattr(args, name) is not None}
    for name in hyper:
        if name not in OPTIMIZERS[args.optimizer]:
            users = [o for o, names in OPTIMIZERS.items() if name in names]
            raise ProblemError(f"--{name} is read by {' and '.join(users)}, not by --optimizer {args.optimizer}")
    loop = {name: getattr(args, name) for name in ("decay", "schedule", "schedule_per", "decay_rate", "decay_steps",
                                                   "alpha", "clip_norm", "clip", "clip_value", "norm",
                                                   "norm_momentum", "norm_epsilon")
            if getattr(args, name) is not None}
    for name, needs in (("decay", "--weight-decay"), ("clip", "--clip-norm")):
        if name in loop and not getattr(args, needs[2:].replace("-", "_")):
            raise ProblemError(f"--{name} {loop[name]} needs {needs}")
    for name in ("decay_rate", "decay_steps", "alpha", "schedule_per"):
        if name in loop and "schedule" not in loop:
            raise ProblemError(f"--{name.replace('_', '-')} needs --schedule")
    for name, needs in (("norm_momentum", "batch"), ("norm_epsilon", None)):
        if name in loop and (loop.get("norm") is None or needs not in (None, loop["norm"])):
            raise ProblemError(f"--{name.replace('_', '-')} needs --norm {needs or 'batch or layer'}")
    return Config(**hyper, **loop, weight_decay=args.weight_decay, l2=args.l2, optimizer=args.optimizer,
                  batch_size=args.batch_size, shuffle=args.shuffle,
                  frameworks=args.frameworks, dataset=args.dataset, hidden=hidden, activation=args.activation,
                  output_activation=args.output_activation, loss=args.loss, bias=args.bias, seed=args.seed,
                  weights=args.weights, epochs=args.epochs, learning_rate=args.learning_rate, dtype=args.dtype,
                  out=args.out, timeout=args.timeout, threads=args.threads, repeats=args.repeats,
                  timing_budget=args.timing_budget, timing_processes=args.timing_processes, jobs=args.jobs)


_line_open = []  # a progress line waiting for its framework's status


def progress(name, run):
    """One line on stderr per framework, so a slow import is not mistaken for a hang."""
    if run is None:
        print(f"  {name} …", end="", file=sys.stderr, flush=True)
        _line_open.append(name)
    else:
        print(f" {status(run)}", file=sys.stderr, flush=True)
        _line_open.clear()


def end_progress_line():
    if _line_open:
        print(file=sys.stderr)
        _line_open.clear()


def progress_of_many(name, run):
    """With several workers at once, one whole line per framework as it finishes."""
    if run is not None:
        print(f"  {name} … {status(run)}", file=sys.stderr, flush=True)


def status(run):
    return run["status"] if run["status"] != "ok" else summary.seconds(run["timing"]["train_s"])


def command_run(args, workers=None):
    config = config_from(args)
    results.prepare(config.out, "results.json")
    data = runner.run(config, progress=progress if config.jobs == 1 else progress_of_many, workers=workers)
    failed = {name: run for name, run in data["runs"].items() if run["status"] != "missing"}
    if all(run["status"] == "error" for run in failed.values()):
        # Nothing could start from this input (a weights file every framework refuses, a timeout too short for
        # any): bad input, and no results to replace the earlier ones with.
        name, run = next(iter(failed.items()))
        raise ProblemError(f"no framework could run from this input; {name}: {run['reason']}")
    with deferred_signals():
        if not write_results(os.path.join(config.out, "results.json"), data, summary.table(data)):
            return 1
        write_report(config.out)
    return runner.exit_code(data)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: the command stops (a BaseException, so that no `except Exception` keeps it).
    written: whether it arrived only once the results were whole (deferred_signals)."""

    def __init__(self, signum, written=False):
        super().__init__(signum)
        self.signum, self.written = signum, written


_deferred = []  # while results are written: the signals that arrived, to act on once the files are whole


def on_signal(signum, frame):
    """Stop every worker (and whatever it started) at once; then end the command, unless it is writing results."""
    processes.stop_all()
    if _deferred:
        _deferred.append(signum)
        return
    raise Interrupted(signum)


@contextmanager
def deferred_signals():
    """Writing the results and the report (a second or two): a signal waits until they are whole."""
    _deferred.append(None)
    try:
        yield
    finally:
        arrived = [signum for signum in _deferred if signum is not None]
        _deferred.clear()
    if arrived:
        raise Interrupted(arrived[0], written=True)


@contextmanager
def signals_handled():
    """SIGINT and SIGTERM end the command cleanly (see on_signal); the earlier handlers are back after it."""
    old = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def main(argv=None, workers=None):
    """The command line; its exit code. workers: a compare.run.pool.Pool whose served workers `run` may use, for a
    caller in this process that makes many runs (the README's generator); the command line itself starts a fresh
    process per framework."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["run", *argv]  # `python -m compare` alone runs the defaults
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with signals_handled():
            commands = {"bench": command_bench, "cost": command_cost, "report": command_report,
                        "exercise": command_exercise, "pitfalls": lambda args: command_pitfalls(args, workers)}
            return commands[args.command](args) if args.command in commands else command_run(args, workers)
    except ProblemError as err:
        print(f"compare: error: {err}", file=sys.stderr)
        return 2
    except (Interrupted, KeyboardInterrupt) as err:
        signum = err.signum if isinstance(err, Interrupted) else signal.SIGINT
        done = ("after its results were written" if getattr(err, "written", False)
                else "workers stopped, nothing written (earlier results kept)")
        end_progress_line()
        print(f"compare: interrupted by {signal.Signals(signum).name}: {done}", file=sys.stderr)
        return 128 + signum
