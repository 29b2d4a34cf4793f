"""The problem every framework solves: the blog's data, its initial weights, and one run's configuration.

Framework-neutral: this module needs NumPy alone, so the runner, the tests and every implementation can share it.
"""
import itertools
import math
import os
import stat
import zipfile
from dataclasses import asdict, dataclass

import numpy as np

from compare.errors import ProblemError
from compare.frameworks import DEFAULT as DEFAULT_FRAMEWORKS

INPUTS = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)  # (rows, inputs)
TARGETS = {
    "blog": INPUTS[:, :1].copy(),                  # y = the first column of X: the blog's classic set
    "xor": np.array([[0.0], [1.0], [1.0], [0.0]]),  # the same X, y = x0 XOR x1
}
DTYPES = ("float64", "float32")
ACTIVATIONS = ("sigmoid", "tanh", "relu")  # for the hidden layers
OUTPUT_ACTIVATIONS = ("sigmoid", "linear")
LOSSES = ("half-sse", "mse", "bce")  # ½·Σ(y − ŷ)² (the blog's), mean of (y − ŷ)² over the rows, binary cross-entropy
# Each optimizer with the hyperparameters it reads; sgd (the blog's) reads none but the learning rate.
OPTIMIZERS = {"sgd": (), "momentum": ("momentum",), "nesterov": ("momentum",), "rmsprop": ("rho", "epsilon"),
              "adam": ("beta1", "beta2", "epsilon")}
# The training loop's options beyond the optimizer. Weight decay: λθ added to the gradient (coupled, torch's
# weight_decay) or θ −= lr·λ·θ beside the step (decoupled: AdamW, Keras's weight_decay); an L2 penalty l·Σθ² added to
# the loss. A learning-rate schedule, each with the parameters it reads, its factor of the rate at step t (the
# optimizer steps taken before this one, or with --schedule-per epoch the epochs done):
#   exponential γ^(t/k); step γ^⌊t/k⌋; cosine α + (1 − α)·½(1 + cos(π·min(t, k)/k)).
# Gradient clipping: by norm (each variable's own, or all together: global) or by value.
DECAYS = ("coupled", "decoupled")
SCHEDULES = {"exponential": ("decay_rate", "decay_steps"), "step": ("decay_rate", "decay_steps"),
             "cosine": ("decay_steps", "alpha")}
SCHEDULE_PER = ("step", "epoch")
CLIPS = ("global", "per-variable")
# A normalization layer after each hidden Dense layer, before its activation: x̂ = (z − μ)/√(σ² + ε), out = γ·x̂ + β.
# batch: μ and σ² of each unit over the batch's rows (the running ones in predictions); layer: of each row over its
# units. The running statistics move by a momentum m toward each batch's, as torch writes it (Keras's 1 − m).
NORMS = ("batch", "layer")


# Bounds on what one run may ask for, checked before anything is allocated or started.
MAX_PARAMETERS = 10_000_000  # weights in all layers: 80 MB at float64, per copy each framework holds
MAX_EPOCHS = 10_000_000      # each curve holds one float per epoch
MAX_THREADS = 1024
MAX_TIMING_PROCESSES = 20  # pyperf times in 20; each is one more import of the framework
MAX_TIMEOUT = 1_000_000.0    # seconds (11.6 days): subprocess cannot wait much beyond 2.1e6


def dataset(name):
    """(x, y) of the named dataset, both float64: x is (rows, inputs), y is (rows, 1)."""
    if name not in TARGETS:
        raise ProblemError(f"unknown dataset '{name}' (choose from {', '.join(TARGETS)})")
    return INPUTS.copy(), TARGETS[name].copy()


def initial_weights(seed, sizes):
    """One (n_in, n_out) matrix per layer, drawn as the blog draws them: uniform in [-1, 1) from legacy RandomState.

    The blog writes `np.random.seed(1); syn0 = 2*np.random.random((3,4)) - 1; syn1 = 2*np.random.random((4,1)) - 1`;
    RandomState(seed).random_sample is that same stream, without touching NumPy's global state.
    """
    rng = np.random.RandomState(seed)
    return [2 * rng.random_sample((n_in, n_out)) - 1 for n_in, n_out in itertools.pairwise(sizes)]


