"""Two hidden layers of tanh, biases from zero, binary cross-entropy, in TensorFlow."""
import tensorflow as tf


def train(x, y, weights, epochs, learning_rate):
    x, y = tf.constant(x), tf.constant(y)
    w0, w1, w2 = (tf.Variable(w) for w in weights)
    b0, b1, b2 = (tf.Variable(tf.zeros(w.shape[1], tf.float64)) for w in weights)
    params = [w0, w1, w2, b0, b1, b2]

    def forward(x):
        return tf.sigmoid(tf.tanh(tf.tanh(x @ w0 + b0) @ w1 + b1) @ w2 + b2)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            y_hat = forward(x)
            loss = -tf.reduce_mean(y * tf.math.log(y_hat) + (1 - y) * tf.math.log(1 - y_hat))
        for p, grad in zip(params, tape.gradient(loss, params), strict=True):
            p.assign_sub(learning_rate * grad)
        return loss

    losses = [step().numpy() for _ in range(epochs)]
    return losses, forward(x).numpy()


if __name__ == "__main__":
    from companion.blog import EPOCHS, LEARNING_RATE, X, show, weights, y
    losses, predictions = train(X, y, weights(3, 4, 4, 1), EPOCHS, LEARNING_RATE)
    show(losses, predictions)
