"""The errors a run's input can raise, below every layer: what the registry and the problem refuse, in one line."""


class ProblemError(ValueError):
    """A configuration or weights file that cannot describe a run; its message is one line for the user."""
