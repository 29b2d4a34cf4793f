"""The NumPy backward pass against central finite differences and against torch autograd, at step 0."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from compare.problem import dataset, initial_weights
from impl_numpy.network import backward, forward


def loss(x, y, weights, activation="sigmoid"):
    return 0.5 * np.sum((y - forward(x, weights, activation)[-1]) ** 2)


def finite_differences(x, y, weights, activation="sigmoid", h=1e-6):
    grads = []
    for w in weights:
        grad = np.zeros_like(w)
        for index in np.ndindex(w.shape):
            saved = w[index]
            w[index] = saved + h
            up = loss(x, y, weights, activation)
            w[index] = saved - h
            down = loss(x, y, weights, activation)
            w[index] = saved
            grad[index] = (up - down) / (2 * h)
        grads.append(grad)
    return grads


CASES = [("blog", [3, 4, 1], 1, "sigmoid"), ("xor", [3, 4, 1], 2, "sigmoid"), ("blog", [3, 7, 1], 3, "sigmoid"),
         ("xor", [3, 5, 3, 1], 4, "sigmoid"), ("xor", [3, 5, 4, 1], 5, "tanh"), ("blog", [3, 6, 1], 6, "tanh"),
         ("xor", [3, 8, 8, 1], 7, "relu"), ("blog", [3, 5, 1], 8, "relu")]


@pytest.mark.parametrize("name, sizes, seed, activation", CASES)
def test_backward_matches_finite_differences(name, sizes, seed, activation):
    x, y = dataset(name)
    weights = initial_weights(seed, sizes)
    grads = backward(forward(x, weights, activation), y, weights, activation)
    for grad, numeric in zip(grads, finite_differences(x, y, weights, activation)):
        assert grad.shape == numeric.shape
        assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name, sizes, seed, activation", CASES)
def test_backward_matches_torch_autograd(name, sizes, seed, activation):
    torch = pytest.importorskip("torch")
    x, y = dataset(name)
    weights = initial_weights(seed, sizes)
    grads = backward(forward(x, weights, activation), y, weights, activation)

    params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
    out = torch.from_numpy(x)
    for i, w in enumerate(params):
        out = torch.sigmoid(out @ w) if i == len(params) - 1 else getattr(torch, activation)(out @ w)
    (0.5 * ((torch.from_numpy(y) - out) ** 2).sum()).backward()
    for grad, param in zip(grads, params):
        torch.testing.assert_close(torch.from_numpy(grad), param.grad, rtol=1e-14, atol=1e-15)


def test_training_lowers_the_loss_as_the_blog_says():
    """The blog: the error falls and the outputs move towards y (50 epochs of the classic run)."""
    from impl_numpy import train

    x, y = dataset("blog")
    result = train(x, y, initial_weights(1, [3, 4, 1]), epochs=50, learning_rate=1.0, dtype="float64")
    assert np.all(np.diff(result["loss"]) < 0)
    assert result["mean_abs_error"][-1] < 0.5 * result["mean_abs_error"][0]
    assert_allclose(result["predictions"], y, atol=0.2)
