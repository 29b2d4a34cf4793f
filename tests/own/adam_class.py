"""Adam in a class that keeps its own state (m, v and the step count t), as the Network contract asks: it also takes
the reference's state (optimizer_state=), so every probed step is checked, not only the first."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


class Network:
    def __init__(self, weights, learning_rate, dtype, optimizer="adam", beta1=0.9, beta2=0.999, epsilon=1e-8,
                 optimizer_state=None):
        self.weights = [np.array(w, dtype=dtype) for w in weights]
        self.lr, self.beta1, self.beta2, self.eps = learning_rate, beta1, beta2, epsilon
        self.m = [np.zeros_like(w) for w in self.weights]
        self.v = [np.zeros_like(w) for w in self.weights]
        self.t = 0
        if optimizer_state is not None:  # {"t", "slots": [{"m", "v"} per weight matrix]}
            self.t = optimizer_state["t"]
            self.m = [np.array(s["m"], dtype=dtype) for s in optimizer_state["slots"]]
            self.v = [np.array(s["v"], dtype=dtype) for s in optimizer_state["slots"]]

    def fit(self, x, y, epochs):
        loss, mean_abs_error = [], []
        w0, w1 = self.weights
        for _ in range(epochs):
            l1 = sigmoid(x @ w0)
            l2 = sigmoid(l1 @ w1)
            error = y - l2
            loss.append(0.5 * np.sum(error**2))
            mean_abs_error.append(np.mean(np.abs(error)))
            l2_delta = error * l2 * (1 - l2)
            l1_delta = (l2_delta @ w1.T) * l1 * (1 - l1)
            grads = [-(x.T @ l1_delta), -(l1.T @ l2_delta)]
            self.t += 1
            for i, g in enumerate(grads):
                self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
                self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g**2
                m_hat = self.m[i] / (1 - self.beta1**self.t)
                v_hat = self.v[i] / (1 - self.beta2**self.t)
                self.weights[i] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        return {"loss": loss, "mean_abs_error": mean_abs_error}

    def get_weights(self):
        return self.weights

    def predict(self, x):
        w0, w1 = self.weights
        return sigmoid(sigmoid(x @ w0) @ w1)
