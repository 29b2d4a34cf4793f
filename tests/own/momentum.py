"""Gradient descent with momentum in twenty lines: a velocity per weight matrix, kept inside train() from one epoch
to the next (v = μv + g; w −= learning_rate · v)."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def train(x, y, weights, epochs, learning_rate, dtype, optimizer="momentum", momentum=0.9):
    w0, w1 = (np.array(w, dtype=dtype) for w in weights)
    v0, v1 = np.zeros_like(w0), np.zeros_like(w1)
    loss, mean_abs_error = [], []
    for _ in range(epochs):
        l1 = sigmoid(x @ w0)
        l2 = sigmoid(l1 @ w1)
        error = y - l2
        loss.append(0.5 * np.sum(error**2))
        mean_abs_error.append(np.mean(np.abs(error)))
        l2_delta = error * l2 * (1 - l2)
        l1_delta = (l2_delta @ w1.T) * l1 * (1 - l1)
        v1 = momentum * v1 - l1.T @ l2_delta  # the gradient is −l1ᵀ·l2_delta
        v0 = momentum * v0 - x.T @ l1_delta
        w1 -= learning_rate * v1
        w0 -= learning_rate * v0
    return {"loss": loss, "mean_abs_error": mean_abs_error, "weights": [w0, w1],
            "predictions": sigmoid(sigmoid(x @ w0) @ w1)}
