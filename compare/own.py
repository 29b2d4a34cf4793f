"""Your own implementation, run and checked like every framework: `--frameworks numpy,./my_network.py`.

A .py file (or an importable module) that follows the contract every impl_* package follows, a `Network` class, or
for the blog's network its minimum: a function `train(x, y, weights, epochs, learning_rate, dtype)` returning
{"loss", "mean_abs_error", "weights", "predictions"}. Optionally `forward(x, weights)` (every layer's output, input
first) and `backward(layers, y, weights)` (∂loss/∂w for each weight matrix), as impl_numpy's, sharpen the step-local
checks from "the update differs" to the layer or gradient where it does.

This module loads such a file in the worker, wraps `train` as a Network, checks what comes back, and is the
file's probe (`step`). A file that does not follow the contract raises ContractError, whose message is one line.
"""
import importlib
import importlib.util
import inspect
import os
import sys
import traceback

import numpy as np


class ContractError(Exception):
    """The file does not follow the contract: what is missing or wrong, in one line."""


def target_of(item):
    """A --frameworks item that names your own code: an absolute path for a .py file, the name for a module."""
    return os.path.abspath(item) if item.endswith(".py") else item


def name_of(target):
    """Its id in the table and in results.json: the file's stem, or the module's last name."""
    return os.path.splitext(os.path.basename(target))[0] if target.endswith(".py") else target.rsplit(".", 1)[-1]


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


class TrainNetwork:
    """The Network contract over your `train` function: each fit trains on from the weights the last one returned."""

    def __init__(self, train, weights, learning_rate, dtype, **network):
        try:
            inspect.signature(train).bind(None, None, weights, 1, learning_rate, dtype, **network)
        except TypeError as err:
            raise ContractError(f"train(x, y, weights, epochs, learning_rate, dtype) cannot take this run's options "
                                f"({', '.join(network) or 'none'}): {err}") from None
        self.train, self.learning_rate, self.dtype, self.network = train, learning_rate, dtype, network
        self.weights = [np.array(w, dtype=dtype) for w in weights]
        self.biases = network.get("biases")
        self.predictions = None

    def fit(self, x, y, epochs):
        out = self.train(x.astype(self.dtype), y.astype(self.dtype), [w.copy() for w in self.weights], epochs,
                         self.learning_rate, self.dtype, **self.network)
        if not isinstance(out, dict):
            raise ContractError(f"train returned {type(out).__name__}, not a dict with loss, mean_abs_error, weights "
                                f"and predictions")
        missing = [key for key in ("loss", "mean_abs_error", "weights", "predictions") if key not in out]
        if missing:
            raise ContractError(f"train's dict has no {', '.join(missing)} (it needs loss, mean_abs_error, weights "
                                f"and predictions)")
        shapes, expected = [np.shape(w) for w in out["weights"]], [w.shape for w in self.weights]
        if shapes != expected:  # before they go back into train
            raise ContractError(f"the weights came back as shapes {shapes}, expected {expected} (in, out)")
        self.weights, self.predictions = list(out["weights"]), out["predictions"]
        if out.get("biases") is not None:
            self.biases = list(out["biases"])
        return {"loss": out["loss"], "mean_abs_error": out["mean_abs_error"],
                **({"step_loss": out["step_loss"]} if "step_loss" in out else {})}

    def get_weights(self):
        return self.weights

    def get_biases(self):
        return self.biases

    def predict(self, x):
        return self.predictions

    def __repr__(self):
        return f"train() of {self.train.__module__.removeprefix('_own_')}"


class Checked:
    """Your Network, with what it returns checked against the contract: a ContractError names what is wrong."""

    def __init__(self, network_class, weights, learning_rate, dtype, **network):
        self.shapes = [np.shape(w) for w in weights]
        self.rows = None
        self.net = network_class(weights, learning_rate, dtype, **network)

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
            raise ContractError(f"the weights came back as shapes {shapes}, expected {self.shapes} (in, out)")
        return arrays

    def get_biases(self):
        biases = self.net.get_biases() if hasattr(self.net, "get_biases") else None
        return None if biases is None else [array(b, f"b{i}").ravel() for i, b in enumerate(biases)]

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
    checked; `source`, your module itself."""

    def __init__(self, module, path):
        self.source, self.path = module, path
        network = getattr(module, "Network", None)
        train = getattr(module, "train", None)
        if inspect.isclass(network):
            self.network_class = network
        elif callable(train):
            self.network_class = lambda *args, **kwargs: TrainNetwork(train, *args, **kwargs)
        else:
            raise ContractError(f"{os.path.basename(path)} has no Network class and no train function: one of them "
                                f"is the contract (README: 'Your own implementation, checked')")

    def Network(self, weights, learning_rate, dtype, **network):  # noqa: N802 — the contract's name
        return Checked(self.network_class, weights, learning_rate, dtype, **network)


def adapted(target):
    """Load your file or module and wrap it (see Adapted); a ContractError if it cannot be."""
    module, path = load(target)
    return Adapted(module, path)


def located(err, path):
    """One line for an exception your code raised while it ran: the file's own line, the exception."""
    if isinstance(err, NotImplementedError):  # the exercise's gaps raise it
        return f"{where(err, path)}: {err}: a gap still to fill in"
    return f"{where(err, path)}: {type(err).__name__}: {err}"


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, **options):
    """The probe of your code (see impl_numpy/probe.py): the layers and gradients from your forward and backward if
    you wrote them (None if not), the loss and the weights after one step from fit. An optimizer's state cannot be
    handed to your code: past epoch 1 with a stateful optimizer, nothing is compared."""
    if optimizer_state is not None:
        return {"layers": None, "loss": None, "gradients": None, "bias_gradients": None, "weights": None,
                "biases": None}
    source = module.source
    x, y = x.astype(dtype), y.astype(dtype)
    layers = gradients = None
    forward, backward = getattr(source, "forward", None), getattr(source, "backward", None)
    if callable(forward) and callable(backward) and "biases" not in options:
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
    net = module.Network(weights, learning_rate, dtype, **options)
    loss = net.fit(x, y, 1)["loss"][0]
    return {"layers": layers, "loss": loss, "gradients": gradients, "bias_gradients": None,
            "weights": net.get_weights(), "biases": net.get_biases()}
