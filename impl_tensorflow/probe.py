"""The checker's window into impl_tensorflow: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`.
"""
import numpy as np
import tensorflow as tf

# Each network built once per run, its variables set afresh at every step: a new Network's tf.function traces its
# train step again, several times the step's own cost. Keyed by what the network is built from; cleared between the
# runs of a served worker (compare.run.state).
COMPILED = {}


def compiled(module, weights, learning_rate, dtype, options):
    """The Network for these shapes and options, built on first use."""
    biases = options.get("biases")
    key = (module.__name__, tuple(np.shape(w) for w in weights),
           None if biases is None else tuple(np.shape(b) for b in biases), learning_rate, dtype,
           tuple(sorted((k, repr(v)) for k, v in options.items() if k not in ("biases", "orders"))))
    if key not in COMPILED:
        COMPILED[key] = module.Network(weights, learning_rate, dtype, **options)
    return COMPILED[key]


# Network.get_normalization's names, and each Normalization's own tf.Variable; and where a new one starts.
NORMALIZATION = {"scales": ("scale", 1), "offsets": ("offset", 0), "running_means": ("running_mean", 0),
                 "running_variances": ("running_variance", 1)}


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, normalization=None, **options):
    """One step of module.Network from `weights` (and its optimizer from `optimizer_state`, its normalization layers
    from `normalization`, if given): each layer's output, the loss, each gradient, the new weights (and biases, and
    the normalization layers' γ, β and running statistics)."""
    net = compiled(module, weights, learning_rate, dtype, options)
    # The state a new Network starts in, then the step's: weights, biases, the normalization layers' γ, β and
    # running statistics as a new one's or the reference's, the optimizer's t and slots at zero.
    for variable, value in zip(net.weights + (net.biases or []), [*weights, *(options.get("biases") or [])],
                               strict=True):
        variable.assign(tf.constant(value, dtype=net.dtype))
    for name, (attribute, start) in NORMALIZATION.items():
        given = (normalization or {}).get(name) or [None] * len(net.norms or [])
        for layer, value in zip(net.norms or [], given, strict=True):
            variable = getattr(layer, attribute)
            variable.assign(tf.fill(variable.shape, tf.constant(start, net.dtype)) if value is None
                            else tf.constant(value, dtype=net.dtype))
    net.t.assign(0)
    net.clock["epoch"].assign(0)
    for state in net.states:
        for variable in state.values():
            variable.assign(tf.zeros_like(variable))
    net.orders, net.epochs_done = options.get("orders"), 0
    if optimizer_state is not None:  # the reference's t and slots, into the network's own tf.Variables
        net.t.assign(optimizer_state["t"])
        steps = -(-len(x) // (net.batch_size or len(x)))  # per epoch
        net.clock["epoch"].assign(optimizer_state["t"] // steps)  # the epochs done
        for state, slots in zip(net.states, optimizer_state["slots"], strict=True):
            for name, value in slots.items():
                state[name].assign(tf.constant(value, dtype=net.dtype))
    x, y = tf.constant(x, dtype=net.dtype), tf.constant(y, dtype=net.dtype)
    layers, out = [], x  # the hidden layers with the module's own activation (and normalization, in training
    for i, w in enumerate(net.weights[:-1]):  # mode), then its whole forward pass for ŷ
        z = out @ w if net.biases is None else out @ w + net.biases[i]
        out = module.ACTIVATIONS[net.activation](z if net.norms is None else net.norms[i](z))
        layers.append(out.numpy())
    layers.append(module.forward(net.weights, x, net.activation, net.output_activation, net.biases,
                                 net.norms).numpy())
    with tf.GradientTape() as tape:  # the same tape over the same loss_fn as the train step
        loss, _ = module.loss_fn(net.weights, x, y, net.activation, net.output_activation, net.loss, net.biases,
                                 net.norms)
    grads = [grad.numpy() for grad in tape.gradient(loss, net.variables)]
    n, k = len(net.weights), len(net.biases or [])  # the variables: weights, biases, then γs and βs
    gradients = {"gradients": grads[:n], "bias_gradients": grads[n:n + k] or None}
    if net.norms is not None:
        gradients.update(scale_gradients=grads[n + k:n + k + len(net.norms)],
                         offset_gradients=grads[n + k + len(net.norms):])
    loss = net.fit(x.numpy(), y.numpy(), 1)["loss"][0]
    return {"layers": layers, "loss": loss, **gradients, "weights": net.get_weights(), "biases": net.get_biases(),
            **(net.get_normalization() or {})}
