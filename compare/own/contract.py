"""Your own implementation, run and checked like every framework: `--frameworks numpy,./my_network.py`.

A .py file (or an importable module) that follows the contract every impl_* package follows, a `Network` class, or
for the blog's network its minimum: a function `train(x, y, weights, epochs, learning_rate, dtype)` returning
{"loss", "mean_abs_error", "weights", "predictions"}. Optionally `forward(x, weights)` (every layer's output, input
first) and `backward(layers, y, weights)` (∂loss/∂w for each weight matrix), as impl_numpy's, sharpen the step-local
checks from "the update differs" to the layer or gradient where it does.

This module loads such a file in the worker, wraps `train` as a Network, checks what comes back, and is the
file's probe (`step`). A file that does not follow the contract raises ContractError, whose message is one line.
"""
import ast
import copy
import importlib
import importlib.util
import inspect
import json
import os
import sys
import traceback
from dataclasses import replace

import numpy as np

from compare.errors import ProblemError
from compare.frameworks import name_of
from compare.problem import Config


class ContractError(Exception):
    """The file does not follow the contract: what is missing or wrong, in one line."""


def source_path(target):
    """The file of your code: target itself for a .py file, else where the module would be imported from."""
    if target.endswith(".py"):
        return target
    try:
        spec = importlib.util.find_spec(target)
    except (ImportError, ValueError):
        spec = None
    return spec.origin if spec is not None and spec.origin else target


def where(err, path):
    """'my_network.py line 12', the last line of the file in err's traceback (or the file alone)."""
    lines = [frame.lineno for frame in traceback.extract_tb(err.__traceback__) if frame.filename == path]
    return f"{os.path.basename(path)}" + (f" line {lines[-1]}" if lines else "")


def load(target):
    """Import your file or module; a ContractError says where it raised, at the file's own line."""
    path = target if target.endswith(".py") else None
    try:
        if path:
            # Under a name of its own: a file called json.py must not stand in for the json the worker imports.
            spec = importlib.util.spec_from_file_location(f"_own_{name_of(target)}", path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
            path = getattr(module, "__file__", None) or target
    except SyntaxError as err:
        raise ContractError(f"{os.path.basename(err.filename or target)} line {err.lineno}: SyntaxError: "
                            f"{err.msg}") from None
    except Exception as err:  # noqa: BLE001 — anything your file raises while it is imported
        raise ContractError(f"{where(err, path or target)}: {type(err).__name__}: {err} (while importing it)") from None
    return module, path


# What a file may declare of the network it implements (module-level NETWORK = {...}): Config's fields.
DECLARABLE = ("hidden", "activation", "output_activation", "loss", "bias", "optimizer", "momentum", "rho", "beta1",
              "beta2", "epsilon", "batch_size", "shuffle", "learning_rate", "weight_decay", "decay", "l2", "schedule",
              "schedule_per", "decay_rate", "decay_steps", "alpha", "clip_norm", "clip", "clip_value", "norm",
              "norm_momentum", "norm_epsilon")
# Each keyword option a run may hand your code, beside the flag that sets it and the NETWORK key that declares it.
FLAGS = {"biases": ("--bias", "bias"), "orders": ("--shuffle", "shuffle"), "batch_size": ("--batch-size", "batch_size")}


def declared_network(path):
    """The network a file declares it implements, NETWORK = {...} at its top level, read without running the file:
    {} where it declares none; a ContractError where NETWORK is not a dict of Config's options."""
    if path is None or not path.endswith(".py") or not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        try:
            tree = ast.parse(f.read(), filename=path)
        except SyntaxError:
            return {}  # loading it says where, in the worker
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "NETWORK" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, RecursionError):  # not a plain literal
                value = None
            if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
                raise ContractError(f"{os.path.basename(path)} line {node.lineno}: NETWORK must be a dict of plain "
                                    f"values, e.g. {{\"activation\": \"tanh\", \"bias\": True}}")
            unknown = [key for key in value if key not in DECLARABLE]
            if unknown:
                raise ContractError(f"{os.path.basename(path)} line {node.lineno}: NETWORK declares {unknown[0]!r}, "
                                    f"not an option of the run (choose from {', '.join(DECLARABLE)})")
            return value
    return {}


