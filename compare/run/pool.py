"""Served workers: one process per framework that imports it once and then runs request after request.

A fresh worker per run pays its framework's import every time (TensorFlow and Keras several seconds each); a command
that makes many runs (the README's generator, the gallery, the tests) pays it once per framework with a pool. Each
request is the same request a fresh worker takes, and its response the same response: the worker sets afresh what a
run may leave behind (compare.run.state) before each one. A request that is timed, or runs your own code, is not
servable (servable, below): the runner gives it a fresh process as before.

A worker that fails or times out is killed with its process group and forgotten; the next request starts a new one.
A worker whose command ends stops too: it reads its requests from a pipe, and ends when the pipe does.
"""
import itertools
import json
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from compare.run import environment, processes

COMMAND = [sys.executable, "-m", "compare.run.worker", "--serve"]  # then the pool's folder, to tell its workers


def servable(request):
    """Whether a served worker may take the request: not your own code, which may change anything in its process,
    nor anything timed (the steady state, its replicas, the bench), whose intervals assume a fresh process each."""
    return not (request.get("own") or request.get("serve_timing") or request.get("kind"))


class Worker:
    """One served worker process; its stderr is appended to a file of its own, read a request's part at a time."""

    def __init__(self, env, folder, number):
        self.stderr_path = folder / f"worker-{number}.stderr"
        with open(self.stderr_path, "ab") as stderr:  # appended: the process's offset and ours stay apart
            self.proc = processes.start([*environment.fixed_layout(), *COMMAND, str(folder)], text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env,
                                        cwd=folder)
        self.read_to, self.timed_out = 0, False

    def _kill(self):
        self.timed_out = True
        processes.kill(self.proc)

    def ask(self, message, timeout):
        """Send one request; its reply, or None if the worker ended (or was killed after `timeout` seconds)."""
        watchdog = threading.Timer(timeout, self._kill)
        watchdog.start()
        try:
            self.proc.stdin.write(json.dumps(message) + "\n")
            self.proc.stdin.flush()
            return processes.next_message(self.proc.stdout)
        except (BrokenPipeError, OSError):
            return None
        finally:
            watchdog.cancel()

    def stderr(self):
        """What the worker wrote to stderr since this was last asked."""
        with open(self.stderr_path, "rb") as f:
            f.seek(self.read_to)
            text = f.read()
        self.read_to += len(text)
        return text.decode(errors="replace")

    def close(self):
        """End the worker and its process group: its exit code."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        processes.finished(self.proc)  # SIGKILL to its process group
        code = self.proc.wait()
        self.proc.stdout.close()
        return code


# Environment variables that tell where the caller is, not how a worker computes: a change in them starts no worker.
VOLATILE = frozenset({"PYTEST_CURRENT_TEST"})
MAX_IDLE = 16  # idle workers kept, at most (a TensorFlow one holds some 700 MB); the one idle longest goes first


def key_of(framework, env):
    """What a served worker is for: one framework, and the environment it starts in."""
    return framework.name, framework.module, tuple(sorted((k, v) for k, v in env.items() if k not in VOLATILE))


class Pool:
    """Served workers kept for the life of a command (a context manager; `close` ends them), one per key (key_of,
    above): a framework's implementation and the environment its worker starts in."""

    def __init__(self, max_idle=MAX_IDLE):
        self._dir = tempfile.TemporaryDirectory(prefix="compare-served-")
        self.dir = Path(self._dir.name)  # each worker's TMPDIR and working folder
        self._idle, self._lock, self._closed, self._numbers = {}, threading.Lock(), False, itertools.count(1)
        self.max_idle = max_idle
        self.started = 0  # processes started: what a test of the pool counts

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _take(self, key, env):
        with self._lock:
            if self._closed:
                raise processes.Stopped("the pool is closed")
            idle = self._idle.setdefault(key, [])
            if idle:
                return idle.pop()
            self.started += 1
            number = next(self._numbers)
        return Worker({**env, "TMPDIR": str(self.dir)}, self.dir, number)

    def _give_back(self, key, worker):
        ended = [worker]
        with self._lock:
            if not self._closed:
                self._idle.setdefault(key, []).append(worker)
                self._idle[key] = self._idle.pop(key)  # the dict's order: the key used last, last
                ended = []
                while sum(map(len, self._idle.values())) > self.max_idle:
                    oldest = next(k for k, idle in self._idle.items() if idle)
                    ended.append(self._idle[oldest].pop(0))
        for worker in ended:
            worker.close()

    def run(self, framework, env, request_file, response_file, timeout):
        """Run one request in a served worker of the framework's (a new one if none is idle): (how it ended, its
        stderr). How it ended: "done"; "refused" (run it in a fresh process instead); "timed out"; or the worker's
        exit code. env: the worker's environment (compare.run.runner.worker_env)."""
        key = key_of(framework, env)
        worker = self._take(key, env)
        reply = worker.ask({"request": str(request_file), "response": str(response_file)}, timeout)
        if reply and ("done" in reply or "refused" in reply):
            stderr = worker.stderr()
            self._give_back(key, worker)
            return ("done" if "done" in reply else "refused"), stderr
        code = worker.close()
        return ("timed out" if worker.timed_out else code), worker.stderr()

    def close(self):
        """End every idle worker (with its process group), and take no more requests."""
        with self._lock:
            self._closed = True
            workers = [worker for idle in self._idle.values() for worker in idle]
            self._idle.clear()
        for worker in workers:
            worker.close()
        self._dir.cleanup()
