"""The blog's network, ported to PyTorch."""
import torch
from torch import nn

# Two rows a step, in order; the rate lr·0.9^t, t the optimizer steps taken before this one
NETWORK = {"batch_size": 2, "schedule": "exponential", "schedule_per": "step", "decay_rate": 0.9, "decay_steps": 1}


def train(x, y, weights, epochs, learning_rate, dtype):
    layers = [m for w in weights for m in (nn.Linear(*w.shape, bias=False), nn.Sigmoid())]
    model = nn.Sequential(*layers).to(getattr(torch, dtype))
    with torch.no_grad():
        for linear, w in zip(model[::2], weights, strict=True):
            linear.weight.copy_(torch.from_numpy(w.T))  # torch keeps a weight as (out, in)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    loss_fn = nn.MSELoss(reduction="sum")
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    losses, errors = [], []
    for _ in range(epochs):
        total_loss = total_error = 0.0
        for i in range(0, len(x), 2):
            xb, yb = x[i:i + 2], y[i:i + 2]
            optimizer.zero_grad()
            y_hat = model(xb)
            loss = 0.5 * loss_fn(y_hat, yb)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * len(xb)
            total_error += (yb - y_hat).abs().mean().item() * len(xb)
        losses.append(total_loss / len(x))  # the mean of the epoch's steps, by rows, as fit's History
        errors.append(total_error / len(x))
    with torch.no_grad():
        return {"loss": losses, "mean_abs_error": errors, "predictions": model(x).numpy(),
                "weights": [linear.weight.numpy().T for linear in model[::2]]}
