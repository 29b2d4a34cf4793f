"""The checker's window into impl_keras: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`. Keras's fit does not hand out its gradients, so they are taken
here with the backend's own autodiff (a GradientTape, jax.grad or torch's backward) over the compiled loss.
"""
import keras
import numpy as np


def gradients(model, x, y):
    """∂loss/∂θ for each of the model's trainable variables, in its order, from the loss object `compile` was given,
    by the backend's autodiff, through the forward pass in training mode (batch normalization on the batch's
    statistics, as fit's step; on TensorFlow and torch it moves the running statistics too)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = model.loss(y, model(x, training=True))
        return tape.gradient(loss, model.trainable_variables)
    if backend == "jax":
        import jax

        def loss(trainable):
            y_pred, _ = model.stateless_call(trainable, [v.value for v in model.non_trainable_variables], x,
                                             training=True)
            return model.loss(y, y_pred)

        return jax.grad(loss)([v.value for v in model.trainable_variables])
    if backend == "torch":
        model.loss(y, model(x, training=True)).backward()
        return [v.value.grad for v in model.trainable_variables]
    raise ValueError(f"no gradients for the Keras backend '{backend}'")


def parameters(net):
    """net's trainable variables in the reference's order: the Dense layers' kernels, their biases, then the
    normalization layers' γ and β."""
    return ([dense.kernel for dense in net.dense] + ([dense.bias for dense in net.dense] if net.bias else [])
            + [n.gamma for n in net.norms or []] + [n.beta for n in net.norms or []])


def order(net):
    """Where each of parameters(net) stands in the model's trainable_variables (Keras's order: each layer's kernel,
    its bias, a normalization layer's γ and β, layer by layer)."""
    paths = [variable.path for variable in net.model.trainable_variables]
    return [paths.index(variable.path) for variable in parameters(net)]


# Network.get_normalization's names, and each Keras normalization layer's variables.
NORMALIZATION = {"scales": "gamma", "offsets": "beta", "running_means": "moving_mean",
                 "running_variances": "moving_variance"}


def load_normalization(net, normalization):
    """Set net's normalization layers to `normalization` (Network.get_normalization's dict)."""
    for name, attribute in NORMALIZATION.items():
        for layer, value in zip(net.norms, normalization.get(name) or [], strict=False):
            variable = getattr(layer, attribute)
            variable.assign(np.asarray(value, dtype=variable.dtype))


# The reference's slots (the textbook's names) under the names keras.optimizers keeps them by, per optimizer.
SLOTS = {"sgd": {}, "momentum": {"b": "momentums"}, "nesterov": {"b": "momentums"}, "rmsprop": {"v": "_velocities"},
         "adam": {"m": "_momentums", "v": "_velocities"}}


