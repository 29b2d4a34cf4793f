"""The blog's network in a PyTorch training loop: a DataLoader in each epoch's given order, torch.optim.SGD, a
validation pass under no_grad, early stopping."""
import copy

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def train(x, y, x_val, y_val, weights, orders, epochs, batch, learning_rate, patience, min_delta):
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Sigmoid(),
                          nn.Linear(4, 1, bias=False), nn.Sigmoid()).double()
    with torch.no_grad():
        for linear, w in zip(model[::2], weights, strict=True):
            linear.weight.copy_(torch.from_numpy(w.T))  # torch keeps a weight as (out, in)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    loss_fn = nn.MSELoss(reduction="sum")
    data = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    x_val, y_val = torch.from_numpy(x_val), torch.from_numpy(y_val)
    history = {"loss": [], "val_loss": [], "val_mae": []}
    best, best_state, wait = float("inf"), None, 0
    for order in orders[:epochs]:
        losses = []
        for x_batch, y_batch in DataLoader(data, batch_size=batch, sampler=order.tolist()):
            optimizer.zero_grad()
            loss = 0.5 * loss_fn(model(x_batch), y_batch)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            y_hat = model(x_val)
            val_loss = 0.5 * loss_fn(y_hat, y_val).item()
        history["loss"].append(sum(losses) / len(losses))
        history["val_loss"].append(val_loss)
        history["val_mae"].append((y_val - y_hat).abs().mean().item())
        if val_loss + min_delta < best:  # an improvement, as keras.callbacks.EarlyStopping tests it
            best, best_state, wait = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            wait += 1
            if wait >= patience:
                break
    model.load_state_dict(best_state)  # restore_best_weights=True: the best epoch's weights, not the last
    with torch.no_grad():
        return {**history, "stopped_at": len(history["loss"]), "predictions": model(x_val).numpy()}


if __name__ == "__main__":
    from companion import loop_data
    loop_data.show(train(**loop_data.arguments()))
