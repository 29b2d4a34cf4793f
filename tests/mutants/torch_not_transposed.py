"""Mutant: torch's (out, in) weights filled from the blog's (in, out) matrices without the transpose."""
import torch

from impl_torch.network import Network as Correct


class Network(Correct):
    def __init__(self, weights, learning_rate, dtype):
        super().__init__(weights, learning_rate, dtype)
        with torch.no_grad():
            for linear, w in zip(self.model[::2], weights, strict=True):
                linear.weight.copy_(torch.from_numpy(w).reshape(linear.weight.shape))  # the bug: reshaped, not .T