def rate(net, learning_rate, step, steps):
    """The learning rate of optimizer step `step` (counted from 0) under net's schedule; steps: per epoch."""
    if net.schedule is None:
        return learning_rate
    return float(net.schedule(step if net.schedule_per == "step" else step // steps))


def load_optimizer_state(net, optimizer, learning_rate, optimizer_state, steps):
    """The reference's optimizer state (probe of impl_numpy: t, and per parameter its slots) into the compiled
    keras.optimizers optimizer, built over the model's variables as fit would build it (compiled, below), and its
    schedule at step t (steps: per epoch). Keras's SGD keeps m = −lr·b where the textbook keeps b (its step is
    w += m after m = μm − lr·g): m is the last step's move, −lr·b at that step's rate."""
    opt, variables = net.model.optimizer, net.model.trainable_variables
    t = optimizer_state["t"]
    slots = {name: getattr(opt, attribute) for name, attribute in SLOTS[optimizer].items()}
    last = rate(net, learning_rate, max(t - 1, 0), steps)
    for k, reference in zip(order(net), optimizer_state["slots"], strict=True):
        for name, value in reference.items():
            value = -last * value if name == "b" else value
            slots[name][k].assign(np.asarray(value, dtype=variables[k].dtype))
    opt.iterations.assign(t)  # a schedule per step reads it
    if net.callbacks:  # per epoch, fit's epochs count from the epochs done, each epoch's order still the first given
        net.epochs_done = t // steps
        if net.orders is not None:
            net.orders = np.roll(net.orders, net.epochs_done, axis=0)


# Each network built and compiled once per run, its weights and optimizer set afresh at every step: a new Model's
# first fit traces (or compiles) its train step, several times the step's own cost. Keyed by what the model is built
# from; cleared between the runs of a served worker (compare.run.state).
COMPILED = {}


def compiled(module, weights, learning_rate, dtype, options):
    """(the Network, a Model giving each of its layers' outputs: each Dense layer's activation, or the Activation
    layer after its normalization) for these shapes and options, built on first use."""
    biases = options.get("biases")
    key = (module.__name__, tuple(np.shape(w) for w in weights),
           None if biases is None else tuple(np.shape(b) for b in biases), learning_rate, dtype,
           tuple(sorted((k, repr(v)) for k, v in options.items() if k not in ("biases", "orders"))))
    if key not in COMPILED:
        net = module.Network(weights, learning_rate, dtype, **options)
        net.model.optimizer.build(net.model.trainable_variables)  # as fit would, so that its slots can be set
        layers = net.model.layers  # each l_k: the layer before a Dense layer's, and the last
        COMPILED[key] = net, keras.Model(net.model.inputs, [layers[i].output for i in range(len(layers))
                                                            if i + 1 == len(layers) or layers[i + 1] in net.dense])
    return COMPILED[key]


# Where a Keras normalization layer's variables start.
STARTS = {"gamma": 1, "beta": 0, "moving_mean": 0, "moving_variance": 1}


def restart_normalization(net):
    """net's normalization layers where they start: γ 1, β 0, the running statistics (batch normalization's) 0 and 1."""
    for layer in net.norms or []:
        for attribute, start in STARTS.items():
            if hasattr(layer, attribute):
                variable = getattr(layer, attribute)
                variable.assign(np.full(variable.shape, start, dtype=variable.dtype))


def reset(net, weights, optimizer, options):
    """The state a new Network starts in: its weights and biases, its normalization layers', its optimizer's slots and
    step count at zero, its mini-batch orders from the first."""
    biases = options.get("biases")
    for dense, w, b in zip(net.dense, weights, biases or [None] * len(weights), strict=True):
        dense.set_weights([w, b] if biases is not None else [w])
    restart_normalization(net)
    opt = net.model.optimizer
    for attribute in SLOTS[optimizer].values():
        for slot in getattr(opt, attribute):
            slot.assign(np.zeros(slot.shape, dtype=slot.dtype))
    opt.iterations.assign(0)
    for variable in net.model.trainable_variables:  # torch's backward adds to .grad; a new model has none
        if hasattr(variable.value, "grad"):
            variable.value.grad = None
    net.orders, net.epochs_done = options.get("orders"), 0


def step(module, weights, x, y, learning_rate, dtype, optimizer_state=None, normalization=None, **options):
    """One step of module.Network from `weights` (and its optimizer from `optimizer_state`, its normalization layers
    from `normalization`, if given): each layer's output, the loss, each gradient, the new weights (and biases, and
    the normalization layers' γ, β and running statistics)."""
    net, every_layer = compiled(module, weights, learning_rate, dtype, options)
    optimizer = options.get("optimizer", "sgd")
    reset(net, weights, optimizer, options)
    if normalization is not None:
        load_normalization(net, normalization)
    if optimizer_state is not None:
        load_optimizer_state(net, optimizer, learning_rate, optimizer_state, -(-len(x) // (net.batch_size or len(x))))
    model = net.model
    # The model's own layers and gradients, in training mode as fit's step: batch normalization on the batch's own
    # statistics.
    layers = [keras.ops.convert_to_numpy(out) for out in every_layer(x, training=True)]
    grads = [keras.ops.convert_to_numpy(g) for g in gradients(model, keras.ops.convert_to_tensor(x, dtype),
                                                              keras.ops.convert_to_tensor(y, dtype))]
    grads = [grads[k] for k in order(net)]  # the reference's order: weights, biases, then γ and β
    # Those passes moved the running statistics (on TensorFlow and torch): back to where the step starts.
    if normalization is not None:
        load_normalization(net, normalization)
    else:
        restart_normalization(net)
    loss = net.fit(x, y, 1)["loss"][0]
    n, h = len(weights), len(net.norms or [])
    out = {"layers": layers, "loss": loss, "gradients": grads[:n],
           "bias_gradients": grads[n:2 * n] if net.bias else None, "weights": net.get_weights(),
           "biases": net.get_biases()}
    if net.norms is not None:
        out.update(scale_gradients=grads[-2 * h:-h], offset_gradients=grads[-h:], **net.get_normalization())
    return out
