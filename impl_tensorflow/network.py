"""The blog's network in TensorFlow without Keras: tf.Variables, a GradientTape, and a train step in tf.function.

This is the level below Keras: the forward pass, the loss and the update are written out, and TensorFlow supplies
the gradients (the tape) and the graph (tf.function traces the step once and runs it as a graph after that).
"""
import numpy as np
import tensorflow as tf

ACTIVATIONS = {"sigmoid": tf.sigmoid, "tanh": tf.tanh, "relu": tf.nn.relu, "linear": tf.identity}
LOSSES = {  # over the batch; the means are over the rows (one output each)
    "half-sse": lambda y, y_hat: 0.5 * tf.reduce_sum(tf.square(y - y_hat)),  # the blog's
    "mse": lambda y, y_hat: tf.reduce_mean(tf.square(y - y_hat)),
    "bce": lambda y, y_hat: -tf.reduce_mean(y * tf.math.log(y_hat) + (1 - y) * tf.math.log(1 - y_hat)),
}


# Each optimizer's step for one parameter from its gradient g, written out as NumPy's reference writes it: TensorFlow
# without Keras has none of its own. `state` holds the parameter's tf.Variables (b, m, v) and the step count t.
def sgd(g, state, h):
    return g


def momentum(g, state, h):  # b = μb + g, step b
    return state["b"].assign(h["momentum"] * state["b"] + g)


def nesterov(g, state, h):  # the same b, step g + μb
    return g + h["momentum"] * state["b"].assign(h["momentum"] * state["b"] + g)


def rmsprop(g, state, h):  # v = ρv + (1 − ρ)g², step g/(√v + ε)
    v = state["v"].assign(h["rho"] * state["v"] + (1 - h["rho"]) * g**2)
    return g / (tf.sqrt(v) + h["epsilon"])


def adam(g, state, h):  # step m̂/(√v̂ + ε)
    m = state["m"].assign(h["beta1"] * state["m"] + (1 - h["beta1"]) * g)
    v = state["v"].assign(h["beta2"] * state["v"] + (1 - h["beta2"]) * g**2)
    m_hat, v_hat = m / (1 - h["beta1"] ** state["t"]), v / (1 - h["beta2"] ** state["t"])
    return m_hat / (tf.sqrt(v_hat) + h["epsilon"])


OPTIMIZERS = {"sgd": sgd, "momentum": momentum, "nesterov": nesterov, "rmsprop": rmsprop, "adam": adam}

# Each learning-rate schedule: the factor of the first rate at t, the steps (or epochs) done before this step, a
# tensor read from a tf.Variable, so that tf.function traces the step once and not once per value of t.
SCHEDULES = {
    "exponential": lambda t, h: h["decay_rate"] ** (t / h["decay_steps"]),
    "step": lambda t, h: h["decay_rate"] ** tf.floor(t / h["decay_steps"]),
    "cosine": lambda t, h: h["alpha"] + (1 - h["alpha"]) * 0.5 * (1 + tf.cos(np.pi * tf.minimum(t, h["decay_steps"])
                                                                           / h["decay_steps"])),
}


def clip(grads, clip_norm=None, clip="global", clip_value=None):
    """The gradients clipped by TensorFlow's own ops: each entry to [−c, c] (clip_value), or rescaled to norm at most
    c (clip_norm), the norm of all of them together (global) or of each on its own (per-variable)."""
    if clip_value is not None:
        return [tf.clip_by_value(g, -clip_value, clip_value) for g in grads]
    if clip_norm is None:
        return grads
    if clip == "global":
        return tf.clip_by_global_norm(grads, clip_norm)[0]  # (the clipped gradients, their norm before)
    return [tf.clip_by_norm(g, clip_norm) for g in grads]


