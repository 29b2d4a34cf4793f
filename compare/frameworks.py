"""The registry: a framework id names the package that implements it and what its worker needs.

Nothing is imported here: a framework's packages are looked for, not loaded, so one installed is enough.
"""
import importlib.util
import os
from dataclasses import dataclass, field

import numpy as np

from compare.errors import ProblemError


@dataclass(frozen=True)
class Formula:
    """Where a framework's built-in computes another formula than the reference's, for one option's value (a loss or
    an optimizer): what differs and where it was read.

    A loss's shows where the outputs saturate: below `margin`, the reference's outputs' distance from 0 or 1,
    min(ŷ, 1 − ŷ); margin None: where log(ŷ) and log(1 − ŷ) amplify one ulp of ŷ beyond the tolerance (ulp/tol). An
    optimizer's shows in the update, and only in runs where `when(config)` holds (e.g. ε ≠ 0): elsewhere the
    framework must agree exactly, and the tests prove it does. A penalty's (a term added to the loss: the L2
    penalty) shows as an optimizer's does, or first in the loss, under the same `when`. A statistics' (how batch
    normalization keeps its running variance) shows first in that, where the step-local checks compare it."""
    what: str
    margin: float | None = None
    kind: str = "loss"  # "loss", "optimizer", "penalty" or "statistics"
    when: object = None  # optimizer: config -> whether the difference applies to this run


def float32_holds(*values):
    """Whether float32 holds each value exactly (0.5 and 0.875 do, 0.9 and 0.999 do not)."""
    return all(float(np.float32(v)) == v for v in values)


def cast_apart(config, *values):
    """Whether a float64 run parts where a value is cast through float32 (a float32 run rounds it so itself)."""
    return config.dtype == "float64" and not float32_holds(*values)


@dataclass(frozen=True)
class Framework:
    name: str                 # the id --frameworks takes
    module: str               # the package with the Network class and train function
    requires: tuple           # import names that must be installed
    extra: str                # the pyproject extra that installs them
    versions: tuple           # distributions whose versions the results report, the framework's own first
    env: dict = field(default_factory=dict, hash=False)  # set in its worker before anything is imported
    options: dict = field(default_factory=dict, hash=False)  # keyword arguments of its Network: a variant
    float64_limit: str = ""   # where the framework cannot hold float64: what is float32 inside it, and why
    # {option value, e.g. "bce", or a training loop's option ("schedule", "clip-global", "clip-per-variable",
    # "clip-value", "weight-decay-coupled", "weight-decay-decoupled", "l2", "norm-batch", "norm-layer"): Formula}:
    # declared
    formulas: dict = field(default_factory=dict, hash=False)
    probe: str = ""           # the module whose `step` exposes one step's quantities; "": the package's probe.py,
    #                           None: no step-local checks (the curves alone are compared)
    own: bool = False         # your own code (compare.own.contract): module is its file's path or its module name

    def missing(self):
        """The required import names that are not installed."""
        return [name for name in self.requires if importlib.util.find_spec(name) is None]

    @property
    def probe_module(self):
        return f"{self.module}.probe" if self.probe == "" else self.probe

    @property
    def install_command(self):
        return f"pip install -e '.[{self.extra}]'"


# Keras 3 maps float64 to float32 in its type promotion (backend.result_type) on every backend but TensorFlow.
KERAS_MEAN_LIMIT = ("means, tanh and cos are computed in float32: on the JAX backend keras.ops.mean (the mean "
                    "|error| metric; the mse and bce losses) computes in result_type(x, float32), and keras.ops.tanh "
                    "and keras.ops.cos (CosineDecay, the cosine schedule) in result_type(x, float), which Keras "
                    "demotes from float64 to float32, and so do keras.layers.BatchNormalization and "
                    "LayerNormalization, which compute in result_type(x, float32) "
                    "(keras/src/layers/normalization/batch_normalization.py, keras/src/ops/nn.py); with sigmoid or "
                    "ReLU layers, the half-sse loss, no cosine schedule and no normalization layer, the loss, weights "
                    "and predictions stay float64")
