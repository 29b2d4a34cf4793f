"""Two hidden layers of tanh, biases from zero, binary cross-entropy, in JAX."""
import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)  # JAX computes in float32 unless told


def forward(params, x):
    (w0, w1, w2), (b0, b1, b2) = params
    return jax.nn.sigmoid(jnp.tanh(jnp.tanh(x @ w0 + b0) @ w1 + b1) @ w2 + b2)


def loss_fn(params, x, y):
    y_hat = forward(params, x)
    return -jnp.mean(y * jnp.log(y_hat) + (1 - y) * jnp.log(1 - y_hat))


@jax.jit
def step(params, x, y, learning_rate):
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
    return jax.tree.map(lambda p, g: p - learning_rate * g, params, grads), loss


def train(x, y, weights, epochs, learning_rate):
    params = [jnp.asarray(w) for w in weights], [jnp.zeros(w.shape[1]) for w in weights]
    losses = []
    for _ in range(epochs):
        params, loss = step(params, x, y, learning_rate)
        losses.append(loss)
    return np.asarray(losses), np.asarray(forward(params, x))


if __name__ == "__main__":
    from companion.blog import EPOCHS, LEARNING_RATE, X, show, weights, y
    losses, predictions = train(X, y, weights(3, 4, 4, 1), EPOCHS, LEARNING_RATE)
    show(losses, predictions)
