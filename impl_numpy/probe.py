"""The checker's window into impl_numpy: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`. The reference's probe also reads its optimizer's state out
(`optimizer_state`), in the textbook's names that every probe's `step` takes back.
"""
import numpy as np

SLOTS = {"sgd": (), "momentum": ("b",), "nesterov": ("b",), "rmsprop": ("v",), "adam": ("m", "v")}


def optimizer_state(net, t):
    """What net's optimizer carries from one step to the next, after t steps: {"t": t, "slots": one {name: array}
    per parameter, weights then biases}. A slot not yet made is zeros, as every optimizer starts it."""
    params = net.weights + (net.biases or [])
    return {"t": t, "slots": [{name: np.array(state.get(name, np.zeros_like(p)), dtype=p.dtype)
                               for name in SLOTS[net.optimizer]} for p, state in zip(params, net.states, strict=True)]}


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, **options):
    """One step of module.Network from `weights` (and its optimizer from `optimizer_state`, if given): each layer's
    output, the loss, each gradient, the new weights."""
    net = module.Network(weights, learning_rate, dtype, **options)
    if optimizer_state is not None:
        extra = {"t": optimizer_state["t"]} if net.optimizer == "adam" else {}
        net.states = [{name: np.array(value, dtype=net.dtype) for name, value in slots.items()} | extra
                      for slots in optimizer_state["slots"]]
        steps = -(-len(x) // (net.batch_size or len(x)))  # per epoch
        net.clock = {"step": optimizer_state["t"], "epoch": optimizer_state["t"] // steps}  # a schedule's t
    layers = module.forward(x.astype(net.dtype), net.weights, net.activation, net.output_activation, net.biases)
    gradients, bias_gradients = module.backward(layers, y.astype(net.dtype), net.weights, net.activation,
                                                net.output_activation, net.loss, bias=net.biases is not None)
    loss = net.fit(x, y, 1)["loss"][0]  # after backward: fit updates the weights in place
    return {"layers": layers[1:], "loss": loss, "gradients": gradients, "bias_gradients": bias_gradients,
            "weights": net.get_weights(), "biases": net.get_biases()}