KERAS_MATMUL_LIMIT = ("Dense layers compute in float32: keras.ops.matmul on the torch backend casts a float64 × "
                      "float64 product to result_type, which Keras demotes to float32 (keras-team/keras#23704); "
                      "keras.layers.BatchNormalization and LayerNormalization compute in result_type(x, float32), "
                      "float32 too, batch normalization's variance as E[x²] − E[x]² (moments in "
                      "keras/src/backend/torch/nn.py)")

# Binary cross-entropy where an output saturates: each framework's own loss, read in its installed source.
TORCH_BCE = Formula("nn.BCELoss clamps each log at −100 and its backward divides by max(ŷ(1 − ŷ), 1e-12) "
                    "(torch.nn.BCELoss's documentation; EPSILON in aten/src/ATen/native/Loss.cpp), where the "
                    "reference takes log(0) = −inf and divides by ŷ(1 − ŷ) itself", margin=1e-12)
KERAS_LOGITS_BCE = Formula("keras.losses.BinaryCrossentropy on TensorFlow works from the logits a sigmoid output "
                           "carries (_keras_logits), with tf.nn.sigmoid_cross_entropy_with_logits, max(z, 0) − z·y + "
                           "log(1 + e^−|z|), where the reference takes log ŷ and log(1 − ŷ) of the rounded ŷ "
                           "(keras/src/backend/tensorflow/nn.py)")
KERAS_CLIP_BCE = Formula("keras.losses.BinaryCrossentropy on JAX and torch clips ŷ to [1e-7, 1 − 1e-7] "
                         "(backend.epsilon()) before the logs, and the clip passes no gradient outside it "
                         "(keras/src/backend/jax/nn.py and torch/nn.py)", margin=1e-7)
TENSORFLOW_BCE = Formula("tf.sigmoid (Eigen's vectorized kernel) rounds differently from NumPy's 1/(1 + e^−z) by "
                         "up to 1 ulp (measured on half of z in [10, 30]), and log(1 − ŷ) multiplies that by "
                         "1/(1 − ŷ); JAX, whose "
                         "jax.nn.sigmoid rounds as NumPy's, does not part")
PYTENSOR_BCE = Formula("PyTensor's stabilizing rewrites replace log(sigmoid(z)) by −softplus(−z) and "
                       "log(1 − sigmoid(z)) by −softplus(z) (logsigm_to_softplus, log1msigm_to_softplus in "
                       "pytensor/tensor/rewriting/math.py): the loss from the logits, where the reference takes the "
                       "logs of the rounded ŷ")


# The training loop's options, where torch's built-ins differ from the reference (impl_numpy's Network.step).
def torch_clip(scope):
    return Formula(f"torch.nn.utils.clip_grad_norm_ ({scope}) rescales by c/(‖g‖ + 1e-6), clamped at 1, where the "
                   f"reference takes c/‖g‖ (torch/nn/utils/clip_grad.py): each clipped gradient about 1e-6/‖g‖ of "
                   f"itself shorter, apart at float64 wherever the clip acts (at float32 within its tolerance, unless "
                   f"many clipped steps add up)", kind="optimizer")


def cosine_past_k(config):
    """Whether a cosine schedule's clock passes k within the run (the last step's t, the steps or epochs before it,
    beyond k), with α < 1 (α = 1 is a constant rate)."""
    if config.schedule != "cosine" or config.alpha >= 1:
        return False
    steps = 1 if config.schedule_per == "epoch" else config.steps_per_epoch
    return config.epochs * steps - 1 > config.decay_steps


TORCH_COSINE = Formula("torch.optim.lr_scheduler.CosineAnnealingLR follows cos(π·t/T_max) past T_max = k: its rate "
                       "rises again after t = k, back to lr at t = 2k (torch/optim/lr_scheduler.py), where the "
                       "reference holds α·lr from t = k on: apart from the step at t = k + 1", kind="optimizer",
                       when=cosine_past_k)
