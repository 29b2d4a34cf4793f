"""Mutant: with mini-batches, each step's loss taken after its own update, not before it."""
import numpy as np

from impl_numpy.network import LOSSES, Network as Correct, backward, forward  # noqa: F401 — the probe reads these


class Network(Correct):
    def step(self, x, y):
        super().step(x, y)
        y_hat = forward(x, self.weights, self.activation, self.output_activation, self.biases)[-1]
        return LOSSES[self.loss][0](y, y_hat), np.mean(np.abs(y - y_hat))  # the bug: after the update
