"""Two hidden layers of tanh, biases from zero, binary cross-entropy, in PyTensor."""
import numpy as np
import pytensor
import pytensor.tensor as pt


def train(x, y, weights, epochs, learning_rate):
    X, Y = pt.dmatrix("X"), pt.dmatrix("Y")
    w0, w1, w2 = (pytensor.shared(w) for w in weights)
    b0, b1, b2 = (pytensor.shared(np.zeros(w.shape[1])) for w in weights)
    params = [w0, w1, w2, b0, b1, b2]
    y_hat = pt.sigmoid(pt.tanh(pt.tanh(X @ w0 + b0) @ w1 + b1) @ w2 + b2)
    loss = -pt.mean(Y * pt.log(y_hat) + (1 - Y) * pt.log(1 - y_hat))
    updates = [(p, p - learning_rate * g) for p, g in zip(params, pytensor.grad(loss, params), strict=True)]
    step = pytensor.function([X, Y], loss, updates=updates)
    losses = [step(x, y) for _ in range(epochs)]
    return losses, pytensor.function([X], y_hat)(x)


if __name__ == "__main__":
    from companion.blog import EPOCHS, LEARNING_RATE, X, show, weights, y
    losses, predictions = train(X, y, weights(3, 4, 4, 1), EPOCHS, LEARNING_RATE)
    show(losses, predictions)