def adopted(config, frameworks):
    """The run's Config with the network your files declare (NETWORK) in place of options the run leaves at the
    blog's defaults, and {name: what each file declares}; a ProblemError where a file and the command line (or two
    files) ask for different values of one option."""
    changes, declared = {}, {}
    for framework in frameworks:
        try:
            network = declared_network(source_path(framework.module))
        except ContractError as err:
            raise ProblemError(str(err)) from None
        if not network:
            continue
        declared[framework.name] = network
        for key, value in network.items():
            value = tuple(value) if key == "hidden" and isinstance(value, list) else value
            value = (value,) if key == "hidden" and isinstance(value, int) else value
            ours, default = getattr(config, key), getattr(Config, key)
            if ours != default and ours != value or changes.get(key, value) != value:
                theirs = changes.get(key, ours)
                raise ProblemError(f"{framework.name} declares {key} {value!r} in its NETWORK, but this run asks for "
                                   f"{theirs!r}: leave the option out to run the file's own network, or run the file "
                                   f"alone")
            changes[key] = value
    return (replace(config, **changes) if changes else config), declared


def accepts(function, name):
    """Whether function (or a class's constructor) takes a keyword argument `name`, by name or through **kwargs."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return True  # a builtin or C function: let the call say
    return any(p.kind is p.VAR_KEYWORD or (p.name == name and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD))
               for p in parameters)


def flag(name, value):
    """The command-line flag that sets option `name` to `value`: '--activation tanh', '--bias'."""
    if name in FLAGS:
        return FLAGS[name][0] + ("" if name in ("biases", "orders") else f" {value}")
    option = f"--{name.replace('_', '-')}"
    return f"{option} {value:g}" if isinstance(value, float) else f"{option} {value}"


def takes(function, options, declared, what):
    """The options `function` is handed: each it takes by name; one it does not take is dropped where the file
    declares it implements that value (NETWORK), and otherwise refused in one line that names it."""
    out = {}
    for name, value in options.items():
        if accepts(function, name):
            out[name] = value
            continue
        key = FLAGS.get(name, (None, name))[1]
        mine = declared.get(key)
        if name in ("biases", "orders") and mine is True or (mine is not None and mine == value):
            continue
        declaration = json.dumps({key: True if name in ("biases", "orders") else value})
        raise ContractError(f"{what} does not take {name}=, which this run sets ({flag(name, value)}): take it as a "
                            f"keyword argument, or declare NETWORK = {declaration.replace('true', 'True')} if the "
                            f"file implements that network alone")
    return out


class TrainNetwork:
    """The Network contract over your `train` function.

    train may keep whatever state it likes (biases, an optimizer's averages, the epoch a shuffle's order is at), so
    a run is never split between calls: each fit calls train once, from the run's initial state, for every epoch so
    far, and returns the epochs it adds. The worker's fit(1) then fit(epochs − 1) is thus one call of train for the
    whole run (`replays`), whose numbers are the run's. `fit_afresh` is what the steady state times: train for n
    epochs from the initial state, once per call."""

    replays = True

    def __init__(self, train, weights, learning_rate, dtype, declared=None, **network):
        self.train, self.learning_rate, self.dtype = train, learning_rate, dtype
        self.network = takes(train, network, declared or {}, "train(x, y, weights, epochs, learning_rate, dtype)")
        self.initial = [np.array(w, dtype=dtype) for w in weights]
        self.weights, self.biases = list(self.initial), network.get("biases")
        self.predictions, self.done, self.normalization = None, 0, None

    def call(self, x, y, epochs):
        out = self.train(x.astype(self.dtype), y.astype(self.dtype), [w.copy() for w in self.initial], epochs,
                         self.learning_rate, self.dtype, **self.network)
        if not isinstance(out, dict):
            raise ContractError(f"train returned {type(out).__name__}, not a dict with loss, mean_abs_error, weights "
                                f"and predictions")
        missing = [key for key in ("loss", "mean_abs_error", "weights", "predictions") if key not in out]
        if missing:
            raise ContractError(f"train's dict has no {', '.join(missing)} (it needs loss, mean_abs_error, weights "
                                f"and predictions)")
        self.weights, self.predictions = list(out["weights"]), out["predictions"]
        if out.get("biases") is not None:
            self.biases = list(out["biases"])
        if out.get("normalization") is not None:  # γ, β and the running statistics, as impl_numpy's train gives them
            self.normalization = out["normalization"]
        return out

    def fit(self, x, y, epochs):
        total = self.done + epochs
        out = self.call(x, y, total)
        for key in ("loss", "mean_abs_error"):
            if np.ndim(out[key]) == 1 and len(out[key]) != total:
                raise ContractError(f"train returned {len(out[key])} {key} values for {total} epoch(s): one per epoch")
        history = {key: np.asarray(out[key])[self.done:] if np.ndim(out[key]) == 1 else out[key]
                   for key in ("loss", "mean_abs_error")}
        if "step_loss" in out:
            steps = len(np.asarray(out["step_loss"])) // (self.done + epochs) if self.done + epochs else 0
            history["step_loss"] = np.asarray(out["step_loss"])[self.done * steps:]
        self.done += epochs
        return history

    def fit_afresh(self, x, y, epochs):
        out = self.call(x, y, epochs)
        return {key: out[key] for key in ("loss", "mean_abs_error")}

    def get_weights(self):
        return self.weights

    def get_biases(self):
        return self.biases

    def get_normalization(self):
        return self.normalization

    def predict(self, x):
        return self.predictions

    def __repr__(self):
        return f"train() of {self.train.__module__.removeprefix('_own_')}"


class Checked:
    """Your Network, with what it returns checked against the contract: a ContractError names what is wrong."""

    def __init__(self, make, weights, learning_rate, dtype, **network):
        self.shapes = [np.shape(w) for w in weights]
        self.rows = None
        self.net = make(weights, learning_rate, dtype, **network)
        self.replays = getattr(self.net, "replays", False)  # compare.run.worker: the run is one call of train
        if hasattr(self.net, "fit_afresh"):
            self.fit_afresh = self.net.fit_afresh

    def fit(self, x, y, epochs):
        self.rows = len(x)
        history = self.net.fit(x, y, epochs)
        if not isinstance(history, dict):
            raise ContractError(f"fit returned {type(history).__name__}, not a dict with loss and mean_abs_error")
        out = {}
        for key in ("loss", "mean_abs_error", "step_loss"):
            if key not in history:
                if key == "step_loss":
                    continue
                raise ContractError(f"fit's (or train's) dict has no {key}")
            values = curve(history[key], key)
            if key != "step_loss" and len(values) != epochs:
                raise ContractError(f"{key} has {len(values)} values for {epochs} epoch(s): one per epoch")
            out[key] = values
        return out

    def get_weights(self):
        weights = self.net.get_weights()
        arrays = [array(w, f"w{i}") for i, w in enumerate(weights)]
        shapes = [a.shape for a in arrays]
        if shapes != self.shapes:
            flipped = [shape[::-1] for shape in shapes] == self.shapes
            raise ContractError(f"the weights came back as shapes {shapes}, expected {self.shapes} (in, out)"
                                + (": transposed, (out, in)?" if flipped else ""))
        return arrays

    def get_biases(self):
        biases = self.net.get_biases() if hasattr(self.net, "get_biases") else None
        return None if biases is None else [array(b, f"b{i}").ravel() for i, b in enumerate(biases)]

    def get_normalization(self):
        """The normalization layers' state, each of its lists as arrays, where your code gives it (None if not)."""
        found = self.net.get_normalization() if hasattr(self.net, "get_normalization") else None
        if found is None:
            return None
        if not isinstance(found, dict):
            raise ContractError(f"get_normalization returned {type(found).__name__}, not a dict of scales, offsets "
                                f"(and running_means, running_variances), each a list over the hidden layers")
        return {key: [array(a, f"{key}[{i}]").ravel() for i, a in enumerate(values)] for key, values in found.items()}

    def predict(self, x):
        predictions = array(self.net.predict(x), "predictions")
        if predictions.shape not in ((len(x), 1), (len(x),)):
            raise ContractError(f"the predictions came back as shape {predictions.shape}, expected ({len(x)}, 1)")
        return predictions.reshape(len(x), 1)

    def __repr__(self):
        return repr(self.net)


