"""Mutant: l1_delta without sigmoid'(l1): the error sent back through w1 is not scaled by the hidden layer's slope."""
from tests.mutants.numpy_parts import Network as Parts, forward  # noqa: F401 — the probe reads forward here


def backward(layers, y, weights, *network, bias=False):  # the blog's network only: sigmoid, ½·Σ(y − ŷ)²
    y_hat = layers[-1]
    delta = (y - y_hat) * y_hat * (1 - y_hat)
    grads = [None] * len(weights)
    for i in reversed(range(len(weights))):
        grads[i] = -layers[i].T @ delta
        if i > 0:
            delta = delta @ weights[i].T  # the bug: × layers[i] · (1 − layers[i]) left out
    return grads, None


class Network(Parts):
    backward = staticmethod(backward)
