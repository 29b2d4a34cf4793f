"""The blog's network in JAX: pure functions of the weights, jax.value_and_grad for the gradients, jax.jit to compile,
and optax, the JAX ecosystem's library of optimizers, for the update.

The parameters are a pytree, (weights, biases, scales, offsets), that each step replaces rather than updates;
biases is None for the blog's network, and so are the normalization layers' scales γ and offsets β. JAX computes in
float32 unless jax_enable_x64 is on, so it is switched on here, before any array exists.
"""
from functools import cache, partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

jax.config.update("jax_enable_x64", True)  # else float64 arrays are silently made float32

ACTIVATIONS = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu, "linear": lambda z: z}
LOSSES = {  # over the batch; the means are over the rows (one output each)
    "half-sse": lambda y, y_hat: 0.5 * jnp.sum((y - y_hat) ** 2),  # the blog's
    "mse": lambda y, y_hat: jnp.mean((y - y_hat) ** 2),
    "bce": lambda y, y_hat: -jnp.mean(y * jnp.log(y_hat) + (1 - y) * jnp.log(1 - y_hat)),
}
# jit compiles once per choice of these (static arguments)
NETWORK = ("activation", "output_activation", "loss", "l2", "norm", "norm_epsilon", "norm_momentum")


@cache
def schedule_of(learning_rate, schedule, decay_rate, decay_steps, alpha):
    """optax's schedule of the rate: a function of the count it is given (the optimizer's updates, or the epochs)."""
    if schedule == "cosine":  # lr·(α + (1 − α)·½(1 + cos(π·min(t, k)/k)))
        return optax.cosine_decay_schedule(learning_rate, decay_steps=decay_steps, alpha=alpha)
    # lr·γ^(t/k); the step schedule, lr·γ^⌊t/k⌋, is its staircase
    return optax.exponential_decay(learning_rate, transition_steps=decay_steps, decay_rate=decay_rate,
                                   staircase=schedule == "step")


def clip_by_variable_norm(max_norm):
    """Each gradient rescaled to norm at most max_norm by its own norm: optax's clip_by_global_norm takes the norm of
    all of them together, and optax has no transformation for each one's own."""
    return optax.stateless_with_tree_map(lambda g, _: g * jnp.minimum(1.0, max_norm / jnp.linalg.norm(g)))


