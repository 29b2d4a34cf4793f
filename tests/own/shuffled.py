"""Mini-batches in the order the run gives each epoch (orders=), the epoch's loss the mean of its batches' losses
weighted by their rows, each taken before that batch's update."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def train(x, y, weights, epochs, learning_rate, dtype, batch_size=None, orders=None):
    w0, w1 = (np.array(w, dtype=dtype) for w in weights)
    size = batch_size or len(x)
    loss, mean_abs_error = [], []
    for epoch in range(epochs):
        order = orders[epoch] if orders is not None else np.arange(len(x))
        total, absolute = 0.0, 0.0
        for start in range(0, len(x), size):
            rows = order[start:start + size]
            xb, yb = x[rows], y[rows]
            l1 = sigmoid(xb @ w0)
            l2 = sigmoid(l1 @ w1)
            error = yb - l2
            total += len(rows) * 0.5 * np.sum(error**2)
            absolute += len(rows) * np.mean(np.abs(error))
            l2_delta = error * l2 * (1 - l2)
            l1_delta = (l2_delta @ w1.T) * l1 * (1 - l1)
            w1 += learning_rate * l1.T @ l2_delta
            w0 += learning_rate * xb.T @ l1_delta
        loss.append(total / len(x))
        mean_abs_error.append(absolute / len(x))
    return {"loss": loss, "mean_abs_error": mean_abs_error, "weights": [w0, w1],
            "predictions": sigmoid(sigmoid(x @ w0) @ w1)}
