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
    """The reference's optimizer state (probe of impl_numpy: t, and per parameter its slots, weights, biases, then the
    normalization layers' γ and β, the order of the parameters' pytree) into net's optax state: each slot found by
    its path, .trace[0][1] for w1's b (TraceState, ScaleByRmsState, ScaleByAdamState, wherever the chain holds them);
    and t, the updates done, into every count (Adam's, a schedule's, inject_hyperparams' for a schedule per epoch,
    which sets the epoch's rate from it). optax.tree_utils.tree_set would miss a count nested under
    inject_hyperparams' own."""
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


def load_normalization(net, normalization):
    """The reference's normalization layers (Network.get_normalization's dict: γ, β and the running statistics, lists
    over the hidden layers) into net's parameters and running statistics."""
    as_arrays = lambda arrays: [jnp.asarray(a, dtype=net.dtype) for a in arrays]  # noqa: E731
    weights, biases, _, _ = net.params
    net.params = (weights, biases, as_arrays(normalization["scales"]), as_arrays(normalization["offsets"]))
    if net.statistics is not None:
        net.statistics = list(zip(as_arrays(normalization["running_means"]),
                                  as_arrays(normalization["running_variances"]), strict=True))


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, normalization=None, **options):
    """One step of module.Network from `weights` (and its optimizer from `optimizer_state`, its normalization layers
    from `normalization`, if given): each layer's output, the loss, each gradient, the new weights (and the
    normalization layers' γ, β and running statistics)."""
    net = module.Network(weights, learning_rate, dtype, **options)
    if normalization is not None:
        load_normalization(net, normalization)
    if optimizer_state is not None:
        load_optimizer_state(net, options.get("optimizer", "sgd"), optimizer_state)
    xj, yj = jnp.asarray(x, dtype=net.dtype), jnp.asarray(y, dtype=net.dtype)
    norm, epsilon = net.network["norm"], net.network["norm_epsilon"]
    (ws, bs, scales, offsets), layers, out = net.params, [], xj  # the hidden layers by the module's own functions
    for i, w in enumerate(ws[:-1]):
        z = out @ w if bs is None else out @ w + bs[i]
        if norm is not None:
            z, _ = module.normalize(z, scales[i], offsets[i], norm, epsilon)
        out = module.ACTIVATIONS[net.activation](z)
        layers.append(np.asarray(out))
    layers.append(np.asarray(module.forward(net.params, xj, net.activation, net.output_activation, norm, epsilon)[0]))
    # The train step's own loss_fn, differentiated by jax.grad: without the L2 penalty (l2 left at 0), whose 2lθ the
    # reference's gradients leave out too.
    network = {name: net.network[name] for name in ("activation", "output_activation", "loss", "norm", "norm_epsilon")}
    (gradients, bias_gradients, scale_gradients, offset_gradients), _ = jax.grad(module.loss_fn, has_aux=True)(
        net.params, xj, yj, **network)
    as_numpy = lambda arrays: None if arrays is None else [np.asarray(a) for a in arrays]  # noqa: E731
    norm_gradients = {} if norm is None else {"scale_gradients": as_numpy(scale_gradients),
                                              "offset_gradients": as_numpy(offset_gradients)}
    loss = net.fit(x, y, 1)["loss"][0]
    return {"layers": layers, "loss": loss, "gradients": as_numpy(gradients),
            "bias_gradients": as_numpy(bias_gradients), "weights": net.get_weights(), "biases": net.get_biases(),
            **norm_gradients, **(net.get_normalization() or {})}