TORCH_FORMULAS = {"bce": TORCH_BCE, "schedule": TORCH_COSINE, "clip-global": torch_clip("global"),
                  "clip-per-variable": torch_clip("per variable: on each parameter alone")}

# The optimizers, where Keras's built-ins differ from the textbook forms the reference (and torch.optim) write.
KERAS_ADAM = ("keras.optimizers.Adam adds ε to √v, not to √v̂: w −= α·m/(√v + ε) with α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), "
              "the Adam paper's ε̂ (keras/src/optimizers/adam.py; keras-team/keras#17391), where the reference takes "
              "w −= lr·m̂/(√v̂ + ε): the same with ε·√(1 − β₂ᵗ) for ε, apart when ε ≠ 0")
KERAS_RMSPROP = Formula("keras.optimizers.RMSprop adds ε inside the square root, w −= lr·g/√(v + ε) "
                        "(keras/src/optimizers/rmsprop.py), where the reference takes w −= lr·g/(√v + ε): apart when "
                        "ε ≠ 0", kind="optimizer", when=lambda c: c.epsilon != 0)
KERAS_TF_CAST = ("on TensorFlow, keras.optimizers cast μ, β₁ and β₂ with ops.cast(value, float64), which makes a "
                 "Python float a float32 tensor first (keras/src/optimizers/sgd.py, adam.py): 0.9 arrives as "
                 "0.899999976158…, apart unless float32 holds the value (0.5, 0.875 do)")
KERAS_ADAM_EPSILON = Formula(KERAS_ADAM, kind="optimizer", when=lambda c: c.epsilon != 0)
KERAS_TF_ADAM = Formula(f"{KERAS_ADAM}; and {KERAS_TF_CAST}", kind="optimizer",
                        when=lambda c: c.epsilon != 0 or not float32_holds(c.beta1, c.beta2))
KERAS_TF_MOMENTUM = Formula(KERAS_TF_CAST, kind="optimizer", when=lambda c: not float32_holds(c.momentum))
OPTAX_RMSPROP = Formula("optax.rmsprop adds ε inside the square root unless told eps_in_sqrt=False (its default, "
                        "which impl_jax passes): w −= lr·g·rsqrt(v + ε) (scale_by_rms in optax/_src/transform.py; "
                        "google-deepmind/optax#532), where the reference, as torch.optim, takes w −= lr·g/(√v + ε): "
                        "apart when ε ≠ 0", kind="optimizer", when=lambda c: c.epsilon != 0)


def optax_float32_rates(config):
    """Whether optax.exponential_decay's float32 rate (OPTAX_SCHEDULE) parts from the reference's at some step of
    the run: at float64, with the exponential or step schedule, where float32 rounds a rate the run takes, lr·γ^(t/k)
    (computed here with NumPy's float32 as JAX computes it: t/k, γ^p, lr·γ^p; lr at t = 0), by more than the
    tolerance shared among the run's steps. Below that, steps of size at most 1 move no weight by the tolerance: a
    rate far below float32's range, which it rounds to 0, does not part the run."""
    if config.dtype != "float64" or config.schedule not in ("exponential", "step"):
        return False
    steps = config.steps_per_epoch
    t = np.arange(config.epochs * (steps if config.schedule_per == "step" else 1))  # the clock's values in the run
    p32, p64 = t.astype(np.float32) / np.float32(config.decay_steps), t / config.decay_steps
    if config.schedule == "step":
        p32, p64 = np.floor(p32), np.floor(p64)
    lr, gamma = config.learning_rate, config.decay_rate
    rate32 = np.where(t == 0, np.float32(lr), np.float32(lr) * np.power(np.float32(gamma), p32))
    return bool(np.any(np.abs(rate32.astype(np.float64) - lr * gamma**p64) > 1e-12 / (config.epochs * steps)))


