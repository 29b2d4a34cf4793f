"""Two hidden layers of tanh, biases from zero, binary cross-entropy, in PyTorch."""
import torch
from torch import nn


def train(x, y, weights, epochs, learning_rate):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(),
                          nn.Linear(4, 4), nn.Tanh(),
                          nn.Linear(4, 1), nn.Sigmoid()).double()
    with torch.no_grad():
        for linear, w in zip(model[::2], weights, strict=True):
            linear.weight.copy_(torch.from_numpy(w.T))  # torch keeps a weight as (out, in)
            linear.bias.zero_()  # torch draws its biases at random
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    loss_fn = nn.BCELoss()
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        return losses, model(x).numpy()


if __name__ == "__main__":
    from companion.blog import EPOCHS, LEARNING_RATE, X, show, weights, y
    losses, predictions = train(X, y, weights(3, 4, 4, 1), EPOCHS, LEARNING_RATE)
    show(losses, predictions)
