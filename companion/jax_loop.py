"""The blog's network in a JAX training loop: pure functions of the weights, an optax SGD step in jax.jit, early
stopping in Python."""
import jax
import jax.numpy as jnp
import numpy as np
import optax

jax.config.update("jax_enable_x64", True)  # JAX computes in float32 unless told


def forward(params, x):
    w0, w1 = params
    return jax.nn.sigmoid(jax.nn.sigmoid(x @ w0) @ w1)


def loss_fn(params, x, y):
    return 0.5 * jnp.sum((y - forward(params, x)) ** 2)


def train(x, y, x_val, y_val, weights, orders, epochs, batch, learning_rate, patience, min_delta):
    optimizer = optax.sgd(learning_rate)

    @jax.jit
    def step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = optimizer.update(grads, opt_state)
        return optax.apply_updates(params, updates), opt_state, loss

    params = [jnp.asarray(w) for w in weights]
    opt_state = optimizer.init(params)
    history = {"loss": [], "val_loss": [], "val_mae": []}
    best, best_params, wait = float("inf"), None, 0
    for order in orders[:epochs]:
        losses = []
        for i in range(0, len(x), batch):
            rows = order[i:i + batch]
            params, opt_state, loss = step(params, opt_state, x[rows], y[rows])
            losses.append(loss)
        val_loss = float(loss_fn(params, x_val, y_val))
        history["loss"].append(float(jnp.mean(jnp.array(losses))))
        history["val_loss"].append(val_loss)
        history["val_mae"].append(float(jnp.mean(jnp.abs(y_val - forward(params, x_val)))))
        if val_loss + min_delta < best:  # an improvement, as keras.callbacks.EarlyStopping tests it
            best, best_params, wait = val_loss, params, 0  # JAX's arrays never change: no copy
        else:
            wait += 1
            if wait >= patience:
                break
    # restore_best_weights=True: the best epoch's weights, not the last
    return {**history, "stopped_at": len(history["loss"]), "predictions": np.asarray(forward(best_params, x_val))}


if __name__ == "__main__":
    from companion import loop_data
    loop_data.show(train(**loop_data.arguments()))
