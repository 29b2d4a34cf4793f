"""The blog's network in a NumPy training loop: shuffled mini-batches, a validation split, early stopping."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def predict(x, w0, w1):
    return sigmoid(sigmoid(x @ w0) @ w1)


def train(x, y, x_val, y_val, weights, orders, epochs, batch, learning_rate, patience, min_delta):
    w0, w1 = weights
    history = {"loss": [], "val_loss": [], "val_mae": []}
    best, best_weights, wait = np.inf, None, 0
    for order in orders[:epochs]:
        losses = []
        for i in range(0, len(x), batch):
            rows = order[i:i + batch]
            l1 = sigmoid(x[rows] @ w0)
            l2 = sigmoid(l1 @ w1)
            losses.append(0.5 * np.sum((y[rows] - l2) ** 2))
            l2_delta = (y[rows] - l2) * (l2 * (1 - l2))  # −∂loss/∂ŷ times sigmoid', written s·(1 − s)
            l1_delta = (l2_delta @ w1.T) * (l1 * (1 - l1))
            w1 = w1 + learning_rate * (l1.T @ l2_delta)
            w0 = w0 + learning_rate * (x[rows].T @ l1_delta)
        y_hat = predict(x_val, w0, w1)
        val_loss = 0.5 * np.sum((y_val - y_hat) ** 2)
        history["loss"].append(np.mean(losses))
        history["val_loss"].append(val_loss)
        history["val_mae"].append(np.mean(np.abs(y_val - y_hat)))
        if val_loss + min_delta < best:  # an improvement, as keras.callbacks.EarlyStopping tests it
            best, best_weights, wait = val_loss, (w0, w1), 0
        else:
            wait += 1
            if wait >= patience:
                break
    w0, w1 = best_weights  # restore_best_weights=True: the best epoch's weights, not the last
    return {**history, "stopped_at": len(history["loss"]), "predictions": predict(x_val, w0, w1)}


if __name__ == "__main__":
    from companion import loop_data
    loop_data.show(train(**loop_data.arguments()))
