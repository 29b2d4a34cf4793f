"""The checker's window into impl_tensorflow: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`.
"""
import tensorflow as tf


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, **options):
    """One step of module.Network from `weights` (and its optimizer from `optimizer_state`, if given): each layer's
    output, the loss, each gradient, the new weights."""
    net = module.Network(weights, learning_rate, dtype, **options)
    if optimizer_state is not None:  # the reference's t and slots, into the network's own tf.Variables
        net.t.assign(optimizer_state["t"])
        for state, slots in zip(net.states, optimizer_state["slots"], strict=True):
            for name, value in slots.items():
                state[name].assign(tf.constant(value, dtype=net.dtype))
    x, y = tf.constant(x, dtype=net.dtype), tf.constant(y, dtype=net.dtype)
    layers, out = [], x  # the hidden layers with the module's own activation, then its whole forward pass for ŷ
    for i, w in enumerate(net.weights[:-1]):
        out = module.ACTIVATIONS[net.activation](out @ w if net.biases is None else out @ w + net.biases[i])
        layers.append(out.numpy())
    layers.append(module.forward(net.weights, x, net.activation, net.output_activation, net.biases).numpy())
    with tf.GradientTape() as tape:  # the same tape over the same loss_fn as the train step
        loss, _ = module.loss_fn(net.weights, x, y, net.activation, net.output_activation, net.loss, net.biases)
    grads = [grad.numpy() for grad in tape.gradient(loss, net.variables)]
    n = len(net.weights)
    loss = net.fit(x.numpy(), y.numpy(), 1)["loss"][0]
    return {"layers": layers, "loss": loss, "gradients": grads[:n], "bias_gradients": grads[n:] or None,
            "weights": net.get_weights(), "biases": net.get_biases()}
