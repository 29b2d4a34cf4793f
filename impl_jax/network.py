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


@partial(jax.jit, static_argnames=NETWORK)
def train_step(params, x, y, learning_rate, activation="sigmoid", output_activation="sigmoid", loss="half-sse"):
    """One epoch: the loss of the forward pass and its gradients in one call, then p ← p − lr·∂loss/∂p."""
    (value, error), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, y, activation, output_activation,
                                                                      loss)
    params = jax.tree_util.tree_map(lambda p, grad: p - learning_rate * grad, params, grads)
    return params, (value, jnp.mean(jnp.abs(error)))


@partial(jax.jit, static_argnames=("epochs", *NETWORK))
def train_epochs(params, x, y, learning_rate, epochs, **network):
    """`epochs` steps inside one compiled loop (lax.scan): no Python between epochs. Compiled once per `epochs`."""
    return jax.lax.scan(lambda p, _: train_step(p, x, y, learning_rate, **network), params, length=epochs)


class Network:
    """Dense layers trained by full-batch gradient descent: by default the blog's, sigmoid layers without biases
    and ½·Σ(y − ŷ)²."""

    def __init__(self, weights, learning_rate, dtype, *, biases=None, activation="sigmoid",
                 output_activation="sigmoid", loss="half-sse", scan=False):
        self.dtype = jnp.dtype(dtype)
        as_arrays = lambda arrays: [jnp.asarray(a, dtype=self.dtype) for a in arrays]  # noqa: E731
        self.params = (as_arrays(weights), None if biases is None else as_arrays(biases))
        self.learning_rate = jnp.asarray(learning_rate, dtype=self.dtype)
        self.activation, self.output_activation, self.loss = activation, output_activation, loss
        self.network = {"activation": activation, "output_activation": output_activation, "loss": loss}
        self.scan = scan  # True: the epoch loop inside lax.scan, the idiom for speed

    def fit(self, x, y, epochs):
        """Train for `epochs` steps; the loss and mean |error| of each epoch come from its forward pass."""
        x, y = jnp.asarray(x, dtype=self.dtype), jnp.asarray(y, dtype=self.dtype)
        if self.scan:
            self.params, (loss, mean_abs_error) = train_epochs(self.params, x, y, self.learning_rate, epochs,
                                                               **self.network)
            return {"loss": np.asarray(loss, dtype=np.float64), "mean_abs_error": np.asarray(mean_abs_error, dtype=np.float64)}
        loss, mean_abs_error = np.empty(epochs), np.empty(epochs)
        for epoch in range(epochs):
            self.params, (loss[epoch], mean_abs_error[epoch]) = train_step(self.params, x, y, self.learning_rate,
                                                                           **self.network)
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
                f"{self.loss}, jax on {jax.default_backend()}, {self.dtype})")


def train(x, y, weights, epochs, learning_rate, dtype, **network):
    """Train from `weights`; return per-epoch loss and mean |error|, final weights (and biases) and predictions, as
    NumPy. network: the Network's keyword options (biases, activation, output_activation, loss)."""
    net = Network(weights, learning_rate, dtype, **network)
    history = net.fit(x, y, epochs)
    return {**history, "weights": net.get_weights(), "biases": net.get_biases(), "predictions": net.predict(x)}
