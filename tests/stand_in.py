"""The command line with stand-in frameworks in its registry, for tests that must signal or time a whole command:
`python -m tests.stand_in run --frameworks numpy,spawning …`."""
import sys

from compare import cli
from compare.commands import bench
from compare.frameworks import FRAMEWORKS, Framework
from compare.run import runner

STAND_INS = {name: Framework(name, f"tests.{name}_impl", ("numpy",), "numpy", ("numpy",), probe=None)
             for name in ("broken", "hanging", "spawning", "noisy")}

if __name__ == "__main__":
    cli.FRAMEWORKS = runner.FRAMEWORKS = bench.FRAMEWORKS = {**FRAMEWORKS, **STAND_INS}
    sys.exit(cli.main())
