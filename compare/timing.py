"""Timing, in one place: the worker times each phase of a framework's run with these helpers."""
import time
from contextlib import contextmanager


@contextmanager
def phase(timings, name):
    """Add the wall-clock seconds the block takes to timings[name]."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
