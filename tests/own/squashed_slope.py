"""A learner's sigmoid_prime(z) = σ(z)·(1 − σ(z)), correct for a pre-activation, called on outputs that are already
σ(z): the slope taken is σ'(σ(z)), not σ'(z)."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def train(x, y, weights, epochs, learning_rate, dtype):
    w0, w1 = (np.array(w, dtype=dtype) for w in weights)
    loss, mean_abs_error = [], []
    for _ in range(epochs):
        l1 = sigmoid(x @ w0)
        l2 = sigmoid(l1 @ w1)
        error = y - l2
        loss.append(0.5 * np.sum(error**2))
        mean_abs_error.append(np.mean(np.abs(error)))
        l2_delta = error * sigmoid_prime(l2)  # l2 is σ(z) already
        l1_delta = (l2_delta @ w1.T) * sigmoid_prime(l1)
        w1 += learning_rate * l1.T @ l2_delta
        w0 += learning_rate * x.T @ l1_delta
    return {"loss": loss, "mean_abs_error": mean_abs_error, "weights": [w0, w1],
            "predictions": sigmoid(sigmoid(x @ w0) @ w1)}
