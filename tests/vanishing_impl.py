"""An implementation whose process ends, cleanly, before the worker can write its answer."""
import os


class Network:
    def __init__(self, weights, learning_rate, dtype):
        os._exit(0)
