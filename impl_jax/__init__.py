"""The blog's 3→4→1 sigmoid network, trained by gradient descent in JAX."""
from .network import ACTIVATIONS, Network, forward, loss_fn, normalize, train

__all__ = ["Network", "train", "forward", "loss_fn", "normalize", "ACTIVATIONS"]
