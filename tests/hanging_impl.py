"""An implementation that never finishes, to show how the runner reports a hung worker."""
import time


class Network:
    def __init__(self, weights, learning_rate, dtype):
        time.sleep(3600)
