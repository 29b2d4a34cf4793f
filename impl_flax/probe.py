"""The checker's window into impl_flax: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`.
"""
import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

# The reference's slots (the textbook's names) under the names optax's states keep them by.
SLOTS = {"trace": "b", "mu": "m", "nu": "v"}


def key_of(entry):
    return getattr(entry, "name", getattr(entry, "key", getattr(entry, "idx", None)))


def load_optimizer_state(net, optimizer_state):
    """The reference's optimizer state (probe of impl_numpy: t, and per parameter its slots, weights then biases)
    into the nnx.Optimizer's optax state: each of its variables found by its path, [0].mu['layers'][1]['kernel'] for
    w1's m; and t, the updates done, into every count (Adam's, a schedule's, inject_hyperparams' for a schedule per
    epoch, which sets the epoch's rate from it) and the nnx.Optimizer's own step."""
    depth = len(net.model.layers)
    net.optimizer.step.value = jnp.asarray(optimizer_state["t"], dtype=net.optimizer.step.value.dtype)
    for path, variable in jax.tree_util.tree_leaves_with_path(net.optimizer.opt_state,
                                                               is_leaf=lambda x: isinstance(x, nnx.Variable)):
        keys = [key_of(entry) for entry in path]
        field = next((k for k in keys if k in SLOTS or k == "count"), None)
        if field == "count":
            variable.value = jnp.asarray(optimizer_state["t"], dtype=variable.value.dtype)
        elif field is not None:
            layer, kind = keys[keys.index("layers") + 1], keys[-1]
            index = layer if kind == "kernel" else depth + layer
            variable.value = jnp.asarray(optimizer_state["slots"][index][SLOTS[field]], dtype=net.dtype)


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, **options):
    """One step of module.Network from `weights` (and its optimizer from `optimizer_state`, if given): each layer's
    output, the loss, each gradient, the new weights."""
    net = module.Network(weights, learning_rate, dtype, **options)
    if optimizer_state is not None:
        load_optimizer_state(net, optimizer_state)
    model, xj, yj = net.model, jnp.asarray(x, dtype=net.dtype), jnp.asarray(y, dtype=net.dtype)
    layers, out = [], xj  # the model's own layers and activations, one at a time
    for layer, activation in zip(model.layers, model.activations, strict=True):
        out = module.ACTIVATIONS[activation](layer(out))
        layers.append(np.asarray(out))

    def loss_fn(model):  # the train step's loss, differentiated by nnx.grad
        return module.LOSSES[net.loss](yj, model(xj))

    grads = nnx.grad(loss_fn)(model)
    gradients = [np.asarray(grads["layers"][i]["kernel"].value) for i in range(len(model.layers))]
    bias_gradients = None if model.layers[0].bias is None else [
        np.asarray(grads["layers"][i]["bias"].value) for i in range(len(model.layers))]
    loss = net.fit(x, y, 1)["loss"][0]
    return {"layers": layers, "loss": loss, "gradients": gradients, "bias_gradients": bias_gradients,
            "weights": net.get_weights(), "biases": net.get_biases()}
