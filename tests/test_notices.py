"""A companion script that imports TensorFlow prints no start-up notices, and still every warning and error."""
import subprocess
import sys

import pytest

import companion
from companion import notices
from tests.test_companion import printed_by_numpy

ONEDNN = (b"I0000 00:00:1796306614.536061   22840 port.cc:153] oneDNN custom operations are on. You may see slightly "
          b"different numerical results due to floating-point round-off errors from different computation orders.\n")
NO_DRIVER = (b"I0000 00:00:1796306614.536526   22840 cudart_stub.cc:31] Could not find cuda drivers on your machine, "
             b"GPU will not be used.\n")
CPU = (b"I1203 14:03:11.619230   22840 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available "
       b"CPU instructions in performance-critical operations.\nTo enable the following instructions: AVX2 FMA, in "
       b"other operations, rebuild TensorFlow with the appropriate compiler flags.\n")
BEFORE = b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
CUINIT = (b"E0000 00:00:1796306617.421590   22840 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: "
          b"Failed call to cuInit: UNKNOWN ERROR (303)\n")
REAL = b"W0000 00:00:1796306617.5   22840 op_kernel.cc:1842] a real warning\n"


def filtered(*writes, end="raise SystemExit(3)"):
    """What a process that starts the filter, writes `writes` to file descriptor 2 and ends by `end` leaves on the
    terminal's stderr; and its exit code."""
    code = "\n".join(["import os, sys", "from companion import notices", "notices.start()",
                      *(f"os.write(2, {w!r})" for w in writes), end])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=companion.HERE.parent, timeout=60)
    return done.stderr, done.returncode


@pytest.mark.parametrize("argv, wanted", [(["python", "-m", "companion.tensorflow_blog"], True),
                                          (["python", "-m", "companion.keras_loop"], True),
                                          (["python", "-m", "companion.torch_blog"], False),
                                          (["python", "-m", "compare"], False),
                                          (["python", "-c", "companion.keras_blog"], False)])
def test_the_filter_starts_only_for_a_file_that_imports_tensorflow(argv, wanted):
    assert notices.run_with_tensorflow(argv) is wanted


def test_notices_are_left_out_and_every_other_line_kept_in_order():
    err, code = filtered(BEFORE, ONEDNN, NO_DRIVER, CPU, CUINIT, REAL, end="print('Traceback: boom', file=sys.stderr)"
                         "\nraise SystemExit(3)")
    assert code == 3 and err == REAL + b"Traceback: boom\n"


def test_cuinit_failing_is_kept_where_tensorflow_did_not_say_it_found_no_driver():
    err, _ = filtered(ONEDNN, CUINIT)
    assert err == CUINIT


def test_what_a_crash_writes_last_still_gets_through():
    err, code = filtered(ONEDNN, b"F0000 00:00:1.0   1 check.cc:1] Check failed: the last words\n",
                         end="os.abort()")
    assert code < 0 and err == b"F0000 00:00:1.0   1 check.cc:1] Check failed: the last words\n"


def test_the_tensorflow_script_prints_its_run_and_nothing_else():
    pytest.importorskip("tensorflow")
    done = subprocess.run([sys.executable, "-m", "companion.tensorflow_blog"], capture_output=True, text=True,
                          cwd=companion.HERE.parent, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and done.stderr == "" and done.stdout == printed_by_numpy("blog")
