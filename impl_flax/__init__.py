"""The blog's 3→4→1 sigmoid network, trained by gradient descent in Flax NNX."""
from .network import ACTIVATIONS, LOSSES, Network, train

__all__ = ["Network", "train", "ACTIVATIONS", "LOSSES"]
