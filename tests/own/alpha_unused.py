"""A Trask-style script wrapped in train(): it declares a step size, alpha, and never uses it, as the blog's first
listing never had one. Every step moves by the whole gradient, as if the learning rate were 1."""
import numpy as np


def nonlin(x, deriv=False):
    if deriv:
        return x * (1 - x)
    return 1 / (1 + np.exp(-x))


def train(x, y, weights, epochs, learning_rate, dtype):
    alpha = learning_rate  # noqa: F841 — declared, then forgotten
    syn0, syn1 = (np.array(w, dtype=dtype) for w in weights)
    losses, errors = [], []
    for j in range(epochs):
        l0 = x
        l1 = nonlin(np.dot(l0, syn0))
        l2 = nonlin(np.dot(l1, syn1))
        l2_error = y - l2
        losses.append(0.5 * np.sum(l2_error**2))
        errors.append(np.mean(np.abs(l2_error)))
        l2_delta = l2_error * nonlin(l2, deriv=True)
        l1_error = l2_delta.dot(syn1.T)
        l1_delta = l1_error * nonlin(l1, deriv=True)
        syn1 += l1.T.dot(l2_delta)
        syn0 += l0.T.dot(l1_delta)
    return {"loss": losses, "mean_abs_error": errors, "weights": [syn0, syn1],
            "predictions": nonlin(np.dot(nonlin(np.dot(x, syn0)), syn1))}
