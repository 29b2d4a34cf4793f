"""The blog's network in Flax NNX: nnx.Linear layers, nnx.Optimizer over optax, nnx.value_and_grad, nnx.jit."""
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


@nnx.jit
def step(model, optimizer, x, y):
    def loss_fn(model):
        return 0.5 * jnp.sum((y - model(x)) ** 2)

    loss, grads = nnx.value_and_grad(loss_fn)(model)
    optimizer.update(model, grads)
    return loss


def train(x, y, weights, epochs, learning_rate):
    model = Model(weights)
    optimizer = nnx.Optimizer(model, optax.sgd(learning_rate), wrt=nnx.Param)
    losses = [step(model, optimizer, x, y) for _ in range(epochs)]
    return np.asarray(losses), np.asarray(model(x))


if __name__ == "__main__":
    from companion.blog import EPOCHS, LEARNING_RATE, X, show, weights, y
    losses, predictions = train(X, y, weights(3, 4, 1), EPOCHS, LEARNING_RATE)
    show(losses, predictions)
