"""The checker's window into impl_jax: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`.
"""
import jax
import jax.numpy as jnp
import numpy as np

# The reference's slots (the textbook's names) under the names optax's states keep them by, per optimizer.
FIELDS = {"sgd": {}, "momentum": {"b": "trace"}, "nesterov": {"b": "trace"}, "rmsprop": {"v": "nu"},
          "adam": {"m": "mu", "v": "nu"}}


def load_optimizer_state(net, optimizer, optimizer_state):
    """The reference's optimizer state (probe of impl_numpy: t, and per parameter its slots, weights then biases, the
    order of the parameters' pytree) into net's optax state: each slot found by its path, .trace[0][1] for w1's b
    (TraceState, ScaleByRmsState, ScaleByAdamState, wherever the chain holds them); and t, the updates done, into
    every count (Adam's, a schedule's, inject_hyperparams' for a schedule per epoch, which sets the epoch's rate from
    it). optax.tree_utils.tree_set would miss a count nested under inject_hyperparams' own."""
    slots = {field: slot for slot, field in FIELDS[optimizer].items()}
    parameter = {path: i for i, (path, _) in enumerate(jax.tree_util.tree_leaves_with_path(net.params))}

    def load(path, value):
        names = [getattr(key, "name", None) for key in path]  # the NamedTuples' fields along the path
        field = next((name for name in names if name in slots or name == "count"), None)
        if field == "count":
            return jnp.asarray(optimizer_state["t"], dtype=value.dtype)
        if field is None:
            return value
        i = parameter[path[names.index(field) + 1:]]  # the rest of the path is the parameter's in net.params
        return jnp.asarray(optimizer_state["slots"][i][slots[field]], dtype=value.dtype)

    net.opt_state = jax.tree_util.tree_map_with_path(load, net.opt_state)


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, **options):
    """One step of module.Network from `weights` (and its optimizer from `optimizer_state`, if given): each layer's
    output, the loss, each gradient, the new weights."""
    net = module.Network(weights, learning_rate, dtype, **options)
    if optimizer_state is not None:
        load_optimizer_state(net, options.get("optimizer", "sgd"), optimizer_state)
    xj, yj = jnp.asarray(x, dtype=net.dtype), jnp.asarray(y, dtype=net.dtype)
    (ws, bs), layers, out = net.params, [], xj  # the hidden layers with the module's activation, then its forward
    for i, w in enumerate(ws[:-1]):
        out = module.ACTIVATIONS[net.activation](out @ w if bs is None else out @ w + bs[i])
        layers.append(np.asarray(out))
    layers.append(np.asarray(module.forward(net.params, xj, net.activation, net.output_activation)))
    # The train step's own loss_fn, differentiated by jax.grad: without the L2 penalty, whose 2lθ the reference's
    # gradients leave out too.
    (gradients, bias_gradients), _ = jax.grad(module.loss_fn, has_aux=True)(net.params, xj, yj,
                                                                          **{**net.network, "l2": 0.0})
    loss = net.fit(x, y, 1)["loss"][0]
    return {"layers": layers, "loss": loss, "gradients": [np.asarray(g) for g in gradients],
            "bias_gradients": None if bias_gradients is None else [np.asarray(g) for g in bias_gradients],
            "weights": net.get_weights(), "biases": net.get_biases()}
