"""`python -m calcstep`: the same command line as the `calcstep` entry point."""

from calcstep.cli import run

run()
