"""The blog's network in Flax NNX: nnx.Linear layers in a model object, nnx.Optimizer over optax, nnx.value_and_grad
for the gradients and nnx.jit to compile.

Flax is to JAX what Keras is to TensorFlow: layers, a model, an optimizer object. An nnx.Linear keeps its kernel as
(in, out), as the blog does, so the given weights go in as they are. JAX computes in float32 unless
jax_enable_x64 is on, so it is switched on here, before any array exists.
"""
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

jax.config.update("jax_enable_x64", True)  # else float64 arrays are silently made float32

ACTIVATIONS = {"sigmoid": nnx.sigmoid, "tanh": nnx.tanh, "relu": nnx.relu, "linear": lambda z: z}
LOSSES = {  # over the batch; the means are over the rows (one output each)
    "half-sse": lambda y, y_hat: 0.5 * jnp.sum((y - y_hat) ** 2),  # the blog's
    "mse": lambda y, y_hat: jnp.mean((y - y_hat) ** 2),
    "bce": lambda y, y_hat: -jnp.mean(y * jnp.log(y_hat) + (1 - y) * jnp.log(1 - y_hat)),
}


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
    it."""
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


def normalization(norm, width, momentum, epsilon, dtype, rngs):
    """Flax's normalization layer of `width` units, its scale γ at 1 and its offset β at 0 (Params, trained with the
    weights). use_fast_variance=False: σ² as the mean of the squared deviations, E[(z − μ)²], as the reference takes
    it, where Flax's default takes E[z²] − μ², which loses digits where σ² is small beside μ²."""
    if norm == "layer":  # each row over its units; ε always passed: Flax's default is 1e-6, torch's 1e-5
        return nnx.LayerNorm(width, epsilon=epsilon, use_fast_variance=False, dtype=dtype, param_dtype=dtype,
                             rngs=rngs)
    # Each unit over the batch's rows. Flax's momentum is the share of the running statistics kept, 1 − m where m (as
    # torch writes it) is the share of the batch's taken.
    layer = nnx.BatchNorm(width, momentum=1 - momentum, epsilon=epsilon, use_fast_variance=False, dtype=dtype,
                          param_dtype=dtype, rngs=rngs)
    # nnx.BatchNorm makes its running mean and variance float32 whatever param_dtype (flax/nnx/nn/normalization.py),
    # and each update is cast back to that: made anew in the run's dtype, else a float64 run keeps them in float32.
    layer.mean.set_value(jnp.zeros(width, dtype=dtype))  # set_value: a new dtype, where [...] = would cast
    layer.var.set_value(jnp.ones(width, dtype=dtype))
    return layer


class MLP(nnx.Module):
    """Dense layers, each an nnx.Linear and its activation: the hidden layers' `activation`, then the output's; with
    `norm` (batch or layer), an nnx.BatchNorm or nnx.LayerNorm between each hidden Linear and its activation."""

    def __init__(self, weights, biases, activation, output_activation, dtype, norm=None, norm_momentum=0.1,
                 norm_epsilon=1e-5):
        rngs = nnx.Rngs(0)  # the initializers' draw, replaced at once by the given weights
        self.layers = nnx.List([nnx.Linear(*np.shape(w), use_bias=biases is not None, dtype=dtype, param_dtype=dtype,
                                           rngs=rngs) for w in weights])
        for i, layer in enumerate(self.layers):
            layer.kernel[...] = jnp.asarray(weights[i], dtype=dtype)  # (in, out), as the blog's
            if biases is not None:
                layer.bias[...] = jnp.asarray(biases[i], dtype=dtype)
        self.norms = None if norm is None else nnx.List([
            normalization(norm, np.shape(w)[1], norm_momentum, norm_epsilon, dtype, rngs) for w in weights[:-1]])
        self.activations = (activation,) * (len(weights) - 1) + (output_activation,)

    def __call__(self, x):
        for i, (layer, activation) in enumerate(zip(self.layers, self.activations, strict=True)):
            z = layer(x)
            if self.norms is not None and i < len(self.norms):  # a hidden layer's
                z = self.norms[i](z)
            x = ACTIVATIONS[activation](z)
        return x


@nnx.jit(static_argnames=("loss", "l2"))
def train_step(model, optimizer, x, y, loss="half-sse", l2=0.0):
    """One step: the loss of the forward pass and its gradients in one call, then the optimizer's update of the
    model's parameters, in place (for SGD, p ← p − lr·∂loss/∂p); batch normalization's running statistics move in
    the forward pass. l2 > 0: the loss with the L2 penalty l·Σθ² over every parameter (nnx.Param: the weights, the
    biases, γ and β), differentiated with the rest."""
    def loss_fn(model):
        y_hat = model(x)
        value = LOSSES[loss](y, y_hat)
        if l2:
            value = value + l2 * sum(jnp.sum(p**2) for p in jax.tree.leaves(nnx.state(model, nnx.Param)))
        return value, y - y_hat

    (value, error), grads = nnx.value_and_grad(loss_fn, has_aux=True)(model)
    optimizer.update(model, grads)
    return value, jnp.mean(jnp.abs(error))


