"""The same tanh network as tanh_declared.py without its declaration: run as the blog's sigmoid network, its loss
differs at epoch 1; run with --activation tanh, it is refused, since it takes no activation=."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def train(x, y, weights, epochs, learning_rate, dtype):
    w0, w1 = (np.array(w, dtype=dtype) for w in weights)
    loss, mean_abs_error = [], []
    for _ in range(epochs):
        l1 = np.tanh(x @ w0)
        l2 = sigmoid(l1 @ w1)
        error = y - l2
        loss.append(0.5 * np.sum(error**2))
        mean_abs_error.append(np.mean(np.abs(error)))
        l2_delta = error * l2 * (1 - l2)
        l1_delta = (l2_delta @ w1.T) * (1 - l1**2)
        w1 += learning_rate * l1.T @ l2_delta
        w0 += learning_rate * x.T @ l1_delta
    return {"loss": loss, "mean_abs_error": mean_abs_error, "weights": [w0, w1],
            "predictions": sigmoid(np.tanh(x @ w0) @ w1)}
