"""A learner's network with a bias on each layer and a step size alpha: the blog's, plus biases it keeps itself
from one epoch to the next."""
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def train(x, y, weights, epochs, learning_rate, dtype, biases=None):
    alpha = learning_rate
    w1, w2 = (np.array(w, dtype=dtype) for w in weights)
    b1, b2 = (np.array(b, dtype=dtype) for b in biases)
    losses, errors = [], []
    for epoch in range(epochs):
        hidden = sigmoid(x @ w1 + b1)
        output = sigmoid(hidden @ w2 + b2)
        error = y - output
        losses.append(0.5 * np.sum(error**2))
        errors.append(np.mean(np.abs(error)))
        d_output = error * output * (1 - output)
        d_hidden = (d_output @ w2.T) * hidden * (1 - hidden)
        w2 += alpha * hidden.T @ d_output
        b2 += alpha * d_output.sum(axis=0)
        w1 += alpha * x.T @ d_hidden
        b1 += alpha * d_hidden.sum(axis=0)
    return {"loss": losses, "mean_abs_error": errors, "weights": [w1, w2], "biases": [b1, b2],
            "predictions": sigmoid(sigmoid(x @ w1 + b1) @ w2 + b2)}