@cache
def optax_optimizer(name, learning_rate, hyper, loop):
    """optax's own optimizer, every hyperparameter passed, none left to a default (hyper: (name, value) pairs), and
    the training loop's options (loop: (name, value) pairs, the Network's) as optax's transformations chained with
    it. One object per choice, so that jit, which takes it as a static argument, compiles the step once for it."""
    h, o = dict(hyper), dict(loop)

    def optimizer(learning_rate):  # at a rate: a number, or a schedule of the update count
        if o["weight_decay"] and o["decay"] == "decoupled":  # θ −= lr·λ·θ: λθ added after the scaling, times the rate
            if name == "adam":
                return optax.adamw(learning_rate, b1=h["beta1"], b2=h["beta2"], eps=h["epsilon"], eps_root=0.0,
                                   weight_decay=o["weight_decay"], nesterov=False)
            scaling = {"sgd": optax.identity(),  # the step optax.sgd and optax.rmsprop take before the rate
                       "momentum": optax.trace(decay=h["momentum"], nesterov=False),
                       "nesterov": optax.trace(decay=h["momentum"], nesterov=True),
                       "rmsprop": optax.scale_by_rms(decay=h["rho"], eps=h["epsilon"], initial_scale=0.0,
                                                     eps_in_sqrt=True, bias_correction=False)}[name]
            return optax.chain(scaling, optax.add_decayed_weights(o["weight_decay"]),
                               optax.scale_by_learning_rate(learning_rate))
        if name in ("sgd", "momentum", "nesterov"):
            return optax.sgd(learning_rate, momentum=None if name == "sgd" else h["momentum"],
                             nesterov=name == "nesterov")
        if name == "rmsprop":  # optax adds ε inside the root by default, √(v + ε), where torch adds it outside
            return optax.rmsprop(learning_rate, decay=h["rho"], eps=h["epsilon"], initial_scale=0.0, eps_in_sqrt=True,
                                 centered=False, momentum=None, nesterov=False, bias_correction=False)
        return optax.adam(learning_rate, b1=h["beta1"], b2=h["beta2"], eps=h["epsilon"], eps_root=0.0, nesterov=False)

    def transformation(learning_rate):  # the gradients clipped, then decayed (coupled), then the optimizer's
        before = []
        if o["clip_value"] is not None:  # each entry to [−c, c]
            before.append(optax.clip(o["clip_value"]))
        elif o["clip_norm"] is not None:  # g·min(1, c/‖g‖)
            before.append(optax.clip_by_global_norm(o["clip_norm"]) if o["clip"] == "global"
                          else clip_by_variable_norm(o["clip_norm"]))
        if o["weight_decay"] and o["decay"] == "coupled":  # g + λθ, torch's weight_decay
            before.append(optax.add_decayed_weights(o["weight_decay"]))
        return optax.chain(*before, optimizer(learning_rate)) if before else optimizer(learning_rate)

    if o["schedule"] is None:
        return transformation(learning_rate)
    if o["schedule_per"] == "epoch":
        # The rate a hyperparameter in the optimizer's state, which the training loop sets at each epoch's start: a
        # schedule of the update count would need the steps per epoch, which come with the data, after this.
        return optax.inject_hyperparams(transformation)(learning_rate=learning_rate)
    return transformation(schedule_of(learning_rate, o["schedule"], o["decay_rate"], o["decay_steps"], o["alpha"]))


