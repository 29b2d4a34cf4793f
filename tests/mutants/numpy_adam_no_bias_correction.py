"""Mutant: Adam without its bias correction: m/(√v + ε), whose first steps are √(1 − β₂)/(1 − β₁) ≈ 0.32 too long."""
import numpy as np

from tests.mutants.numpy_parts import OptimizerParts, backward, forward  # noqa: F401 — the probe reads these


def adam(g, state, h):
    state["m"] = h["beta1"] * state.get("m", 0) + (1 - h["beta1"]) * g
    state["v"] = h["beta2"] * state.get("v", 0) + (1 - h["beta2"]) * g**2
    return state["m"] / (np.sqrt(state["v"]) + h["epsilon"])  # the bug: m and v, not m̂ and v̂


class Network(OptimizerParts):
    steps = {"adam": adam}
