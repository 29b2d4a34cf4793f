"""The command line with stand-in frameworks in its registry, for tests that must signal or time a whole command:
`python -m tests.stand_in run --frameworks numpy,spawning …`. With STAND_IN_REFERENCE=NAME, the stand-in NAME takes
the reference's place (numpy's): the command's first worker is the stand-in."""
import os
import sys

from compare import cli
from compare.commands import bench
from compare.frameworks import FRAMEWORKS, Framework
from compare.run import runner

STAND_INS = {name: Framework(name, f"tests.{name}_impl", ("numpy",), "numpy", ("numpy",), probe=None)
             for name in ("broken", "hanging", "spawning", "noisy")}

if __name__ == "__main__":
    reference = os.environ.get("STAND_IN_REFERENCE")
    cli.FRAMEWORKS = runner.FRAMEWORKS = bench.FRAMEWORKS = {
        **FRAMEWORKS, **STAND_INS, **({"numpy": STAND_INS[reference]} if reference else {})}
    sys.exit(cli.main())