def save_weights(path, weights, biases=None):
    """Write weights as w0, w1, … (and biases as b0, b1, …) in one .npz file."""
    np.savez(path, **{f"w{i}": w for i, w in enumerate(weights)}, **{f"b{i}": b for i, b in enumerate(biases or [])})


def load_parameters(path, inputs=INPUTS.shape[1], outputs=1):
    """Read and check a weights file: (weights, biases). Weights w0, w1, … (or NumPy's default arr_0, arr_1, …)
    chain inputs → outputs; biases b0, b1, …, one per layer of that layer's width, or None when the file has none."""
    try:
        kind = os.stat(path).st_mode
    except FileNotFoundError:
        raise ProblemError(f"weights file '{path}' does not exist") from None
    except OSError as err:
        raise ProblemError(f"weights file '{path}' cannot be read ({err.strerror})") from None
    if stat.S_ISDIR(kind):
        raise ProblemError(f"weights file '{path}' is a directory")
    if not stat.S_ISREG(kind):  # a named pipe or a device would block the read, or never end
        raise ProblemError(f"weights file '{path}' is not a regular file")
    if not zipfile.is_zipfile(path):
        raise ProblemError(f"weights file '{path}' is not a .npz file, or it is cut short (np.savez writes one; a "
                           f"bare .npy is not one)")
    try:
        with np.load(path, allow_pickle=False) as npz:  # nothing from outside is executed: no pickles
            for key in npz.files:  # each array's header first: refuse a giant one before allocating it
                with npz.zip.open(f"{key}.npy") as member:
                    header = (np.lib.format.read_array_header_1_0 if np.lib.format.read_magic(member) == (1, 0)
                              else np.lib.format.read_array_header_2_0)
                    shape, _, _ = header(member)
                if math.prod(shape) > MAX_PARAMETERS:
                    raise ProblemError(f"weights file '{path}': {key} has shape {shape}, more than "
                                       f"{MAX_PARAMETERS:,} values")
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as err:
        if isinstance(err, ProblemError):
            raise
        raise ProblemError(f"weights file '{path}' is not a readable .npz file ({err})") from None
    if not isinstance(arrays, dict) or not arrays:
        raise ProblemError(f"weights file '{path}' holds no arrays")
    bias_keys = sorted(key for key in arrays if key.startswith("b"))
    for prefix in ("w", "arr_"):
        order = [f"{prefix}{i}" for i in range(len(arrays) - len(bias_keys))]
        if sorted(order) == sorted(key for key in arrays if key not in bias_keys):
            weights = [arrays[key] for key in order]
            break
    else:
        raise ProblemError(f"weights file '{path}' must hold arrays named w0, w1, … and optionally b0, b1, … "
                           f"(found {', '.join(sorted(arrays))})")
    if bias_keys and sorted(bias_keys) != sorted(f"b{i}" for i in range(len(weights))):
        raise ProblemError(f"weights file '{path}' must hold one bias per layer, b0 to b{len(weights) - 1} "
                           f"(found {', '.join(bias_keys)})")
    n_in = inputs
    for i, (key, w) in enumerate(zip(order, weights, strict=True)):
        if w.ndim != 2 or w.shape[0] != n_in or w.dtype.kind not in "iuf":  # real numbers: no complex, no bool
            raise ProblemError(f"weights file '{path}': {key} has shape {w.shape} {w.dtype}, expected real numbers "
                               f"of shape ({n_in}, n)")
        if bias_keys:
            b = arrays[f"b{i}"]
            if b.shape != (w.shape[1],) or b.dtype.kind not in "iuf":
                raise ProblemError(f"weights file '{path}': b{i} has shape {b.shape} {b.dtype}, expected real "
                                   f"numbers of shape ({w.shape[1]},)")
        n_in = w.shape[1]
    if n_in != outputs:
        raise ProblemError(f"weights file '{path}': the last layer has {n_in} outputs, expected {outputs}")
    biases = [arrays[f"b{i}"] for i in range(len(weights))] if bias_keys else None
    for key, a in [*zip(order, weights, strict=True), *((f"b{i}", b) for i, b in enumerate(biases or []))]:
        if not np.all(np.isfinite(a)):
            raise ProblemError(f"weights file '{path}': {key} holds NaN or infinite values")
    as_float = lambda arrays: [np.asarray(a, dtype=np.float64) for a in arrays]  # noqa: E731
    return as_float(weights), None if biases is None else as_float(biases)