OPTAX_SCHEDULE = Formula("optax.exponential_decay (the step schedule is its staircase) computes the rate in float32: "
                         "optax counts updates in int32 (scale_by_schedule in optax/_src/transform.py), and count / "
                         "transition_steps, an int32 over an int, JAX makes float32 (_dtype_to_inexact in "
                         "jax/_src/dtypes.py), so γ^(t/k) is taken in float32, γ and lr rounded to it "
                         "(optax/schedules/_schedule.py), where the reference takes lr·γ^(t/k) in float64: apart at "
                         "float64 unless float32 holds every rate of the run (lr = 1, γ = 0.5 as a step schedule)",
                         kind="optimizer", when=optax_float32_rates)
OPTAX_FORMULAS = {"rmsprop": OPTAX_RMSPROP, "schedule": OPTAX_SCHEDULE}
# Flax's normalization layers, where nnx.BatchNorm keeps its running statistics otherwise than the reference.
FLAX_BATCHNORM = Formula("nnx.BatchNorm's running variance averages each batch's biased variance, var ← momentum·var "
                         "+ (1 − momentum)·σ², σ² the mean of the squared deviations (BatchNorm.__call__ and "
                         "_compute_stats in flax/nnx/nn/normalization.py; no setting makes it unbiased), where the "
                         "reference, as the batch-normalization paper and torch, averages n/(n − 1)·σ²: the running "
                         "variance and the predictions, which use it, differ; training, which normalizes by each "
                         "batch's own σ², does not", kind="statistics")
FLAX_FORMULAS = {**OPTAX_FORMULAS, "norm-batch": FLAX_BATCHNORM}

# The training loop's options, where Keras's built-ins differ from the reference's forms.
KERAS_MOMENTUM_RATE = ("keras.optimizers.SGD keeps the rate inside its momentum buffer, m = μm − lr_t·g, w += m "
                       "(keras/src/optimizers/sgd.py), where the reference, as torch.optim and optax, keeps it "
                       "outside, b = μb + g, w −= lr_t·b: the same at a constant rate, apart once the schedule changes "
                       "the rate (momentum, nesterov)")
KERAS_TF_DECAY_RATE = ("on TensorFlow, ExponentialDecay casts γ with ops.cast(decay_rate, dtype), a float32 tensor "
                       "first for a Python float (keras/src/optimizers/schedules/learning_rate_schedule.py): apart "
                       "unless float32 holds γ (0.5 does, 0.9 does not)")
KERAS_COUPLED = ("keras.optimizers decay the weights decoupled only, w −= lr·λ·w beside the optimizer's step "
                 "(_apply_weight_decay in keras/src/optimizers/base_optimizer.py): the coupled form for SGD without "
                 "momentum; with momentum, nesterov, rmsprop and adam, what Keras users write for it, "
                 "kernel_regularizer and bias_regularizer L2(λ/2), adds the reference's λw to the gradient, but its "
                 "penalty λ/2·Σw² to the reported loss, where the reference's has none, and before clipping, where "
                 "the reference clips first (keras/src/regularizers/regularizers.py)")
KERAS_TF_WEIGHT_DECAY = ("on TensorFlow, _apply_weight_decay casts λ with tf.cast(weight_decay, dtype), a float32 "
                         "tensor first for a Python float (keras/src/backend/tensorflow/optimizer.py): apart unless "
                         "float32 holds λ")
KERAS_SCHEDULE = Formula(KERAS_MOMENTUM_RATE, kind="optimizer", when=lambda c: c.optimizer in ("momentum", "nesterov"))
KERAS_TF_SCHEDULE = Formula(
    f"{KERAS_MOMENTUM_RATE}; and {KERAS_TF_DECAY_RATE}", kind="optimizer",
    when=lambda c: c.optimizer in ("momentum", "nesterov") or (c.schedule in ("exponential", "step")
                                                              and cast_apart(c, c.decay_rate)))
