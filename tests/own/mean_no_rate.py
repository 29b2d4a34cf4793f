"""A Trask-style script with forward() and backward() written out: its backward takes the mean over the rows where
the blog sums, 1/4 of the blog's gradient here, and its update takes the whole of it, with no learning rate. At
--learning-rate 0.25 the two cancel: it trains bit for bit as the reference does, and only its gradient shows the
mean."""
import numpy as np


def nonlin(x, deriv=False):
    if deriv:
        return x * (1 - x)
    return 1 / (1 + np.exp(-x))


def forward(x, weights):
    l0 = x
    l1 = nonlin(np.dot(l0, weights[0]))
    l2 = nonlin(np.dot(l1, weights[1]))
    return [l0, l1, l2]


def backward(layers, y, weights):
    l0, l1, l2 = layers
    l2_delta = (y - l2) / len(y) * nonlin(l2, deriv=True)  # the mean error
    l1_delta = l2_delta.dot(weights[1].T) * nonlin(l1, deriv=True)
    return [-l0.T.dot(l1_delta), -l1.T.dot(l2_delta)]  # ∂loss/∂w0, ∂loss/∂w1


def train(x, y, weights, epochs, learning_rate, dtype):
    weights = [np.array(w, dtype=dtype) for w in weights]
    losses, errors = [], []
    for _ in range(epochs):
        layers = forward(x, weights)
        error = y - layers[-1]
        losses.append(0.5 * np.sum(error**2))
        errors.append(np.mean(np.abs(error)))
        for w, gradient in zip(weights, backward(layers, y, weights), strict=True):
            w -= gradient
    return {"loss": losses, "mean_abs_error": errors, "weights": weights,
            "predictions": forward(x, weights)[-1]}
