"""The blog's network, ported to TensorFlow: tf.Variables, a GradientTape, the update written out."""
import tensorflow as tf

NETWORK = {"loss": "bce"}  # binary cross-entropy, the mean over the rows


def predict(weights, x):
    for w in weights:
        x = tf.sigmoid(x @ w)
    return x


@tf.function
def step(weights, x, y, learning_rate):
    with tf.GradientTape() as tape:
        logits = predict(weights[:-1], x) @ weights[-1]  # the output layer before its sigmoid
        y_hat = tf.sigmoid(logits)
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
    for w, g in zip(weights, tape.gradient(loss, weights), strict=True):
        w.assign_sub(learning_rate * g)
    return loss, tf.reduce_mean(tf.abs(y - y_hat))


def train(x, y, weights, epochs, learning_rate, dtype):
    weights = [tf.Variable(w, dtype=dtype) for w in weights]
    x, y = tf.constant(x, dtype=dtype), tf.constant(y, dtype=dtype)
    learning_rate = tf.constant(learning_rate, dtype=dtype)
    losses, errors = [], []
    for _ in range(epochs):
        loss, error = step(weights, x, y, learning_rate)
        losses.append(float(loss))
        errors.append(float(error))
    return {"loss": losses, "mean_abs_error": errors, "weights": [w.numpy() for w in weights],
            "predictions": predict(weights, x).numpy()}
