"""The blog's network, ported to PyTensor: a symbolic graph, shared weights, one compiled train step."""
import numpy as np
import pytensor
import pytensor.tensor as pt

NETWORK = {"activation": "relu"}  # the hidden layers'


def relu(z):
    return pt.maximum(z, 0)  # PyTensor has no relu of its own


def predict(weights, x):
    *hidden, last = weights
    for w in hidden:
        x = relu(x @ w)
    return pt.sigmoid(x @ last)


def train(x, y, weights, epochs, learning_rate, dtype):
    weights = [pytensor.shared(np.asarray(w, dtype=dtype), name=f"w{i}") for i, w in enumerate(weights)]
    xs, ys = pt.matrix("x", dtype=dtype), pt.matrix("y", dtype=dtype)
    error = ys - predict(weights, xs)
    loss = 0.5 * pt.sum(error ** 2)
    rate = pt.constant(learning_rate, dtype=dtype)
    updates = [(w, w - rate * g) for w, g in zip(weights, pytensor.grad(loss, weights), strict=True)]
    step = pytensor.function([xs, ys], [loss, pt.mean(pt.abs(error))], updates=updates)
    losses, errors = [], []
    for _ in range(epochs):
        loss_value, error_value = step(x.astype(dtype), y.astype(dtype))
        losses.append(float(loss_value))
        errors.append(float(error_value))
    return {"loss": losses, "mean_abs_error": errors, "weights": [w.get_value() for w in weights],
            "predictions": pytensor.function([xs], predict(weights, xs))(x.astype(dtype))}
