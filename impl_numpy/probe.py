"""The checker's window into impl_numpy: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`. The reference's probe also reads its optimizer's state out
(`optimizer_state`), in the textbook's names that every probe's `step` takes back.
"""
import numpy as np

SLOTS = {"sgd": (), "momentum": ("b",), "nesterov": ("b",), "rmsprop": ("v",), "adam": ("m", "v")}


def optimizer_state(net, t):
    """What net's optimizer carries from one step to the next, after t steps: {"t": t, "slots": one {name: array}
    per parameter, weights, biases, then the normalization layers' γ and β}. A slot not yet made is zeros, as every
    optimizer starts it."""
    params = net.parameters
    return {"t": t, "slots": [{name: np.array(state.get(name, np.zeros_like(p)), dtype=p.dtype)
                               for name in SLOTS[net.optimizer]} for p, state in zip(params, net.states, strict=True)]}


def load_normalization(net, normalization):
    """Set net's normalization layers to `normalization` (Network.get_normalization's dict), in place: the arrays are
    the optimizer's parameters too."""
    for name, attribute in NORMALIZATION.items():
        for layer, value in zip(net.norms, normalization.get(name) or [], strict=False):
            np.copyto(getattr(layer, attribute), np.asarray(value, dtype=net.dtype))


# Network.get_normalization's names, and each Normalization's own.
NORMALIZATION = {"scales": "scale", "offsets": "offset", "running_means": "running_mean",
                 "running_variances": "running_variance"}


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, normalization=None, **options):
    """One step of module.Network from `weights` (and its optimizer from `optimizer_state`, its normalization layers
    from `normalization`, if given): each layer's output, the loss, each gradient, the new weights (and biases, and
    the normalization layers' γ, β and running statistics)."""
    net = module.Network(weights, learning_rate, dtype, **options)
    if normalization is not None:
        load_normalization(net, normalization)
    if optimizer_state is not None:
        extra = {"t": optimizer_state["t"]} if net.optimizer == "adam" else {}
        net.states = [{name: np.array(value, dtype=net.dtype) for name, value in slots.items()} | extra
                      for slots in optimizer_state["slots"]]
        steps = -(-len(x) // (net.batch_size or len(x)))  # per epoch
        net.clock = {"step": optimizer_state["t"], "epoch": optimizer_state["t"] // steps}  # a schedule's t
    norms = {} if net.norms is None else {"norms": net.norms}  # a module written before them takes none
    layers = module.forward(x.astype(net.dtype), net.weights, net.activation, net.output_activation, net.biases,
                            **norms)
    gradients, bias_gradients = module.backward(layers, y.astype(net.dtype), net.weights, net.activation,
                                                net.output_activation, net.loss, bias=net.biases is not None, **norms)
    norm_gradients = {} if net.norms is None else {"scale_gradients": [n.scale_grad.copy() for n in net.norms],
                                                   "offset_gradients": [n.offset_grad.copy() for n in net.norms]}
    loss = net.fit(x, y, 1)["loss"][0]  # after backward: fit updates the weights in place
    return {"layers": layers[1:], "loss": loss, "gradients": gradients, "bias_gradients": bias_gradients,
            "weights": net.get_weights(), "biases": net.get_biases(), **norm_gradients,
            **(net.get_normalization() or {})}
