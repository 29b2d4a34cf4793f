"""The blog's network, from memory: a 3→4→1 network of sigmoid layers, no biases, trained by full-batch gradient
descent on the loss ½·Σ(y − ŷ)².

The forward pass is given. The backward pass and the update are yours: fill in the three gaps marked TODO (each
`raise NotImplementedError` is one), then check your file against the reference, epoch by epoch:

    python -m compare run --frameworks numpy,./my_network.py

It says `pass` when your network learns exactly what the reference's does; otherwise it names the first quantity
that differs (the loss, the gradient of w0 or w1, the updated weights) and the epoch where it does.
"""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(x, weights):
    """Every layer's output, the input first: [l0, l1, l2]."""
    w0, w1 = weights
    l0 = x
    l1 = sigmoid(l0 @ w0)
    l2 = sigmoid(l1 @ w1)
    return [l0, l1, l2]


def backward(layers, y, weights):
    """The gradient of the loss ½·Σ(y − l2)² with respect to each weight matrix: [∂loss/∂w0, ∂loss/∂w1]."""
    l0, l1, l2 = layers
    w0, w1 = weights
    # TODO 1: l2_delta, the error y − l2 times the slope of the sigmoid at l2 (written in terms of its output).
    raise NotImplementedError("TODO 1: l2_delta")
    # TODO 2: l1_delta, l2_delta sent back through w1, times the slope of the sigmoid at l1.
    raise NotImplementedError("TODO 2: l1_delta")
    # The deltas point downhill, the way the loss falls; a gradient points uphill.
    return [-(l0.T @ l1_delta), -(l1.T @ l2_delta)]


def train(x, y, weights, epochs, learning_rate, dtype):
    """Train from `weights` for `epochs` epochs in the given dtype; return each epoch's loss and mean |error| (taken
    before that epoch's update), the final weights and the final predictions."""
    x, y = x.astype(dtype), y.astype(dtype)
    weights = [np.array(w, dtype=dtype) for w in weights]
    loss, mean_abs_error = [], []
    for _ in range(epochs):
        layers = forward(x, weights)
        error = y - layers[-1]
        loss.append(0.5 * np.sum(error**2))
        mean_abs_error.append(np.mean(np.abs(error)))
        gradients = backward(layers, y, weights)
        # TODO 3: the update: each weight matrix takes a step of learning_rate down its gradient.
        raise NotImplementedError("TODO 3: the update")
    return {"loss": loss, "mean_abs_error": mean_abs_error, "weights": weights,
            "predictions": forward(x, weights)[-1]}
