"""The blog's run, which every companion file makes when run as a script (`python -m companion.torch_blog`): its
data, its initial weights drawn as it draws them, and what it prints. NumPy alone, so that a notebook can hold it."""
import numpy as np

EPOCHS, LEARNING_RATE = 50, 1.0  # the blog's iterations, each one step over all four rows
X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)  # (rows, inputs)
y = np.array([[0, 0, 1, 1]], dtype=float).T  # (rows, 1): the first column of X


def weights(*sizes):
    """One (in, out) matrix per layer, as the blog draws syn0 and syn1: np.random.seed(1), then 2·random − 1."""
    np.random.seed(1)
    return [2 * np.random.random((n_in, n_out)) - 1 for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]


def show(losses, predictions):
    """The loss at each iteration, then the predictions beside the targets, to as many digits as every framework
    agrees on."""
    print("iteration  loss")
    for i, loss in enumerate(losses, 1):
        print(f"{i:9}  {float(loss):.10f}")
    print("prediction    target")
    for prediction, target in zip(np.ravel(predictions), y[:, 0], strict=True):
        print(f"{prediction:.10f}  {target:.0f}")
