"""The blog's network in plain NumPy: the forward pass, the backward pass by hand, and the update.

For the blog's 3→4→1 network, `forward` returns its [l0, l1, l2] and `backward` walks down from l2_delta to
l1_delta; here the same loop serves any number of layers, and the hidden layers' activation is chosen by name.
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
}


def forward(x, weights, activation="sigmoid"):
    """Every layer's output, input first: [l0, l1, …, ŷ]. The output layer is the blog's sigmoid."""
    f, _ = ACTIVATIONS[activation]
    layers = [x]
    for i, w in enumerate(weights):
        z = layers[-1] @ w
        layers.append(sigmoid(z) if i == len(weights) - 1 else f(z))
    return layers


def backward(layers, y, weights, activation="sigmoid"):
    """The gradient of ½·Σ(y − ŷ)² with respect to each weight matrix, by the chain rule."""
    _, slope = ACTIVATIONS[activation]
    y_hat = layers[-1]
    delta = (y - y_hat) * y_hat * (1 - y_hat)  # the blog's l2_delta: error × sigmoid'(z), sigmoid' = s·(1 − s)
    grads = [None] * len(weights)
    for i in reversed(range(len(weights))):
        grads[i] = -layers[i].T @ delta  # minus: the blog's delta points downhill, a gradient points uphill
        if i > 0:
            delta = (delta @ weights[i].T) * slope(layers[i])  # the blog's l1_delta, one layer down
    return grads


class Network:
    """Dense layers without biases (sigmoid, tanh or ReLU hidden, sigmoid out), full-batch gradient descent on
    ½·Σ(y − ŷ)²."""

    def __init__(self, weights, learning_rate, dtype, *, activation="sigmoid"):
        self.dtype = np.dtype(dtype)
        self.weights = [np.array(w, dtype=self.dtype) for w in weights]  # copies: training updates them in place
        self.learning_rate = self.dtype.type(learning_rate)
        self.activation = activation

    def fit(self, x, y, epochs):
        """Train for `epochs` steps; the loss and mean |error| of each epoch come from its forward pass."""
        x, y = x.astype(self.dtype), y.astype(self.dtype)
        loss, mean_abs_error = np.empty(epochs), np.empty(epochs)
        for epoch in range(epochs):
            layers = forward(x, self.weights, self.activation)
            error = y - layers[-1]
            loss[epoch] = 0.5 * np.sum(error**2)
            mean_abs_error[epoch] = np.mean(np.abs(error))
            for w, grad in zip(self.weights, backward(layers, y, self.weights, self.activation)):
                w -= self.learning_rate * grad
        return {"loss": loss, "mean_abs_error": mean_abs_error}

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def predict(self, x):
        return forward(x.astype(self.dtype), self.weights, self.activation)[-1]

    def __repr__(self):
        sizes = [self.weights[0].shape[0]] + [w.shape[1] for w in self.weights]
        return f"Network({'→'.join(map(str, sizes))} {self.activation}, numpy, {self.dtype})"


def train(x, y, weights, epochs, learning_rate, dtype, **network):
    """Train from `weights`; return per-epoch loss and mean |error|, final weights and predictions, as NumPy.
    network: the Network's keyword options (activation)."""
    net = Network(weights, learning_rate, dtype, **network)
    history = net.fit(x, y, epochs)
    return {**history, "weights": net.get_weights(), "predictions": net.predict(x)}
