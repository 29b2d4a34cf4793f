"""The checker's window into impl_torch: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`.
"""
import torch
from torch import nn


def step(module, weights, x, y, learning_rate, dtype, **options):
    """One step of module.Network from `weights`: each layer's output, the loss, each gradient, the new weights."""
    net = module.Network(weights, learning_rate, dtype, **options)
    children = list(net.model)
    layers, out = [], torch.from_numpy(x).to(net.dtype)
    with torch.no_grad():
        for i, child in enumerate(children):
            out = child(out)
            if i + 1 == len(children) or isinstance(children[i + 1], nn.Linear):  # a layer ends before each Linear
                layers.append(out.numpy().copy())
    # The whole batch's gradients, by the backward() that fit calls (for the blog's one step per epoch, the very
    # gradients that step uses): it leaves them in .grad, (out, in) like the weights; fit's zero_grad clears them.
    net.optimizer.zero_grad()
    net.loss_fn(net.model(torch.from_numpy(x).to(net.dtype)), torch.from_numpy(y).to(net.dtype)).backward()
    linears = [child for child in children if isinstance(child, nn.Linear)]
    gradients = [linear.weight.grad.numpy().T.copy() for linear in linears]
    bias_gradients = None if linears[0].bias is None else [linear.bias.grad.numpy().copy() for linear in linears]
    loss = net.fit(x, y, 1)["loss"][0]
    return {"layers": layers, "loss": loss, "gradients": gradients, "bias_gradients": bias_gradients,
            "weights": net.get_weights(), "biases": net.get_biases()}
