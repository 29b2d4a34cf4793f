"""The checker's window into impl_pytensor: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`.
"""
import numpy as np
import pytensor
import pytensor.tensor as pt

# Each network compiled once per run, its shared variables set afresh at every step: one step compiles three
# functions (the train step, the forward pass, the values below), ten times the step's own cost. Keyed by what the
# graphs are built from; cleared between the runs of a served worker (compare.run.state).
COMPILED = {}


def compiled(module, weights, learning_rate, dtype, options):
    """(the Network, the function of its layers and gradients) for these shapes and options, built on first use."""
    shapes = tuple(np.shape(w) for w in weights)
    biases = options.get("biases")
    key = (module.__name__, shapes, None if biases is None else tuple(np.shape(b) for b in biases), learning_rate,
           dtype, tuple(sorted((k, repr(v)) for k, v in options.items() if k not in ("biases", "orders"))))
    if key not in COMPILED:
        net = module.Network(weights, learning_rate, dtype, **options)
        xs, ys = pt.matrix("x", dtype=dtype), pt.matrix("y", dtype=dtype)
        loss, _ = module.loss_fn(net.weights, xs, ys, net.activation, net.output_activation, net.loss, net.biases,
                                 net.norms)
        outputs, out = [], xs  # the hidden layers with the module's own activation (and normalization, in training
        for i, w in enumerate(net.weights[:-1]):  # mode), then its whole forward pass
            z = out @ w if net.biases is None else out @ w + net.biases[i]
            out = module.ACTIVATIONS[net.activation](z if net.norms is None else net.norms[i](z))
            outputs.append(out)
        outputs.append(module.forward(net.weights, xs, net.activation, net.output_activation, net.biases, net.norms))
        # One more compiled function over the network's own shared variables: its layers and pytensor.grad's.
        COMPILED[key] = net, pytensor.function([xs, ys], [*outputs, *pytensor.grad(loss, net.variables)]), len(outputs)
    return COMPILED[key]


# Network.get_normalization's names, and each Normalization's own shared variable; and where a new one starts.
NORMALIZATION = {"scales": ("scale", 1), "offsets": ("offset", 0), "running_means": ("running_mean", 0),
                 "running_variances": ("running_variance", 1)}


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, normalization=None, **options):
    """One step of module.Network from `weights` (and its optimizer from `optimizer_state`, its normalization layers
    from `normalization`, if given): each layer's output, the loss, each gradient, the new weights (and biases, and
    the normalization layers' γ, β and running statistics)."""
    net, values, n = compiled(module, weights, learning_rate, dtype, options)
    # The state a new Network starts in, then the step's: weights, biases, the normalization layers' γ, β and
    # running statistics as a new one's or the reference's, the optimizer's t and slots at zero.
    for variable, value in zip(net.weights + (net.biases or []), [*weights, *(options.get("biases") or [])],
                               strict=True):
        variable.set_value(np.asarray(value, dtype=dtype))
    for name, (attribute, start) in NORMALIZATION.items():
        given = (normalization or {}).get(name) or [None] * len(net.norms or [])
        for layer, value in zip(net.norms or [], given, strict=True):
            variable = getattr(layer, attribute)
            variable.set_value(np.full_like(variable.get_value(), start) if value is None
                               else np.asarray(value, dtype=dtype))
    net.t.set_value(np.asarray(0, dtype=dtype))
    net.clock["epoch"].set_value(np.asarray(0, dtype=dtype))
    for state in net.states:
        for variable in state.values():
            variable.set_value(np.zeros_like(variable.get_value()))
    net.orders, net.epochs_done = options.get("orders"), 0
    if optimizer_state is not None:  # the reference's t and slots, into the network's own shared variables
        net.t.set_value(np.asarray(optimizer_state["t"], dtype=dtype))
        steps = -(-len(x) // (net.batch_size or len(x)))  # per epoch
        net.clock["epoch"].set_value(np.asarray(optimizer_state["t"] // steps, dtype=dtype))  # the epochs done
        for state, slots in zip(net.states, optimizer_state["slots"], strict=True):
            for name, value in slots.items():
                state[name].set_value(np.asarray(value, dtype=dtype))
    found = values(x.astype(dtype), y.astype(dtype))
    k = len(net.biases or [])  # the gradients: weights, biases, then γs and βs
    gradients = {"gradients": found[n:2 * n], "bias_gradients": found[2 * n:2 * n + k] or None}
    if net.norms is not None:
        gradients.update(scale_gradients=found[2 * n + k:2 * n + k + len(net.norms)],
                         offset_gradients=found[2 * n + k + len(net.norms):])
    loss = net.fit(x, y, 1)["loss"][0]
    return {"layers": found[:n], "loss": loss, **gradients, "weights": net.get_weights(), "biases": net.get_biases(),
            **(net.get_normalization() or {})}
