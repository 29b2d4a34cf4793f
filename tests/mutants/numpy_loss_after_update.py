"""Mutant: each epoch's loss recorded after its update instead of from the forward pass before it."""
import numpy as np

from impl_numpy.network import Network as Correct, backward, forward  # noqa: F401 — the probe reads backward


class Network(Correct):
    def fit(self, x, y, epochs):
        loss, mean_abs_error = np.empty(epochs), np.empty(epochs)
        for epoch in range(epochs):
            super().fit(x, y, 1)
            error = y - forward(x.astype(self.dtype), self.weights)[-1]  # the bug: after the step
            loss[epoch], mean_abs_error[epoch] = 0.5 * np.sum(error**2), np.mean(np.abs(error))
        return {"loss": loss, "mean_abs_error": mean_abs_error}
