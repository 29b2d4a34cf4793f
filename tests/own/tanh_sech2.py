"""A tanh hidden layer written for that network alone (it declares it), whose slope is sech² of the layer's output,
1 − tanh(l1)², where 1 − l1² belongs: tanh'(tanh(z)) for tanh'(z)."""
import numpy as np

NETWORK = {"activation": "tanh"}


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
        l1_delta = (l2_delta @ w1.T) * (1 / np.cosh(l1) ** 2)  # sech²(l1): the slope of tanh at l1, not at z
        w1 += learning_rate * l1.T @ l2_delta
        w0 += learning_rate * x.T @ l1_delta
    return {"loss": loss, "mean_abs_error": mean_abs_error, "weights": [w0, w1],
            "predictions": sigmoid(np.tanh(x @ w0) @ w1)}
