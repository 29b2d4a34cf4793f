"""The checker's window into impl_keras: one training step from a given state, and what it computed on the way.

network.py is the lesson and does not change for the checker; this file only reads its quantities out. Every
impl_* package has a probe.py with the same `step`. Keras's fit does not hand out its gradients, so they are taken
here with the backend's own autodiff (a GradientTape, jax.grad or torch's backward) over the compiled loss.
"""
import keras
import numpy as np


def gradients(model, x, y):
    """∂loss/∂kernel for each Dense layer, from the loss object `compile` was given, by the backend's autodiff."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = model.loss(y, model(x))
        return tape.gradient(loss, model.trainable_variables)
    if backend == "jax":
        import jax

        def loss(trainable):
            y_pred, _ = model.stateless_call(trainable, [v.value for v in model.non_trainable_variables], x)
            return model.loss(y, y_pred)

        return jax.grad(loss)([v.value for v in model.trainable_variables])
    if backend == "torch":
        model.loss(y, model(x)).backward()
        return [v.value.grad for v in model.trainable_variables]
    raise ValueError(f"no gradients for the Keras backend '{backend}'")


def step(module, weights, x, y, learning_rate, dtype, **options):
    """One step of module.Network from `weights`: each layer's output, the loss, each gradient, the new weights."""
    net = module.Network(weights, learning_rate, dtype, **options)
    model = net.model
    every_layer = keras.Model(model.inputs, [layer.output for layer in model.layers])  # the model's own layers
    layers = [keras.ops.convert_to_numpy(out) for out in every_layer(x)]
    grads = [keras.ops.convert_to_numpy(g) for g in gradients(model, keras.ops.convert_to_tensor(x, dtype),
                                                              keras.ops.convert_to_tensor(y, dtype))]
    loss = net.fit(x, y, 1)["loss"][0]
    return {"layers": layers, "loss": loss, "gradients": grads[::2] if net.bias else grads,
            "bias_gradients": grads[1::2] if net.bias else None, "weights": net.get_weights(),
            "biases": net.get_biases()}
