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
        loss, _ = module.loss_fn(net.weights, xs, ys, net.activation, net.output_activation, net.loss, net.biases)
        outputs, out = [], xs  # the hidden layers with the module's own activation, then its whole forward pass
        for i, w in enumerate(net.weights[:-1]):
            out = module.ACTIVATIONS[net.activation](out @ w if net.biases is None else out @ w + net.biases[i])
            outputs.append(out)
        outputs.append(module.forward(net.weights, xs, net.activation, net.output_activation, net.biases))
        # One more compiled function over the network's own shared variables: its layers and pytensor.grad's.
        COMPILED[key] = net, pytensor.function([xs, ys], [*outputs, *pytensor.grad(loss, net.variables)]), len(outputs)
    return COMPILED[key]


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, **options):
    """One step of module.Network from `weights` (and its optimizer from `optimizer_state`, if given): each layer's
    output, the loss, each gradient, the new weights."""
    net, values, n = compiled(module, weights, learning_rate, dtype, options)
    # The state a new Network starts in, then the step's: weights, biases, the optimizer's t and slots at zero.
    for variable, value in zip(net.variables, [*weights, *(options.get("biases") or [])], strict=True):
        variable.set_value(np.asarray(value, dtype=dtype))
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
    loss = net.fit(x, y, 1)["loss"][0]
    return {"layers": found[:n], "loss": loss, "gradients": found[n:2 * n], "bias_gradients": found[2 * n:] or None,
            "weights": net.get_weights(), "biases": net.get_biases()}
