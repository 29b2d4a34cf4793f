"""What every `<framework>_loop.py` trains on, the same for all (NumPy alone, so that a notebook can hold it): a few
hundred rows split into training and validation, the blog's initial weights, each epoch's order of the training
rows, and the settings of the run.

The rows are drawn as the bench draws its rows (uniform in [0, 1) from default_rng(seed)); the target follows the
blog's rule, y = the first input, rounded to a class (0 or 1) as the blog's inputs are. The batch size divides the
training rows, so the mean over an epoch's batches that a hand-written loop takes is the mean Keras's History weighs
by rows.

Every `train(x, y, x_val, y_val, weights, orders, epochs, batch, learning_rate, patience, min_delta)` returns a dict:
per epoch "loss" (the mean of its batches' ½·Σ(y − ŷ)², each taken before its step), "val_loss" (½·Σ(y − ŷ)² over
the validation rows after the epoch) and "val_mae" (their mean |y − ŷ|); "stopped_at", the last epoch trained (from
1); and "predictions" on x_val from the weights kept, the best epoch's (Keras's EarlyStopping with
restore_best_weights=True: an improvement is a validation loss more than min_delta below the best so far; training
stops after `patience` epochs without one).
"""
import numpy as np

ROWS, VALIDATION = 320, 64  # the last 20 % of the rows are held out
BATCH = 64                  # rows per step, 4 steps an epoch; as many as the validation rows, so that
#                             the training and validation losses (sums over 64 rows) are on one scale
LEARNING_RATE = 0.15        # ½·Σ over a batch sums 64 rows' gradients: the blog's 1.0 overshoots
EPOCHS = 200                # at most: early stopping ends the default run well before
PATIENCE = 4                # epochs without an improvement before stopping
MIN_DELTA = 0.01            # what counts as an improvement: the validation loss this much below its best


def data(seed=0, rows=ROWS):
    """(x, y, x_val, y_val), float64: x is (rows, 3), y is (rows, 1)."""
    x = np.random.default_rng(seed).random((rows, 3))
    y = np.round(x[:, :1])
    return x[:-VALIDATION], y[:-VALIDATION], x[-VALIDATION:], y[-VALIDATION:]


def orders(rows, epochs=EPOCHS, seed=0):
    """One permutation of the training rows per epoch, drawn once for every framework."""
    rng = np.random.default_rng([seed, 1])  # its own stream, as compare.problem.Config.orders draws its orders
    return [rng.permutation(rows) for _ in range(epochs)]


def initial_weights(*sizes):
    """One (in, out) matrix per layer, as the blog draws syn0 and syn1: np.random.seed(1), then 2·random − 1."""
    rng = np.random.RandomState(1)  # the stream np.random.seed(1) starts, NumPy's global state left alone
    return [2 * rng.random_sample((n_in, n_out)) - 1 for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]


def arguments():
    """The keyword arguments of every `train` for the default run."""
    x, y, x_val, y_val = data()
    return {"x": x, "y": y, "x_val": x_val, "y_val": y_val, "weights": initial_weights(3, 4, 1),
            "orders": orders(len(x)), "epochs": EPOCHS, "batch": BATCH, "learning_rate": LEARNING_RATE,
            "patience": PATIENCE, "min_delta": MIN_DELTA}


def show(history):
    """One line per epoch (its training loss, validation loss and validation mean |error|), then the stop."""
    for epoch, values in enumerate(zip(history["loss"], history["val_loss"], history["val_mae"], strict=True), 1):
        print(f"epoch {epoch:3d}  loss {values[0]:.10g}  val_loss {values[1]:.10g}  val_mae {values[2]:.10g}")
    print(f"stopped at epoch {history['stopped_at']}")
