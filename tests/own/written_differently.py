"""A correct implementation of the blog's network written quite unlike impl_numpy: another formula for the sigmoid,
einsum for one layer, and each gradient summed row by row. It must come out `pass`."""
import numpy as np


def sigmoid(z):
    return 0.5 * (1 + np.tanh(z / 2))


def train(x, y, weights, epochs, learning_rate, dtype):
    w0, w1 = (np.array(w, dtype=dtype) for w in weights)
    loss, mae = [], []
    for _ in range(epochs):
        l1 = sigmoid(np.einsum("ri,ij->rj", x, w0))
        l2 = sigmoid(l1 @ w1)
        err = y - l2
        loss.append(0.5 * np.sum(err ** 2))
        mae.append(np.mean(np.abs(err)))
        d2 = err * l2 * (1 - l2)
        d1 = (d2 @ w1.T) * l1 * (1 - l1)
        g1 = sum(np.outer(l1[r], d2[r]) for r in range(len(x)))
        g0 = sum(np.outer(x[r], d1[r]) for r in range(len(x)))
        w1 = w1 + learning_rate * g1
        w0 = w0 + learning_rate * g0
    return {"loss": loss, "mean_abs_error": mae, "weights": [w0, w1], "predictions": sigmoid(sigmoid(x @ w0) @ w1)}
