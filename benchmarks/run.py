"""calcstep's benchmarks: cold start, batch throughput and scaling, side by side with SymPy.

Run by hand, never in CI:

    python benchmarks/run.py                 # everything, full size (roughly 5-10 minutes)
    python benchmarks/run.py --quick         # smaller and fewer: a smoke test, about two minutes
    python benchmarks/run.py coldstart sums  # only some benchmarks

Each table is printed as soon as it is measured and all of them are written to
benchmarks/results/latest.md and latest.json (latest-quick.* in --quick mode).
See benchmarks/README.md for what each measures and how to read it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

from common import (
    MEMORY_METHOD_NOTE,
    NOISE_NOTE,
    Settings,
    Table,
    Target,
    find_calcstep,
    first_line,
    gnu_time,
    machine_info,
    rounded,
    script_interpreter,
    targets_table,
)

RESULTS = Path(__file__).resolve().parent / "results"
LADDER_NAMES = ("compose", "compose2", "sums", "fractions", "names", "products", "orders", "xx")
NAMES = ("coldstart", "throughput", *LADDER_NAMES)
GROUPS = {"scaling": LADDER_NAMES, "all": NAMES}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line of the benchmark runner."""
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Benchmark calcstep: cold start, batch throughput, scaling ladders; "
                    "SymPy side by side in the same run.",
        epilog=f"Benchmarks: {', '.join(NAMES)}; 'scaling' = {' '.join(LADDER_NAMES)}. "
               "Default: all of them.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer rounds, smaller ladders: a smoke test of about two minutes")
    parser.add_argument("--rounds", type=int, metavar="N",
                        help="rounds of the interleaved benchmarks (default 21 cold start, "
                             "5 throughput; --quick: 5 and 1)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="time limit of one case or process (default 60; --quick 30)")
    parser.add_argument("--calcstep", metavar="PATH",
                        help="the calcstep executable (default: beside this Python, else on PATH)")
    parser.add_argument("--sympy-python", metavar="PATH", default=sys.executable,
                        help="the Python that runs the SymPy one-liner (default: this one)")
    parser.add_argument("--memory-limit", type=int, default=8192, metavar="MIB",
                        help="address-space cap of each scaling case (default 8192 MiB)")
    parser.add_argument("--out", type=Path, metavar="FILE.md",
                        help="where to write the Markdown results; JSON goes beside it "
                             "(default: benchmarks/results/latest.md, latest-quick.md with --quick)")
    parser.add_argument("--no-write", action="store_true", help="print the tables only")
    args = parser.parse_args(argv)
    args.names = chosen_names(parser, args.names)
    return args


def chosen_names(parser: argparse.ArgumentParser, names: list[str]) -> list[str]:
    """The benchmarks asked for, groups expanded, in their canonical order."""
    wanted: set[str] = set()
    for name in names or ["all"]:
        if name in GROUPS:
            wanted.update(GROUPS[name])
        elif name in NAMES:
            wanted.add(name)
        else:
            parser.error(f"no benchmark called '{name}' (choose from {', '.join(NAMES)}, scaling)")
    return [name for name in NAMES if name in wanted]


def settings_from(args: argparse.Namespace) -> Settings:
    """The run's settings; exits with status 2 when calcstep cannot be found."""
    calcstep = find_calcstep(args.calcstep)
    if calcstep is None or not calcstep.exists():
        print("error: no calcstep executable found; install it (pip install .) or pass "
              "--calcstep PATH", file=sys.stderr)
        raise SystemExit(2)
    return Settings(
        memory_note=MEMORY_METHOD_NOTE[gnu_time() is not None],
        quick=args.quick,
        calcstep=calcstep,
        calcstep_python=script_interpreter(calcstep),
        sympy_python=args.sympy_python,
        timeout=args.timeout or (30.0 if args.quick else 60.0),
        rounds=args.rounds,
        memory_limit_mib=args.memory_limit,
        emit=show,
    )


def show(table: Table) -> None:
    """Print a table as soon as it is measured."""
    print(table.markdown(), flush=True)


def header(info: dict[str, Any], names: list[str]) -> str:
    """The results file's opening: what ran, where, and how far to trust it."""
    lines = ["# calcstep benchmarks", "", f"Benchmarks run: {', '.join(names)}.", "",
             f"> {NOISE_NOTE}", "", "| | |", "| --- | --- |"]
    lines += [f"| {key.replace('_', ' ')} | {_cell(value)} |" for key, value in info.items()]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text.replace("|", "\\|")


def guarded(name: str, settings: Settings, measure: Callable[[], list[Table]]) -> list[Table]:
    """Run one benchmark (or the ladders), turning any failure into a table."""
    try:
        return measure()
    except Exception as error:  # a broken benchmark must not stop the others
        detail = traceback.format_exception_only(error)[-1].strip()
        table = Table(name, f"{name}: failed", ["error"], [[first_line(detail, 300)]])
        settings.emit(table)
        return [table]


def write_results(path: Path, info: dict[str, Any], names: list[str], tables: list[Table]) -> None:
    """Markdown to `path` and JSON beside it, each written whole then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    markdown = header(info, names) + "".join("\n" + table.markdown() for table in tables)
    record = {"meta": rounded(info), "benchmarks": names,
              "tables": [table.to_dict() for table in tables]}
    _replace(path, markdown)
    _replace(path.with_suffix(".json"), json.dumps(record, indent=2, ensure_ascii=False,
                                                   sort_keys=True) + "\n")


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks, print each table, write the results files."""
    args = parse_args(argv)
    settings = settings_from(args)
    info = machine_info(settings)
    settings.install = info["calcstep_install"]
    print(header(info, args.names), flush=True)
    started = time.perf_counter()
    tables: list[Table] = []
    try:
        for name in ("coldstart", "throughput"):
            if name in args.names:
                # imported here: each module loads only when its benchmark runs
                tables += guarded(name, settings, lambda name=name: import_module(name).run(settings))
        ladders = [name for name in args.names if name in LADDER_NAMES]
        if ladders:
            tables += guarded("scaling", settings,
                              lambda: import_module("scaling").run_ladders(settings, ladders))
    except KeyboardInterrupt:
        print("interrupted: writing the tables measured so far", file=sys.stderr)
        info["interrupted"] = True
    info["duration_seconds"] = round(time.perf_counter() - started, 1)
    info["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    targets: list[Target] = [t for table in tables for t in table.targets]
    if targets:
        summary = targets_table(targets)
        show(summary)
        tables.append(summary)
    if not args.no_write:
        out = args.out or RESULTS / ("latest-quick.md" if args.quick else "latest.md")
        write_results(out, info, args.names, tables)
        print(f"results written to {out} and {out.with_suffix('.json').name}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
