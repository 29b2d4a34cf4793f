"""The blog's network in PyTensor, the maintained descendant of Theano: a symbolic graph, compiled once.

Nothing is computed while the graph is built: x and y are symbols, the weights are shared variables, pytensor.grad
derives the gradients symbolically, and pytensor.function compiles loss, error and the update rule (its `updates`)
into one callable. Each call of it is one epoch.
"""
import numpy as np
import pytensor
import pytensor.tensor as pt


def relu(z):
    # PyTensor has no relu. Its users' usual pt.maximum(z, 0) has slope 1 at z = 0; this switch has slope 0 there,
    # as relu has in every other framework here.
    return pt.switch(z > 0, z, 0)


ACTIVATIONS = {"sigmoid": pt.sigmoid, "tanh": pt.tanh, "relu": relu, "linear": lambda z: z}
LOSSES = {  # over the batch; the means are over the rows (one output each)
    "half-sse": lambda y, y_hat: 0.5 * pt.sum((y - y_hat) ** 2),  # the blog's
    "mse": lambda y, y_hat: pt.mean((y - y_hat) ** 2),
    "bce": lambda y, y_hat: -pt.mean(y * pt.log(y_hat) + (1 - y) * pt.log(1 - y_hat)),
}


class Normalization:
    """A normalization layer on a hidden layer's z, before its activation: x̂ = (z − μ)/√(σ² + ε), then γ·x̂ + β,
    written out symbolically (PyTensor has no normalization layer); γ and β are shared variables, γ starting at 1 and
    β at 0, that pytensor.grad differentiates as it does the weights.

    batch: μ and σ² are each unit's over the batch's rows in training (pt.var's biased σ²); the running ones in
    predictions, shared variables that the train step's `updates` move m of the way to each batch's: μ_r ← (1 − m)·μ_r
    + m·μ, σ²_r ← (1 − m)·σ²_r + m·n/(n − 1)·σ² (the unbiased variance, as the batch-normalization paper and torch
    keep it; starting at 0 and 1). layer: μ and σ² are each row's over its units, in training and predictions alike.
    """

    def __init__(self, kind, width, dtype, momentum=0.1, epsilon=1e-5, name="n"):
        self.kind, self.axis = kind, 0 if kind == "batch" else 1  # what μ and σ² are taken over
        self.momentum, self.epsilon = pt.constant(momentum, dtype=dtype), pt.constant(epsilon, dtype=dtype)
        self.scale = pytensor.shared(np.ones(width, dtype=dtype), name=f"{name}_gamma")
        self.offset = pytensor.shared(np.zeros(width, dtype=dtype), name=f"{name}_beta")
        self.running_mean = pytensor.shared(np.zeros(width, dtype=dtype), name=f"{name}_mean")
        self.running_variance = pytensor.shared(np.ones(width, dtype=dtype), name=f"{name}_variance")

    def __call__(self, z, training=True):
        """γ·x̂ + β; in training, the batch's μ and σ² (symbols) are kept for updates."""
        if self.kind == "batch" and not training:
            mean, variance = self.running_mean, self.running_variance
        else:
            mean, variance = pt.mean(z, axis=self.axis, keepdims=True), pt.var(z, axis=self.axis, keepdims=True)
            if self.kind == "batch":
                self.batch = mean[0], variance[0], pt.cast(z.shape[0], z.dtype)  # n: the batch's rows, as a float
        return self.scale * ((z - mean) / pt.sqrt(variance + self.epsilon)) + self.offset

    def updates(self):
        """The running statistics' updates, a step of m toward the last training graph's batch (batch normalization's
        alone)."""
        if self.kind != "batch":
            return []
        (mean, variance, n), m = self.batch, self.momentum
        return [(self.running_mean, (1 - m) * self.running_mean + m * mean),
                (self.running_variance, (1 - m) * self.running_variance + m * variance * n / (n - 1))]


