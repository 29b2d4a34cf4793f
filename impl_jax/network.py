"""The blog's network in JAX: pure functions of the weights, jax.value_and_grad for the gradients, jax.jit to compile.

The parameters are a pytree, (weights, biases), that each step replaces rather than updates; biases is None for
the blog's network. JAX computes in float32 unless jax_enable_x64 is on, so it is switched on here, before any array
exists.
"""
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)  # else float64 arrays are silently made float32

ACTIVATIONS = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu, "linear": lambda z: z}
LOSSES = {  # over the batch; the means are over the rows (one output each)
    "half-sse": lambda y, y_hat: 0.5 * jnp.sum((y - y_hat) ** 2),  # the blog's
    "mse": lambda y, y_hat: jnp.mean((y - y_hat) ** 2),
    "bce": lambda y, y_hat: -jnp.mean(y * jnp.log(y_hat) + (1 - y) * jnp.log(1 - y_hat)),
}
NETWORK = ("activation", "output_activation", "loss")  # jit compiles once per choice of these (static arguments)


# Each optimizer's step for one parameter from its gradient g, as NumPy's reference writes it, but pure: it returns
# the parameter's new state (its SLOTS: b, m, v, and t, the step count) instead of changing it. JAX has none built in.
def sgd(g, state, h):
    return g, state


def momentum(g, state, h):  # b = μb + g, step b
    b = h["momentum"] * state["b"] + g
    return b, {**state, "b": b}


def nesterov(g, state, h):  # the same b, step g + μb
    b = h["momentum"] * state["b"] + g
    return g + h["momentum"] * b, {**state, "b": b}


def rmsprop(g, state, h):  # v = ρv + (1 − ρ)g², step g/(√v + ε)
    v = h["rho"] * state["v"] + (1 - h["rho"]) * g**2
    return g / (jnp.sqrt(v) + h["epsilon"]), {**state, "v": v}


def adam(g, state, h):  # step m̂/(√v̂ + ε)
    t = state["t"] + 1
    m = h["beta1"] * state["m"] + (1 - h["beta1"]) * g
    v = h["beta2"] * state["v"] + (1 - h["beta2"]) * g**2
    m_hat, v_hat = m / (1 - h["beta1"] ** t), v / (1 - h["beta2"] ** t)
    return m_hat / (jnp.sqrt(v_hat) + h["epsilon"]), {"t": t, "m": m, "v": v}


OPTIMIZERS = {"sgd": sgd, "momentum": momentum, "nesterov": nesterov, "rmsprop": rmsprop, "adam": adam}
SLOTS = {"sgd": (), "momentum": ("b",), "nesterov": ("b",), "rmsprop": ("v",), "adam": ("t", "m", "v")}  # the state


def forward(params, x, activation="sigmoid", output_activation="sigmoid"):
    weights, biases = params
    for i, w in enumerate(weights):
        z = x @ w if biases is None else x @ w + biases[i]
        x = ACTIVATIONS[output_activation if i == len(weights) - 1 else activation](z)
    return x


def loss_fn(params, x, y, activation="sigmoid", output_activation="sigmoid", loss="half-sse"):
    """The loss, and the error y − ŷ beside it (value_and_grad's has_aux)."""
    y_hat = forward(params, x, activation, output_activation)
    return LOSSES[loss](y, y_hat), y - y_hat


@partial(jax.jit, static_argnames=(*NETWORK, "optimizer", "hyper"))
def train_step(params, states, x, y, learning_rate, hyper, activation="sigmoid", output_activation="sigmoid",
               loss="half-sse", optimizer="sgd"):
    """One epoch: the loss of the forward pass and its gradients in one call, then p ← p − lr·step (for SGD, the
    step is ∂loss/∂p). states: one per parameter, in the order of the pytree's leaves; hyper: the hyperparameters as
    (name, value) pairs, static: Python floats folded into the compiled step, as NumPy's are into its arithmetic."""
    (value, error), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, y, activation, output_activation,
                                                                      loss)
    leaves, tree = jax.tree_util.tree_flatten(params)
    new_leaves, new_states = [], []
    for p, grad, state in zip(leaves, tree.flatten_up_to(grads), states, strict=True):
        step, state = OPTIMIZERS[optimizer](grad, state, dict(hyper))
        new_leaves.append(p - learning_rate * step)
        new_states.append(state)
    return (tree.unflatten(new_leaves), new_states), (value, jnp.mean(jnp.abs(error)))


def epoch_mean(steps, rows):
    """An epoch's loss or mean |error| from its steps' (value, rows): their mean weighted by the rows in each."""
    return steps[0][0] if len(steps) == 1 else sum(n * value for value, n in steps) / rows


@partial(jax.jit, static_argnames=("batch_size", "whole", *NETWORK, "optimizer", "hyper"))
def train_epochs(params, states, x, y, learning_rate, hyper, orders, batch_size, whole, **network):
    """One epoch per row of `orders` (each epoch's order of the rows) inside one compiled loop (lax.scan): no Python
    between epochs, the mini-batches of an epoch unrolled (whole: the blog's one step on every row, in order).
    Compiled once per number of epochs."""
    def epoch(carry, rows):
        steps = []
        for i in range(0, len(x), batch_size):
            batch = rows[i:i + batch_size]
            xb, yb = (x, y) if whole else (x[batch], y[batch])
            carry, (value, error) = train_step(*carry, xb, yb, learning_rate, hyper, **network)
            steps.append((value, error, len(range(i, min(i + batch_size, len(x))))))
        return carry, (epoch_mean([(v, n) for v, _, n in steps], len(x)),
                       epoch_mean([(e, n) for _, e, n in steps], len(x)), jnp.stack([v for v, _, _ in steps]))

    return jax.lax.scan(epoch, (params, states), orders)


