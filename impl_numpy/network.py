"""The blog's network in plain NumPy: the forward pass, the backward pass by hand, and the update.

For the blog's 3→4→1 network, `forward` returns its [l0, l1, l2] and `backward` walks down from l2_delta to
l1_delta; here the same loop serves any number of layers, and the activations and the loss are chosen by name.
"""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# Each activation beside its derivative, the derivative written in terms of the layer's output a = f(z), as the
# blog writes sigmoid's: s·(1 − s). ReLU's slope at 0 is taken as 0 (a > 0 is False there), as the frameworks do.
ACTIVATIONS = {
    "sigmoid": (sigmoid, lambda a: a * (1 - a)),
    "tanh": (np.tanh, lambda a: 1 - a**2),
    "relu": (lambda z: np.maximum(z, 0), lambda a: (a > 0).astype(a.dtype)),
    "linear": (lambda z: z, np.ones_like),
}

# Each loss over the batch beside its derivative with respect to ŷ; the means are over the rows (one output each).
# The array's own .sum() and .mean(): the bits of np.sum and np.mean, without the cost of their dispatch.
LOSSES = {
    "half-sse": (lambda y, y_hat: 0.5 * ((y - y_hat) ** 2).sum(), lambda y, y_hat: y_hat - y),  # the blog's
    "mse": (lambda y, y_hat: ((y - y_hat) ** 2).mean(), lambda y, y_hat: -2 * (y - y_hat) / len(y)),
    "bce": (lambda y, y_hat: -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)).mean(),
            lambda y, y_hat: (y_hat - y) / (y_hat * (1 - y_hat)) / len(y)),
}


# Each optimizer's step for one parameter from its gradient g, as the textbook writes it, beside each other. `state`
# is what the optimizer carries for that parameter from one step to the next; h holds the hyperparameters.
# The parameter then moves by −learning_rate × the step.
def sgd(g, state, h):
    return g


def momentum(g, state, h):  # b = μb + g, step b
    state["b"] = h["momentum"] * state.get("b", 0) + g
    return state["b"]


def nesterov(g, state, h):  # the same b, step g + μb: the gradient looks one step ahead
    state["b"] = h["momentum"] * state.get("b", 0) + g
    return g + h["momentum"] * state["b"]


def rmsprop(g, state, h):  # v = ρv + (1 − ρ)g², step g/(√v + ε)
    state["v"] = h["rho"] * state.get("v", 0) + (1 - h["rho"]) * g**2
    return g / (np.sqrt(state["v"]) + h["epsilon"])


def adam(g, state, h):  # m and v as RMSprop's v, each corrected for its start at 0; step m̂/(√v̂ + ε)
    t = state["t"] = state.get("t", 0) + 1
    state["m"] = h["beta1"] * state.get("m", 0) + (1 - h["beta1"]) * g
    state["v"] = h["beta2"] * state.get("v", 0) + (1 - h["beta2"]) * g**2
    m_hat, v_hat = state["m"] / (1 - h["beta1"] ** t), state["v"] / (1 - h["beta2"] ** t)
    return m_hat / (np.sqrt(v_hat) + h["epsilon"])


OPTIMIZERS = {"sgd": sgd, "momentum": momentum, "nesterov": nesterov, "rmsprop": rmsprop, "adam": adam}