class Normalization:
    """A normalization layer on a hidden layer's z, before its activation: γ·(z − μ)/√(σ² + ε) + β, with TensorFlow's
    own tf.nn.moments (μ and the biased σ²) and tf.nn.batch_normalization (the formula), which serves layer
    normalization too: only the axis of μ and σ² differs. γ and β are tf.Variables the tape differentiates, γ
    starting at 1 and β at 0.

    batch: μ and σ² are each unit's over the batch's rows in training; the running ones in predictions, tf.Variables
    outside the tape that move m of the way to each batch's: μ_r ← (1 − m)·μ_r + m·μ, σ²_r ← (1 − m)·σ²_r +
    m·n/(n − 1)·σ² (the unbiased variance, as the batch-normalization paper and torch keep it; starting at 0 and 1).
    layer: μ and σ² are each row's over its units, in training and predictions alike.
    """

    def __init__(self, kind, width, dtype, momentum=0.1, epsilon=1e-5, name="n"):
        self.kind, self.momentum, self.epsilon = kind, momentum, epsilon
        self.scale = tf.Variable(tf.ones(width, dtype), name=f"{name}_gamma")
        self.offset = tf.Variable(tf.zeros(width, dtype), name=f"{name}_beta")
        self.running_mean = tf.Variable(tf.zeros(width, dtype), trainable=False, name=f"{name}_mean")
        self.running_variance = tf.Variable(tf.ones(width, dtype), trainable=False, name=f"{name}_variance")
        self.axis = 0 if kind == "batch" else 1  # what μ and σ² are taken over: the rows, or each row's units

    def __call__(self, z, training=True):
        """γ·x̂ + β; in training, the batch's μ and σ² are kept for track."""
        if self.kind == "batch" and not training:
            mean, variance = self.running_mean, self.running_variance
        else:
            mean, variance = tf.nn.moments(z, axes=[self.axis], keepdims=True)
            if self.kind == "batch":  # tensors of the same trace as track's, in the train step
                self.batch = mean[0], variance[0], tf.cast(tf.shape(z)[0], z.dtype)  # n: the batch's rows
        # z·γ/√(σ² + ε) + (β − μ·γ/√(σ² + ε)): the reference's formula, rounded otherwise by an ulp or so.
        return tf.nn.batch_normalization(z, mean, variance, self.offset, self.scale, self.epsilon)

    def track(self):
        """The running statistics, a step of m toward the last training batch's (batch normalization's alone)."""
        if self.kind == "batch":
            mean, variance, n = self.batch
            self.running_mean.assign((1 - self.momentum) * self.running_mean + self.momentum * mean)
            self.running_variance.assign((1 - self.momentum) * self.running_variance
                                         + self.momentum * variance * n / (n - 1))


def forward(weights, x, activation="sigmoid", output_activation="sigmoid", biases=None, norms=None, training=True):
    """ŷ. norms: a Normalization per hidden layer, or None; training: batch normalization by the batch's statistics,
    else by the running ones (inference mode)."""
    for i, w in enumerate(weights):
        last = i == len(weights) - 1
        z = x @ w if biases is None else x @ w + biases[i]
        if norms is not None and not last:
            z = norms[i](z, training)
        x = ACTIVATIONS[output_activation if last else activation](z)
    return x


def loss_fn(weights, x, y, activation="sigmoid", output_activation="sigmoid", loss="half-sse", biases=None,
            norms=None):
    """The loss, and the error y − ŷ beside it (the forward pass in training mode)."""
    y_hat = forward(weights, x, activation, output_activation, biases, norms)
    return LOSSES[loss](y, y_hat), y - y_hat


