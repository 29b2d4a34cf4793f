"""Worker processes, each in a process group of its own, so that stopping a worker stops everything it started.

A worker may start processes of its own (a compiler, a framework's helpers). Killing the worker alone would leave
them running; killing its process group does not. When the command is interrupted (SIGINT, SIGTERM), `stop_all`
kills every live group and refuses to start more, so that the run ends in moments, whatever its workers were doing.
"""
import json
import os
import signal
import subprocess
import threading

_live = set()
_lock = threading.Lock()
_stopping = threading.Event()


class Stopped(Exception):
    """The command is being interrupted: no worker starts, and a worker's result is not used."""


def start(command, **kwargs):
    """subprocess.Popen in a new session (its own process group), tracked until `finished`."""
    with _lock:
        if _stopping.is_set():
            raise Stopped("interrupted")
        proc = subprocess.Popen(command, start_new_session=True, **kwargs)
        _live.add(proc)
    return proc


def kill(proc):
    """SIGKILL to proc's whole process group: the worker and whatever it started."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def finished(proc):
    """proc is done with: anything it left running in its group goes too."""
    kill(proc)
    with _lock:
        _live.discard(proc)


def stop_all():
    """Kill every live worker's group, and start no more (called from a signal handler: it only sends signals)."""
    _stopping.set()
    for proc in list(_live):
        kill(proc)


def next_message(stream):
    """The next line of a worker's replies that is a JSON object, or None once the stream ends (a line that is not
    JSON, such as something a framework printed, is passed over)."""
    for line in stream:
        try:
            return json.loads(line)
        except ValueError:
            continue
    return None


def stopping():
    return _stopping.is_set()


def run(command, timeout, **kwargs):
    """subprocess.run with its output captured and a timeout, in a group of its own: on the timeout, the whole group
    is killed (subprocess.run kills the worker alone). Raises subprocess.TimeoutExpired, or Stopped if the command
    was interrupted meanwhile."""
    proc = start(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)
    try:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill(proc)
            stdout, stderr = proc.communicate()
            raise subprocess.TimeoutExpired(command, timeout, stdout, stderr) from None
    finally:
        finished(proc)
    if _stopping.is_set():
        raise Stopped("interrupted")
    return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)
