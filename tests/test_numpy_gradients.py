"""The NumPy backward pass against central finite differences and against torch autograd, at step 0."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from compare.problem import dataset, initial_weights
from impl_numpy.network import backward, forward

LOSSES = {  # written out again here, apart from impl_numpy's table
    "half-sse": lambda y, p: 0.5 * np.sum((y - p) ** 2),
    "mse": lambda y, p: np.mean((y - p) ** 2),
    "bce": lambda y, p: -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)),
}


def loss(x, y, weights, network, biases=None):
    y_hat = forward(x, weights, network["activation"], network["output_activation"], biases)[-1]
    return LOSSES[network["loss"]](y, y_hat)


def finite_differences(x, y, weights, network, biases=None, h=1e-6):
    """∂loss/∂w for each weight, then ∂loss/∂b for each bias, by central differences."""
    grads = []
    for w in weights + (biases or []):
        grad = np.zeros_like(w)
        for index in np.ndindex(w.shape):
            saved = w[index]
            w[index] = saved + h
            up = loss(x, y, weights, network, biases)
            w[index] = saved - h
            down = loss(x, y, weights, network, biases)
            w[index] = saved
            grad[index] = (up - down) / (2 * h)
        grads.append(grad)
    return grads


CASES = [  # (dataset, sizes, seed, activation, output activation, loss): each option alone, and together
    ("blog", [3, 4, 1], 1, "sigmoid", "sigmoid", "half-sse"), ("xor", [3, 4, 1], 2, "sigmoid", "sigmoid", "half-sse"),
    ("blog", [3, 7, 1], 3, "sigmoid", "sigmoid", "half-sse"),
    ("xor", [3, 5, 3, 1], 4, "sigmoid", "sigmoid", "half-sse"),
    ("xor", [3, 5, 4, 1], 5, "tanh", "sigmoid", "half-sse"), ("blog", [3, 6, 1], 6, "tanh", "sigmoid", "half-sse"),
    ("xor", [3, 8, 8, 1], 7, "relu", "sigmoid", "half-sse"), ("blog", [3, 5, 1], 8, "relu", "sigmoid", "half-sse"),
    ("xor", [3, 4, 1], 9, "sigmoid", "linear", "half-sse"), ("blog", [3, 4, 1], 10, "sigmoid", "sigmoid", "mse"),
    ("xor", [3, 4, 1], 11, "sigmoid", "sigmoid", "bce"), ("xor", [3, 5, 4, 1], 12, "tanh", "sigmoid", "bce"),
    ("blog", [3, 6, 6, 1], 13, "relu", "linear", "mse"),
]
# With biases too: a random start, so that they matter from the first step.
BIASED = [("xor", [3, 5, 1], 14, "sigmoid", "sigmoid", "half-sse"), ("xor", [3, 5, 4, 1], 15, "tanh", "sigmoid", "bce"),
          ("blog", [3, 6, 1], 16, "relu", "sigmoid", "mse"), ("xor", [3, 4, 4, 1], 17, "relu", "linear", "half-sse")]


def some_biases(seed, sizes):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, width) for width in sizes[1:]]
NAMES = "name, sizes, seed, activation, output_activation, loss_name"


@pytest.mark.parametrize(NAMES, CASES)
def test_backward_matches_finite_differences(name, sizes, seed, activation, output_activation, loss_name):
    x, y = dataset(name)
    weights = initial_weights(seed, sizes)
    network = {"activation": activation, "output_activation": output_activation, "loss": loss_name}
    grads, no_bias_grads = backward(forward(x, weights, activation, output_activation), y, weights, **network)
    assert no_bias_grads is None
    for grad, numeric in zip(grads, finite_differences(x, y, weights, network), strict=True):
        assert grad.shape == numeric.shape
        assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(NAMES, BIASED)
def test_backward_with_biases_matches_finite_differences(name, sizes, seed, activation, output_activation, loss_name):
    x, y = dataset(name)
    weights, biases = initial_weights(seed, sizes), some_biases(seed, sizes)
    network = {"activation": activation, "output_activation": output_activation, "loss": loss_name}
    grads, bias_grads = backward(forward(x, weights, activation, output_activation, biases), y, weights, **network,
                                 bias=True)
    numeric = finite_differences(x, y, weights, network, biases)
    for grad, expected in zip(grads + bias_grads, numeric, strict=True):
        assert grad.shape == expected.shape
        assert_allclose(grad, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(NAMES + ", bias", [(*case, False) for case in CASES] + [(*case, True) for case in BIASED])
def test_backward_matches_torch_autograd(name, sizes, seed, activation, output_activation, loss_name, bias):
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    x, y = dataset(name)
    weights, biases = initial_weights(seed, sizes), some_biases(seed, sizes) if bias else None
    network = {"activation": activation, "output_activation": output_activation, "loss": loss_name}
    grads, bias_grads = backward(forward(x, weights, activation, output_activation, biases), y, weights, **network,
                                 bias=bias)

    params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
    offsets = [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in biases or []]
    out, target = torch.from_numpy(x), torch.from_numpy(y)
    for i, w in enumerate(params):
        f = output_activation if i == len(params) - 1 else activation
        z = out @ w + offsets[i] if bias else out @ w
        out = z if f == "linear" else getattr(torch, f)(z)
    losses = {"half-sse": lambda: 0.5 * ((target - out) ** 2).sum(), "mse": lambda: functional.mse_loss(out, target),
              "bce": lambda: functional.binary_cross_entropy(out, target)}
    losses[loss_name]().backward()
    for grad, param in zip(grads + (bias_grads or []), params + offsets, strict=True):
        torch.testing.assert_close(torch.from_numpy(grad), param.grad, rtol=1e-13, atol=1e-15)


def test_training_lowers_the_loss_as_the_blog_says():
    """The blog: the error falls and the outputs move towards y (50 epochs of the classic run)."""
    from impl_numpy import train

    x, y = dataset("blog")
    result = train(x, y, initial_weights(1, [3, 4, 1]), epochs=50, learning_rate=1.0, dtype="float64")
    assert np.all(np.diff(result["loss"]) < 0)
    assert result["mean_abs_error"][-1] < 0.5 * result["mean_abs_error"][0]
    assert_allclose(result["predictions"], y, atol=0.2)


@pytest.mark.parametrize("optimizer, hyper, make", [
    ("momentum", {"momentum": 0.9}, lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9)),
    ("nesterov", {"momentum": 0.9}, lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    ("rmsprop", {"rho": 0.99, "epsilon": 1e-8}, lambda t, p: t.optim.RMSprop(p, lr=0.1, alpha=0.99, eps=1e-8)),
    ("adam", {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
     lambda t, p: t.optim.Adam(p, lr=0.1, betas=(0.9, 0.999), eps=1e-8)),
])
def test_each_optimizer_steps_as_torch_optim_does(optimizer, hyper, make):
    """impl_numpy's optimizers, fed the same gradients as torch.optim for 20 steps, move a parameter alike."""
    torch = pytest.importorskip("torch")
    from impl_numpy.network import OPTIMIZERS

    rng = np.random.default_rng(3)
    w = rng.normal(size=(3, 4))
    param = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    opt, state, h = make(torch, [param]), {}, {"momentum": 0.9, "rho": 0.99, "beta1": 0.9, "beta2": 0.999,
                                                "epsilon": 1e-8, **hyper}
    for _ in range(20):
        g = rng.normal(size=w.shape) * rng.choice([1e-4, 1.0])  # small gradients too: where ε shows
        w -= 0.1 * OPTIMIZERS[optimizer](g, state, h)
        param.grad = torch.from_numpy(g.copy())
        opt.step()
    torch.testing.assert_close(torch.from_numpy(w), param.detach(), rtol=1e-13, atol=1e-14)
