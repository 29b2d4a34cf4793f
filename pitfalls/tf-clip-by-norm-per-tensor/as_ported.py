"""The blog's network, ported to TensorFlow from torch's clip_grad_norm_(model.parameters(), 0.05)."""
import tensorflow as tf

NETWORK = {"clip_norm": 0.05, "clip": "global"}  # the gradients rescaled together to a norm of at most 0.05


def predict(weights, x):
    for w in weights:
        x = tf.sigmoid(x @ w)
    return x


@tf.function
def step(weights, x, y, learning_rate):
    with tf.GradientTape() as tape:
        error = y - predict(weights, x)
        loss = 0.5 * tf.reduce_sum(error ** 2)
    grads = [tf.clip_by_norm(g, 0.05) for g in tape.gradient(loss, weights)]
    for w, g in zip(weights, grads, strict=True):
        w.assign_sub(learning_rate * g)
    return loss, tf.reduce_mean(tf.abs(error))


def train(x, y, weights, epochs, learning_rate, dtype):
    weights = [tf.Variable(w, dtype=dtype) for w in weights]
    x, y = tf.constant(x, dtype=dtype), tf.constant(y, dtype=dtype)
    learning_rate = tf.constant(learning_rate, dtype)  # the float read in that dtype itself
    losses, errors = [], []
    for _ in range(epochs):
        loss, error = step(weights, x, y, learning_rate)
        losses.append(float(loss))
        errors.append(float(error))
    return {"loss": losses, "mean_abs_error": errors, "weights": [w.numpy() for w in weights],
            "predictions": predict(weights, x).numpy()}