def forward(weights, x, activation="sigmoid", output_activation="sigmoid", biases=None, norms=None, training=True):
    """ŷ, a symbol. norms: a Normalization per hidden layer, or None; training: batch normalization by the batch's
    statistics, else by the running ones (inference mode)."""
    for i, w in enumerate(weights):
        last = i == len(weights) - 1
        z = x @ w if biases is None else x @ w + biases[i]
        if norms is not None and not last:
            z = norms[i](z, training)
        x = ACTIVATIONS[output_activation if last else activation](z)
    return x


def loss_fn(weights, x, y, activation="sigmoid", output_activation="sigmoid", loss="half-sse", biases=None,
            norms=None):
    """The loss, and the error y − ŷ beside it: symbols, computed only when the compiled function runs (the forward
    pass in training mode)."""
    y_hat = forward(weights, x, activation, output_activation, biases, norms)
    return LOSSES[loss](y, y_hat), y - y_hat


# Each optimizer's step for one parameter from its gradient g, written out as NumPy's reference writes it (PyTensor
# has none of its own), symbolically: it returns the step and the updates of the parameter's state, shared
# variables b, m, v (t counts the steps; h holds the hyperparameters as constants of the run's dtype).
def sgd(g, state, h):
    return g, []


def momentum(g, state, h):  # b = μb + g, step b
    b = h["momentum"] * state["b"] + g
    return b, [(state["b"], b)]


def nesterov(g, state, h):  # the same b, step g + μb
    b = h["momentum"] * state["b"] + g
    return g + h["momentum"] * b, [(state["b"], b)]


def rmsprop(g, state, h):  # v = ρv + (1 − ρ)g², step g/(√v + ε)
    v = h["rho"] * state["v"] + (1 - h["rho"]) * g**2
    return g / (pt.sqrt(v) + h["epsilon"]), [(state["v"], v)]


def adam(g, state, h):  # step m̂/(√v̂ + ε)
    m = h["beta1"] * state["m"] + (1 - h["beta1"]) * g
    v = h["beta2"] * state["v"] + (1 - h["beta2"]) * g**2
    m_hat, v_hat = m / (1 - h["beta1"] ** state["t"]), v / (1 - h["beta2"] ** state["t"])
    return m_hat / (pt.sqrt(v_hat) + h["epsilon"]), [(state["m"], m), (state["v"], v)]


OPTIMIZERS = {"sgd": sgd, "momentum": momentum, "nesterov": nesterov, "rmsprop": rmsprop, "adam": adam}

# Each learning-rate schedule: the factor of the first rate at t, the steps (or epochs) done before this step, a
# shared variable; h holds the schedule's parameters as constants of the run's dtype, and π is made one too.
SCHEDULES = {
    "exponential": lambda t, h: h["decay_rate"] ** (t / h["decay_steps"]),
    "step": lambda t, h: h["decay_rate"] ** pt.floor(t / h["decay_steps"]),
    "cosine": lambda t, h: h["alpha"] + (1 - h["alpha"]) * 0.5 * (
        1 + pt.cos(pt.constant(np.pi, dtype=t.dtype) * pt.minimum(t, h["decay_steps"]) / h["decay_steps"])),
}


def clipped(grads, clip_norm=None, clip="global", clip_value=None):
    """The gradients clipped, symbolically: each entry to [−c, c] (clip_value), or rescaled to norm at most c
    (clip_norm), the norm of all of them together (global) or of each on its own (per-variable)."""
    if clip_value is not None:
        return [pt.clip(g, -clip_value, clip_value) for g in grads]
    if clip_norm is None:
        return grads
    if clip == "global":
        norms = [pt.sqrt(sum(pt.sum(g**2) for g in grads))] * len(grads)
    else:
        norms = [pt.sqrt(pt.sum(g**2)) for g in grads]
    return [pt.switch(norm > clip_norm, g * (clip_norm / norm), g) for g, norm in zip(grads, norms, strict=True)]


