"""The blog's 3→4→1 sigmoid network, trained by gradient descent in plain NumPy."""
from .network import Network, backward, forward, train

__all__ = ["Network", "train", "forward", "backward"]
