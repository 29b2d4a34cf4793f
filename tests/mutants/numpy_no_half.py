"""Mutant: the ½ dropped: the loss is Σ(y − ŷ)², so it reads twice as large and its gradient steps twice as far."""
from impl_numpy.network import Network as Correct, backward, forward  # noqa: F401 — the probe reads these


class Network(Correct):
    def __init__(self, weights, learning_rate, dtype):
        super().__init__(weights, 2 * learning_rate, dtype)  # the gradient of Σ(y − ŷ)² is twice that of ½·Σ

    def fit(self, x, y, epochs):
        history = super().fit(x, y, epochs)
        return {**history, "loss": 2 * history["loss"]}
