"""Each framework's steady state, timed in several processes, one round at a time.

A framework's time per epoch can move from one process to the next (where its code and heap land, the core it runs
on), which no count of pairs inside one process can see. The runner therefore times each framework in
`--timing-processes` processes: the worker that trained it, and replicas that import, build and run one epoch of the
same network and then wait. Replicas start while the worker trains, on the other core (nothing is timed then but
the worker's phases). When all are ready, and nothing else runs, each process calibrates its block sizes in turn;
then the runner asks them for rounds of timed pairs in turn, one process at a time while the others wait on their
pipes, until there are enough pairs and the interval is tight, or the budget is spent (compare.timing.phases).

The protocol is one JSON object per line on the worker's standard output: {"ready": …} once warm, then one reply per
line on its standard input: "calibrate" gets the block sizes, a number of seconds gets that long of rounds.
"""
import os
import signal
import subprocess
import tempfile
import threading

from compare.run import processes
from compare.timing import phases

ROUND_S = 0  # a turn: one round (one pair) in one process, then the next process's turn


class Served:
    """One live worker process that serves timing rounds."""

    def __init__(self, command, timeout, on_quiet=None, **kwargs):
        self.on_quiet = on_quiet  # called with True when the worker's timed phases begin, False when they end
        self.stderr = tempfile.TemporaryFile("w+")
        self.proc = processes.start(command, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=self.stderr, **kwargs)
        self.timeout, self.timed_out = timeout, False
        self.pairs, self.cpu_s, self.wall_s = [], 0.0, 0.0
        self.calibration = self.reference_calibration = None

    def _kill(self):
        self.timed_out = True
        processes.kill(self.proc)

    def read(self):
        """The worker's next message, or None once it has ended (or was killed after `timeout` seconds)."""
        watchdog = threading.Timer(self.timeout, self._kill)
        watchdog.start()
        try:
            return processes.next_message(self.proc.stdout)
        finally:
            watchdog.cancel()

    def wait_ready(self):
        """True once the worker is warm and waits for rounds; False if it ended instead (a worker that ends inside
        its quiet phases ends them: nothing else would resume what they paused)."""
        quiet = False
        while True:
            message = self.read()
            if message and "quiet" in message:
                if self.on_quiet and message["quiet"] != quiet:
                    quiet = message["quiet"]
                    self.on_quiet(quiet)
                continue
            if quiet and self.on_quiet:
                self.on_quiet(False)
            return bool(message and message.get("ready"))

    def ask(self, line):
        """Send one command line; the worker's reply, or None if it ended instead."""
        try:
            self.proc.stdin.write(f"{line}\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        return self.read()

    def calibrate(self):
        """The worker's block sizes, calibrated now that nothing else runs; False if the worker ended instead."""
        message = self.ask("calibrate")
        if not message or "calibration" not in message:
            return False
        self.calibration, self.reference_calibration = message["calibration"], message["reference_calibration"]
        return True

    def round(self, seconds):
        """One round of timed pairs; False if the worker ended instead."""
        message = self.ask(seconds)
        if not message or "pairs" not in message:
            return False
        self.pairs += message["pairs"]
        self.cpu_s += message["cpu_s"]
        self.wall_s += message["wall_s"]
        return True

    def close(self, wait=False):
        """End the worker and whatever it started: (its exit code, its stderr). Its response is written before it
        serves, so nothing is lost; a framework's teardown can take seconds, and is not waited for unless `wait`
        (a worker that ended without serving: its own exit code tells how it ended)."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        if wait:
            try:
                self.proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                self.timed_out = True
        processes.finished(self.proc)  # SIGKILL to its process group
        self.proc.wait()
        self.proc.stdout.close()
        self.stderr.seek(0)
        text = self.stderr.read()
        self.stderr.close()
        return self.proc.returncode, text


class Lane:
    """The replicas of each framework in turn, started in a thread of their own, ahead of the runner: they import
    and warm up on the other core while the runner's workers import. One at a time, unless the runner is waiting for
    them with nothing else running: then a framework's replicas start together, one on each core. While anything
    is timed the lane is paused (the processes it is starting are stopped with SIGSTOP), so that nothing else runs
    then.

    jobs: [(name, count, command, Popen keyword arguments)], in the order the runner takes the frameworks."""

    def __init__(self, jobs, timeout):
        self.timeout, self.jobs = timeout, jobs
        self._lock, self._running, self._current = threading.Lock(), threading.Event(), []
        self._closing, self._pauses, self._draining = False, 0, False
        self._running.set()
        self._waited = threading.Event()  # the runner waits for replicas: nothing else runs
        self._started = {name: threading.Event() for name, *_ in jobs}
        self._done = {name: threading.Event() for name, *_ in jobs}
        self.found = {name: ([], []) for name, *_ in jobs}  # name: (ready replicas, why others failed)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _start(self, command, kwargs):
        while True:
            self._running.wait()
            with self._lock:
                if processes.stopping() or self._closing:
                    return None
                if self._running.is_set():
                    served = Served(command, self.timeout, **kwargs)
                    self._current.append(served)
                    return served

    def _settle(self, starting, ready, failed):
        """Wait for each process started until it is ready or has failed."""
        for served in starting:
            ok = served.wait_ready()
            with self._lock:
                self._current.remove(served)
            if ok:
                ready.append(served)
                continue
            code, stderr = served.close(wait=True)
            lines = stderr.strip().splitlines()
            failed.append(f"timed out after {self.timeout:g} s" if served.timed_out
                          else (lines[-1][:300] if lines else f"exit code {code}"))
        starting.clear()

    def _run(self):
        try:
            for i, (name, count, command, kwargs) in enumerate(self.jobs):
                if i:
                    self._started[self.jobs[i - 1][0]].wait()  # no further ahead than the next framework
                ready, failed, starting = *self.found[name], []
                for _ in range(count):
                    served = self._start(command, kwargs)
                    if served is None:
                        break
                    starting.append(served)
                    if not self._waited.is_set():
                        self._settle(starting, ready, failed)
                self._settle(starting, ready, failed)
                self._done[name].set()
        except processes.Stopped:
            pass
        finally:
            for done in self._done.values():
                done.set()

    def started(self, name):
        """The runner has begun `name`: the lane may prepare the framework after it."""
        if name in self._started:
            self._started[name].set()

    def drain(self):
        """Every framework has trained: start the replicas not yet started two at a time (a framework's together, one
        on each core) and wait until all are ready or failed, before any framework is timed."""
        for event in self._started.values():
            event.set()
        self._draining = True
        self._waited.set()
        for done in self._done.values():
            done.wait()

    def take(self, name):
        """`name`'s ready replicas (waiting until they are) and why any failed."""
        if name not in self._done:
            return [], []
        self._started[name].set()
        if not self._done[name].is_set():
            self._waited.set()
            self._done[name].wait()
            if not self._draining:
                self._waited.clear()
        ready, failed = self.found[name]
        self.found[name] = ([], failed)
        return ready, failed

    def _signal(self, sig):
        for served in self._current:
            try:
                os.killpg(served.proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def pause(self):
        with self._lock:
            self._pauses += 1
            self._running.clear()
            self._signal(signal.SIGSTOP)

    def resume(self):
        with self._lock:
            self._pauses = max(0, self._pauses - 1)
            if not self._pauses:
                self._signal(signal.SIGCONT)
                self._running.set()

    def quiet(self, on):
        """A worker's timed phases begin (True) or end (False): the lane pauses for them."""
        (self.pause if on else self.resume)()

    def close(self):
        """Stop starting replicas, and end every one not taken."""
        with self._lock:
            self._closing = True
            self._signal(signal.SIGCONT)
            for served in self._current:
                processes.kill(served.proc)
            self._running.set()
        for event in self._started.values():
            event.set()
        self._thread.join()
        for ready, _ in self.found.values():
            for served in ready:
                served.close()


def measure(served, min_pairs, budget_s):
    """Calibrate each served process in turn, then rounds in turn across them until they have `min_pairs` pairs in
    all (two at least in each) and the interval is TIGHT, or the budget (seconds of rounds) is spent; a process that
    fails is left out. Returns phases.summary's fields, flagged where earned when there is a budget, and, for each
    process with a reference, NumPy's epochs there (`reference_epochs_s`)."""
    live = [process for process in served if process.calibrate()]
    watch = phases.Watch()
    while live:
        for process in list(live):  # in turn: one round in each process
            if not process.round(ROUND_S):
                live.remove(process)
                continue
            taken = [process.pairs for process in served if process.pairs]
            if sum(map(len, taken)) >= max(min_pairs, 1) and all(len(process.pairs) >= 2 for process in live) and (
                    phases.tight(taken) or phases.clock() - watch.wall >= budget_s
                    or all(len(process.pairs) >= phases.MAX_PAIRS for process in live)):
                live = []
                break
    taken = [process for process in served if process.pairs]
    if not taken:
        return None
    seen = watch.read()
    result = phases.summary([process.pairs for process in taken], [process.calibration for process in taken],
                            [process.reference_calibration for process in taken]
                            if all(process.reference_calibration for process in taken) else None,
                            wall_s=seen["wall_s"], cpu_s=sum(process.cpu_s for process in taken),
                            machine_cpu_s=seen["machine_cpu_s"])
    result["cpu_share"] = (sum(process.cpu_s for process in taken) / sum(process.wall_s for process in taken)
                           if sum(process.wall_s for process in taken) else None)
    if budget_s > 0:
        phases.flag(result)
    if all(pair[1] for process in taken for pair in process.pairs):  # NumPy's epochs in each process, for NumPy's row
        result["reference_epochs_s"] = [[pair[1] for pair in process.pairs] for process in taken]
    else:
        result["own_epochs_s"] = [[pair[0] for pair in process.pairs] for process in taken]
    return result


def reference_across(groups):
    """The reference's (NumPy's) time per epoch from every process of a run that timed it, each process a group:
    phases.summary's epoch fields over them."""
    summary = phases.summary([[[epoch, None] for epoch in group] for group in groups if group])
    return {key: summary[key] for key in ("epoch_median_s", "epoch_ci95_s", "processes")} | {
        "process_epochs_s": summary.get("process_epochs_s")}