class Network:
    """Dense layers trained by full-batch gradient descent: by default the blog's, sigmoid layers without biases
    and ½·Σ(y − ŷ)²."""

    def __init__(self, weights, learning_rate, dtype, *, biases=None, activation="sigmoid",
                 output_activation="sigmoid", loss="half-sse", optimizer="sgd", momentum=0.9, rho=0.99, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, batch_size=None, orders=None, scan=False):
        self.dtype = jnp.dtype(dtype)
        as_arrays = lambda arrays: [jnp.asarray(a, dtype=self.dtype) for a in arrays]  # noqa: E731
        self.params = (as_arrays(weights), None if biases is None else as_arrays(biases))
        self.learning_rate = jnp.asarray(learning_rate, dtype=self.dtype)
        self.activation, self.output_activation, self.loss = activation, output_activation, loss
        self.network = {"activation": activation, "output_activation": output_activation, "loss": loss}
        self.optimizer = optimizer
        self.hyper = (("momentum", momentum), ("rho", rho), ("beta1", beta1), ("beta2", beta2), ("epsilon", epsilon))
        self.states = [{slot: jnp.zeros((), self.dtype) if slot == "t" else jnp.zeros_like(p)
                        for slot in SLOTS[optimizer]} for p in jax.tree_util.tree_leaves(self.params)]
        self.scan = scan  # True: the epoch loop inside lax.scan, the idiom for speed
        # Mini-batches of batch_size rows (None: all), in row order or each epoch's order from `orders`.
        self.batch_size, self.orders, self.epochs_done = batch_size, orders, 0

    def fit(self, x, y, epochs):
        """Train for `epochs` steps; the loss and mean |error| of each epoch come from its forward pass."""
        x, y = jnp.asarray(x, dtype=self.dtype), jnp.asarray(y, dtype=self.dtype)
        training, size = (self.learning_rate, self.hyper), self.batch_size or len(x)
        epochs_now = np.arange(self.epochs_done, self.epochs_done + epochs)
        orders = (np.broadcast_to(np.arange(len(x)), (epochs, len(x))) if self.orders is None
                  else self.orders[epochs_now % len(self.orders)])
        whole = self.orders is None and size >= len(x)  # the blog's: every row, in order, one step
        self.epochs_done += epochs
        if self.scan:
            (self.params, self.states), (loss, mean_abs_error, step_loss) = train_epochs(
                self.params, self.states, x, y, *training, orders, size, whole, **self.network,
                optimizer=self.optimizer)
            as_numpy = lambda a: np.asarray(a, dtype=np.float64).ravel()  # noqa: E731
            return {"loss": as_numpy(loss), "mean_abs_error": as_numpy(mean_abs_error),
                    "step_loss": as_numpy(step_loss)}
        loss, mean_abs_error, step_loss = np.empty(epochs), np.empty(epochs), []
        for epoch, rows in enumerate(orders):
            steps = []
            batches = [(x, y)] if whole else [(x[b], y[b]) for b in (rows[i:i + size] for i in range(0, len(x), size))]
            for xb, yb in batches:
                (self.params, self.states), (value, error) = train_step(
                    self.params, self.states, xb, yb, *training, **self.network, optimizer=self.optimizer)
                steps.append((float(value), float(error), len(xb)))
            loss[epoch] = epoch_mean([(v, n) for v, _, n in steps], len(x))
            mean_abs_error[epoch] = epoch_mean([(e, n) for _, e, n in steps], len(x))
            step_loss += [v for v, _, _ in steps]
        return {"loss": loss, "mean_abs_error": mean_abs_error, "step_loss": np.array(step_loss)}

    def get_weights(self):
        return [np.asarray(w) for w in self.params[0]]

    def get_biases(self):
        return None if self.params[1] is None else [np.asarray(b) for b in self.params[1]]

    def predict(self, x):
        x = jnp.asarray(x, dtype=self.dtype)
        return np.asarray(forward(self.params, x, self.activation, self.output_activation))

    def __repr__(self):
        sizes = [self.params[0][0].shape[0]] + [w.shape[1] for w in self.params[0]]
        return (f"Network({'→'.join(map(str, sizes))} {self.activation}, {self.output_activation} out, "
                f"{self.loss}, {self.optimizer}, jax on {jax.default_backend()}, {self.dtype})")


def train(x, y, weights, epochs, learning_rate, dtype, **network):
    """Train from `weights`; return per-epoch loss and mean |error|, final weights (and biases) and predictions, as
    NumPy. network: the Network's keyword options (biases, activation, output_activation, loss)."""
    net = Network(weights, learning_rate, dtype, **network)
    history = net.fit(x, y, epochs)
    return {**history, "weights": net.get_weights(), "biases": net.get_biases(), "predictions": net.predict(x)}
