"""The machine and the settings a run's numbers depend on: CPU, thread counts, flags that change numerics."""
import functools
import os
import platform
import shutil
import subprocess
import sys

# Every thread pool the frameworks use, pinned to the same size for all of them.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
# Settings that change which kernels run, and so the last bits of a result. Recorded, never changed.
NUMERIC_FLAGS = ("TF_ENABLE_ONEDNN_OPTS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TF_DETERMINISTIC_OPS",
                 "TF_CPP_MIN_LOG_LEVEL", "XLA_FLAGS", "JAX_ENABLE_X64", "PYTENSOR_FLAGS")

# glibc's malloc raises its mmap threshold (and its trim threshold with it) when a large block is freed, so that what
# ran earlier in a process decides whether NumPy's large temporaries come from the heap or from fresh pages: NumPy
# trained a 1024 × 1024 cell twice as fast after a torch fit in the same process as in a process of its own. Every
# worker gets the thresholds fixed, the same whatever ran before in it, unless the environment sets its own.
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(64 * 2**20)}


def malloc_env(env):
    """The malloc thresholds a worker starts with: the environment's where it sets them, else MALLOC_ENV's."""
    return {name: env.get(name, value) for name, value in MALLOC_ENV.items()}


def thread_env(threads):
    """Environment variables that give every framework `threads` threads."""
    return {name: str(threads) for name in THREAD_VARIABLES}


def xla_flags(threads, existing=""):
    """XLA_FLAGS for a JAX worker: XLA's CPU thread pool reads none of THREAD_VARIABLES. Appended to any set. A
    "--" flag always comes first: XLA reads a first word without one as the name of a file of flags."""
    eigen = f"--xla_cpu_multi_thread_eigen={'false' if threads == 1 else 'true'}"
    return " ".join(filter(None, [existing, eigen, f"intra_op_parallelism_threads={threads}"]))


@functools.cache
def fixed_layout():
    """The command prefix that starts a worker with its address-space layout fixed (ASLR off for that process
    alone: `setarch <machine> -R`), or () where that cannot be done (no setarch, or the system refuses it).

    Why: where a process's code and heap land moves a Python-heavy framework's time per epoch from one process to
    the next, a difference no measurement inside one process can see. With the layout fixed, that part of it is
    the same in every run (README: "What the intervals do and do not hold").
    """
    prefix = ("setarch", platform.machine(), "-R")
    if shutil.which("setarch") is None:
        return ()
    try:
        ok = subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return prefix if ok else ()


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(threads, env=None):
    """The environment block of results.json."""
    env = os.environ if env is None else env
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "threads": threads,
        "thread_variables": thread_env(threads),
        "numeric_flags": {name: env.get(name) for name in NUMERIC_FLAGS},  # null: unset, the framework's default
        "address_layout": "fixed (ASLR off in the workers)" if fixed_layout() else "random (ASLR)",
        "malloc": malloc_env(env),  # glibc's; other C libraries ignore these variables
    }


def apply_threads(threads):
    """Give the frameworks loaded in this process `threads` threads, where an environment variable is not enough:
    TensorFlow's pools take their size from tf.config, before its first operation."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    if "tensorflow" in sys.modules:
        threading = sys.modules["tensorflow"].config.threading
        threading.set_intra_op_parallelism_threads(threads)
        threading.set_inter_op_parallelism_threads(threads)


def apply_determinism():
    """Ask the frameworks loaded in this process for deterministic kernels, where they have a switch for it: an
    operation without a deterministic kernel then raises instead of varying from run to run."""
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].config.experimental.enable_op_determinism()
    if "torch" in sys.modules:
        sys.modules["torch"].use_deterministic_algorithms(True)


def determinism():
    """What the frameworks loaded in this process say about their determinism, asked after training."""
    found = {}
    if "tensorflow" in sys.modules:
        from tensorflow.python.framework import config  # the public API can switch it on, not ask

        found["tensorflow_op_determinism"] = config.is_op_determinism_enabled()
    if "torch" in sys.modules:
        found["torch_deterministic_algorithms"] = sys.modules["torch"].are_deterministic_algorithms_enabled()
    if "jax" in sys.modules:
        found["jax_enable_x64"] = bool(sys.modules["jax"].config.jax_enable_x64)
    if "pytensor" in sys.modules:
        config = sys.modules["pytensor"].config
        found["pytensor_floatX"], found["pytensor_openmp"] = config.floatX, bool(config.openmp)
    return found


def effective_threads():
    """What the frameworks loaded in this process report they use, asked after training (nothing is imported)."""
    found = {}
    if "torch" in sys.modules:
        found["torch_intra_op"] = sys.modules["torch"].get_num_threads()
    if "tensorflow" in sys.modules:
        threading = sys.modules["tensorflow"].config.threading
        found["tensorflow_intra_op"] = threading.get_intra_op_parallelism_threads()
        found["tensorflow_inter_op"] = threading.get_inter_op_parallelism_threads()
    return found
