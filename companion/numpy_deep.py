"""Two hidden layers of tanh, biases from zero, binary cross-entropy, in NumPy: every derivative by hand."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def train(x, y, weights, epochs, learning_rate):
    w0, w1, w2 = weights
    b0, b1, b2 = (np.zeros(w.shape[1]) for w in weights)
    losses = []
    for _ in range(epochs):
        l1 = np.tanh(x @ w0 + b0)
        l2 = np.tanh(l1 @ w1 + b1)
        l3 = sigmoid(l2 @ w2 + b2)
        losses.append(-np.mean(y * np.log(l3) + (1 - y) * np.log(1 - l3)))
        l3_delta = (y - l3) / len(y)  # −∂loss/∂ŷ = (y − ŷ)/(ŷ(1 − ŷ)) per row, times sigmoid' = ŷ(1 − ŷ)
        l2_delta = (l3_delta @ w2.T) * (1 - l2**2)  # tanh' = 1 − tanh²
        l1_delta = (l2_delta @ w1.T) * (1 - l1**2)
        w2 = w2 + learning_rate * (l2.T @ l3_delta)
        w1 = w1 + learning_rate * (l1.T @ l2_delta)
        w0 = w0 + learning_rate * (x.T @ l1_delta)
        b2 = b2 + learning_rate * l3_delta.sum(axis=0)  # a bias is a weight whose input is always 1
        b1 = b1 + learning_rate * l2_delta.sum(axis=0)
        b0 = b0 + learning_rate * l1_delta.sum(axis=0)
    return losses, sigmoid(np.tanh(np.tanh(x @ w0 + b0) @ w1 + b1) @ w2 + b2)


if __name__ == "__main__":
    from companion.blog import EPOCHS, LEARNING_RATE, X, show, weights, y
    losses, predictions = train(X, y, weights(3, 4, 4, 1), EPOCHS, LEARNING_RATE)
    show(losses, predictions)