def set_epoch_rate(opt_state, schedule, steps_per_epoch):
    """A schedule per epoch: the rate of the epoch the optimizer has reached, its updates ÷ the steps per epoch, set
    in its state (the learning_rate of optax.inject_hyperparams) before the epoch's first step."""
    rate = opt_state.hyperparams["learning_rate"]
    opt_state.hyperparams["learning_rate"] = jnp.asarray(schedule(opt_state.count // steps_per_epoch), rate.dtype)
    return opt_state


def normalize(z, scale, offset, norm, epsilon, running=None):
    """A normalization layer on a hidden layer's z, before its activation: γ·(z − μ)/√(σ² + ε) + β, and the (μ, σ²)
    it took. batch: each unit's μ and (biased) σ² over the batch's rows, or `running`, batch normalization's running
    (μ, σ²), in predictions; layer: each row's over its units."""
    if running is None:
        axis = 0 if norm == "batch" else 1
        mean, variance = jnp.mean(z, axis=axis, keepdims=True), jnp.var(z, axis=axis, keepdims=True)
    else:
        mean, variance = running
    return scale * ((z - mean) / jnp.sqrt(variance + epsilon)) + offset, (mean, variance)


def forward(params, x, activation="sigmoid", output_activation="sigmoid", norm=None, norm_epsilon=1e-5,
            statistics=None):
    """ŷ, and the (μ, σ²) each normalization layer took (none without them). norm: batch or layer, a normalization
    layer after each hidden Dense layer; statistics: batch normalization's running (μ, σ²) per hidden layer, for
    predictions (None: each batch's own, in training)."""
    weights, biases, scales, offsets = params
    taken = []
    for i, w in enumerate(weights):
        last = i == len(weights) - 1
        z = x @ w if biases is None else x @ w + biases[i]
        if norm is not None and not last:
            z, moments = normalize(z, scales[i], offsets[i], norm, norm_epsilon,
                                   None if statistics is None else statistics[i])
            taken.append(moments)
        x = ACTIVATIONS[output_activation if last else activation](z)
    return x, taken


def track(statistics, taken, momentum, rows):
    """Batch normalization's running (μ, σ²) per hidden layer, a step of m toward the batch's (taken): μ_r ← (1 −
    m)·μ_r + m·μ, σ²_r ← (1 − m)·σ²_r + m·n/(n − 1)·σ², the unbiased variance of the batch's n rows, as the
    batch-normalization paper and torch keep it."""
    return [((1 - momentum) * running_mean + momentum * mean[0],
             (1 - momentum) * running_variance + momentum * variance[0] * rows / (rows - 1))
            for (running_mean, running_variance), (mean, variance) in zip(statistics, taken, strict=True)]


def loss_fn(params, x, y, activation="sigmoid", output_activation="sigmoid", loss="half-sse", l2=0.0, norm=None,
            norm_epsilon=1e-5):
    """The loss, and beside it (value_and_grad's has_aux) the error y − ŷ and the (μ, σ²) the normalization layers
    took. l2 > 0: with the L2 penalty l·Σθ² over every parameter, which jax.grad then differentiates with the rest."""
    y_hat, taken = forward(params, x, activation, output_activation, norm, norm_epsilon)
    value = LOSSES[loss](y, y_hat)
    if l2:
        value = value + l2 * sum(jnp.sum(p**2) for p in jax.tree.leaves(params))
    return value, (y - y_hat, taken)


@partial(jax.jit, static_argnames=(*NETWORK, "optimizer"))
def train_step(params, opt_state, statistics, x, y, optimizer, activation="sigmoid", output_activation="sigmoid",
               loss="half-sse", l2=0.0, norm=None, norm_epsilon=1e-5, norm_momentum=0.1):
    """One step: the loss of the forward pass and its gradients in one call, then optax's update, applied
    (for SGD, p ← p − lr·∂loss/∂p); with batch normalization, its running statistics (a pytree beside the
    parameters, not differentiated) moved toward the batch's. optimizer: an optax GradientTransformation
    (optax_optimizer), static."""
    (value, (error, taken)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        params, x, y, activation, output_activation, loss, l2, norm, norm_epsilon)
    if norm == "batch":
        statistics = track(statistics, taken, norm_momentum, len(x))
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return (optax.apply_updates(params, updates), opt_state, statistics), (value, jnp.mean(jnp.abs(error)))


def epoch_mean(steps, rows):
    """An epoch's loss or mean |error| from its steps' (value, rows): their mean weighted by the rows in each."""
    return steps[0][0] if len(steps) == 1 else sum(n * value for value, n in steps) / rows


@partial(jax.jit, static_argnames=("optimizer", "batch_size", "whole", "epoch_schedule", *NETWORK))
def train_epochs(params, opt_state, statistics, x, y, optimizer, orders, batch_size, whole, epoch_schedule=None,
                 **network):
    """One epoch per row of `orders` (each epoch's order of the rows) inside one compiled loop (lax.scan): no Python
    between epochs, the mini-batches of an epoch unrolled (whole: the blog's one step on every row, in order).
    epoch_schedule: a schedule per epoch, its rate set at the start of each. Compiled once per number of epochs."""
    def epoch(carry, rows):
        if epoch_schedule is not None:
            carry = (carry[0], set_epoch_rate(carry[1], epoch_schedule, len(range(0, len(x), batch_size))), carry[2])
        steps = []
        for i in range(0, len(x), batch_size):
            batch = rows[i:i + batch_size]
            xb, yb = (x, y) if whole else (x[batch], y[batch])
            carry, (value, error) = train_step(*carry, xb, yb, optimizer, **network)
            steps.append((value, error, len(range(i, min(i + batch_size, len(x))))))
        return carry, (epoch_mean([(v, n) for v, _, n in steps], len(x)),
                       epoch_mean([(e, n) for _, e, n in steps], len(x)), jnp.stack([v for v, _, _ in steps]))

    return jax.lax.scan(epoch, (params, opt_state, statistics), orders)


class Network:
    """Dense layers trained by full-batch gradient descent: by default the blog's, sigmoid layers without biases
    and ½·Σ(y − ŷ)²."""

    def __init__(self, weights, learning_rate, dtype, *, biases=None, activation="sigmoid",
                 output_activation="sigmoid", loss="half-sse", optimizer="sgd", momentum=0.9, rho=0.99, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, batch_size=None, orders=None, weight_decay=0.0, decay="coupled", l2=0.0,
                 schedule=None, schedule_per="step", decay_rate=None, decay_steps=None, alpha=0.0, clip_norm=None,
                 clip="global", clip_value=None, norm=None, norm_momentum=0.1, norm_epsilon=1e-5, scan=False):
        self.dtype = jnp.dtype(dtype)
        as_arrays = lambda arrays: [jnp.asarray(a, dtype=self.dtype) for a in arrays]  # noqa: E731
        # A normalization layer after each hidden Dense layer (norm: batch or layer), or none (the blog's): its scale
        # γ starts at 1 and its offset β at 0, parameters beside the weights and biases.
        widths = [np.shape(w)[1] for w in weights[:-1]]
        scales, offsets = (None, None) if norm is None else (as_arrays(np.ones(n) for n in widths),
                                                             as_arrays(np.zeros(n) for n in widths))
        self.params = (as_arrays(weights), None if biases is None else as_arrays(biases), scales, offsets)
        # Batch normalization's running (μ, σ²) per hidden layer, from 0 and 1: state that each step replaces too, but
        # no parameter (never differentiated); None without it.
        self.statistics = None if norm != "batch" else [(jnp.zeros(n, dtype=self.dtype), jnp.ones(n, dtype=self.dtype))
                                                         for n in widths]
        self.activation, self.output_activation, self.loss, self.norm = activation, output_activation, loss, norm
        # The L2 penalty l·Σθ² is part of the loss (l2 > 0), differentiated with it.
        self.network = {"activation": activation, "output_activation": output_activation, "loss": loss,
                        "l2": float(l2), "norm": norm, "norm_epsilon": float(norm_epsilon),
                        "norm_momentum": float(norm_momentum)}
        self.optimizer_name = optimizer
        hyper = (("momentum", momentum), ("rho", rho), ("beta1", beta1), ("beta2", beta2), ("epsilon", epsilon))
        # The rest of the training loop goes to optax: weight decay (coupled: λθ added to the gradient; decoupled:
        # θ −= lr·λ·θ beside the step), the rate's schedule (per optimizer update, or per epoch) and clipping.
        loop = (("weight_decay", float(weight_decay)), ("decay", decay), ("schedule", schedule),
                ("schedule_per", schedule_per), ("decay_rate", decay_rate), ("decay_steps", decay_steps),
                ("alpha", alpha), ("clip_norm", clip_norm), ("clip", clip), ("clip_value", clip_value))
        self.optimizer = optax_optimizer(optimizer, float(learning_rate), hyper, loop)  # a GradientTransformation
        self.epoch_schedule = None if schedule is None or schedule_per != "epoch" else schedule_of(
            float(learning_rate), schedule, decay_rate, decay_steps, alpha)
        self.opt_state = self.optimizer.init(self.params)  # the optimizer's state: its averages, its step count
        self.scan = scan  # True: the epoch loop inside lax.scan, the idiom for speed
        # Mini-batches of batch_size rows (None: all), in row order or each epoch's order from `orders`.
        self.batch_size, self.orders, self.epochs_done = batch_size, orders, 0

    def fit(self, x, y, epochs):
        """Train for `epochs` steps; the loss and mean |error| of each epoch come from its forward pass."""
        x, y = jnp.asarray(x, dtype=self.dtype), jnp.asarray(y, dtype=self.dtype)
        size = self.batch_size or len(x)
        epochs_now = np.arange(self.epochs_done, self.epochs_done + epochs)
        orders = (np.broadcast_to(np.arange(len(x)), (epochs, len(x))) if self.orders is None
                  else self.orders[epochs_now % len(self.orders)])
        whole = self.orders is None and size >= len(x)  # the blog's: every row, in order, one step
        self.epochs_done += epochs
        if self.scan:
            (self.params, self.opt_state, self.statistics), (loss, mean_abs_error, step_loss) = train_epochs(
                self.params, self.opt_state, self.statistics, x, y, self.optimizer, orders, size, whole,
                self.epoch_schedule, **self.network)
            as_numpy = lambda a: np.asarray(a, dtype=np.float64).ravel()  # noqa: E731
            return {"loss": as_numpy(loss), "mean_abs_error": as_numpy(mean_abs_error),
                    "step_loss": as_numpy(step_loss)}
        loss, mean_abs_error, step_loss = np.empty(epochs), np.empty(epochs), []
        for epoch, rows in enumerate(orders):
            if self.epoch_schedule is not None:
                self.opt_state = set_epoch_rate(self.opt_state, self.epoch_schedule, -(-len(x) // size))
            steps = []
            batches = [(x, y)] if whole else [(x[b], y[b]) for b in (rows[i:i + size] for i in range(0, len(x), size))]
            for xb, yb in batches:
                (self.params, self.opt_state, self.statistics), (value, error) = train_step(
                    self.params, self.opt_state, self.statistics, xb, yb, self.optimizer, **self.network)
                steps.append((float(value), float(error), len(xb)))
            loss[epoch] = epoch_mean([(v, n) for v, _, n in steps], len(x))
            mean_abs_error[epoch] = epoch_mean([(e, n) for _, e, n in steps], len(x))
            step_loss += [v for v, _, _ in steps]
        return {"loss": loss, "mean_abs_error": mean_abs_error, "step_loss": np.array(step_loss)}

    def get_weights(self):
        return [np.asarray(w) for w in self.params[0]]

    def get_biases(self):
        return None if self.params[1] is None else [np.asarray(b) for b in self.params[1]]

    def get_normalization(self):
        """The normalization layers' γ ("scales"), β ("offsets") and, for batch normalization, running statistics, a
        list of each over the hidden layers; None without them."""
        if self.norm is None:
            return None
        _, _, scales, offsets = self.params
        out = {"scales": [np.asarray(g) for g in scales], "offsets": [np.asarray(b) for b in offsets]}
        if self.statistics is not None:
            out.update(running_means=[np.asarray(m) for m, _ in self.statistics],
                       running_variances=[np.asarray(v) for _, v in self.statistics])
        return out

    def predict(self, x):  # batch normalization with its running statistics: inference mode
        x = jnp.asarray(x, dtype=self.dtype)
        return np.asarray(forward(self.params, x, self.activation, self.output_activation, self.norm,
                                  self.network["norm_epsilon"], self.statistics)[0])

    def __repr__(self):
        sizes = [self.params[0][0].shape[0]] + [w.shape[1] for w in self.params[0]]
        return (f"Network({'→'.join(map(str, sizes))} {self.activation}, {self.output_activation} out, "
                f"{self.loss}, {self.optimizer_name}, jax on {jax.default_backend()}, {self.dtype})")


def train(x, y, weights, epochs, learning_rate, dtype, **network):
    """Train from `weights`; return per-epoch loss and mean |error|, final weights (and biases) and predictions, as
    NumPy. network: the Network's keyword options (biases, activation, output_activation, loss, the optimizer and
    its hyperparameters, weight decay, the L2 penalty, the schedule, clipping, the normalization layers)."""
    net = Network(weights, learning_rate, dtype, **network)
    history = net.fit(x, y, epochs)
    return {**history, "weights": net.get_weights(), "biases": net.get_biases(),
            "normalization": net.get_normalization(), "predictions": net.predict(x)}
