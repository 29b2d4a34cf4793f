"""The checker's window into impl_torch: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`.
"""
import re
import warnings

import numpy as np
import torch
from torch import nn

# The reference's slots (the textbook's names) under torch.optim's names for them, per optimizer.
SLOTS = {"sgd": {}, "momentum": {"b": "momentum_buffer"}, "nesterov": {"b": "momentum_buffer"},
         "rmsprop": {"v": "square_avg"}, "adam": {"m": "exp_avg", "v": "exp_avg_sq"}}


# The reference's names for the normalization layers' state (Network.get_normalization's), and torch's.
NORMALIZATION = {"scales": "weight", "offsets": "bias", "running_means": "running_mean",
                 "running_variances": "running_var"}


def load_normalization(net, normalization):
    """The reference's γ, β and running statistics into net's normalization layers, in place (cast to their dtype)."""
    with torch.no_grad():
        for name, attribute in NORMALIZATION.items():
            for layer, value in zip(net.norms, normalization.get(name) or [], strict=False):
                getattr(layer, attribute).copy_(torch.from_numpy(np.asarray(value)))


def load_optimizer_state(net, optimizer, optimizer_state):
    """The reference's optimizer state (probe of impl_numpy: t, and per parameter its slots) into net's torch.optim
    optimizer, through its own load_state_dict: weights (out, in) as torch keeps them, and a step count where the
    optimizer keeps one. The reference lists weights, biases, then the normalization layers' γs and βs."""
    linears = [child for child in net.model if isinstance(child, nn.Linear)]
    params = [linear.weight for linear in linears]
    params += [] if linears[0].bias is None else [linear.bias for linear in linears]
    params += [n.weight for n in net.norms] + [n.bias for n in net.norms]
    index = {id(p): i for i, p in enumerate(net.optimizer.param_groups[0]["params"])}
    saved = net.optimizer.state_dict()
    saved["state"] = {}
    for p, slots in zip(params, optimizer_state["slots"], strict=True):
        state = {SLOTS[optimizer][name]: torch.from_numpy(np.array(value.T if p.dim() == 2 else value))
                 for name, value in slots.items()}
        if optimizer in ("rmsprop", "adam"):
            state["step"] = torch.tensor(float(optimizer_state["t"]))
        saved["state"][index[id(p)]] = state
    net.optimizer.load_state_dict(saved)  # casts each slot to its parameter's dtype


def set_schedule(net, t, steps_per_epoch):
    """net's scheduler put where it stands after t optimizer steps (t // steps_per_epoch epochs, per epoch): stepped
    that many times, as fit steps it, so that a schedule torch computes recursively reaches the very rate fit's
    would. Without optimizer steps between, torch warns that the first rate is skipped: it is not, here."""
    if net.scheduler is None:
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=re.escape("Detected call of `lr_scheduler.step()` before"))
        for _ in range(t if net.schedule_per == "step" else t // steps_per_epoch):
            net.scheduler.step()


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, normalization=None, **options):
    """One step of module.Network from `weights` (and its optimizer from `optimizer_state`, its normalization layers
    from `normalization`, if given): each layer's output, the loss, each gradient, the new weights (and biases, and
    the normalization layers' γ, β and running statistics)."""
    net = module.Network(weights, learning_rate, dtype, **options)
    if normalization is not None:
        load_normalization(net, normalization)
    if optimizer_state is not None:
        load_optimizer_state(net, options.get("optimizer", "sgd"), optimizer_state)
        set_schedule(net, optimizer_state["t"], -(-len(x) // (options.get("batch_size") or len(x))))
    children = list(net.model)
    layers, out = [], torch.from_numpy(x).to(net.dtype)
    with torch.no_grad():
        for i, child in enumerate(children):
            out = child(out)
            if i + 1 == len(children) or isinstance(children[i + 1], nn.Linear):  # a layer ends before each Linear
                layers.append(out.numpy().copy())
    # The whole batch's gradients, by the backward() that fit calls (for the blog's one step per epoch, the very
    # gradients that step uses): it leaves them in .grad, (out, in) like the weights; fit's zero_grad clears them.
    # The loss's alone, as the reference's probe reports them: without the L2 penalty's 2lθ, before any clipping.
    net.optimizer.zero_grad()
    net.loss_fn(net.model(torch.from_numpy(x).to(net.dtype)), torch.from_numpy(y).to(net.dtype)).backward()
    linears = [child for child in children if isinstance(child, nn.Linear)]
    gradients = [linear.weight.grad.numpy().T.copy() for linear in linears]
    bias_gradients = None if linears[0].bias is None else [linear.bias.grad.numpy().copy() for linear in linears]
    norm_gradients = {} if not net.norms else {"scale_gradients": [n.weight.grad.numpy().copy() for n in net.norms],
                                               "offset_gradients": [n.bias.grad.numpy().copy() for n in net.norms]}
    if normalization is not None:  # the two forward passes above, in training mode, moved the running statistics
        load_normalization(net, normalization)
    loss = net.fit(x, y, 1)["loss"][0]
    return {"layers": layers, "loss": loss, "gradients": gradients, "bias_gradients": bias_gradients,
            "weights": net.get_weights(), "biases": net.get_biases(), **norm_gradients,
            **(net.get_normalization() or {})}
