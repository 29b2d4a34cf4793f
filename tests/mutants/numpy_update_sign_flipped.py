"""Mutant: w1's update with the wrong sign: it climbs the gradient while w0 descends it."""
from tests.mutants.numpy_parts import Network as Parts, backward, forward  # noqa: F401 — the probe reads these


class Network(Parts):
    def update(self, i, w, grad):
        if i == 1:
            w += self.learning_rate * grad  # the bug
        else:
            w -= self.learning_rate * grad
