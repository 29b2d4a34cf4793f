"""Mutant: rows shuffled each epoch and one update per row (stochastic, not full-batch, gradient descent)."""
import numpy as np

from impl_numpy.network import Network as Correct, backward, forward


class Network(Correct):
    def fit(self, x, y, epochs):
        x, y = x.astype(self.dtype), y.astype(self.dtype)
        rng = np.random.default_rng(0)
        loss, mean_abs_error = np.empty(epochs), np.empty(epochs)
        for epoch in range(epochs):
            error = y - forward(x, self.weights)[-1]
            loss[epoch], mean_abs_error[epoch] = 0.5 * np.sum(error**2), np.mean(np.abs(error))
            for row in rng.permutation(len(x)):  # the bug: a step per row
                xi, yi = x[row:row + 1], y[row:row + 1]
                for w, grad in zip(self.weights, backward(forward(xi, self.weights), yi, self.weights)[0], strict=True):
                    w -= self.learning_rate * grad
        return {"loss": loss, "mean_abs_error": mean_abs_error}