class Network:
    """Dense layers trained by full-batch gradient descent: by default the blog's, sigmoid layers without biases
    and ½·Σ(y − ŷ)²."""

    def __init__(self, weights, learning_rate, dtype, *, biases=None, activation="sigmoid",
                 output_activation="sigmoid", loss="half-sse", optimizer="sgd", momentum=0.9, rho=0.99, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, batch_size=None, orders=None, weight_decay=0.0, decay="coupled", l2=0.0,
                 schedule=None, schedule_per="step", decay_rate=None, decay_steps=None, alpha=0.0, clip_norm=None,
                 clip="global", clip_value=None, norm=None, norm_momentum=0.1, norm_epsilon=1e-5):
        self.dtype, self.activation, self.output_activation, self.loss = dtype, activation, output_activation, loss
        self.optimizer, self.schedule_per = optimizer, schedule_per
        # Mini-batches of batch_size rows (None: all), in row order or each epoch's order from `orders`.
        self.batch_size, self.orders, self.epochs_done = batch_size, orders, 0
        self.weights = [pytensor.shared(np.asarray(w, dtype=dtype), name=f"w{i}") for i, w in enumerate(weights)]
        self.biases = None if biases is None else [pytensor.shared(np.asarray(b, dtype=dtype), name=f"b{i}")
                                                   for i, b in enumerate(biases)]
        # A normalization layer after each hidden Dense layer, or none (the blog's).
        self.norm = norm
        self.norms = None if norm is None else [Normalization(norm, np.shape(w)[1], dtype, norm_momentum,
                                                              norm_epsilon, name=f"n{i}")
                                                for i, w in enumerate(weights[:-1])]
        # What pytensor.grad differentiates and the update rule updates: weights, biases, then the normalization
        # layers' γ and β.
        self.variables = self.weights + (self.biases or []) + [n.scale for n in self.norms or []] + [
            n.offset for n in self.norms or []]
        # The learning rate, the hyperparameters and the training loop's options as constants of the weights' dtype:
        # a Python float would lift a float32 update to float64.
        def constant(value):
            return None if value is None else pt.constant(value, dtype=dtype)

        learning_rate = constant(learning_rate)
        hyper = {name: constant(value) for name, value in
                 {"momentum": momentum, "rho": rho, "beta1": beta1, "beta2": beta2, "epsilon": epsilon}.items()}
        x, y = pt.matrix("x", dtype=dtype), pt.matrix("y", dtype=dtype)
        loss, error = loss_fn(self.weights, x, y, activation, output_activation, loss, self.biases, self.norms)
        if l2:  # the penalty l·Σθ² is part of the cost, and pytensor.grad derives its 2lθ with the rest
            loss += constant(l2) * sum(pt.sum(v**2) for v in self.variables)
        # The gradients clipped (clip_value, or clip_norm over all of them or each: clip), then weight decay λθ added
        # to them if it is coupled; decoupled, it joins each step below, from θ before the update.
        grads = clipped(pytensor.grad(loss, self.variables), constant(clip_norm), clip, constant(clip_value))
        if weight_decay and decay == "coupled":
            grads = [g + constant(weight_decay) * w for g, w in zip(grads, self.variables, strict=True)]
        # The optimizer's state, shared variables that the train step updates: the steps taken t (for Adam's
        # corrections and a schedule), and per parameter its b, m and v. The epochs done, a schedule's other t, are
        # counted by fit.
        self.t = pytensor.shared(np.asarray(0, dtype=dtype), name="t")
        self.clock = {"step": self.t, "epoch": pytensor.shared(np.asarray(0, dtype=dtype), name="epochs")}
        self.states = [{name: pytensor.shared(np.zeros_like(w.get_value()), name=f"{w.name}_{name}") for name in "bmv"}
                       for w in self.variables]
        if schedule is not None:  # the rate at t, the steps or epochs done before this step
            learning_rate = learning_rate * SCHEDULES[schedule](self.clock[schedule_per], {
                "decay_rate": constant(decay_rate), "decay_steps": constant(decay_steps), "alpha": constant(alpha)})
        # The running statistics move with the step, from this batch's μ and σ².
        updates = [(self.t, self.t + 1), *(update for n in self.norms or [] for update in n.updates())]
        for w, grad, state in zip(self.variables, grads, self.states, strict=True):
            step, state_updates = OPTIMIZERS[optimizer](grad, {**state, "t": self.t + 1}, hyper)
            if weight_decay and decay == "decoupled":
                step = step + constant(weight_decay) * w
            updates += [(w, w - learning_rate * step), *state_updates]
        self.train_step = pytensor.function([x, y], [loss, pt.mean(pt.abs(error))], updates=updates)
        # Predictions: batch normalization with its running statistics, inference mode.
        self.forward = pytensor.function([x], forward(self.weights, x, activation, output_activation, self.biases,
                                                      self.norms, training=False))

    def fit(self, x, y, epochs):
        """Train for `epochs` epochs; each epoch's loss and mean |error| come from its steps' forward passes, before
        their updates (one step per mini-batch, their mean weighted by the rows in each; one step for the blog's)."""
        x, y = x.astype(self.dtype), y.astype(self.dtype)
        loss, mean_abs_error, step_loss = np.empty(epochs), np.empty(epochs), []
        size = self.batch_size or len(x)
        whole = self.orders is None and size >= len(x)  # the blog's: every row, in order, one step
        for epoch in range(epochs):
            if whole:
                steps = [(*self.train_step(x, y), len(x))]
            else:
                rows = np.arange(len(x)) if self.orders is None else self.orders[self.epochs_done % len(self.orders)]
                steps = [(*self.train_step(x[b], y[b]), len(b))
                         for b in (rows[i:i + size] for i in range(0, len(x), size))]
            loss[epoch], mean_abs_error[epoch] = steps[0][:2] if len(steps) == 1 else (
                sum(n * s[k] for *s, n in steps) / len(x) for k in (0, 1))
            step_loss += [s[0] for s in steps]
            self.epochs_done += 1
            if self.schedule_per == "epoch":  # a schedule's t, counted only where it is read
                self.clock["epoch"].set_value(self.clock["epoch"].get_value() + 1)
        return {"loss": loss, "mean_abs_error": mean_abs_error, "step_loss": np.array(step_loss)}

    def get_weights(self):
        return [w.get_value() for w in self.weights]

    def get_biases(self):
        return None if self.biases is None else [b.get_value() for b in self.biases]

    def get_normalization(self):
        """The normalization layers' γ ("scales"), β ("offsets") and, for batch normalization, running statistics, a
        list of each over the hidden layers; None without them."""
        if self.norms is None:
            return None
        out = {"scales": [n.scale.get_value() for n in self.norms],
               "offsets": [n.offset.get_value() for n in self.norms]}
        if self.norm == "batch":
            out.update(running_means=[n.running_mean.get_value() for n in self.norms],
                       running_variances=[n.running_variance.get_value() for n in self.norms])
        return out

    def predict(self, x):
        return self.forward(x.astype(self.dtype))

    def __repr__(self):
        sizes = [self.weights[0].get_value().shape[0]] + [w.get_value().shape[1] for w in self.weights]
        return (f"Network({'→'.join(map(str, sizes))} {self.activation}, {self.output_activation} out, "
                f"{self.loss}, {self.optimizer}, pytensor, {self.dtype})")


def train(x, y, weights, epochs, learning_rate, dtype, **network):
    """Train from `weights`; return per-epoch loss and mean |error|, final weights (and biases) and predictions, as
    NumPy. network: the Network's keyword options (biases, activation, output_activation, loss, optimizer and its
    hyperparameters, weight decay, the L2 penalty, the schedule, clipping, the normalization layers)."""
    net = Network(weights, learning_rate, dtype, **network)
    history = net.fit(x, y, epochs)
    return {**history, "weights": net.get_weights(), "biases": net.get_biases(),
            "normalization": net.get_normalization(), "predictions": net.predict(x)}
