"""Mutant: torch silently in float32, whatever dtype is asked for."""
from impl_torch.network import Network as Correct


class Network(Correct):
    def __init__(self, weights, learning_rate, dtype):
        super().__init__(weights, learning_rate, "float32")  # the bug
