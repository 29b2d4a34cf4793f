"""The blog's network, ported to PyTorch from Keras's Dense → BatchNormalization(momentum=0.99) → sigmoid."""
import torch
from torch import nn

# The running statistics keep 0.99 of themselves at each step and take 0.01 of the batch's
NETWORK = {"norm": "batch", "norm_momentum": 0.01, "norm_epsilon": 1e-5}


def train(x, y, weights, epochs, learning_rate, dtype):
    w0, w1 = weights
    model = nn.Sequential(
        nn.Linear(*w0.shape, bias=False),
        nn.BatchNorm1d(w0.shape[1], momentum=0.99),  # before the hidden layer's sigmoid
        nn.Sigmoid(),
        nn.Linear(*w1.shape, bias=False),
        nn.Sigmoid(),
    ).to(getattr(torch, dtype))
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(w0.T))  # torch keeps a weight as (out, in)
        model[3].weight.copy_(torch.from_numpy(w1.T))
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    loss_fn = nn.MSELoss(reduction="sum")
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    losses, errors = [], []
    model.train()  # the batch's own mean and variance, the running ones updated at each step
    for _ in range(epochs):
        optimizer.zero_grad()
        y_hat = model(x)
        loss = 0.5 * loss_fn(y_hat, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        errors.append((y - y_hat).abs().mean().item())
    model.eval()  # the predictions from the running mean and variance
    bn = model[1]
    with torch.no_grad():
        return {"loss": losses, "mean_abs_error": errors, "predictions": model(x).numpy(),
                "weights": [model[0].weight.numpy().T, model[3].weight.numpy().T],
                "normalization": {"scales": [bn.weight.numpy()], "offsets": [bn.bias.numpy()],
                                  "running_means": [bn.running_mean.numpy()],
                                  "running_variances": [bn.running_var.numpy()]}}
