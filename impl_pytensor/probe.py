"""The checker's window into impl_pytensor: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`.
"""
import numpy as np
import pytensor
import pytensor.tensor as pt


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, **options):
    """One step of module.Network from `weights` (and its optimizer from `optimizer_state`, if given): each layer's
    output, the loss, each gradient, the new weights."""
    net = module.Network(weights, learning_rate, dtype, **options)
    if optimizer_state is not None:  # the reference's t and slots, into the network's own shared variables
        net.t.set_value(np.asarray(optimizer_state["t"], dtype=dtype))
        for state, slots in zip(net.states, optimizer_state["slots"], strict=True):
            for name, value in slots.items():
                state[name].set_value(np.asarray(value, dtype=dtype))
    xs, ys = pt.matrix("x", dtype=dtype), pt.matrix("y", dtype=dtype)
    loss, _ = module.loss_fn(net.weights, xs, ys, net.activation, net.output_activation, net.loss, net.biases)
    outputs, out = [], xs  # the hidden layers with the module's own activation, then its whole forward pass for ŷ
    for i, w in enumerate(net.weights[:-1]):
        out = module.ACTIVATIONS[net.activation](out @ w if net.biases is None else out @ w + net.biases[i])
        outputs.append(out)
    outputs.append(module.forward(net.weights, xs, net.activation, net.output_activation, net.biases))
    # One more compiled function over the network's own shared variables: its layers and pytensor.grad's gradients.
    values = pytensor.function([xs, ys], [*outputs, *pytensor.grad(loss, net.variables)])(x.astype(dtype),
                                                                                             y.astype(dtype))
    n = len(outputs)
    loss = net.fit(x, y, 1)["loss"][0]
    return {"layers": values[:n], "loss": loss, "gradients": values[n:2 * n], "bias_gradients": values[2 * n:] or None,
            "weights": net.get_weights(), "biases": net.get_biases()}
