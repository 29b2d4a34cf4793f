"""The command line: parse flags into a Config, run, write results.json, print the table, exit 0/1/2."""
import argparse
import os
import sys

from compare import report, results, runner
from compare.frameworks import FRAMEWORKS
from compare.problem import DTYPES, TARGETS, Config, ProblemError, load_weights

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


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got '{text}'") from None
    if not (value > 0 and value != float("inf")):  # also refuses NaN
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got '{text}'")
    return value


def framework_list(text):
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    for name in names:
        if name not in FRAMEWORKS:
            raise argparse.ArgumentTypeError(f"unknown framework '{name}' (choose from {', '.join(FRAMEWORKS)})")
    if not names:
        raise argparse.ArgumentTypeError("names no framework")
    return names


def build_parser():
    parser = Parser(prog="python -m compare",
                    description="Train the blog's 3→4→1 sigmoid network in several frameworks from the same initial "
                                "weights and check, epoch by epoch, that they agree.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    run = commands.add_parser("run", help="train every framework and check parity (the default command)",
                              description="Train every framework from the same initial weights; write results.json; "
                                          "exit 0 if all agree with numpy, 1 if any disagrees or fails, 2 on bad input.")
    run.add_argument("--frameworks", type=framework_list, default=DEFAULT.frameworks, metavar="A,B,…",
                     help=f"frameworks to run, of {', '.join(FRAMEWORKS)}; numpy, the reference, always runs "
                          f"(default: {','.join(DEFAULT.frameworks)})")
    run.add_argument("--dataset", choices=list(TARGETS), default=DEFAULT.dataset,
                     help=f"blog: y = first column of X; xor: y = x0 XOR x1 (default: {DEFAULT.dataset})")
    run.add_argument("--hidden", type=positive_int, default=None, metavar="N",
                     help=f"hidden width (default: {DEFAULT.hidden}, or the width in --weights)")
    run.add_argument("--seed", type=int, default=DEFAULT.seed,
                     help=f"RandomState seed of the initial weights (default: {DEFAULT.seed})")
    run.add_argument("--weights", metavar="FILE.npz", default=DEFAULT.weights,
                     help="initial weights w0, w1, … as (in, out) matrices instead of the seed (default: none)")
    run.add_argument("--epochs", type=positive_int, default=DEFAULT.epochs, metavar="N",
                     help=f"full-batch gradient-descent steps (default: {DEFAULT.epochs})")
    run.add_argument("--learning-rate", type=positive_float, default=DEFAULT.learning_rate, metavar="F",
                     help=f"step size (default: {DEFAULT.learning_rate:g})")
    run.add_argument("--dtype", choices=DTYPES, default=DEFAULT.dtype,
                     help=f"float64 agrees exactly, float32 within a looser tolerance (default: {DEFAULT.dtype})")
    run.add_argument("--timeout", type=positive_float, default=DEFAULT.timeout, metavar="S",
                     help=f"seconds one framework may take before it counts as failed (default: {DEFAULT.timeout:g})")
    run.add_argument("--out", metavar="DIR", default=DEFAULT.out,
                     help=f"directory for results.json (default: {DEFAULT.out})")
    return parser


def config_from(args):
    """The run's Config; a ProblemError for flags that cannot go together or a bad weights file."""
    hidden = args.hidden or DEFAULT.hidden
    if args.weights is not None:
        weights = load_weights(args.weights)
        if len(weights) != 2:
            raise ProblemError(f"weights file '{args.weights}' has {len(weights)} layers; the network has 2")
        if args.hidden is not None and args.hidden != weights[0].shape[1]:
            raise ProblemError(f"--hidden {args.hidden} does not match the weights file's hidden width "
                               f"{weights[0].shape[1]}")
        hidden = weights[0].shape[1]
    return Config(frameworks=args.frameworks, dataset=args.dataset, hidden=hidden, seed=args.seed,
                  weights=args.weights, epochs=args.epochs, learning_rate=args.learning_rate, dtype=args.dtype,
                  out=args.out, timeout=args.timeout)


def progress(name, run):
    """One line on stderr per framework, so a slow import is not mistaken for a hang."""
    if run is None:
        print(f"  {name} …", end="", file=sys.stderr, flush=True)
    else:
        status = run["status"] if run["status"] != "ok" else report.seconds(run["timing"]["train_s"])
        print(f" {status}", file=sys.stderr, flush=True)


def command_run(args):
    config = config_from(args)
    results.prepare(config.out)
    data = runner.run(config, progress=progress)
    path = os.path.join(config.out, "results.json")
    results.write_json(path, data)
    print(report.table(data))
    print(f"Results: {path}")
    return runner.exit_code(data)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["run", *argv]  # `python -m compare` alone runs the defaults
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return command_run(args)
    except ProblemError as err:
        print(f"compare: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("compare: interrupted; no results written", file=sys.stderr)
        return 130
