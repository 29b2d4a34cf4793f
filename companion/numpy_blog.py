"""The blog's network in NumPy: 3→4→1, sigmoid layers, no biases, ½·Σ(y − ŷ)², full-batch gradient descent."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def train(x, y, weights, epochs, learning_rate):
    w0, w1 = weights
    losses = []
    for _ in range(epochs):
        l1 = sigmoid(x @ w0)
        l2 = sigmoid(l1 @ w1)
        losses.append(0.5 * np.sum((y - l2) ** 2))
        l2_delta = (y - l2) * (l2 * (1 - l2))  # −∂loss/∂ŷ times sigmoid', written s·(1 − s)
        l1_delta = (l2_delta @ w1.T) * (l1 * (1 - l1))
        w1 = w1 + learning_rate * (l1.T @ l2_delta)
        w0 = w0 + learning_rate * (x.T @ l1_delta)
    return losses, sigmoid(sigmoid(x @ w0) @ w1)


if __name__ == "__main__":
    from companion.blog import EPOCHS, LEARNING_RATE, X, show, weights, y
    losses, predictions = train(X, y, weights(3, 4, 1), EPOCHS, LEARNING_RATE)
    show(losses, predictions)
