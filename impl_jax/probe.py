"""The checker's window into impl_jax: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`.
"""
import jax
import jax.numpy as jnp
import numpy as np


def step(module, weights, x, y, learning_rate, dtype, **options):
    """One step of module.Network from `weights`: each layer's output, the loss, each gradient, the new weights."""
    net = module.Network(weights, learning_rate, dtype, **options)
    xj, yj = jnp.asarray(x, dtype=net.dtype), jnp.asarray(y, dtype=net.dtype)
    layers, out = [], xj
    for w in net.weights[:-1]:  # the hidden layers, with the module's own activation; then its whole forward pass
        out = module.ACTIVATIONS[net.activation](out @ w)
        layers.append(np.asarray(out))
    layers.append(np.asarray(module.forward(net.weights, xj, net.activation, net.output_activation)))
    # The train step's own loss_fn, differentiated by jax.grad.
    gradients, _ = jax.grad(module.loss_fn, has_aux=True)(net.weights, xj, yj, net.activation,
                                                           net.output_activation, net.loss)
    loss = net.fit(x, y, 1)["loss"][0]
    return {"layers": layers, "loss": loss, "gradients": [np.asarray(g) for g in gradients],
            "weights": net.get_weights()}
