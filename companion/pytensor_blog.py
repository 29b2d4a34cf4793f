"""The blog's network in PyTensor: a symbolic graph, pytensor.grad, and one compiled function for the step."""
import pytensor
import pytensor.tensor as pt


def train(x, y, weights, epochs, learning_rate):
    X, Y = pt.dmatrix("X"), pt.dmatrix("Y")
    w0, w1 = (pytensor.shared(w) for w in weights)
    params = [w0, w1]
    y_hat = pt.sigmoid(pt.sigmoid(X @ w0) @ w1)
    loss = 0.5 * pt.sum((Y - y_hat) ** 2)
    updates = [(p, p - learning_rate * g) for p, g in zip(params, pytensor.grad(loss, params), strict=True)]
    step = pytensor.function([X, Y], loss, updates=updates)
    losses = [step(x, y) for _ in range(epochs)]
    return losses, pytensor.function([X], y_hat)(x)


if __name__ == "__main__":
    from companion.blog import EPOCHS, LEARNING_RATE, X, show, weights, y
    losses, predictions = train(X, y, weights(3, 4, 1), EPOCHS, LEARNING_RATE)
    show(losses, predictions)
