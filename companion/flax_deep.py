"""Two hidden layers of tanh, biases from zero, binary cross-entropy, in Flax NNX."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

jax.config.update("jax_enable_x64", True)  # JAX computes in float32 unless told


class Model(nnx.Module):
    def __init__(self, weights):
        rngs = nnx.Rngs(0)
        self.l1 = nnx.Linear(3, 4, param_dtype=jnp.float64, rngs=rngs)  # a Linear's bias starts at zero
        self.l2 = nnx.Linear(4, 4, param_dtype=jnp.float64, rngs=rngs)
        self.l3 = nnx.Linear(4, 1, param_dtype=jnp.float64, rngs=rngs)
        self.l1.kernel[...], self.l2.kernel[...], self.l3.kernel[...] = (jnp.asarray(w) for w in weights)

    def __call__(self, x):
        return nnx.sigmoid(self.l3(nnx.tanh(self.l2(nnx.tanh(self.l1(x))))))


@nnx.jit
def step(model, optimizer, x, y):
    def loss_fn(model):
        y_hat = model(x)
        return -jnp.mean(y * jnp.log(y_hat) + (1 - y) * jnp.log(1 - y_hat))

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
    losses, predictions = train(X, y, weights(3, 4, 4, 1), EPOCHS, LEARNING_RATE)
    show(losses, predictions)
