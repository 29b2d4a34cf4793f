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


ACTIVATIONS = {"sigmoid": pt.sigmoid, "tanh": pt.tanh, "relu": relu}  # the hidden layers'; the output is sigmoid


def forward(weights, x, activation="sigmoid"):
    for i, w in enumerate(weights):
        x = pt.sigmoid(x @ w) if i == len(weights) - 1 else ACTIVATIONS[activation](x @ w)
    return x


def loss_fn(weights, x, y, activation="sigmoid"):
    """½·Σ(y − ŷ)², and the error y − ŷ beside it: symbols, computed only when the compiled function runs."""
    error = y - forward(weights, x, activation)
    return 0.5 * pt.sum(error**2), error


class Network:
    """Dense layers without biases (sigmoid, tanh or ReLU hidden, sigmoid out), full-batch gradient descent on
    ½·Σ(y − ŷ)²."""

    def __init__(self, weights, learning_rate, dtype, *, activation="sigmoid"):
        self.dtype, self.activation = dtype, activation
        self.weights = [pytensor.shared(np.asarray(w, dtype=dtype), name=f"w{i}") for i, w in enumerate(weights)]
        x, y = pt.matrix("x", dtype=dtype), pt.matrix("y", dtype=dtype)
        loss, error = loss_fn(self.weights, x, y, activation)
        grads = pytensor.grad(loss, self.weights)
        # The learning rate as a constant of the weights' dtype: a Python float would lift a float32 update to float64.
        learning_rate = pt.constant(learning_rate, dtype=dtype)
        self.train_step = pytensor.function(
            [x, y], [loss, pt.mean(pt.abs(error))],
            updates=[(w, w - learning_rate * grad) for w, grad in zip(self.weights, grads)],
        )
        self.forward = pytensor.function([x], forward(self.weights, x, activation))

    def fit(self, x, y, epochs):
        """Train for `epochs` steps; the loss and mean |error| of each epoch come from its forward pass."""
        x, y = x.astype(self.dtype), y.astype(self.dtype)
        loss, mean_abs_error = np.empty(epochs), np.empty(epochs)
        for epoch in range(epochs):
            loss[epoch], mean_abs_error[epoch] = self.train_step(x, y)
        return {"loss": loss, "mean_abs_error": mean_abs_error}

    def get_weights(self):
        return [w.get_value() for w in self.weights]

    def predict(self, x):
        return self.forward(x.astype(self.dtype))

    def __repr__(self):
        sizes = [self.weights[0].get_value().shape[0]] + [w.get_value().shape[1] for w in self.weights]
        return f"Network({'→'.join(map(str, sizes))} {self.activation}, pytensor, {self.dtype})"


def train(x, y, weights, epochs, learning_rate, dtype, **network):
    """Train from `weights`; return per-epoch loss and mean |error|, final weights and predictions, as NumPy.
    network: the Network's keyword options (activation)."""
    net = Network(weights, learning_rate, dtype, **network)
    history = net.fit(x, y, epochs)
    return {**history, "weights": net.get_weights(), "predictions": net.predict(x)}
