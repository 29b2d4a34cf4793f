"""An implementation that starts a process of its own, then hangs: stopping its worker must stop that process too.
The process's command line ends with STAND_IN_MARKER, for the test to look for."""
import os
import subprocess
import sys
import time


class Network:
    def __init__(self, weights, learning_rate, dtype, **options):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)", os.environ["STAND_IN_MARKER"]])
        time.sleep(3600)
