"""The blog's network, ported to JAX and optax: Adam with a weight decay."""
import jax
import jax.numpy as jnp
import optax

jax.config.update("jax_enable_x64", True)  # float64 arrays stay float64

# Adam with optax's (and the run's) β₁, β₂, ε; a weight decay θ ← θ − lr·λ·θ beside Adam's step, as AdamW's
NETWORK = {"optimizer": "adam", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
           "weight_decay": 0.05, "decay": "decoupled"}


def predict(params, x):
    for w in params:
        x = jax.nn.sigmoid(x @ w)
    return x


def loss_fn(params, x, y):
    error = y - predict(params, x)
    return 0.5 * jnp.sum(error ** 2), error


def train(x, y, weights, epochs, learning_rate, dtype):
    optimizer = optax.chain(optax.add_decayed_weights(0.05), optax.adam(learning_rate))

    @jax.jit
    def step(params, state, x, y):
        (loss, error), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, y)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss, jnp.mean(jnp.abs(error))

    params, x, y = [jnp.asarray(w) for w in weights], jnp.asarray(x), jnp.asarray(y)
    state = optimizer.init(params)
    losses, errors = [], []
    for _ in range(epochs):
        params, state, loss, error = step(params, state, x, y)
        losses.append(float(loss))
        errors.append(float(error))
    return {"loss": losses, "mean_abs_error": errors, "weights": params, "predictions": predict(params, x)}
