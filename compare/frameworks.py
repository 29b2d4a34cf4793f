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
    float64_limit: str = ""   # where the framework cannot hold float64: what is float32 inside it, and why
    probe: str = ""           # the module whose `step` exposes one step's quantities; "": the package's probe.py,
    #                           None: no step-local checks (the curves alone are compared)

    def missing(self):
        """The required import names that are not installed."""
        return [name for name in self.requires if importlib.util.find_spec(name) is None]

    @property
    def probe_module(self):
        return f"{self.module}.probe" if self.probe == "" else self.probe

    @property
    def install_command(self):
        return f"pip install -e '.[{self.extra}]'"


# Keras 3 maps float64 to float32 in its type promotion (backend.result_type) on every backend but TensorFlow.
KERAS_MEAN_LIMIT = ("means and tanh are computed in float32: on the JAX backend keras.ops.mean (the mean |error| "
                    "metric; the mse and bce losses) computes in result_type(x, float32) and keras.ops.tanh in "
                    "result_type(x, float), which Keras demotes from float64 to float32; with sigmoid or ReLU "
                    "layers and the half-sse loss, the loss, weights and predictions stay float64")
KERAS_MATMUL_LIMIT = ("Dense layers compute in float32: keras.ops.matmul on the torch backend casts a float64 × "
                      "float64 product to result_type, which Keras demotes to float32 (keras-team/keras#23704)")

FRAMEWORKS = {
    fw.name: fw
    for fw in [
        Framework("numpy", "impl_numpy", ("numpy",), "numpy", ("numpy",)),
        Framework("torch", "impl_torch", ("torch",), "torch", ("torch",)),
        Framework("tensorflow", "impl_tensorflow", ("tensorflow",), "tensorflow", ("tensorflow",)),
        Framework("pytensor", "impl_pytensor", ("pytensor",), "pytensor", ("pytensor",)),
        Framework("jax", "impl_jax", ("jax",), "jax", ("jax", "jaxlib")),
        # Keras 3 on each of its backends: the same impl_keras code, the engine chosen per worker process.
        Framework("keras", "impl_keras", ("keras", "tensorflow"), "keras", ("keras", "tensorflow"),
                  env={"KERAS_BACKEND": "tensorflow"}),
        Framework("keras-jax", "impl_keras", ("keras", "jax"), "keras-jax", ("keras", "jax"),
                  env={"KERAS_BACKEND": "jax", "JAX_ENABLE_X64": "1"},  # JAX holds float64 only with x64 on
                  float64_limit=KERAS_MEAN_LIMIT),
        Framework("keras-torch", "impl_keras", ("keras", "torch"), "keras-torch", ("keras", "torch"),
                  env={"KERAS_BACKEND": "torch"}, float64_limit=KERAS_MATMUL_LIMIT),
        # Variants: the same implementation in a faster idiom a real user would write.
        Framework("keras-train-on-batch", "impl_keras", ("keras", "tensorflow"), "keras", ("keras", "tensorflow"),
                  env={"KERAS_BACKEND": "tensorflow"}, options={"train_on_batch": True}),
        Framework("keras-xla", "impl_keras", ("keras", "tensorflow"), "keras", ("keras", "tensorflow"),
                  env={"KERAS_BACKEND": "tensorflow"}, options={"jit_compile": True}),
        Framework("torch-compile", "impl_torch", ("torch",), "torch", ("torch",), options={"compile": True}),
        Framework("jax-scan", "impl_jax", ("jax",), "jax", ("jax", "jaxlib"), options={"scan": True}),
    ]
}
# Every framework, installed or not (a missing one is reported with its install command); the variants are
# opt-in: each costs one more import and repeats a framework already run, torch-compile also ~30 s of compiling.
DEFAULT = tuple(name for name, fw in FRAMEWORKS.items() if not fw.options)
REFERENCE = "numpy"
