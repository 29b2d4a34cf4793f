"""The blog's network, ported to PyTensor: a symbolic graph, shared weights, one compiled train step."""
import numpy as np
import pytensor
import pytensor.tensor as pt

NETWORK = {"loss": "bce"}  # binary cross-entropy, the mean over the rows


def predict(weights, x):
    for w in weights:
        x = pt.sigmoid(x @ w)
    return x


def train(x, y, weights, epochs, learning_rate, dtype):
    weights = [pytensor.shared(np.asarray(w, dtype=dtype), name=f"w{i}") for i, w in enumerate(weights)]
    xs, ys = pt.matrix("x", dtype=dtype), pt.matrix("y", dtype=dtype)
    y_hat = predict(weights, xs)
    loss = -pt.mean(ys * pt.log(y_hat) + (1 - ys) * pt.log(1 - y_hat))
    rate = pt.constant(learning_rate, dtype=dtype)
    updates = [(w, w - rate * g) for w, g in zip(weights, pytensor.grad(loss, weights), strict=True)]
    step = pytensor.function([xs, ys], [loss, pt.mean(pt.abs(ys - y_hat))], updates=updates)
    losses, errors = [], []
    for _ in range(epochs):
        loss_value, error_value = step(x.astype(dtype), y.astype(dtype))
        losses.append(float(loss_value))
        errors.append(float(error_value))
    return {"loss": losses, "mean_abs_error": errors, "weights": [w.get_value() for w in weights],
            "predictions": pytensor.function([xs], y_hat)(x.astype(dtype))}
