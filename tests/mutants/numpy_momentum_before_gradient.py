"""Mutant: momentum that steps with b before adding this step's gradient to it (w −= lr·b; then b = μb + g)."""
from tests.mutants.numpy_parts import OptimizerParts, backward, forward  # noqa: F401 — the probe reads these


def momentum(g, state, h):
    b = state.get("b", 0 * g)
    state["b"] = h["momentum"] * b + g
    return b  # the bug: the old b, without g


class Network(OptimizerParts):
    steps = {"momentum": momentum}
