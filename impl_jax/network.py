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
# the parameter's new state (b, m, v; t is the step count) instead of changing it. JAX has none built in.
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
    m = h["beta1"] * state["m"] + (1 - h["beta1"]) * g
    v = h["beta2"] * state["v"] + (1 - h["beta2"]) * g**2
    m_hat, v_hat = m / (1 - h["beta1"] ** state["t"]), v / (1 - h["beta2"] ** state["t"])
    return m_hat / (jnp.sqrt(v_hat) + h["epsilon"]), {**state, "m": m, "v": v}


OPTIMIZERS = {"sgd": sgd, "momentum": momentum, "nesterov": nesterov, "rmsprop": rmsprop, "adam": adam}


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


@partial(jax.jit, static_argnames=(*NETWORK, "optimizer"))
def train_step(params, states, x, y, learning_rate, hyper, activation="sigmoid", output_activation="sigmoid",
               loss="half-sse", optimizer="sgd"):
    """One epoch: the loss of the forward pass and its gradients in one call, then p ← p − lr·step (for SGD, the
    step is ∂loss/∂p). states: one per parameter, in the order of the pytree's leaves."""
    (value, error), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, y, activation, output_activation,
                                                                      loss)
    leaves, tree = jax.tree_util.tree_flatten(params)
    new_leaves, new_states = [], []
    for p, grad, state in zip(leaves, tree.flatten_up_to(grads), states, strict=True):
        step, state = OPTIMIZERS[optimizer](grad, {**state, "t": state["t"] + 1}, hyper)
        new_leaves.append(p - learning_rate * step)
        new_states.append(state)
    return (tree.unflatten(new_leaves), new_states), (value, jnp.mean(jnp.abs(error)))


@partial(jax.jit, static_argnames=("epochs", *NETWORK, "optimizer"))
def train_epochs(params, states, x, y, learning_rate, hyper, epochs, **network):
    """`epochs` steps inside one compiled loop (lax.scan): no Python between epochs. Compiled once per `epochs`."""
    return jax.lax.scan(lambda carry, _: train_step(*carry, x, y, learning_rate, hyper, **network), (params, states),
                        length=epochs)


class Network:
    """Dense layers trained by full-batch gradient descent: by default the blog's, sigmoid layers without biases
    and ½·Σ(y − ŷ)²."""

    def __init__(self, weights, learning_rate, dtype, *, biases=None, activation="sigmoid",
                 output_activation="sigmoid", loss="half-sse", optimizer="sgd", momentum=0.9, rho=0.99, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, scan=False):
        self.dtype = jnp.dtype(dtype)
        as_arrays = lambda arrays: [jnp.asarray(a, dtype=self.dtype) for a in arrays]  # noqa: E731
        self.params = (as_arrays(weights), None if biases is None else as_arrays(biases))
        self.learning_rate = jnp.asarray(learning_rate, dtype=self.dtype)
        self.activation, self.output_activation, self.loss = activation, output_activation, loss
        self.network = {"activation": activation, "output_activation": output_activation, "loss": loss}
        self.optimizer = optimizer
        self.hyper = {"momentum": momentum, "rho": rho, "beta1": beta1, "beta2": beta2, "epsilon": epsilon}
        zeros = lambda p: jnp.zeros_like(p)  # noqa: E731
        self.states = [{"b": zeros(p), "m": zeros(p), "v": zeros(p), "t": jnp.zeros((), self.dtype)}
                       for p in jax.tree_util.tree_leaves(self.params)]
        self.scan = scan  # True: the epoch loop inside lax.scan, the idiom for speed

    def fit(self, x, y, epochs):
        """Train for `epochs` steps; the loss and mean |error| of each epoch come from its forward pass."""
        x, y = jnp.asarray(x, dtype=self.dtype), jnp.asarray(y, dtype=self.dtype)
        training = (self.learning_rate, self.hyper)
        if self.scan:
            (self.params, self.states), (loss, mean_abs_error) = train_epochs(
                self.params, self.states, x, y, *training, epochs, **self.network, optimizer=self.optimizer)
            return {"loss": np.asarray(loss, dtype=np.float64), "mean_abs_error": np.asarray(mean_abs_error, dtype=np.float64)}
        loss, mean_abs_error = np.empty(epochs), np.empty(epochs)
        for epoch in range(epochs):
            (self.params, self.states), (loss[epoch], mean_abs_error[epoch]) = train_step(
                self.params, self.states, x, y, *training, **self.network, optimizer=self.optimizer)
        return {"loss": loss, "mean_abs_error": mean_abs_error}

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
