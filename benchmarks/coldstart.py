"""Cold start: whole processes, measured interleaved (round-robin) in one run.

Each round runs every command once, the order rotated from round to round so that
no command always follows the same one; ratios are paired (computed within each
round, then summarised), which cancels most of the machine's drift.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from common import (
    Run,
    Settings,
    Summary,
    Table,
    Target,
    fmt_mib,
    fmt_ratio,
    fmt_summary_ratio,
    fmt_summary_time,
    run_process,
    summarize,
    summary_dict,
)

SYMPY_ONE_LINER = "from sympy import *; x=symbols('x'); print(diff(sin(x**2), x))"
DIFF = "calcstep diff (plain, steps)"
PASS = "python -c pass"
SYMPY = "SymPy one-liner"
MAX_OVER_PASS = 7.0
MAX_OVER_SYMPY = 0.25


@dataclass
class Command:
    """One measured command and its runs."""

    label: str
    argv: list[str]
    runs: list[Run] = field(default_factory=list)
    memory: Run | None = None

    @property
    def peak_mib(self) -> float | None:
        return self.memory.peak_mib if self.memory is not None and self.memory.ok else None

    def seconds(self) -> list[float]:
        return [r.seconds for r in self.runs if r.ok]

    def first_failure(self) -> str | None:
        failed = next((r for r in self.runs if not r.ok), None)
        return failed.failure() if failed else None


def commands(settings: Settings) -> list[Command]:
    """The commands compared: the bare interpreter, calcstep's three, SymPy."""
    calcstep = str(settings.calcstep)
    return [
        Command(PASS, [settings.calcstep_python, "-c", "pass"]),
        Command("calcstep --version", [calcstep, "--version"]),
        Command('calcstep parse "sin(x^2)"', [calcstep, "parse", "sin(x^2)"]),
        Command(DIFF, [calcstep, "diff", "sin(x^2)", "--format", "plain"]),
        Command(SYMPY, [settings.sympy_python, "-c", SYMPY_ONE_LINER]),
    ]


def measure(settings: Settings, cmds: list[Command], rounds: int) -> None:
    """A warm-up run of each (writes byte-code caches) that also measures its peak
    memory, then `rounds` timed rounds, each running every command once in a
    rotated order."""
    with tempfile.TemporaryDirectory(prefix="calcstep-bench-") as scratch:
        cwd = Path(scratch)
        for cmd in cmds:
            cmd.memory = run_process(cmd.argv, timeout=settings.timeout, cwd=cwd,
                                     measure_memory=True)
        for index in range(rounds):
            shift = index % len(cmds)
            done = {cmd.label: run_process(cmd.argv, timeout=settings.timeout, cwd=cwd)
                    for cmd in cmds[shift:] + cmds[:shift]}
            for cmd in cmds:  # each command's runs stay aligned round by round
                cmd.runs.append(done[cmd.label])


def paired_ratios(top: Command, bottom: Command) -> Summary | None:
    """top/bottom within each round where both succeeded, summarised."""
    ratios = [a.seconds / b.seconds for a, b in zip(top.runs, bottom.runs, strict=True)
              if a.ok and b.ok and b.seconds > 0]
    return summarize(ratios)


def build_table(settings: Settings, cmds: list[Command], rounds: int) -> Table:
    """The cold-start table, its notes, data and targets."""
    by_label = {cmd.label: cmd for cmd in cmds}
    base, sympy_cmd = by_label[PASS], by_label[SYMPY]
    table = Table("coldstart", f"Cold start (whole process, {rounds} interleaved rounds)",
                  ["command", "runs", "median", "min – max", "peak RSS",
                   "÷ python -c pass (paired)", "÷ SymPy one-liner (paired)"])
    for cmd in cmds:
        table.rows.append(_row(settings, cmd, base, sympy_cmd))
        table.data[cmd.label] = _data(cmd, base, sympy_cmd)
    diff = by_label[DIFF]
    table.targets = _targets(diff, base, sympy_cmd)
    table.notes = [
        "Times are wall-clock from process start to exit, measured with time.perf_counter "
        "around fork/exec and wait4.",
        f"A warm-up run of each command first, not timed, which measures its {settings.memory_note}; "
        f"then each round runs all "
        f"{len(cmds)} commands once, the order rotated each round. Ratios are per round, "
        "then the median (and range) of those ratios.",
        f"`python -c pass` uses calcstep's interpreter ({settings.calcstep_python}); the "
        f"SymPy one-liner uses {settings.sympy_python}: `{SYMPY_ONE_LINER}`.",
        "Children run without PYTHONDONTWRITEBYTECODE, in an empty temporary directory. "
        "Measure cold start against a non-editable install (`pip install .`); the calcstep "
        f"measured here is {settings.install or 'of unknown kind'}.",
    ]
    return table


def _row(settings: Settings, cmd: Command, base: Command, sympy_cmd: Command) -> list[str]:
    seconds = cmd.seconds()
    failure = cmd.first_failure()
    median, spread = fmt_summary_time(summarize(seconds))
    if failure:
        spread = f"{spread}; {len(cmd.runs) - len(seconds)} failed: {failure}"
    over_base = "1×" if cmd is base else fmt_summary_ratio(paired_ratios(cmd, base))
    over_sympy = "1×" if cmd is sympy_cmd else fmt_summary_ratio(paired_ratios(cmd, sympy_cmd))
    return [cmd.label, str(len(seconds)), median, spread,
            fmt_mib(cmd.peak_mib), over_base, over_sympy]


def _data(cmd: Command, base: Command, sympy_cmd: Command) -> dict[str, object]:
    seconds = summarize(cmd.seconds())
    over_base = paired_ratios(cmd, base)
    over_sympy = paired_ratios(cmd, sympy_cmd)
    return {
        "argv": cmd.argv,
        "seconds": summary_dict(seconds),
        "peak_mib": cmd.peak_mib,
        "ratio_to_python_pass": summary_dict(over_base),
        "ratio_to_sympy_one_liner": summary_dict(over_sympy),
        "failures": len(cmd.runs) - len(cmd.seconds()),
    }


def _targets(diff: Command, base: Command, sympy_cmd: Command) -> list[Target]:
    over_base = paired_ratios(diff, base)
    over_sympy = paired_ratios(diff, sympy_cmd)
    return [
        Target(f"cold start of calcstep diff ≤ {MAX_OVER_PASS:g}× python -c pass",
               fmt_ratio(over_base.median) if over_base else "not measured",
               over_base.median <= MAX_OVER_PASS if over_base else None),
        Target(f"cold start of calcstep diff ≤ {MAX_OVER_SYMPY:g}× SymPy one-liner",
               fmt_ratio(over_sympy.median) if over_sympy else "not measured",
               over_sympy.median <= MAX_OVER_SYMPY if over_sympy else None),
    ]


def run(settings: Settings) -> list[Table]:
    """Measure cold start and return its table."""
    rounds = settings.rounds or settings.pick(21, 5)
    cmds = commands(settings)
    measure(settings, cmds, rounds)
    table = build_table(settings, cmds, rounds)
    settings.emit(table)
    return [table]
