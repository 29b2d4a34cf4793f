"""TensorFlow's start-up notices kept out of what a companion script prints; its warnings and errors kept in.

TensorFlow logs from C++ through absl before absl is set up, and such logs ignore TF_CPP_MIN_LOG_LEVEL
(abseil/abseil-cpp#1718): each import prints oneDNN's, the CPU features' and, on a machine without a GPU, CUDA's
notices. `python -m companion.<file>` for a file that imports TensorFlow (Keras's run on it) sends its standard error,
where C++ writes, through a filter that drops those notices and passes every other line on as it comes. The filter is
a process of its own, so that what a crash writes last still gets through.
"""
import atexit
import os
import re
import subprocess
import sys

WITH_TENSORFLOW = re.compile(r"companion\.(tensorflow|keras)_\w+")
# In the filter's own source: absl's INFO lines (I, the date, the time, or before absl's set-up the seconds since
# 1970, then the thread and file:line]), absl's line about them, the CPU-feature notice's second line, and cuInit's
# failure once TensorFlow has said that it found no CUDA driver (the same fact, logged as an error).
FILTER = r"""
import re, sys
notice = re.compile(rb"I\d{4} \d+:\d+:\d+\.\d+ +\d+ \S+:\d+\] |WARNING: All log messages before absl::InitializeLog"
                    rb"\(\) is called|To enable the following instructions: .* rebuild TensorFlow ")
no_driver = False
for line in sys.stdin.buffer:
    no_driver = no_driver or b"Could not find cuda drivers on your machine" in line
    if not (notice.match(line) or (no_driver and b"failed call to cuInit" in line)):
        sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()
"""


def run_with_tensorflow(argv):
    """Whether the command line `argv` (sys.orig_argv) runs a companion file that imports TensorFlow."""
    return any(a == "-m" and WITH_TENSORFLOW.fullmatch(b) for a, b in zip(argv, argv[1:], strict=False))


def start():
    """Route file descriptor 2 through the filter from here to the process's end."""
    stderr = os.dup(2)
    sieve = subprocess.Popen([sys.executable, "-I", "-c", FILTER], stdin=subprocess.PIPE, stdout=stderr)
    os.dup2(sieve.stdin.fileno(), 2)

    def stop():  # at exit, after any traceback: the filter reads to the end, then stderr is the terminal's again
        sys.stderr.flush()
        os.dup2(stderr, 2)
        sieve.stdin.close()
        sieve.wait()

    atexit.register(stop)
