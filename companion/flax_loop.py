"""The blog's network in a Flax NNX training loop: an nnx.Optimizer over optax, a step in nnx.jit, early stopping
in Python."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

jax.config.update("jax_enable_x64", True)  # JAX computes in float32 unless told


class Model(nnx.Module):
    def __init__(self, weights):
        rngs = nnx.Rngs(0)
        self.l1 = nnx.Linear(3, 4, use_bias=False, param_dtype=jnp.float64, rngs=rngs)
        self.l2 = nnx.Linear(4, 1, use_bias=False, param_dtype=jnp.float64, rngs=rngs)
        self.l1.kernel[...], self.l2.kernel[...] = (jnp.asarray(w) for w in weights)  # (in, out), as the blog's

    def __call__(self, x):
        return nnx.sigmoid(self.l2(nnx.sigmoid(self.l1(x))))


def loss_fn(model, x, y):
    return 0.5 * jnp.sum((y - model(x)) ** 2)


@nnx.jit
def step(model, optimizer, x, y):
    loss, grads = nnx.value_and_grad(loss_fn)(model, x, y)
    optimizer.update(model, grads)
    return loss


def train(x, y, x_val, y_val, weights, orders, epochs, batch, learning_rate, patience, min_delta):
    model = Model(weights)
    optimizer = nnx.Optimizer(model, optax.sgd(learning_rate), wrt=nnx.Param)
    history = {"loss": [], "val_loss": [], "val_mae": []}
    best, best_model, wait = float("inf"), None, 0
    for order in orders[:epochs]:
        batches = (order[i:i + batch] for i in range(0, len(x), batch))
        losses = [step(model, optimizer, x[rows], y[rows]) for rows in batches]
        val_loss = float(loss_fn(model, x_val, y_val))
        history["loss"].append(float(jnp.mean(jnp.array(losses))))
        history["val_loss"].append(val_loss)
        history["val_mae"].append(float(jnp.mean(jnp.abs(y_val - model(x_val)))))
        if val_loss + min_delta < best:  # an improvement, as keras.callbacks.EarlyStopping tests it
            best, best_model, wait = val_loss, nnx.clone(model), 0
        else:
            wait += 1
            if wait >= patience:
                break
    # restore_best_weights=True: the best epoch's weights, not the last
    return {**history, "stopped_at": len(history["loss"]), "predictions": np.asarray(best_model(x_val))}


if __name__ == "__main__":
    from companion import loop_data
    loop_data.show(train(**loop_data.arguments()))
