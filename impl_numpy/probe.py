"""The checker's window into impl_numpy: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`.
"""


def step(module, weights, x, y, learning_rate, dtype, **options):
    """One step of module.Network from `weights`: each layer's output, the loss, each gradient, the new weights."""
    net = module.Network(weights, learning_rate, dtype, **options)
    layers = module.forward(x.astype(net.dtype), net.weights, net.activation, net.output_activation, net.biases)
    gradients, bias_gradients = module.backward(layers, y.astype(net.dtype), net.weights, net.activation,
                                                net.output_activation, net.loss, bias=net.biases is not None)
    loss = net.fit(x, y, 1)["loss"][0]  # after backward: fit updates the weights in place
    return {"layers": layers[1:], "loss": loss, "gradients": gradients, "bias_gradients": bias_gradients,
            "weights": net.get_weights(), "biases": net.get_biases()}