KERAS_WEIGHT_DECAY_COUPLED = Formula(KERAS_COUPLED, kind="penalty", when=lambda c: c.optimizer != "sgd")
KERAS_TF_WEIGHT_DECAY_COUPLED = Formula(f"{KERAS_COUPLED}; and {KERAS_TF_WEIGHT_DECAY}", kind="penalty",
                                        when=lambda c: c.optimizer != "sgd" or cast_apart(c, c.weight_decay))
KERAS_TF_WEIGHT_DECAY_DECOUPLED = Formula(KERAS_TF_WEIGHT_DECAY, kind="optimizer",
                                          when=lambda c: cast_apart(c, c.weight_decay))
KERAS_TF_L2 = Formula("on TensorFlow, keras.regularizers.L2 casts l with ops.cast(l2, dtype), a float32 tensor first "
                      "for the Python float it keeps (L2 stores float(l): keras/src/regularizers/regularizers.py): the "
                      "penalty l·Σθ² in the loss and its gradient 2lθ apart unless float32 holds l", kind="penalty",
                      when=lambda c: cast_apart(c, c.l2))
# Batch normalization's running variance, where Keras's layer keeps another average than the reference's.
KERAS_BATCH_NORM = Formula("keras.layers.BatchNormalization moves its moving variance toward the batch's biased "
                           "variance, moving_variance·momentum + var·(1 − momentum) with var the mean of squared "
                           "deviations from ops.moments, and has no setting for another "
                           "(keras/src/layers/normalization/batch_normalization.py), where the reference, as the "
                           "batch-normalization paper and torch.nn.BatchNorm1d, moves it toward the unbiased "
                           "n/(n − 1)·σ²: the running variance and the predictions (inference mode) apart, training "
                           "not", kind="statistics")
KERAS_TF_FORMULAS = {"bce": KERAS_LOGITS_BCE, "adam": KERAS_TF_ADAM, "rmsprop": KERAS_RMSPROP,
                     "momentum": KERAS_TF_MOMENTUM, "nesterov": KERAS_TF_MOMENTUM, "schedule": KERAS_TF_SCHEDULE,
                     "weight-decay-coupled": KERAS_TF_WEIGHT_DECAY_COUPLED,
                     "weight-decay-decoupled": KERAS_TF_WEIGHT_DECAY_DECOUPLED, "l2": KERAS_TF_L2,
                     "norm-batch": KERAS_BATCH_NORM}
KERAS_OTHER_FORMULAS = {"bce": KERAS_CLIP_BCE, "adam": KERAS_ADAM_EPSILON, "rmsprop": KERAS_RMSPROP,
                        "schedule": KERAS_SCHEDULE, "weight-decay-coupled": KERAS_WEIGHT_DECAY_COUPLED,
                        "norm-batch": KERAS_BATCH_NORM}

