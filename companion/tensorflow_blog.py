"""The blog's network in TensorFlow: tf.Variables, a GradientTape, and a train step in tf.function."""
import tensorflow as tf


def train(x, y, weights, epochs, learning_rate):
    x, y = tf.constant(x), tf.constant(y)
    w0, w1 = (tf.Variable(w) for w in weights)
    params = [w0, w1]

    def forward(x):
        return tf.sigmoid(tf.sigmoid(x @ w0) @ w1)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = 0.5 * tf.reduce_sum(tf.square(y - forward(x)))
        for p, grad in zip(params, tape.gradient(loss, params), strict=True):
            p.assign_sub(learning_rate * grad)
        return loss

    losses = [step().numpy() for _ in range(epochs)]
    return losses, forward(x).numpy()


if __name__ == "__main__":
    from companion.blog import EPOCHS, LEARNING_RATE, X, show, weights, y
    losses, predictions = train(X, y, weights(3, 4, 1), EPOCHS, LEARNING_RATE)
    show(losses, predictions)
