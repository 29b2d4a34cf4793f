"""The yardstick for the NumPy implementation's overhead: the blog's loop written out flat, for two layers.

Same maths, same per-epoch records (loss and mean |error|), no functions, no lists of layers: what a reader would
type in one go. The benchmark times it beside impl_numpy in the same process.
"""
import numpy as np


def plain_loop(x, y, w0, w1, epochs, learning_rate):
    w0, w1 = w0.copy(), w1.copy()
    loss, mean_abs_error = np.empty(epochs), np.empty(epochs)
    for epoch in range(epochs):
        l1 = 1 / (1 + np.exp(-(x @ w0)))
        l2 = 1 / (1 + np.exp(-(l1 @ w1)))
        l2_error = y - l2
        loss[epoch] = 0.5 * np.sum(l2_error**2)
        mean_abs_error[epoch] = np.mean(np.abs(l2_error))
        l2_delta = l2_error * l2 * (1 - l2)
        l1_delta = (l2_delta @ w1.T) * l1 * (1 - l1)
        w1 += learning_rate * (l1.T @ l2_delta)
        w0 += learning_rate * (x.T @ l1_delta)
    return {"loss": loss, "mean_abs_error": mean_abs_error}
