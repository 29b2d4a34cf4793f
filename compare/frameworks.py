"""The registry: a framework id names the package that implements it and what its worker needs.

Nothing is imported here: a framework's packages are looked for, not loaded, so one installed is enough.
"""
import importlib.util
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Framework:
    name: str                 # the id --frameworks takes
    module: str               # the package with the Network class and train function
    requires: tuple           # import names that must be installed
    extra: str                # the pyproject extra that installs them
    versions: tuple           # distributions whose versions the results report, the framework's own first
    env: dict = field(default_factory=dict, hash=False)  # set in its worker before anything is imported

    def missing(self):
        """The required import names that are not installed."""
        return [name for name in self.requires if importlib.util.find_spec(name) is None]

    @property
    def install_command(self):
        return f"pip install -e '.[{self.extra}]'"


FRAMEWORKS = {
    fw.name: fw
    for fw in [
        Framework("numpy", "impl_numpy", ("numpy",), "numpy", ("numpy",)),
        Framework("torch", "impl_torch", ("torch",), "torch", ("torch",)),
        Framework("keras", "impl_keras", ("keras", "tensorflow"), "keras", ("keras", "tensorflow"),
                  env={"KERAS_BACKEND": "tensorflow"}),
    ]
}
REFERENCE = "numpy"
