"""The blog's network, ported to JAX."""
import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)  # float64 arrays stay float64


def predict(params, x):
    for w in params:
        x = jax.nn.sigmoid(x @ w)
    return x


def loss_fn(params, x, y):
    error = y - predict(params, x)
    return 0.5 * jnp.sum(error ** 2), error


@jax.jit
def step(params, x, y, learning_rate):
    (loss, error), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, y)
    return [w - learning_rate * g for w, g in zip(params, grads, strict=True)], loss, jnp.mean(jnp.abs(error))


def train(x, y, weights, epochs, learning_rate, dtype):
    params, x, y = [jnp.asarray(w) for w in weights], jnp.asarray(x), jnp.asarray(y)
    losses, errors = [], []
    for _ in range(epochs):
        params, loss, error = step(params, x, y, learning_rate)
        losses.append(float(loss))
        errors.append(float(error))
    return {"loss": losses, "mean_abs_error": errors, "weights": params, "predictions": predict(params, x)}
