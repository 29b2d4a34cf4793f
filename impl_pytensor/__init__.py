"""The blog's 3→4→1 sigmoid network, trained by gradient descent in PyTensor."""
from .network import ACTIVATIONS, Network, train, forward, loss_fn

__all__ = ["Network", "train", "forward", "loss_fn", "ACTIVATIONS"]
