"""impl_numpy's Network with its backward pass and its update as parts a mutant replaces, one at a time."""
import numpy as np

from impl_numpy.network import Network as Correct, backward, forward

__all__ = ["Network", "backward", "forward"]


class Network(Correct):
    backward = staticmethod(backward)  # a mutant puts its own here (and at its module's top, for the probe)

    def update(self, i, w, grad):
        w -= self.learning_rate * grad

    def fit(self, x, y, epochs):
        x, y = x.astype(self.dtype), y.astype(self.dtype)
        loss, mean_abs_error = np.empty(epochs), np.empty(epochs)
        for epoch in range(epochs):
            layers = forward(x, self.weights)
            error = y - layers[-1]
            loss[epoch], mean_abs_error[epoch] = 0.5 * np.sum(error**2), np.mean(np.abs(error))
            for i, (w, grad) in enumerate(zip(self.weights, self.backward(layers, y, self.weights)[0], strict=True)):
                self.update(i, w, grad)
        return {"loss": loss, "mean_abs_error": mean_abs_error}


class OptimizerParts(Correct):
    """impl_numpy's own Network with some optimizers' steps replaced by a mutant's (`steps`, by name), for its fit
    alone: the reference in the same worker keeps the right ones."""
    steps = {}

    def fit(self, x, y, epochs):
        from impl_numpy import network

        saved = dict(network.OPTIMIZERS)
        network.OPTIMIZERS.update(self.steps)
        try:
            return super().fit(x, y, epochs)
        finally:
            network.OPTIMIZERS.update(saved)
