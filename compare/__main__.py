"""python -m compare: see compare/cli.py, or run with --help."""
import sys

from compare.cli import main

sys.exit(main())
