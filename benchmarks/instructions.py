"""Instructions executed by one pass over the public corpus, for A/B comparisons.

Wall-clock time on these machines drifts by ±30% from run to run, which hides a
change of a few percent.  The number of instructions a pass executes does not
drift: under valgrind's callgrind it repeats to within 0.1% (with a fixed
PYTHONHASHSEED).  This counts them for each source tree given, so two versions
of calcstep can be compared in a minute, however busy the machine is:

    git worktree add /tmp/before HEAD~3
    python benchmarks/instructions.py /tmp/before .     # needs valgrind

A pass is what the throughput benchmark's in-process contender does: every
corpus expression differentiated (its variable, its order) and written as its
JSON record with steps.  Imports and one warm-up expression are measured
separately and taken off, so only the pass is counted.  Instruction counts track
time only roughly (a cache miss costs more than an add); use them to compare
versions, and the timed benchmarks for what users wait for.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import CORPUS

# What each child runs: calcstep imported from the tree given, a warm-up, and then
# (unless it measures the imports alone) the pass.
_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from calcstep.engine import differentiate
from calcstep.printer import trim_caches
try:
    from calcstep.cli import tune_collector
except ImportError:  # a tree from before it: the setting it had
    import gc
    def tune_collector(): gc.set_threshold(10_000, 1_000, 1_000)
tune_collector()  # as the command line sets its collector
from calcstep.render import RenderOptions
from calcstep.render.json import report_json
options = RenderOptions()
"".join(report_json(differentiate("x"), options)); trim_caches()
if sys.argv[2] == "pass":
    for line in open(sys.argv[3], encoding="utf-8"):
        job = json.loads(line)
        report = differentiate(job["expr"], wrt=job.get("wrt"), order=int(job.get("order", 1)))
        "".join(report_json(report, options)); trim_caches()
"""

_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(tree: Path, what: str, script: Path) -> int:
    """Instructions callgrind counts for the child run on `tree` (`what`: "pass"
    or "imports")."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # dict and set layouts repeat
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, str(script), str(tree.resolve()), what, str(CORPUS)],
        capture_output=True, text=True, env=env, check=False,
    )
    found = _COLLECTED.search(run.stderr)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"callgrind failed on {tree}:\n{run.stderr[-2000:]}")
    return int(found.group(1))


def compile_bytecode(tree: Path) -> None:
    """Write the tree's bytecode now, so that neither counted run compiles a module
    edited since its last run (that costs about 100 M instructions, and fell on the
    first run only, so it was not taken off with the imports)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree.resolve() / "calcstep")],
                   check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=Path, metavar="TREE",
                        help="source trees holding calcstep/ (a checkout or a git worktree)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: this benchmark counts instructions with callgrind")
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "child.py"
        script.write_text(_CHILD, encoding="utf-8")
        counts = {}
        for tree in args.trees:
            if not (tree / "calcstep").is_dir():
                raise SystemExit(f"{tree} holds no calcstep/ package")
            compile_bytecode(tree)
            counts[tree] = instructions(tree, "pass", script) - instructions(tree, "imports", script)
            print(f"{tree}: {counts[tree] / 1e6:,.0f} M instructions for the corpus pass", flush=True)
    first = counts[args.trees[0]]
    for tree in args.trees[1:]:
        print(f"{tree} ÷ {args.trees[0]}: {counts[tree] / first:.3f}")


if __name__ == "__main__":
    main()
