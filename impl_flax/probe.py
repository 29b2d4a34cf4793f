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


def parameter_index(model, keys):
    """Where the parameter at `keys`, its path in the model (['layers', 1, 'kernel'], ['norms', 0, 'scale']), stands
    in the reference's order: weights, biases, then the normalization layers' γ and β."""
    depth = len(model.layers)
    if "norms" in keys:  # after the weights and the biases, if any: γ of each hidden layer, then β (Flax's bias)
        first = depth * (2 if model.layers[0].bias is not None else 1)
        norm, kind = keys[keys.index("norms") + 1], keys[-1]
        return first + (norm if kind == "scale" else len(model.norms) + norm)
    layer, kind = keys[keys.index("layers") + 1], keys[-1]
    return layer if kind == "kernel" else depth + layer


def load_optimizer_state(net, optimizer_state):
    """The reference's optimizer state (probe of impl_numpy: t, and per parameter its slots, weights, biases, then
    the normalization layers' γ and β) into the nnx.Optimizer's optax state: each of its variables found by its path,
    [0].mu['layers'][1]['kernel'] for w1's m; and t, the updates done, into every count (Adam's, a schedule's,
    inject_hyperparams' for a schedule per epoch, which sets the epoch's rate from it) and the nnx.Optimizer's own
    step."""
    net.optimizer.step[...] = jnp.asarray(optimizer_state["t"], dtype=net.optimizer.step[...].dtype)
    for path, variable in jax.tree_util.tree_leaves_with_path(net.optimizer.opt_state,
                                                               is_leaf=lambda x: isinstance(x, nnx.Variable)):
        keys = [key_of(entry) for entry in path]
        field = next((k for k in keys if k in SLOTS or k == "count"), None)
        if field == "count":
            variable[...] = jnp.asarray(optimizer_state["t"], dtype=variable[...].dtype)
        elif field is not None:
            index = parameter_index(net.model, keys)
            variable[...] = jnp.asarray(optimizer_state["slots"][index][SLOTS[field]], dtype=net.dtype)


# Network.get_normalization's names, and each Flax layer's own: its Params scale and bias, its BatchStats mean, var.
NORMALIZATION = {"scales": "scale", "offsets": "bias", "running_means": "mean", "running_variances": "var"}


def load_normalization(net, normalization):
    """The reference's normalization layers (Network.get_normalization's dict: γ, β and the running statistics, lists
    over the hidden layers) into the model's nnx.BatchNorm or nnx.LayerNorm layers."""
    for name, attribute in NORMALIZATION.items():
        for layer, value in zip(net.model.norms, normalization.get(name) or [], strict=False):
            getattr(layer, attribute)[...] = jnp.asarray(value, dtype=net.dtype)


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, normalization=None, **options):
    """One step of module.Network from `weights` (and its optimizer from `optimizer_state`, its normalization layers
    from `normalization`, if given): each layer's output, the loss, each gradient, the new weights (and the
    normalization layers' γ, β and running statistics)."""
    net = module.Network(weights, learning_rate, dtype, **options)
    if normalization is not None:
        load_normalization(net, normalization)
    if optimizer_state is not None:
        load_optimizer_state(net, optimizer_state)
    # A copy of the model for the layers and the gradients: batch normalization's forward pass in training moves its
    # running statistics, which the step itself must start from where they stand.
    model, xj, yj = nnx.clone(net.model), jnp.asarray(x, dtype=net.dtype), jnp.asarray(y, dtype=net.dtype)
    layers, out = [], xj  # the model's own layers, normalization layers and activations, one at a time
    for i, (layer, activation) in enumerate(zip(model.layers, model.activations, strict=True)):
        z = layer(out)
        if model.norms is not None and i < len(model.norms):
            z = model.norms[i](z)
        out = module.ACTIVATIONS[activation](z)
        layers.append(np.asarray(out))

    def loss_fn(model):  # the train step's loss, differentiated by nnx.grad
        return module.LOSSES[net.loss](yj, model(xj))

    grads = nnx.grad(loss_fn)(model)
    gradients = [np.asarray(grads["layers"][i]["kernel"][...]) for i in range(len(model.layers))]
    bias_gradients = None if model.layers[0].bias is None else [
        np.asarray(grads["layers"][i]["bias"][...]) for i in range(len(model.layers))]
    norm_gradients = {} if model.norms is None else {
        "scale_gradients": [np.asarray(grads["norms"][i]["scale"][...]) for i in range(len(model.norms))],
        "offset_gradients": [np.asarray(grads["norms"][i]["bias"][...]) for i in range(len(model.norms))]}
    loss = net.fit(x, y, 1)["loss"][0]
    return {"layers": layers, "loss": loss, "gradients": gradients, "bias_gradients": bias_gradients,
            "weights": net.get_weights(), "biases": net.get_biases(), **norm_gradients,
            **(net.get_normalization() or {})}
