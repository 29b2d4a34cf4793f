"""A learner's network that adds a bias to each layer on its own, starting at zero, in a run without --bias: one
step from the reference's weights (biases at zero) is the blog's, but the biases it learns stay inside train() and
move every step after."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def train(x, y, weights, epochs, learning_rate, dtype):
    w1, w2 = (np.array(w, dtype=dtype) for w in weights)
    b1, b2 = np.zeros(w1.shape[1], dtype=dtype), np.zeros(w2.shape[1], dtype=dtype)
    losses, errors = [], []
    for _ in range(epochs):
        hidden = sigmoid(x @ w1 + b1)
        output = sigmoid(hidden @ w2 + b2)
        error = y - output
        losses.append(0.5 * np.sum(error**2))
        errors.append(np.mean(np.abs(error)))
        d_output = error * output * (1 - output)
        d_hidden = (d_output @ w2.T) * hidden * (1 - hidden)
        w2 += learning_rate * hidden.T @ d_output
        b2 += learning_rate * d_output.sum(axis=0)
        w1 += learning_rate * x.T @ d_hidden
        b1 += learning_rate * d_hidden.sum(axis=0)
    return {"loss": losses, "mean_abs_error": errors, "weights": [w1, w2],
            "predictions": sigmoid(sigmoid(x @ w1 + b1) @ w2 + b2)}