def load_weights(path, inputs=INPUTS.shape[1], outputs=1):
    """The weights of a weights file (see load_parameters)."""
    return load_parameters(path, inputs, outputs)[0]


@dataclass(frozen=True)
class Config:
    """Everything that defines a run; the command line overrides these defaults."""

    frameworks: tuple = DEFAULT_FRAMEWORKS  # numpy, the reference, always runs; variants are opt-in
    dataset: str = "blog"        # "blog" (y = first column of X) or "xor"
    hidden: tuple = (4,)         # one width per hidden layer (an int: one layer); from the file when weights are given
    activation: str = "sigmoid"  # the hidden layers' activation: sigmoid (the blog's), tanh or relu
    output_activation: str = "sigmoid"  # the output layer's: sigmoid (the blog's) or linear
    loss: str = "half-sse"       # half-sse (the blog's ½·Σ(y − ŷ)²), mse or bce (needs the sigmoid output)
    bias: bool = False           # a bias vector per layer: zero at the start, or b0, b1, … from the weights file
    seed: int = 1                # RandomState seed of the initial weights; 1 reproduces the classic runs
    weights: str = None          # a .npz of initial weights instead of the seed
    epochs: int = 50             # full-batch gradient-descent steps
    learning_rate: float = 1.0   # the blog's step: W += 1.0 · lᵀ·δ
    batch_size: int = None       # rows per step; None: all of them, one step per epoch (the blog's)
    shuffle: bool = False        # a new order of the rows each epoch, drawn from the seed; else row order
    optimizer: str = "sgd"       # sgd (the blog's), momentum, nesterov, rmsprop or adam
    momentum: float = 0.9        # μ of momentum and nesterov
    rho: float = 0.99            # ρ of rmsprop
    beta1: float = 0.9           # β₁ of adam
    beta2: float = 0.999         # β₂ of adam
    epsilon: float = 1e-8        # ε of rmsprop and adam
    weight_decay: float = 0.0    # λ of weight decay: 0, none (the blog's)
    decay: str = "coupled"       # coupled (λθ added to the gradient) or decoupled (θ −= lr·λ·θ beside the step)
    l2: float = 0.0              # l of an L2 penalty, l·Σθ² added to the loss over every weight and bias
    schedule: str = None         # the learning rate's schedule: None (constant, the blog's), exponential, step, cosine
    schedule_per: str = "step"   # the schedule's clock: optimizer steps, or epochs
    decay_rate: float = None     # γ of the exponential and step schedules
    decay_steps: int = None      # k of every schedule: the steps (or epochs) it decays over
    alpha: float = 0.0           # α of the cosine schedule: the rate it ends at, as a fraction of the first
    clip_norm: float = None      # c: the gradient rescaled to norm at most c
    clip: str = "global"         # the norm clipped: every gradient together (global), or each variable's own
    clip_value: float = None     # c: each gradient's entries clipped to [−c, c]
    norm: str = None             # a normalization layer after each hidden Dense layer: None (the blog's), batch, layer
    norm_momentum: float = 0.1   # m: the running statistics move m of the way to each batch's (torch's convention)
    norm_epsilon: float = 1e-5   # ε under the square root of σ² + ε
    dtype: str = "float64"       # float64 agrees exactly; float32 is each framework's everyday precision
    out: str = "results"         # directory of results.json
    timeout: float = 600.0       # seconds one framework's worker may take
    threads: int = 1             # threads every framework may use, the same for all
    repeats: int = 10            # at least this many timed pairs in all (over its processes) for the steady state;
    #                              0 skips it
    timing_budget: float = 3.0   # seconds of timed rounds per framework, at most, to make its ratio's interval tight
    timing_processes: int = 3    # processes each framework is timed in: the one that trained it, and replicas
    jobs: int = 1                # workers run at once; more finish sooner, but their timings then compete

    def __post_init__(self):
        if isinstance(self.hidden, int) and not isinstance(self.hidden, bool):
            object.__setattr__(self, "hidden", (self.hidden,))  # frozen: the one place it is normalised
        for name, value, choices in (("activation", self.activation, ACTIVATIONS),
                                     ("output activation", self.output_activation, OUTPUT_ACTIVATIONS),
                                     ("loss", self.loss, LOSSES)):
            if value not in choices:
                raise ProblemError(f"unknown {name} '{value}' (choose from {', '.join(choices)})")
        if self.optimizer not in OPTIMIZERS:
            raise ProblemError(f"unknown optimizer '{self.optimizer}' (choose from {', '.join(OPTIMIZERS)})")
        for name in ("momentum", "rho", "beta1", "beta2", "epsilon"):
            value = getattr(self, name)
            bounded = name != "epsilon"
            if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
                    or value < 0 or (bounded and value >= 1)):
                raise ProblemError(f"{name} must be a number in {'[0, 1)' if bounded else '[0, ∞)'}, got {value!r}")
        self._check_training_loop()
        rows = len(INPUTS)
        if self.batch_size is not None and (isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int)
                                            or not 1 <= self.batch_size <= rows):
            raise ProblemError(f"batch size must be an integer from 1 to the data's {rows} rows, got "
                               f"{self.batch_size!r}")
        if self.loss == "bce" and self.output_activation != "sigmoid":
            raise ProblemError(f"--loss bce needs outputs in (0, 1): a sigmoid output, not "
                               f"'{self.output_activation}'")
        if (not isinstance(self.hidden, tuple) or not self.hidden
                or any(isinstance(w, bool) or not isinstance(w, int) or w <= 0 for w in self.hidden)):
            raise ProblemError(f"hidden must be one or more positive integers, got {self.hidden!r}")
        parameters = sum(a * b for a, b in itertools.pairwise(self.sizes))
        if parameters > MAX_PARAMETERS:
            raise ProblemError(f"hidden {','.join(map(str, self.hidden))} makes {parameters:,} weights; at most "
                               f"{MAX_PARAMETERS:,} are allowed")
        for name, bound in (("epochs", MAX_EPOCHS), ("threads", MAX_THREADS), ("timeout", MAX_TIMEOUT),
                            ("timing_processes", MAX_TIMING_PROCESSES)):
            value = getattr(self, name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > bound:
                raise ProblemError(f"{name} must be at most {bound:,g}, got {value:,g}")
        if self.dataset not in TARGETS:
            raise ProblemError(f"unknown dataset '{self.dataset}' (choose from {', '.join(TARGETS)})")
        if self.dtype not in DTYPES:
            raise ProblemError(f"unknown dtype '{self.dtype}' (choose from {', '.join(DTYPES)})")
        if isinstance(self.repeats, bool) or not isinstance(self.repeats, int) or self.repeats < 0:
            raise ProblemError(f"repeats must be a non-negative integer, got {self.repeats!r}")
        for name in ("epochs", "threads", "jobs", "timing_processes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ProblemError(f"{name} must be a positive integer, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**32:
            raise ProblemError(f"seed must be an integer in [0, 2**32), got {self.seed!r}")
        if (isinstance(self.timing_budget, bool) or not isinstance(self.timing_budget, (int, float))
                or not 0 <= self.timing_budget <= MAX_TIMEOUT):
            raise ProblemError(f"timing budget must be a number of seconds from 0 to {MAX_TIMEOUT:g}, got "
                               f"{self.timing_budget!r}")
        for name in ("learning_rate", "timeout"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ProblemError(f"{name.replace('_', ' ')} must be a finite number > 0, got {value!r}")
        if not self.frameworks:
            raise ProblemError("no framework to run")

    def _check_training_loop(self):
        """Weight decay, the L2 penalty, the schedule and clipping: each value in its range, each parameter with
        the option that reads it."""
        def number(name, low=0.0, low_open=False, high=None):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
                    or value < low or (low_open and value == low) or (high is not None and value > high)):
                span = f"{'(' if low_open else '['}{low:g}, {'∞)' if high is None else f'{high:g}]'}"
                raise ProblemError(f"{name.replace('_', ' ')} must be a number in {span}, got {value!r}")
        number("weight_decay")
        number("l2")
        for name, value, choices in (("decay", self.decay, DECAYS), ("schedule per", self.schedule_per, SCHEDULE_PER),
                                     ("clip", self.clip, CLIPS)):
            if value not in choices:
                raise ProblemError(f"unknown {name} '{value}' (choose from {', '.join(choices)})")
        if self.schedule is not None and self.schedule not in SCHEDULES:
            raise ProblemError(f"unknown schedule '{self.schedule}' (choose from {', '.join(SCHEDULES)})")
        reads = SCHEDULES.get(self.schedule, ())
        for name in ("decay_rate", "decay_steps", "alpha"):
            given = getattr(self, name) != getattr(Config, name)
            if given and name not in reads:
                users = [s for s, names in SCHEDULES.items() if name in names]
                raise ProblemError(f"{name.replace('_', ' ')} is read by the {' and '.join(users)} schedules, not by "
                                   f"{'a constant rate' if self.schedule is None else f'the {self.schedule} schedule'}")
            if name in reads and getattr(self, name) is None:
                raise ProblemError(f"the {self.schedule} schedule needs its {name.replace('_', ' ')} "
                                   f"(--{name.replace('_', '-')})")
        if "decay_rate" in reads:
            number("decay_rate", low_open=True, high=1.0)
        if "decay_steps" in reads and (isinstance(self.decay_steps, bool) or not isinstance(self.decay_steps, int)
                                       or self.decay_steps <= 0):
            raise ProblemError(f"decay steps must be a positive integer, got {self.decay_steps!r}")
        if "alpha" in reads:
            number("alpha", high=1.0)
        if self.schedule is None and self.schedule_per != "step":
            raise ProblemError("schedule per epoch needs a schedule (--schedule)")
        for name in ("clip_norm", "clip_value"):
            if getattr(self, name) is not None:
                number(name, low_open=True)
        if self.clip_norm is not None and self.clip_value is not None:
            raise ProblemError("clip by norm or by value, not both (Keras's optimizers take one of them)")
        if self.clip != "global" and self.clip_norm is None:
            raise ProblemError("clip per-variable needs a norm to clip to (--clip-norm)")
        if self.decay != "coupled" and not self.weight_decay:
            raise ProblemError("decay decoupled needs a weight decay λ > 0 (--weight-decay)")
        self._check_normalization()

    def _check_normalization(self):
        """The normalization layer: its kind, ε > 0, a momentum in (0, 1] read by batch normalization alone, and
        batches of two rows or more for batch normalization (one row has no variance to normalize by)."""
        if self.norm is not None and self.norm not in NORMS:
            raise ProblemError(f"unknown norm '{self.norm}' (choose from {', '.join(NORMS)})")
        for name, high in (("norm_momentum", 1.0), ("norm_epsilon", None)):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
                    or value <= 0 or (high is not None and value > high)):
                span = "(0, 1]" if high else "(0, ∞)"
                raise ProblemError(f"{name.replace('_', ' ')} must be a number in {span}, got {value!r}")
            if value != getattr(Config, name) and (self.norm is None or (name == "norm_momentum"
                                                                         and self.norm != "batch")):
                raise ProblemError(f"--{name.replace('_', '-')} is read by "
                                   f"{'batch normalization' if name == 'norm_momentum' else 'a normalization layer'}"
                                   f" (--norm {'batch' if name == 'norm_momentum' else 'batch or layer'})")
        rows = len(INPUTS)
        size = self.batch_size or rows
        if self.norm == "batch" and isinstance(size, int) and 1 <= size <= rows and (size == 1 or rows % size == 1):
            raise ProblemError(f"--norm batch needs two rows or more in every batch: a batch size of {size} leaves "
                               f"{'each batch' if size == 1 else 'the last batch'} one row of the data's {rows}, and "
                               f"one row has no variance")

    @property
    def training_loop(self):
        """The training loop's options that differ from the blog's (constant rate, no decay, no clipping, no
        normalization layer): the Network keyword options that set them, each with the parameters it reads."""
        out = {}
        if self.weight_decay:
            out.update(weight_decay=float(self.weight_decay), decay=self.decay)
        if self.l2:
            out["l2"] = float(self.l2)
        if self.schedule is not None:
            out.update(schedule=self.schedule, schedule_per=self.schedule_per,
                       **{name: getattr(self, name) for name in SCHEDULES[self.schedule]})
        if self.clip_norm is not None:
            out.update(clip_norm=float(self.clip_norm), clip=self.clip)
        if self.clip_value is not None:
            out["clip_value"] = float(self.clip_value)
        if self.norm is not None:
            out.update(norm=self.norm, norm_epsilon=float(self.norm_epsilon),
                       **({"norm_momentum": float(self.norm_momentum)} if self.norm == "batch" else {}))
        return out

    @property
    def steps_per_epoch(self):
        """The optimizer steps of one epoch: the data's rows in batches, the last maybe smaller."""
        return -(-len(INPUTS) // (self.batch_size or len(INPUTS)))

    @property
    def sizes(self):
        """Layer widths, inputs first: [3, 4, 1] for the blog's network."""
        return [INPUTS.shape[1], *self.hidden, 1]

    @property
    def network(self):
        """The Network keyword options that differ from the blog's network: none for the blog's own, so that an
        implementation written for it alone (Network(weights, learning_rate, dtype)) still runs it."""
        chosen = {"activation": self.activation, "output_activation": self.output_activation, "loss": self.loss,
                  "optimizer": self.optimizer}
        chosen = {name: value for name, value in chosen.items() if value != getattr(Config, name)}
        batches = {} if self.batch_size in (None, len(INPUTS)) else {"batch_size": self.batch_size}
        return {**chosen, **{name: float(getattr(self, name)) for name in OPTIMIZERS[self.optimizer]}, **batches,
                **self.training_loop}

    def orders(self):
        """With shuffle, each epoch's order of the rows, (epochs, rows), drawn once from the seed for every
        framework; else None (row order)."""
        if not self.shuffle:
            return None
        rng = np.random.default_rng([self.seed, 1])  # its own stream: the weights' RandomState(seed) is untouched
        return np.array([rng.permutation(len(INPUTS)) for _ in range(self.epochs)])

    def initial_weights(self):
        """The run's initial weights: from the weights file if one is given, else drawn from the seed."""
        if self.weights is not None:
            return load_weights(self.weights)
        return initial_weights(self.seed, self.sizes)

    def initial_biases(self):
        """None without --bias; else the weights file's b0, b1, … if it has them, or zeros (as Keras and most
        hand-written code start them)."""
        if not self.bias:
            return None
        biases = load_parameters(self.weights)[1] if self.weights is not None else None
        return biases or [np.zeros(width) for width in self.sizes[1:]]

    def to_json(self):
        return {**asdict(self), "frameworks": list(self.frameworks), "hidden": list(self.hidden),
                "weights": None if self.weights is None else os.path.abspath(self.weights)}


def blog_demo(train, epochs=50, every=10):
    """Train the blog's network with one framework's `train` and print its error as the blog does."""
    x, y = dataset("blog")
    result = train(x, y, initial_weights(1, [3, 4, 1]), epochs=epochs, learning_rate=1.0, dtype="float64")
    for epoch in range(0, epochs, every):
        print(f"Error:{result['mean_abs_error'][epoch]}")
    print("Output After Training:")
    print(result["predictions"])
