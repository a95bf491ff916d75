"""Time calcstep in-process over the corpus, in a fresh interpreter of its own.

Run by throughput.py with calcstep's own Python, so the timing sees neither the
benchmark driver's heap (SymPy, parsed expressions) nor its garbage collector's
work, and measures the calcstep that the command line runs:

    python benchmarks/calcstep_worker.py CORPUS.jsonl

Prints one JSON object: total seconds, count, errors and each expression's time.
Each expression goes through the engine and the JSON writer (report_json), as
`calcstep diff --format json` does, with the command line's garbage-collector
setting and its trimming of the printers' caches between reports; one small
expression first loads every module it needs, untimed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def load(path: Path) -> list[dict[str, Any]]:
    """The corpus rows."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main(argv: list[str]) -> int:
    """Differentiate every corpus row once, timing each."""
    from calcstep.cli import tune_collector
    from calcstep.engine import differentiate
    from calcstep.errors import CalcstepError
    from calcstep.printer import trim_caches
    from calcstep.render import RenderOptions
    from calcstep.render.json import report_json

    sys.set_int_max_str_digits(0)
    tune_collector()  # as the command line sets its collector
    options = RenderOptions()
    "".join(report_json(differentiate("t^3*cos(t)", wrt="t"), options))  # imports, untimed
    each: list[tuple[float, str]] = []
    errors = 0
    for row in load(Path(argv[1])):
        start = time.perf_counter()
        try:
            report = differentiate(row["expr"], wrt=row.get("wrt"), order=int(row.get("order", 1)))
            "".join(report_json(report, options))
            trim_caches()  # as the command line does after each report
        except (CalcstepError, RecursionError, MemoryError):
            errors += 1
        each.append((time.perf_counter() - start, row.get("id", "")))
    print(json.dumps({"seconds": sum(s for s, _ in each), "count": len(each), "errors": errors,
                      "each": each}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
