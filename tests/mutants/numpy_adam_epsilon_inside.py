"""Mutant: Adam with ε inside the square root, m̂/√(v̂ + ε), where the textbook adds it to √v̂."""
import numpy as np

from tests.mutants.numpy_parts import OptimizerParts, backward, forward  # noqa: F401 — the probe reads these


def adam(g, state, h):
    t = state["t"] = state.get("t", 0) + 1
    state["m"] = h["beta1"] * state.get("m", 0) + (1 - h["beta1"]) * g
    state["v"] = h["beta2"] * state.get("v", 0) + (1 - h["beta2"]) * g**2
    m_hat, v_hat = state["m"] / (1 - h["beta1"] ** t), state["v"] / (1 - h["beta2"] ** t)
    return m_hat / np.sqrt(v_hat + h["epsilon"])  # the bug


class Network(OptimizerParts):
    steps = {"adam": adam}
