"""What each worker's environment pins: threads for every framework, the Keras backend per framework id."""
from compare.frameworks import FRAMEWORKS
from compare.run import environment, runner


def test_every_thread_pool_gets_the_same_count():
    env = runner.worker_env(FRAMEWORKS["numpy"], 3)
    assert all(env[name] == "3" for name in environment.THREAD_VARIABLES)


def test_jax_workers_get_one_xla_thread_and_keep_flags_already_set(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/tmp/xla")
    for name in ("jax", "jax-scan", "keras-jax"):
        assert runner.worker_env(FRAMEWORKS[name], 1)["XLA_FLAGS"] == (
            "--xla_dump_to=/tmp/xla --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    assert runner.worker_env(FRAMEWORKS["torch"], 1)["XLA_FLAGS"] == "--xla_dump_to=/tmp/xla"  # left alone
    assert environment.xla_flags(4) == "--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=4"


def test_each_keras_id_chooses_its_backend_in_its_own_worker():
    backends = {name: runner.worker_env(FRAMEWORKS[name], 1)["KERAS_BACKEND"]
                for name in ("keras", "keras-jax", "keras-torch")}
    assert backends == {"keras": "tensorflow", "keras-jax": "jax", "keras-torch": "torch"}
    assert runner.worker_env(FRAMEWORKS["keras-jax"], 1)["JAX_ENABLE_X64"] == "1"


def test_every_worker_starts_with_the_same_malloc_thresholds_unless_the_environment_sets_its_own(monkeypatch):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1048576")
    for name in ("numpy", "torch", "keras-jax"):
        env = runner.worker_env(FRAMEWORKS[name], 1)
        assert env["MALLOC_MMAP_THRESHOLD_"] == str(32 * 2**20)  # glibc's dynamic threshold, fixed at its maximum
        assert env["MALLOC_TRIM_THRESHOLD_"] == "1048576"           # the environment's own, left alone
    assert environment.describe(1)["malloc"] == {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
                                                 "MALLOC_TRIM_THRESHOLD_": "1048576"}
