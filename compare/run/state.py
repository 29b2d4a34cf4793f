"""What a run may leave behind in a worker that serves many (compare.run.pool), and how it is set afresh.

A fresh process starts each framework from its defaults. A served worker imports its framework once, so before each
request after the first it puts back what a run may have changed: the settings below, as they were right after the
first import, and each framework's caches (compiled functions, traced graphs, name counters), cleared as its own
API clears them. Threads and determinism switches are applied by every request anyway (compare.run.environment).
What no switch can set afresh (a reader's own code, which may change anything) is never served.
"""
import sys


def _keras_settings(keras):
    config = keras.config
    return [("floatx", config.floatx, config.set_floatx), ("epsilon", config.epsilon, config.set_epsilon),
            ("image_data_format", config.image_data_format, config.set_image_data_format),
            ("max_epochs", config.max_epochs, config.set_max_epochs),
            ("max_steps_per_epoch", config.max_steps_per_epoch, config.set_max_steps_per_epoch)]


def _jax_settings(jax):
    flags = ("jax_enable_x64", "jax_default_matmul_precision", "jax_numpy_dtype_promotion", "jax_disable_jit",
             "jax_debug_nans", "jax_debug_infs")
    return [(flag, lambda flag=flag: getattr(jax.config, flag), lambda value, flag=flag: jax.config.update(flag, value))
            for flag in flags]


def _torch_settings(torch):
    return [("default_dtype", torch.get_default_dtype, torch.set_default_dtype),
            ("float32_matmul_precision", torch.get_float32_matmul_precision, torch.set_float32_matmul_precision)]


def _pytensor_settings(pytensor):
    config = pytensor.config
    return [(name, lambda name=name: getattr(config, name), lambda value, name=name: setattr(config, name, value))
            for name in ("floatX", "mode", "linker", "optimizer")]


def _numpy_settings(np):
    return [("errors", np.geterr, lambda errors: np.seterr(**errors))]


def _tensorflow_settings(tf):
    return [("functions_run_eagerly", tf.config.functions_run_eagerly, tf.config.run_functions_eagerly)]


# {module: its settings as [(name, get, set)]}: each read only where the module is loaded.
SETTINGS = {"numpy": _numpy_settings, "torch": _torch_settings, "tensorflow": _tensorflow_settings,
            "jax": _jax_settings, "keras": _keras_settings, "pytensor": _pytensor_settings}


def _clear_keras(keras):
    keras.utils.clear_session(free_memory=False)  # name counters, the global dtype policy, TF's default graph


def _clear_torch(torch):
    if "torch._dynamo" in sys.modules:  # torch.compile's traced frames and guards (else it stops compiling at 8)
        torch._dynamo.reset()


def _clear_jax(jax):
    jax.clear_caches()  # every jit's compiled executables and traces


def _clear_probe(probe):
    probe.COMPILED.clear()  # the step-local checks' networks, built (and compiled) once per run


# {module: how its caches are cleared}, in this order.
CACHES = {"keras": _clear_keras, "torch": _clear_torch, "jax": _clear_jax,
          **{f"impl_{name}.probe": _clear_probe for name in ("pytensor", "keras", "tensorflow")}}


def settings():
    """{"module.name": value} for every setting of the modules loaded in this process."""
    return {f"{module}.{name}": get() for module, of in SETTINGS.items() if module in sys.modules
            for name, get, _ in of(sys.modules[module])}


def restore(found):
    """Put back the settings `found` held (settings()); clear the loaded frameworks' caches."""
    for module, clear in CACHES.items():
        if module in sys.modules:
            clear(sys.modules[module])
    for module, of in SETTINGS.items():
        if module in sys.modules:
            for name, get, put in of(sys.modules[module]):
                key = f"{module}.{name}"
                if key in found and get() != found[key]:
                    put(found[key])
