"""The blog's network in JAX: pure functions of the weights, jax.value_and_grad, jax.jit."""
import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)  # JAX computes in float32 unless told


def forward(params, x):
    w0, w1 = params
    return jax.nn.sigmoid(jax.nn.sigmoid(x @ w0) @ w1)


def loss_fn(params, x, y):
    return 0.5 * jnp.sum((y - forward(params, x)) ** 2)


@jax.jit
def step(params, x, y, learning_rate):
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
    return jax.tree.map(lambda p, g: p - learning_rate * g, params, grads), loss


def train(x, y, weights, epochs, learning_rate):
    params = [jnp.asarray(w) for w in weights]
    losses = []
    for _ in range(epochs):
        params, loss = step(params, x, y, learning_rate)
        losses.append(loss)
    return np.asarray(losses), np.asarray(forward(params, x))


if __name__ == "__main__":
    from companion.blog import EPOCHS, LEARNING_RATE, X, show, weights, y
    losses, predictions = train(X, y, weights(3, 4, 1), EPOCHS, LEARNING_RATE)
    show(losses, predictions)