def array(value, what):
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ContractError(f"{what} came back as {type(value).__name__}, not an array of numbers") from None
    return a


def curve(values, what):
    a = array(values, what)
    if a.ndim != 1:
        raise ContractError(f"{what} came back with shape {a.shape}: one number per epoch")
    return a


class Adapted:
    """Your module as the worker and the probes see an impl_* package: a Network (yours, or one over your train),
    checked; `source`, your module itself; `declared`, the network it declares it implements (NETWORK)."""

    def __init__(self, module, path):
        self.source, self.path = module, path
        self.declared = declared_network(path)
        network = getattr(module, "Network", None)
        train = getattr(module, "train", None)
        if inspect.isclass(network):
            self.callee, self.what = network, "Network(weights, learning_rate, dtype)"
        elif callable(train):
            self.callee, self.what = train, "train(x, y, weights, epochs, learning_rate, dtype)"
        else:
            raise ContractError(f"{os.path.basename(path)} has no Network class and no train function: one of them "
                                f"is the contract (README: 'Your own implementation, checked')")

    def make(self, weights, learning_rate, dtype, **network):
        if self.callee is getattr(self.source, "train", None) and not inspect.isclass(self.callee):
            return TrainNetwork(self.callee, weights, learning_rate, dtype, self.declared, **network)
        state = {"optimizer_state": network.pop("optimizer_state")} if "optimizer_state" in network else {}
        return self.callee(weights, learning_rate, dtype, **takes(self.callee, network, self.declared, self.what),
                           **state)

    def Network(self, weights, learning_rate, dtype, **network):  # noqa: N802 — the contract's name
        return Checked(self.make, weights, learning_rate, dtype, **network)


