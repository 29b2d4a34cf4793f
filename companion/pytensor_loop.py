"""The blog's network in a PyTensor training loop: one compiled function for a mini-batch's step, one for the
validation, early stopping."""
import pytensor
import pytensor.tensor as pt


def train(x, y, x_val, y_val, weights, orders, epochs, batch, learning_rate, patience, min_delta):
    X, Y = pt.dmatrix("X"), pt.dmatrix("Y")
    w0, w1 = (pytensor.shared(w) for w in weights)
    params = [w0, w1]
    y_hat = pt.sigmoid(pt.sigmoid(X @ w0) @ w1)
    loss = 0.5 * pt.sum((Y - y_hat) ** 2)
    updates = [(p, p - learning_rate * g) for p, g in zip(params, pytensor.grad(loss, params), strict=True)]
    step = pytensor.function([X, Y], loss, updates=updates)
    validate = pytensor.function([X, Y], [loss, pt.mean(abs(Y - y_hat))])
    history = {"loss": [], "val_loss": [], "val_mae": []}
    best, best_weights, wait = float("inf"), None, 0
    for order in orders[:epochs]:
        batches = (order[i:i + batch] for i in range(0, len(x), batch))
        losses = [step(x[rows], y[rows]) for rows in batches]
        val_loss, val_mae = validate(x_val, y_val)
        history["loss"].append(sum(losses) / len(losses))
        history["val_loss"].append(val_loss)
        history["val_mae"].append(val_mae)
        if val_loss + min_delta < best:  # an improvement, as keras.callbacks.EarlyStopping tests it
            best, best_weights, wait = val_loss, [p.get_value() for p in params], 0
        else:
            wait += 1
            if wait >= patience:
                break
    for p, w in zip(params, best_weights, strict=True):  # restore_best_weights=True: the best epoch's, not the last
        p.set_value(w)
    return {**history, "stopped_at": len(history["loss"]), "predictions": pytensor.function([X], y_hat)(x_val)}


if __name__ == "__main__":
    from companion import loop_data
    loop_data.show(train(**loop_data.arguments()))