class Network:
    """Dense layers trained by full-batch gradient descent: by default the blog's, sigmoid layers without biases
    and ½·Σ(y − ŷ)²."""

    def __init__(self, weights, learning_rate, dtype, *, biases=None, activation="sigmoid",
                 output_activation="sigmoid", loss="half-sse", optimizer="sgd", momentum=0.9, rho=0.99, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, batch_size=None, orders=None, weight_decay=0.0, decay="coupled", l2=0.0,
                 schedule=None, schedule_per="step", decay_rate=None, decay_steps=None, alpha=0.0, clip_norm=None,
                 clip="global", clip_value=None, norm=None, norm_momentum=0.1, norm_epsilon=1e-5, loop=False):
        self.dtype = tf.as_dtype(dtype)
        self.activation, self.output_activation, self.loss = activation, output_activation, loss
        self.weights = [tf.Variable(w, dtype=self.dtype, name=f"w{i}") for i, w in enumerate(weights)]
        self.biases = None if biases is None else [tf.Variable(b, dtype=self.dtype, name=f"b{i}")
                                                   for i, b in enumerate(biases)]
        # A normalization layer after each hidden Dense layer, or none (the blog's).
        self.norm = norm
        self.norms = None if norm is None else [Normalization(norm, w.shape[1], self.dtype, norm_momentum,
                                                              norm_epsilon, name=f"n{i}")
                                                for i, w in enumerate(self.weights[:-1])]
        # What the tape differentiates and the optimizer updates: weights, biases, then the normalization layers' γ
        # and β.
        self.variables = self.weights + (self.biases or []) + [n.scale for n in self.norms or []] + [
            n.offset for n in self.norms or []]
        self.learning_rate = tf.constant(learning_rate, dtype=self.dtype)
        self.optimizer = optimizer
        self.hyper = {"momentum": momentum, "rho": rho, "beta1": beta1, "beta2": beta2, "epsilon": epsilon}
        self.t = tf.Variable(0, dtype=self.dtype, name="t")  # steps taken, for Adam's corrections and a schedule
        self.states = [{name: tf.Variable(tf.zeros_like(p), name=f"{p.name[:-2]}_{name}") for name in "bmv"}
                       | {"t": self.t} for p in self.variables]
        # Mini-batches of batch_size rows (None: all), in row order or each epoch's order from `orders`.
        self.batch_size, self.orders, self.epochs_done = batch_size, orders, 0
        # The training loop's options: weight decay λ (coupled: λθ added to the gradient; decoupled: θ −= lr·λ·θ
        # beside the step), an L2 penalty l·Σθ² in the loss, the rate's schedule and the gradients' clipping. A
        # schedule's t is a tf.Variable, the steps taken or the epochs done: the traced step reads it at each call.
        self.weight_decay, self.decay, self.l2 = weight_decay, decay, l2
        self.schedule, self.schedule_per = schedule, schedule_per
        self.schedule_hyper = {"decay_rate": decay_rate, "decay_steps": decay_steps, "alpha": alpha}
        self.clipping = {"clip_norm": clip_norm, "clip": clip, "clip_value": clip_value}
        self.clock = {"step": self.t, "epoch": tf.Variable(0, dtype=self.dtype, name="epochs")}
        self.loop = loop  # True: all of fit's epochs in one tf.function (train_epochs), the idiom for speed

    @tf.function
    def train_step(self, x, y):
        """One step: the loss of the forward pass (with the L2 penalty, if any), its gradients from the tape,
        clipped, then w ← w − lr·step (for SGD, the step is ∂loss/∂w), lr at its schedule's t."""
        with tf.GradientTape() as tape:
            loss, error = loss_fn(self.weights, x, y, self.activation, self.output_activation, self.loss, self.biases,
                                  self.norms)
            if self.l2:  # inside the tape: its gradient 2lθ comes with the loss's
                loss += self.l2 * tf.add_n([tf.reduce_sum(tf.square(v)) for v in self.variables])
        grads = clip(tape.gradient(loss, self.variables), **self.clipping)
        for n in self.norms or []:  # the running statistics, from this batch's μ and σ²
            n.track()
        if self.weight_decay and self.decay == "coupled":
            grads = [g + self.weight_decay * w for g, w in zip(grads, self.variables, strict=True)]
        rate = self.rate()  # read before t counts this step
        self.t.assign_add(1)
        for w, grad, state in zip(self.variables, grads, self.states, strict=True):
            step = OPTIMIZERS[self.optimizer](grad, state, self.hyper)
            if self.weight_decay and self.decay == "decoupled":  # from w before its update, as the gradient
                step = step + self.weight_decay * w
            w.assign_sub(rate * step)
        return loss, tf.reduce_mean(tf.abs(error))

    def rate(self):
        """The learning rate of the step about to be taken: the first one, times its schedule's factor."""
        if self.schedule is None:
            return self.learning_rate
        return self.learning_rate * SCHEDULES[self.schedule](self.clock[self.schedule_per], self.schedule_hyper)

    @tf.function(reduce_retracing=True)
    def train_epochs(self, x, y, orders):
        """One epoch per row of `orders` (each epoch's order of the rows) in one graph: a tf.range loop, no Python
        between epochs, each epoch's loss and mean |error| (and each step's loss) written into TensorArrays, in
        float64 as fit's Python floats are. The mini-batches of an epoch are unrolled; the train step is fit's."""
        rows, size = x.shape[0], self.batch_size or x.shape[0]
        whole = self.orders is None and size >= rows  # the blog's: every row, in order, one step
        starts = range(0, rows, size)
        epochs = tf.shape(orders)[0]
        losses, errors = tf.TensorArray(tf.float64, size=epochs), tf.TensorArray(tf.float64, size=epochs)
        step_losses = tf.TensorArray(tf.float64, size=epochs * len(starts))
        for epoch in tf.range(epochs):
            total_loss = total_error = tf.constant(0.0, tf.float64)
            for j, i in enumerate(starts):
                batch = orders[epoch, i:i + size]
                xb, yb = (x, y) if whole else (tf.gather(x, batch), tf.gather(y, batch))
                batch_loss, batch_error = (tf.cast(v, tf.float64) for v in self.train_step(xb, yb))
                step_losses = step_losses.write(epoch * len(starts) + j, batch_loss)
                n = float(min(size, rows - i))
                total_loss, total_error = total_loss + n * batch_loss, total_error + n * batch_error
            if len(starts) == 1:
                losses, errors = losses.write(epoch, batch_loss), errors.write(epoch, batch_error)
            else:
                losses, errors = losses.write(epoch, total_loss / rows), errors.write(epoch, total_error / rows)
            if self.schedule_per == "epoch":
                self.clock["epoch"].assign_add(1)
        return losses.stack(), errors.stack(), step_losses.stack()

    def fit(self, x, y, epochs):
        """Train for `epochs` epochs; each epoch's loss and mean |error| come from its steps' forward passes, before
        their updates (one step per mini-batch, their mean weighted by the rows in each; one step for the blog's)."""
        x, y = tf.constant(x, dtype=self.dtype), tf.constant(y, dtype=self.dtype)
        if self.loop:
            done = range(self.epochs_done, self.epochs_done + epochs)
            orders = (np.broadcast_to(np.arange(len(x)), (epochs, len(x))) if self.orders is None
                      else np.array([self.orders[e % len(self.orders)] for e in done]))
            self.epochs_done += epochs
            loss, mean_abs_error, step_loss = self.train_epochs(x, y, tf.constant(orders, dtype=tf.int64))
            return {"loss": loss.numpy(), "mean_abs_error": mean_abs_error.numpy(), "step_loss": step_loss.numpy()}
        loss, mean_abs_error, step_loss = np.empty(epochs), np.empty(epochs), []
        size = self.batch_size or len(x)
        whole = self.orders is None and size >= len(x)  # the blog's: every row, in order, one step
        for epoch in range(epochs):
            batches = [(x, y)]
            if not whole:
                rows = np.arange(len(x)) if self.orders is None else self.orders[self.epochs_done % len(self.orders)]
                batches = [(tf.gather(x, b), tf.gather(y, b))
                           for b in (rows[i:i + size] for i in range(0, len(x), size))]
            steps = []
            for xb, yb in batches:
                batch_loss, batch_error = self.train_step(xb, yb)
                steps.append((float(batch_loss), float(batch_error), len(xb)))
            loss[epoch], mean_abs_error[epoch] = steps[0][:2] if len(steps) == 1 else (
                sum(n * s[k] for *s, n in steps) / len(x) for k in (0, 1))
            step_loss += [s[0] for s in steps]
            self.epochs_done += 1
            if self.schedule_per == "epoch":  # a schedule's t, counted only where it is read
                self.clock["epoch"].assign_add(1)
        return {"loss": loss, "mean_abs_error": mean_abs_error, "step_loss": np.array(step_loss)}

    def get_weights(self):
        return [w.numpy() for w in self.weights]

    def get_biases(self):
        return None if self.biases is None else [b.numpy() for b in self.biases]

    def get_normalization(self):
        """The normalization layers' γ ("scales"), β ("offsets") and, for batch normalization, running statistics, a
        list of each over the hidden layers; None without them."""
        if self.norms is None:
            return None
        out = {"scales": [n.scale.numpy() for n in self.norms], "offsets": [n.offset.numpy() for n in self.norms]}
        if self.norm == "batch":
            out.update(running_means=[n.running_mean.numpy() for n in self.norms],
                       running_variances=[n.running_variance.numpy() for n in self.norms])
        return out

    def predict(self, x):  # batch normalization with its running statistics: inference mode
        x = tf.constant(x, dtype=self.dtype)
        return forward(self.weights, x, self.activation, self.output_activation, self.biases, self.norms,
                       training=False).numpy()

    def __repr__(self):
        sizes = [self.weights[0].shape[0]] + [w.shape[1] for w in self.weights]
        return (f"Network({'→'.join(map(str, sizes))} {self.activation}, {self.output_activation} out, "
                f"{self.loss}, {self.optimizer}, tensorflow, {self.dtype.name})")


def train(x, y, weights, epochs, learning_rate, dtype, **network):
    """Train from `weights`; return per-epoch loss and mean |error|, final weights (and biases) and predictions, as
    NumPy. network: the Network's keyword options (biases, activation, output_activation, loss, optimizer and its
    hyperparameters, weight decay, the L2 penalty, the schedule, clipping, the normalization layers)."""
    net = Network(weights, learning_rate, dtype, **network)
    history = net.fit(x, y, epochs)
    return {**history, "weights": net.get_weights(), "biases": net.get_biases(),
            "normalization": net.get_normalization(), "predictions": net.predict(x)}
