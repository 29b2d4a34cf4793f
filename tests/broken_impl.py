"""An implementation that fails on purpose, to show how the runner reports a crashed worker."""


class Network:
    def __init__(self, weights, learning_rate, dtype):
        raise RuntimeError("this implementation is broken on purpose")
