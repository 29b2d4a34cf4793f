"""Mutant: sigmoid' taken of the pre-activation z instead of the output s: z·(1 − z) where s·(1 − s) belongs."""
from tests.mutants.numpy_parts import Network as Parts, forward  # noqa: F401 — the probe reads forward here


def backward(layers, y, weights, *network, bias=False):  # the blog's network only: sigmoid, ½·Σ(y − ŷ)²
    z = [layer @ w for layer, w in zip(layers[:-1], weights, strict=True)]  # each layer's pre-activation
    delta = (y - layers[-1]) * z[-1] * (1 - z[-1])  # the bug: the output's derivative formula on z
    grads = [None] * len(weights)
    for i in reversed(range(len(weights))):
        grads[i] = -layers[i].T @ delta
        if i > 0:
            delta = (delta @ weights[i].T) * z[i - 1] * (1 - z[i - 1])  # the same bug, one layer down
    return grads, None


class Network(Parts):
    backward = staticmethod(backward)
