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
    options: dict = field(default_factory=dict, hash=False)  # keyword arguments of its Network: a variant
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
        # Variants: the same implementation in a faster idiom a real user would write.
        Framework("keras-train-on-batch", "impl_keras", ("keras", "tensorflow"), "keras", ("keras", "tensorflow"),
                  env={"KERAS_BACKEND": "tensorflow"}, options={"train_on_batch": True}),
        Framework("keras-xla", "impl_keras", ("keras", "tensorflow"), "keras", ("keras", "tensorflow"),
                  env={"KERAS_BACKEND": "tensorflow"}, options={"jit_compile": True}),
        Framework("torch-compile", "impl_torch", ("torch",), "torch", ("torch",), options={"compile": True}),
    ]
}
DEFAULT = ("numpy", "torch", "keras")  # the variants are opt-in: each costs one more import, torch-compile ~30 s
REFERENCE = "numpy"