def adapted(target):
    """Load your file or module and wrap it (see Adapted); a ContractError if it cannot be."""
    module, path = load(target)
    return Adapted(module, path)


class Exited(BaseException):
    """Raised in place of os._exit where your code calls it in the worker (guard_exits), so its row can say so; not
    an Exception, so that an `except Exception` in your code does not swallow it, as it would not swallow the exit."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def guard_exits():
    """In the worker that runs your code: os._exit raises Exited instead of ending the process unanswered."""
    def _exit(code=0):
        raise Exited(code)

    os._exit = _exit


def exited(err, path):
    """One line for sys.exit(), exit() or os._exit() called while your code ran."""
    call = "os._exit" if isinstance(err, Exited) else "sys.exit"
    return (f"{where(err, path)}: {call}({'' if err.code is None else repr(err.code)}) would end the process that "
            f"runs your code, before it answers: return train's dict (or fit's) instead")


def located(err, path):
    """One line for an exception your code raised while it ran: the file's own line, the exception."""
    if isinstance(err, NotImplementedError):  # the exercise's gaps raise it
        return f"{where(err, path)}: {err}: a gap still to fill in"
    return f"{where(err, path)}: {type(err).__name__}: {err}"


# State the probes hand your code at a step past the first, the keyword that takes it, and what it is.
HANDED = {"optimizer_state": "the reference's {optimizer} state ({slots})", "biases": "the reference's biases",
          "orders": "the epoch's order of the rows",
          "normalization": "the reference's normalization layers (their γ, β and running statistics)"}
SLOTS = {"momentum": "its b", "nesterov": "its b", "rmsprop": "its v", "adam": "its m, v and step count t"}
HOW_TO_OBSERVE = "add forward(x, weights) and backward(layers, y, weights) to compare them"


