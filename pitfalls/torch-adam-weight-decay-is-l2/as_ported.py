"""The blog's network, ported to PyTorch from Keras's Adam(weight_decay=0.05)."""
import torch
from torch import nn

# Adam with torch's (and the run's) β₁, β₂, ε; a weight decay as Keras's, θ ← θ − lr·λ·θ beside the step
NETWORK = {"optimizer": "adam", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
           "weight_decay": 0.05, "decay": "decoupled"}


def train(x, y, weights, epochs, learning_rate, dtype):
    layers = [m for w in weights for m in (nn.Linear(*w.shape, bias=False), nn.Sigmoid())]
    model = nn.Sequential(*layers).to(getattr(torch, dtype))
    with torch.no_grad():
        for linear, w in zip(model[::2], weights, strict=True):
            linear.weight.copy_(torch.from_numpy(w.T))  # torch keeps a weight as (out, in)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=0.05)
    loss_fn = nn.MSELoss(reduction="sum")
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    losses, errors = [], []
    for _ in range(epochs):
        optimizer.zero_grad()
        y_hat = model(x)
        loss = 0.5 * loss_fn(y_hat, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        errors.append((y - y_hat).abs().mean().item())
    with torch.no_grad():
        return {"loss": losses, "mean_abs_error": errors, "predictions": model(x).numpy(),
                "weights": [linear.weight.numpy().T for linear in model[::2]]}