# Each learning-rate schedule: the factor of the first rate at t, the steps (or epochs) done before this step.
SCHEDULES = {
    "exponential": lambda t, h: h["decay_rate"] ** (t / h["decay_steps"]),
    "step": lambda t, h: h["decay_rate"] ** (t // h["decay_steps"]),
    "cosine": lambda t, h: h["alpha"] + (1 - h["alpha"]) * 0.5 * (1 + np.cos(np.pi * min(t, h["decay_steps"])
                                                                           / h["decay_steps"])),
}


def clip(grads, clip_norm=None, clip="global", clip_value=None):
    """The gradients clipped: each entry to [−c, c] (clip_value), or rescaled to norm at most c (clip_norm), the norm
    of all of them together (global) or of each on its own (per-variable)."""
    if clip_value is not None:
        return [np.clip(g, -clip_value, clip_value) for g in grads]
    if clip_norm is None:
        return grads
    norms = [np.sqrt((g**2).sum()) for g in grads]
    if clip == "global":
        norms = [np.sqrt(sum(n**2 for n in norms))] * len(grads)
    return [g if n <= clip_norm else g * (clip_norm / n) for g, n in zip(grads, norms, strict=True)]


def forward(x, weights, activation="sigmoid", output_activation="sigmoid", biases=None):
    """Every layer's output, input first: [l0, l1, …, ŷ]."""
    layers = [x]
    for i, w in enumerate(weights):
        f, _ = ACTIVATIONS[output_activation if i == len(weights) - 1 else activation]
        z = layers[-1] @ w if biases is None else layers[-1] @ w + biases[i]
        layers.append(f(z))
    return layers


def backward(layers, y, weights, activation="sigmoid", output_activation="sigmoid", loss="half-sse", bias=False):
    """The gradient of the loss with respect to each weight matrix, by the chain rule; and to each bias vector when
    bias is True (else None)."""
    y_hat = layers[-1]
    # ∂loss/∂z of the output layer: ∂loss/∂ŷ × its activation's slope. The blog's l2_delta, error × sigmoid'(z), is
    # minus this for ½·Σ(y − ŷ)²: its delta points downhill, the one here uphill, as a gradient does.
    delta = LOSSES[loss][1](y, y_hat) * ACTIVATIONS[output_activation][1](y_hat)
    grads, bias_grads = [None] * len(weights), [None] * len(weights) if bias else None
    for i in reversed(range(len(weights))):
        grads[i] = layers[i].T @ delta
        if bias:
            bias_grads[i] = delta.sum(axis=0)  # a bias is a weight whose input is always 1
        if i > 0:
            delta = (delta @ weights[i].T) * ACTIVATIONS[activation][1](layers[i])  # l1_delta, one layer down
    return grads, bias_grads


class Network:
    """Dense layers trained by full-batch gradient descent: by default the blog's, sigmoid layers without biases
    and ½·Σ(y − ŷ)²."""

    def __init__(self, weights, learning_rate, dtype, *, biases=None, activation="sigmoid",
                 output_activation="sigmoid", loss="half-sse", optimizer="sgd", momentum=0.9, rho=0.99, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, batch_size=None, orders=None, weight_decay=0.0, decay="coupled", l2=0.0,
                 schedule=None, schedule_per="step", decay_rate=None, decay_steps=None, alpha=0.0, clip_norm=None,
                 clip="global", clip_value=None):
        self.dtype = np.dtype(dtype)
        self.weights = [np.array(w, dtype=self.dtype) for w in weights]  # copies: training updates them in place
        self.biases = None if biases is None else [np.array(b, dtype=self.dtype) for b in biases]
        self.parameters = self.weights + (self.biases or [])  # the same arrays: weights, then biases
        self.learning_rate = self.dtype.type(learning_rate)
        self.activation, self.output_activation, self.loss = activation, output_activation, loss
        self.optimizer = optimizer
        self.hyper = {"momentum": momentum, "rho": rho, "beta1": beta1, "beta2": beta2, "epsilon": epsilon}
        self.states = [{} for _ in self.parameters]  # what the optimizer carries, one per parameter
        # Mini-batches of batch_size rows (None: all of them), in row order or, per epoch, in the order of the rows
        # that `orders` gives for it (one permutation per epoch, the same for every framework).
        self.batch_size, self.orders, self.epochs_done = batch_size, orders, 0
        # The training loop's options: weight decay λ (coupled: λθ added to the gradient; decoupled: θ −= lr·λ·θ
        # beside the step), an L2 penalty l·Σθ² in the loss, the rate's schedule and the gradients' clipping.
        self.weight_decay, self.decay, self.l2 = self.dtype.type(weight_decay), decay, self.dtype.type(l2)
        self.schedule, self.schedule_per = schedule, schedule_per
        self.schedule_hyper = {"decay_rate": decay_rate, "decay_steps": decay_steps, "alpha": alpha}
        self.clipping = {"clip_norm": clip_norm, "clip": clip, "clip_value": clip_value}
        self.clock = {"step": 0, "epoch": 0}  # the optimizer steps and the epochs done: a schedule's t

    def fit(self, x, y, epochs):
        """Train for `epochs` epochs; each epoch's loss and mean |error| come from its steps' forward passes, before
        their updates (one step per mini-batch, their mean weighted by the rows in each; one step for the blog's)."""
        x, y = x.astype(self.dtype), y.astype(self.dtype)
        loss, mean_abs_error, step_loss = np.empty(epochs), np.empty(epochs), []
        size = self.batch_size or len(x)
        whole = self.orders is None and size >= len(x)  # the blog's: every row, in order, one step
        for epoch in range(epochs):
            if whole:  # the epoch is its one step
                loss[epoch], mean_abs_error[epoch] = self.step(x, y)
                step_loss.append(loss[epoch])
            else:
                rows = np.arange(len(x)) if self.orders is None else self.orders[self.epochs_done % len(self.orders)]
                steps = [(*self.step(x[b], y[b]), len(b)) for b in (rows[i:i + size] for i in range(0, len(x), size))]
                loss[epoch], mean_abs_error[epoch] = steps[0][:2] if len(steps) == 1 else (
                    sum(n * s[k] for *s, n in steps) / len(x) for k in (0, 1))
                step_loss += [s[0] for s in steps]
            self.epochs_done += 1
            self.clock["epoch"] += 1
        return {"loss": loss, "mean_abs_error": mean_abs_error, "step_loss": np.array(step_loss)}

    def step(self, x, y):
        """One step on the rows x, y: (their loss, their mean |error|), then the update."""
        layers = forward(x, self.weights, self.activation, self.output_activation, self.biases)
        y_hat = layers[-1]
        loss, mean_abs_error = LOSSES[self.loss][0](y, y_hat), np.abs(y - y_hat).mean()
        grads, bias_grads = backward(layers, y, self.weights, self.activation, self.output_activation, self.loss,
                                     bias=self.biases is not None)
        grads = grads + (bias_grads or [])
        if self.l2:  # the penalty l·Σθ² is part of the loss, and 2lθ of its gradient
            loss += self.l2 * sum((p**2).sum() for p in self.parameters)
            grads = [g + 2 * self.l2 * p for g, p in zip(grads, self.parameters, strict=True)]
        grads = clip(grads, **self.clipping)
        if self.weight_decay and self.decay == "coupled":
            grads = [g + self.weight_decay * p for g, p in zip(grads, self.parameters, strict=True)]
        rate = self.rate()
        step = OPTIMIZERS[self.optimizer]
        for p, grad, state in zip(self.parameters, grads, self.states, strict=True):
            if self.weight_decay and self.decay == "decoupled":
                p -= rate * (step(grad, state, self.hyper) + self.weight_decay * p)
            else:
                p -= rate * step(grad, state, self.hyper)
        self.clock["step"] += 1
        return loss, mean_abs_error

    def rate(self):
        """The learning rate of the step about to be taken: the first one, times its schedule's factor."""
        if self.schedule is None:
            return self.learning_rate
        return self.learning_rate * SCHEDULES[self.schedule](self.clock[self.schedule_per], self.schedule_hyper)

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def get_biases(self):
        return None if self.biases is None else [b.copy() for b in self.biases]

    def predict(self, x):
        return forward(x.astype(self.dtype), self.weights, self.activation, self.output_activation, self.biases)[-1]

    def __repr__(self):
        sizes = [self.weights[0].shape[0]] + [w.shape[1] for w in self.weights]
        return (f"Network({'→'.join(map(str, sizes))} {self.activation}, {self.output_activation} out, {self.loss}, "
                f"{self.optimizer}, numpy, {self.dtype})")


def train(x, y, weights, epochs, learning_rate, dtype, **network):
    """Train from `weights`; return per-epoch loss and mean |error|, final weights (and biases) and predictions, as
    NumPy. network: the Network's keyword options (biases, activation, output_activation, loss, optimizer and its
    hyperparameters, weight decay, the L2 penalty, the schedule, clipping)."""
    net = Network(weights, learning_rate, dtype, **network)
    history = net.fit(x, y, epochs)
    return {**history, "weights": net.get_weights(), "biases": net.get_biases(), "predictions": net.predict(x)}