def initial_normalization(normalization):
    """Whether a normalization layers' state is where every layer starts it: γ 1, β 0, running mean 0, variance 1."""
    starts = {"scales": 1, "offsets": 0, "running_means": 0, "running_variances": 1}
    return all(np.all(np.asarray(a) == starts[key]) for key, arrays in normalization.items() for a in arrays)


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, normalization=None, **options):
    """The probe of your code (see impl_numpy/probe.py): the layers and gradients from your forward and backward if
    you wrote them (None if not), the loss and the weights after one step from fit.

    The step starts from the reference's state, handed to your code as keyword arguments: its biases (biases=), the
    epoch's order of the rows (orders=) and, past epoch 1 with a stateful optimizer, its optimizer state
    (optimizer_state=, {"t", "slots": one {"b"} or {"m", "v"} per parameter, weights then biases}). Where your code
    takes no such keyword, this step compares nothing, and says so (`skipped`): starting from another state, it
    would claim a difference that is not there. `code`: train or Network, what the contract calls. With plain SGD in
    one step an epoch, at a learning rate other than 1, the step is taken a second time, at rate 1 from the same
    state (`weights_at_rate_1`, `biases_at_rate_1`): a step that does not use the learning rate is the same at both."""
    handed = {"optimizer_state": optimizer_state, **{name: options.get(name) for name in ("biases", "orders")},
              "normalization": normalization}
    if handed["biases"] is not None and not any(np.any(b) for b in handed["biases"]):
        handed["biases"] = None  # zeros, where a file that keeps its own biases starts them
    if normalization is not None and initial_normalization(normalization):
        handed["normalization"] = None  # where every normalization layer starts: epoch 1's
    cannot = [name for name, value in handed.items() if value is not None and not accepts(module.callee, name)]
    if cannot:
        optimizer = options.get("optimizer", "sgd")
        slots = SLOTS.get(optimizer, "its step count t, where the schedule stands")
        what = " and ".join(HANDED[n].format(optimizer=optimizer, slots=slots) for n in cannot)
        keywords = " and ".join(n + "=" for n in cannot)
        return {"layers": None, "loss": None, "gradients": None, "bias_gradients": None, "weights": None,
                "biases": None, "skipped": f"{module.what} takes no {keywords.replace(' and ', ' or ')}, so {what} "
                                           f"cannot be handed to it (take {keywords} to have these steps checked)"}
    source = module.source
    # The same step at learning rate 1, from a copy of the same state (your code may change what it is handed in
    # place): a step that does not use the learning rate is the same at both (compare.check.parity.rate_unused).
    plain_sgd = options.get("optimizer", "sgd") == "sgd" and not options.get("batch_size")
    carried = {} if handed["normalization"] is None else {"normalization": normalization}
    pristine = (copy.deepcopy((weights, {**options, **carried}, optimizer_state)) + (x.astype(dtype), y.astype(dtype))
                if plain_sgd and float(learning_rate) != 1 else None)
    x, y = x.astype(dtype), y.astype(dtype)
    layers = gradients = None
    forward, backward = getattr(source, "forward", None), getattr(source, "backward", None)
    # Called as forward(x, weights) and backward(layers, y, weights): without the biases or normalization layers
    # that a run with them would need to hand over.
    observable = "biases" not in options and "norm" not in options
    if callable(forward) and callable(backward) and observable:
        try:
            weights_now = [np.array(w, dtype=dtype) for w in weights]
            every = [array(layer, "a layer") for layer in forward(x, weights_now)]
            if len(every) == len(weights) + 1:  # the input first, as impl_numpy's
                layers = every[1:]
                got = backward([x] + [np.asarray(a, dtype=dtype) for a in every[1:]], y, weights_now)
                got = got[0] if isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], list) else got
                gradients = [array(g, "a gradient") for g in got]
        except (ContractError, TypeError, ValueError):
            layers = gradients = None  # not the shape step-local checks can read: the update alone is compared
    state = {} if optimizer_state is None else {"optimizer_state": optimizer_state}
    net = module.Network(weights, learning_rate, dtype, **options, **state, **carried)
    loss = net.fit(x, y, 1)["loss"][0]
    normalized = getattr(net, "get_normalization", lambda: None)() or {}  # γ, β, the running statistics after it
    return {"layers": layers, "loss": loss, "gradients": gradients, "bias_gradients": None,
            "weights": net.get_weights(), "biases": net.get_biases(), **normalized,
            "code": module.what.split("(")[0],
            **(at_rate_1(module, pristine, dtype) if pristine is not None else {}),
            **({"how_to_observe": HOW_TO_OBSERVE} if layers is None and observable else {})}


def at_rate_1(module, state, dtype):
    """{"weights_at_rate_1", "biases_at_rate_1"}: where your code's step from `state` (weights, options, optimizer
    state, x, y) takes it at learning rate 1; {} where that step raises (the run's own step is what is judged)."""
    weights, options, optimizer_state, x, y = state
    extra = {} if optimizer_state is None else {"optimizer_state": optimizer_state}
    try:
        net = module.Network(weights, 1.0, dtype, **options, **extra)
        net.fit(x, y, 1)
        return {"weights_at_rate_1": net.get_weights(), "biases_at_rate_1": net.get_biases()}
    except Exception:  # noqa: BLE001 — an extra observation, never the run's error
        return {}
