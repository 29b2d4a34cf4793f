"""The class-based version learners publish: feedforward() and backprop() methods on a NeuralNetwork, wrapped in the
contract's train()."""
import numpy as np


def sigmoid(x):
    return 1.0 / (1 + np.exp(-x))


def sigmoid_derivative(x):
    return x * (1.0 - x)


class NeuralNetwork:
    def __init__(self, x, y, weights1, weights2, learning_rate):
        self.input = x
        self.weights1 = weights1
        self.weights2 = weights2
        self.y = y
        self.learning_rate = learning_rate
        self.output = np.zeros(self.y.shape)

    def feedforward(self):
        self.layer1 = sigmoid(np.dot(self.input, self.weights1))
        self.output = sigmoid(np.dot(self.layer1, self.weights2))

    def backprop(self):
        d_output = (self.y - self.output) * sigmoid_derivative(self.output)
        d_weights2 = np.dot(self.layer1.T, d_output)
        d_weights1 = np.dot(self.input.T, np.dot(d_output, self.weights2.T) * sigmoid_derivative(self.layer1))
        self.weights1 += self.learning_rate * d_weights1
        self.weights2 += self.learning_rate * d_weights2


def train(x, y, weights, epochs, learning_rate, dtype):
    nn = NeuralNetwork(x, y, *(np.array(w, dtype=dtype) for w in weights), learning_rate)
    loss, mean_abs_error = [], []
    for _ in range(epochs):
        nn.feedforward()
        loss.append(0.5 * np.sum((y - nn.output) ** 2))
        mean_abs_error.append(np.mean(np.abs(y - nn.output)))
        nn.backprop()
    nn.feedforward()
    return {"loss": loss, "mean_abs_error": mean_abs_error, "weights": [nn.weights1, nn.weights2],
            "predictions": nn.output}