class Network:
    """Dense layers trained by full-batch gradient descent: by default the blog's, sigmoid layers without biases
    and ½·Σ(y − ŷ)²."""

    def __init__(self, weights, learning_rate, dtype, *, biases=None, activation="sigmoid",
                 output_activation="sigmoid", loss="half-sse", optimizer="sgd", momentum=0.9, rho=0.99, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, batch_size=None, orders=None, weight_decay=0.0, decay="coupled", l2=0.0,
                 schedule=None, schedule_per="step", decay_rate=None, decay_steps=None, alpha=0.0, clip_norm=None,
                 clip="global", clip_value=None, norm=None, norm_momentum=0.1, norm_epsilon=1e-5):
        self.dtype = jnp.dtype(dtype)
        self.model = MLP(weights, biases, activation, output_activation, self.dtype, norm, norm_momentum, norm_epsilon)
        self.norm = norm
        self.activation, self.output_activation, self.loss = activation, output_activation, loss
        self.l2 = float(l2)  # the L2 penalty l·Σθ², part of the loss
        self.optimizer_name = optimizer
        hyper = (("momentum", momentum), ("rho", rho), ("beta1", beta1), ("beta2", beta2), ("epsilon", epsilon))
        # The rest of the training loop goes to optax: weight decay (coupled: λθ added to the gradient; decoupled:
        # θ −= lr·λ·θ beside the step), the rate's schedule (per optimizer update, or per epoch) and clipping.
        loop = (("weight_decay", float(weight_decay)), ("decay", decay), ("schedule", schedule),
                ("schedule_per", schedule_per), ("decay_rate", decay_rate), ("decay_steps", decay_steps),
                ("alpha", alpha), ("clip_norm", clip_norm), ("clip", clip), ("clip_value", clip_value))
        self.optimizer = nnx.Optimizer(self.model, optax_optimizer(optimizer, float(learning_rate), hyper, loop),
                                       wrt=nnx.Param)
        self.epoch_schedule = None if schedule is None or schedule_per != "epoch" else schedule_of(
            float(learning_rate), schedule, decay_rate, decay_steps, alpha)
        # Mini-batches of batch_size rows (None: all), in row order or each epoch's order from `orders`.
        self.batch_size, self.orders, self.epochs_done = batch_size, orders, 0

    def fit(self, x, y, epochs):
        """Train for `epochs` epochs; each epoch's loss and mean |error| come from its steps' forward passes, before
        their updates (one step per mini-batch, their mean weighted by the rows in each; one step for the blog's)."""
        x, y = jnp.asarray(x, dtype=self.dtype), jnp.asarray(y, dtype=self.dtype)
        size = self.batch_size or len(x)
        whole = self.orders is None and size >= len(x)  # the blog's: every row, in order, one step
        if self.norm == "batch":
            self.model.train()  # batch normalization from each batch's statistics, which it tracks
        loss, mean_abs_error, step_loss = np.empty(epochs), np.empty(epochs), []
        for epoch in range(epochs):
            rows = np.arange(len(x)) if self.orders is None else self.orders[self.epochs_done % len(self.orders)]
            batches = [(x, y)] if whole else [(x[b], y[b]) for b in (rows[i:i + size] for i in range(0, len(x), size))]
            if self.epoch_schedule is not None:  # the epoch's rate, from the updates done ÷ the steps per epoch
                state = self.optimizer.opt_state  # optax.inject_hyperparams' state: the rate is a hyperparameter in it
                rate = state.hyperparams["learning_rate"]
                rate[...] = jnp.asarray(self.epoch_schedule(state.count[...] // len(batches)), rate[...].dtype)
            steps = [(*map(float, train_step(self.model, self.optimizer, xb, yb, self.loss, self.l2)), len(xb))
                     for xb, yb in batches]
            loss[epoch], mean_abs_error[epoch] = steps[0][:2] if len(steps) == 1 else (
                sum(n * s[k] for *s, n in steps) / len(x) for k in (0, 1))
            step_loss += [s[0] for s in steps]
            self.epochs_done += 1
        return {"loss": loss, "mean_abs_error": mean_abs_error, "step_loss": np.array(step_loss)}

    def get_weights(self):
        return [np.asarray(layer.kernel[...]) for layer in self.model.layers]

    def get_biases(self):
        layers = self.model.layers
        return None if layers[0].bias is None else [np.asarray(layer.bias[...]) for layer in layers]

    def get_normalization(self):
        """The normalization layers' γ ("scales"), β ("offsets") and, for batch normalization, running statistics, a
        list of each over the hidden layers; None without them."""
        norms = self.model.norms
        if norms is None:
            return None
        out = {"scales": [np.asarray(n.scale[...]) for n in norms],
               "offsets": [np.asarray(n.bias[...]) for n in norms]}  # Flax calls β the bias
        if self.norm == "batch":
            out.update(running_means=[np.asarray(n.mean[...]) for n in norms],
                       running_variances=[np.asarray(n.var[...]) for n in norms])
        return out

    def predict(self, x):
        if self.norm == "batch":
            self.model.eval()  # batch normalization from its running statistics: inference mode
        return np.asarray(self.model(jnp.asarray(x, dtype=self.dtype)))

    def __repr__(self):
        sizes = [self.model.layers[0].in_features] + [layer.out_features for layer in self.model.layers]
        return (f"Network({'→'.join(map(str, sizes))} {self.activation}, {self.output_activation} out, "
                f"{self.loss}, {self.optimizer_name}, flax nnx on {jax.default_backend()}, {self.dtype})")


def train(x, y, weights, epochs, learning_rate, dtype, **network):
    """Train from `weights`; return per-epoch loss and mean |error|, final weights (and biases) and predictions, as
    NumPy. network: the Network's keyword options (biases, activation, output_activation, loss, the optimizer and
    its hyperparameters, weight decay, the L2 penalty, the schedule, clipping, the normalization layers)."""
    net = Network(weights, learning_rate, dtype, **network)
    history = net.fit(x, y, epochs)
    return {**history, "weights": net.get_weights(), "biases": net.get_biases(),
            "normalization": net.get_normalization(), "predictions": net.predict(x)}