FRAMEWORKS = {
    fw.name: fw
    for fw in [
        Framework("numpy", "impl_numpy", ("numpy",), "numpy", ("numpy",)),
        Framework("torch", "impl_torch", ("torch",), "torch", ("torch",), formulas=TORCH_FORMULAS),
        Framework("tensorflow", "impl_tensorflow", ("tensorflow",), "tensorflow", ("tensorflow",),
                  formulas={"bce": TENSORFLOW_BCE}),
        Framework("pytensor", "impl_pytensor", ("pytensor",), "pytensor", ("pytensor",),
                  formulas={"bce": PYTENSOR_BCE}),
        Framework("jax", "impl_jax", ("jax", "optax"), "jax", ("jax", "jaxlib", "optax"),
                  formulas=OPTAX_FORMULAS),
        # Flax NNX, JAX's layers, model and optimizer objects, as Keras is TensorFlow's.
        Framework("flax", "impl_flax", ("flax", "jax", "optax"), "flax", ("flax", "jax", "optax"),
                  formulas=FLAX_FORMULAS),
        # Keras 3 on each of its backends: the same impl_keras code, the engine chosen per worker process.
        Framework("keras", "impl_keras", ("keras", "tensorflow"), "keras", ("keras", "tensorflow"),
                  env={"KERAS_BACKEND": "tensorflow"}, formulas=KERAS_TF_FORMULAS),
        Framework("keras-jax", "impl_keras", ("keras", "jax"), "keras-jax", ("keras", "jax"),
                  env={"KERAS_BACKEND": "jax", "JAX_ENABLE_X64": "1"},  # JAX holds float64 only with x64 on
                  float64_limit=KERAS_MEAN_LIMIT, formulas=KERAS_OTHER_FORMULAS),
        Framework("keras-torch", "impl_keras", ("keras", "torch"), "keras-torch", ("keras", "torch"),
                  env={"KERAS_BACKEND": "torch"}, float64_limit=KERAS_MATMUL_LIMIT,
                  formulas=KERAS_OTHER_FORMULAS),
        # Variants: the same implementation in a faster idiom a real user would write.
        Framework("keras-train-on-batch", "impl_keras", ("keras", "tensorflow"), "keras", ("keras", "tensorflow"),
                  env={"KERAS_BACKEND": "tensorflow"}, options={"train_on_batch": True},
                  formulas=KERAS_TF_FORMULAS),
        Framework("keras-xla", "impl_keras", ("keras", "tensorflow"), "keras", ("keras", "tensorflow"),
                  env={"KERAS_BACKEND": "tensorflow"}, options={"jit_compile": True},
                  formulas=KERAS_TF_FORMULAS),
        Framework("torch-compile", "impl_torch", ("torch",), "torch", ("torch",), options={"compile": True},
                  formulas=TORCH_FORMULAS),
        Framework("tensorflow-loop", "impl_tensorflow", ("tensorflow",), "tensorflow", ("tensorflow",),
                  options={"loop": True}, formulas={"bce": TENSORFLOW_BCE}),
        Framework("jax-scan", "impl_jax", ("jax", "optax"), "jax", ("jax", "jaxlib", "optax"),
                  options={"scan": True}, formulas=OPTAX_FORMULAS),
    ]
}
# Every framework, installed or not (a missing one is reported with its install command); the variants are
# opt-in: each costs one more import and repeats a framework already run, torch-compile also ~30 s of compiling.
DEFAULT = tuple(name for name, fw in FRAMEWORKS.items() if not fw.options)
REFERENCE = "numpy"


def target_of(item):
    """A --frameworks item that names your own code: an absolute path for a .py file, the name for a module."""
    return os.path.abspath(item) if item.endswith(".py") else item


def name_of(target):
    """Its id in the table and in results.json: the file's stem, or the module's last name."""
    return os.path.splitext(os.path.basename(target))[0] if target.endswith(".py") else target.rsplit(".", 1)[-1]


def own_framework(item, registry):
    """The Framework of your own code named on the command line (a path to a .py file, or an importable module
    that is not a framework id); a ProblemError if it is neither, or if its id is taken."""
    if item.endswith(".py"):
        if not os.path.isfile(item):
            raise ProblemError(f"no file '{item}' (a framework id, a path to a .py file, or a module name)")
    elif importlib.util.find_spec(item.split(".")[0]) is None or not all(part.isidentifier()
                                                                      for part in item.split(".")):
        raise ProblemError(f"unknown framework '{item}' (choose from {', '.join(registry)}, or give a path to a .py "
                           f"file or an importable module of your own)")
    target = target_of(item)
    name = name_of(target)
    if name in registry:
        raise ProblemError(f"'{item}' would be called '{name}', which names a framework already: rename it")
    return Framework(name, target, (), "", (), probe="compare.own.contract", own=True)


def with_own(items, registry):
    """The ids of a run's --frameworks items in order, and the registry with your own code's frameworks added."""
    registry, names = dict(registry), []
    for item in items:
        if item not in registry:
            framework = own_framework(item, registry)
            registry[framework.name] = framework
            item = framework.name
        names.append(item)
    return names, registry
