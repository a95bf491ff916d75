"""Shared fixtures: running the command line in-process, and snapshots."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from calcstep.cli import main

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("CALCSTEP_UPDATE_SNAPSHOTS") == "1"

# The suite's property tests see the same examples on every run, so a failure can
# be reproduced and CI is never red by chance.  The long runs by hand
# (CALCSTEP_PROPERTY_EXAMPLES, CALCSTEP_FUZZ_EXAMPLES) draw new examples each time.
_EXPLORING = bool(os.environ.get("CALCSTEP_PROPERTY_EXAMPLES") or os.environ.get("CALCSTEP_FUZZ_EXAMPLES"))
settings.register_profile("calcstep", derandomize=not _EXPLORING)
settings.load_profile("calcstep")


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(*args: str, stdin: str = "") -> Run:
    """Run `calcstep ARGS` in this process; its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        sys.stdin = saved
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


def assert_snapshot(name: str, text: str) -> None:
    """Compare `text` with tests/snapshots/NAME; CALCSTEP_UPDATE_SNAPSHOTS=1 rewrites it."""
    path = SNAPSHOTS / name
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"snapshot {name} was missing and has been written; check it in")
    assert text == path.read_text(encoding="utf-8"), f"output differs from snapshot {name}"


def calcstep_process(*args: str, **popen: object) -> subprocess.Popen:
    """`python -m calcstep ARGS` as a child process with text pipes on all three
    streams, unbuffered (for tests of signals, flushing and pipes)."""
    return subprocess.Popen(
        [sys.executable, "-m", "calcstep", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        **popen,  # type: ignore[arg-type]
    )
