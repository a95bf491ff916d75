"""Scaling ladders: how time, output and memory grow with the size of the input.

Each case is one `calcstep diff --format json [--order N] -` process, the
expression on stdin (a 100,000-term sum is too long for argv), run as a user
would, with a time limit and a cap on its address space.  Output size is the
bytes of that JSON output (full steps).  The same case is also timed once with
`--no-steps`, which separates the derivation from the result.  Growth exponents
are least-squares slopes on log–log axes.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    Run,
    Settings,
    Table,
    Target,
    first_line,
    fit_exponent,
    fmt_bytes,
    fmt_exponent,
    fmt_mib,
    fmt_seconds,
    fmt_summary_time,
    run_process,
    summarize,
)

DEFAULT_MAX_LENGTH = 1_000_000  # calcstep's --max-length default
MAX_PEAK_MIB = 100.0
MAX_EXPONENT_RATIO = 1.2
MIN_OUTPUT_EXPONENT = 0.25  # below this the time/output exponent ratio is not judged
REPEAT_UNDER = 5.0  # a case faster than this (seconds) is repeated; slower ones run once


# -- the ladders -------------------------------------------------------------------


def composition(depth: int) -> str:
    """sin(sin(…sin(x)…)), `depth` deep."""
    return "sin(" * depth + "x" + ")" * depth


def scaled_composition(depth: int) -> str:
    """sin(2·sin(2·…sin(2x)…)), `depth` deep: a multiple between each two functions."""
    return "sin(2*" * depth + "x" + ")" * depth


def power_sum(terms: int) -> str:
    """x + x^2/2 + … + x^n/n: its derivative 1 + x + … + x^(n−1) does not collapse."""
    return " + ".join(["x", *(f"x^{i}/{i}" for i in range(2, terms + 1))])


def fraction_sum(terms: int) -> str:
    """1/(x + 1) + 1/(x + 2) + … + 1/(x + n): n fractions over n different divisors."""
    return " + ".join(f"1/(x + {i})" for i in range(1, terms + 1))


def named_sum(terms: int) -> str:
    """x·w1 + x·w2 + … + x·wn: one input times n weights, n + 1 variables."""
    return " + ".join(f"x*w{i}" for i in range(1, terms + 1))


def factor_product(factors: int) -> str:
    """(x + 1)*(x + 2)*…*(x + n)."""
    return "*".join(f"(x + {i})" for i in range(1, factors + 1))


@dataclass(frozen=True)
class Ladder:
    """A family of inputs growing with one parameter."""

    key: str
    title: str
    param: str
    full: tuple[int, ...]
    quick: tuple[int, ...]
    expression: Callable[[int], str]
    by_order: bool = False  # the parameter is the derivative's order, not the input's size
    extra_columns: tuple[str, ...] = ()
    # the largest case the targets cover (x^x: order 10); larger ones are
    # measured to show the trend, and their memory is reported but not judged
    judged_up_to: int | None = None


LADDERS = {
    "compose": Ladder("compose", "d-deep composition sin(sin(…sin(x)…))", "d",
                      (10, 100, 1000, 10000), (10, 100, 1000), composition),
    # not one of the ladders: a chain through multiples, once written out
    # whole at every level (500 levels took 1.5 GB of steps)
    "compose2": Ladder("compose2", "d-deep composition sin(2·sin(2·…sin(2x)…))", "d",
                       (10, 100, 1000, 3000), (10, 100, 1000), scaled_composition, judged_up_to=0),
    "sums": Ladder("sums", "n-term sum x + x^2/2 + … + x^n/n", "n",
                   (10, 100, 1000, 10000, 100000), (10, 100, 1000, 10000), power_sum),
    # not the ladders: wide sums of shapes that once took time quadratic in
    # n (fractions tried over one divisor of n parts; a union of n names rebuilt)
    "fractions": Ladder("fractions", "n-term sum 1/(x + 1) + … + 1/(x + n)", "n",
                        (10, 100, 1000, 10000), (10, 100, 1000), fraction_sum, judged_up_to=0),
    "names": Ladder("names", "n-name sum x·w1 + … + x·wn", "n",
                    (10, 100, 1000, 10000), (10, 100, 1000), named_sum, judged_up_to=0),
    "products": Ladder("products", "n-factor product (x + 1)(x + 2)…(x + n)", "n",
                       (5, 10, 13, 30, 100, 300), (5, 10, 13, 30, 100), factor_product,
                       extra_columns=("SymPy simplify(diff(…))",)),
    "orders": Ladder("orders", "order-n derivative of x^2*sin(x)*e^x", "order",
                     (1, 10, 30, 100), (1, 10, 30, 100), lambda n: "x^2*sin(x)*e^x", by_order=True,
                     extra_columns=("terms as printed", "terms ÷ e^x, expanded", "e^x factored")),
    "xx": Ladder("xx", "x^x to order n", "order", (*range(1, 11), 20, 30, 50),
                 tuple(range(1, 11)), lambda n: "x^x", by_order=True, judged_up_to=10),
}
SYMPY_PRODUCTS = (5, 10, 13, 30)
SYMPY_PRODUCT = (
    "import time; from sympy import symbols, prod, diff, simplify; x = symbols('x', real=True); "
    "e = prod([x + i for i in range(1, {n} + 1)]); t0 = time.perf_counter(); d = diff(e, x); "
    "t1 = time.perf_counter(); s = simplify(d); t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
)


# -- measuring one case -----------------------------------------------------------


@dataclass
class Case:
    """One rung of a ladder: its runs with steps, its --no-steps run, its extras."""

    n: int
    runs: list[Run] = field(default_factory=list)
    bare: Run | None = None
    skipped: str | None = None
    failure: str | None = None
    extras: list[str] = field(default_factory=list)

    @property
    def ok_runs(self) -> list[Run]:
        return [r for r in self.runs if r.ok]

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.ok for r in self.runs)

    @property
    def seconds(self) -> float | None:
        found = summarize([r.seconds for r in self.ok_runs])
        return found.median if found else None

    @property
    def size(self) -> int | None:
        return self.ok_runs[0].out_bytes if self.ok_runs else None

    @property
    def peak_mib(self) -> float | None:
        peaks = [r.peak_mib for r in self.runs if r.peak_mib is not None]
        return max(peaks) if peaks else None


class Runner:
    """Runs ladder cases as processes, inputs written to a scratch directory."""

    def __init__(self, settings: Settings, scratch: Path) -> None:
        self.settings = settings
        self.scratch = scratch

    def argv(self, text: str, order: int, steps: bool = True) -> list[str]:
        argv = [str(self.settings.calcstep), "diff", "--format", "json", "--order", str(order)]
        if len(text) > DEFAULT_MAX_LENGTH:
            argv += ["--max-length", str(len(text) + 1)]
        return argv + ([] if steps else ["--no-steps"]) + ["-"]

    def once(self, text: str, order: int, steps: bool = True) -> Run:
        path = self.scratch / "input.txt"
        path.write_text(text + "\n", encoding="utf-8")
        return run_process(self.argv(text, order, steps), timeout=self.settings.timeout,
                           stdin_path=path, cwd=self.scratch, measure_memory=True,
                           memory_limit=self.settings.memory_limit_mib << 20)

    def case(self, ladder: Ladder, n: int) -> Case:
        """Run one case: with steps up to three times (once with --quick) while each run
        is fast, then once without steps."""
        text = ladder.expression(n)
        order = n if ladder.by_order else 1
        case = Case(n)
        for _ in range(self.settings.pick(3, 1)):
            run = self.once(text, order)
            case.runs.append(run)
            if not run.ok or run.seconds > REPEAT_UNDER:
                break
        case.failure = next((r.failure() for r in case.runs if not r.ok), None)
        if case.ok:
            case.bare = self.once(text, order, steps=False)
        return case

    def startup(self) -> float | None:
        """Median seconds of the smallest case, `x`: the start-up taken off net times."""
        runs = [self.once("x", 1) for _ in range(self.settings.pick(5, 3))]
        found = summarize([r.seconds for r in runs if r.ok])
        return found.median if found else None


# -- extras ----------------------------------------------------------------------------


def order_terms(case: Case) -> list[str]:
    """For x^2*sin(x)*e^x: the result's terms as printed, its terms once divided by e^x
    and expanded (at most six, mathematically), and whether e^x is factored out."""
    if not case.ok_runs:
        return ["–", "–", "–"]
    try:
        from sympy_form import SympyReader

        record = json.loads(case.ok_runs[0].out.decode("utf-8").splitlines()[0])
        reader = SympyReader()
        sp = reader.sp
        x = reader.symbol("x")
        printed = reader.read(record["result"], evaluate=False)
        expanded = sp.expand(reader.read(record["result"]) * sp.exp(-x))
    except (ImportError, ValueError, KeyError, IndexError, json.JSONDecodeError) as error:
        return [f"error: {first_line(str(error), 60)}", "–", "–"]
    factors = _flatten(printed, "is_Mul")
    factored = any(f == sp.exp(x) or (f.is_Pow and f.base == sp.E and f.exp == x) for f in factors)
    sums = [f for f in factors if f.is_Add]
    terms = len(_flatten(sums[0], "is_Add")) if len(sums) == 1 else len(_flatten(printed, "is_Add"))
    return [str(terms), str(len(sp.Add.make_args(expanded))), "yes" if factored else "no"]


def _flatten(expr: Any, kind: str) -> list[Any]:
    """The operands of nested Adds (kind "is_Add") or Muls ("is_Mul"), flattened."""
    if not getattr(expr, kind):
        return [expr]
    return [leaf for arg in expr.args for leaf in _flatten(arg, kind)]


def sympy_product(settings: Settings, n: int, scratch: Path) -> str:
    """SymPy's simplify(diff(…)) of the n-factor product, in a process of its own."""
    if n not in SYMPY_PRODUCTS:
        return "–"
    run = run_process([settings.sympy_python, "-c", SYMPY_PRODUCT.format(n=n)],
                      timeout=settings.timeout, cwd=scratch)
    if not run.ok:
        return run.failure()
    diff_seconds, simplify_seconds = map(float, run.out.split())
    return f"{fmt_seconds(simplify_seconds)} (+ diff {fmt_seconds(diff_seconds)})"


# -- a ladder's table ---------------------------------------------------------------------


@dataclass
class Fit:
    """Growth exponents of one ladder."""

    time_net: float | None
    size_same: float | None
    time_wall: float | None
    size_all: float | None
    points: list[int]

    @property
    def ratio(self) -> float | None:
        """Time exponent ÷ output exponent; None when the output hardly grows (or
        shrinks) over the fitted cases, where the ratio would mean nothing."""
        if self.time_net is None or self.size_same is None or self.size_same < MIN_OUTPUT_EXPONENT:
            return None
        return self.time_net / self.size_same

    def ratio_text(self) -> str:
        if self.ratio is None and self.size_same is not None and self.time_net is not None:
            return f"n/a (output exponent {self.size_same:.2f} < {MIN_OUTPUT_EXPONENT})"
        return fmt_exponent(self.ratio)


WORK_SHARE = 0.25  # a case enters the net-time fit when its work is at least this share of a start-up


def fit(cases: list[Case], startup: float | None) -> Fit:
    """Exponents of time and output size.  The net-time fit (wall less start-up) uses
    the cases whose net time is at least a quarter of the start-up (smaller ones are
    mostly noise), or else the two largest with any net time; the output's exponent
    is fitted over the same cases for the comparison."""
    done = [c for c in cases if c.seconds is not None and c.size]
    wall = fit_exponent([c.n for c in done], [c.seconds or 0 for c in done])
    sizes = fit_exponent([c.n for c in done], [c.size or 0 for c in done])
    base = startup or 0.0
    work = [c for c in done if (c.seconds or 0) - base >= WORK_SHARE * base]
    if len(work) < 2:
        work = [c for c in done if (c.seconds or 0) > base][-2:]
    net = fit_exponent([c.n for c in work], [(c.seconds or 0) - base for c in work])
    same = fit_exponent([c.n for c in work], [c.size or 0 for c in work])
    return Fit(net, same, wall, sizes, [c.n for c in work])


def case_row(case: Case, settings: Settings) -> list[str]:
    """A table row: n, runs, times, output size, memory, status, extras."""
    if case.skipped:
        return [str(case.n), "0", "–", "–", "–", "–", "–", case.skipped, *case.extras]
    median, spread = fmt_summary_time(summarize([r.seconds for r in case.ok_runs]))
    status = case.failure or "ok"
    bare = "–"
    if case.bare is not None:
        bare = fmt_seconds(case.bare.seconds) if case.bare.ok else case.bare.failure()
    return [str(case.n), str(len(case.ok_runs)), median, spread, bare, fmt_bytes(case.size),
            fmt_mib(case.peak_mib), status, *case.extras]


def ladder_table(ladder: Ladder, cases: list[Case], found: Fit, startup: float | None,
                 settings: Settings) -> Table:
    """The ladder's table with its exponents in the notes."""
    table = Table(f"scaling.{ladder.key}", f"Scaling: {ladder.title}",
                  [ladder.param, "runs", "time (median)", "min – max", "time --no-steps",
                   "JSON output (steps)", "peak RSS", "status", *ladder.extra_columns])
    table.rows = [case_row(case, settings) for case in cases]
    span = f"{ladder.param} = {found.points[0]}–{found.points[-1]}" if found.points else "no case"
    table.notes = [
        f"Fitted exponents: time {fmt_exponent(found.time_net)} (net of a "
        f"{fmt_seconds(startup)} start-up, over {span}), "
        f"output {fmt_exponent(found.size_same)} (same cases); over all completed cases: "
        f"wall time {fmt_exponent(found.time_wall)}, output {fmt_exponent(found.size_all)}.",
        f"Time exponent ÷ output exponent: {found.ratio_text()} "
        f"(target ≤ {MAX_EXPONENT_RATIO}: time grows no faster than the output).",
        f"Each case is one process reading the expression on stdin, limit {settings.timeout:g} s, "
        f"address space capped at {settings.memory_limit_mib} MiB; {settings.memory_note}.",
    ]
    table.data = {
        "cases": [_case_data(case) for case in cases],
        "startup_seconds": startup,
        "exponents": {"time_net": found.time_net, "output_same_cases": found.size_same,
                      "time_wall_all": found.time_wall, "output_all": found.size_all,
                      "fit_cases": found.points, "ratio": found.ratio},
    }
    return table


def _case_data(case: Case) -> dict[str, Any]:
    return {
        "n": case.n,
        "seconds": [r.seconds for r in case.ok_runs],
        "no_steps_seconds": case.bare.seconds if case.bare and case.bare.ok else None,
        "output_bytes": case.size,
        "peak_mib": case.peak_mib,
        "ok": case.ok,
        "skipped": case.skipped,
        "failure": case.failure,
        "extras": case.extras,
    }


# -- targets ---------------------------------------------------------------------------------


def ladder_targets(ladder: Ladder, cases: list[Case], found: Fit) -> list[Target]:
    """The issue's targets that this ladder measures."""
    by_n = {case.n: case for case in cases}
    targets = [Target(f"{ladder.key}: time exponent ≤ {MAX_EXPONENT_RATIO}× output exponent",
                      found.ratio_text(),
                      found.ratio <= MAX_EXPONENT_RATIO if found.ratio is not None else None)]
    if ladder.key == "compose":
        targets.append(_time_target("1000-deep composition with steps ≤ 1 s", by_n.get(1000), 1.0))
        deepest = by_n.get(10000)
        targets.append(Target("10,000-deep composition without error",
                              _outcome(deepest), deepest.ok if deepest else None))
    if ladder.key == "orders":
        top = by_n.get(100)
        targets.append(_time_target("order-100 derivative of x^2*sin(x)*e^x ≤ 1 s", top, 1.0))
        terms = top.extras[0] if top and top.extras else "–"
        factored = top.extras[2] if top and len(top.extras) > 2 else "–"
        met = int(terms) <= 6 and factored == "yes" if top and terms.isdigit() else None
        counted = f"{terms} terms, e^x factored: {factored}" if terms.isdigit() else terms
        targets.append(Target("order-100 result: at most six terms times e^x", counted, met))
    return targets


def _time_target(name: str, case: Case | None, limit: float) -> Target:
    if case is None:
        return Target(name, "not measured", None)
    seconds = case.seconds
    return Target(name, _outcome(case), seconds is not None and case.ok and seconds <= limit)


def _outcome(case: Case | None) -> str:
    if case is None:
        return "not measured"
    return case.skipped or case.failure or fmt_seconds(case.seconds)


def memory_target(all_cases: list[tuple[Ladder, Case]]) -> Target:
    """Peak memory ≤ 100 MiB for the issue's cases, except the 10,000-deep
    composition; cases past a ladder's `judged_up_to` are named, not judged."""
    measured_cases = [(ladder, case) for ladder, case in all_cases
                      if case.peak_mib is not None and not (ladder.key == "compose" and case.n >= 10000)]
    judged = [(ladder, case) for ladder, case in measured_cases
              if ladder.judged_up_to is None or case.n <= ladder.judged_up_to]
    name = f"peak memory ≤ {MAX_PEAK_MIB:g} MiB (except 10,000-deep)"
    if not judged:
        return Target(name, "not measured", None)
    over = _over(judged)
    worst = max(case.peak_mib or 0 for _, case in judged)
    measured = f"largest {fmt_mib(worst)}" + (f"; over: {', '.join(over)}" if over else "")
    beyond = _over([item for item in measured_cases if item not in judged])
    if beyond:
        measured += f" (not judged, past the issue's ladders: {', '.join(beyond)})"
    return Target(name, measured, not over)


def _over(cases: list[tuple[Ladder, Case]]) -> list[str]:
    """The cases above the memory target, as `ladder param=n: size`."""
    return [f"{ladder.key} {ladder.param}={case.n}: {fmt_mib(case.peak_mib)}"
            for ladder, case in cases if (case.peak_mib or 0) > MAX_PEAK_MIB]


# -- running ------------------------------------------------------------------------------------


def climb(runner: Runner, ladder: Ladder) -> list[Case]:
    """Every case of the ladder, smallest first; after a failure the larger ones are skipped."""
    cases: list[Case] = []
    failed: Case | None = None
    for n in runner.settings.pick(ladder.full, ladder.quick):
        if failed is not None:
            cases.append(Case(n, skipped=f"skipped: {ladder.param}={failed.n} failed",
                              extras=["–"] * len(ladder.extra_columns)))
            continue
        case = runner.case(ladder, n)
        if ladder.key == "orders":
            case.extras = order_terms(case)
        elif ladder.key == "products":
            case.extras = [sympy_product(runner.settings, n, runner.scratch)]
        cases.append(case)
        if not case.ok:
            failed = case
    return cases


def run_ladders(settings: Settings, keys: list[str]) -> list[Table]:
    """Run the chosen ladders; one table each, then the memory target."""
    tables: list[Table] = []
    all_cases: list[tuple[Ladder, Case]] = []
    with tempfile.TemporaryDirectory(prefix="calcstep-bench-") as scratch:
        runner = Runner(settings, Path(scratch))
        runner.once("x", 1)  # warm-up: byte-code caches
        startup = runner.startup()
        for key in keys:
            ladder = LADDERS[key]
            cases = climb(runner, ladder)
            found = fit(cases, startup)
            table = ladder_table(ladder, cases, found, startup, settings)
            table.targets = ladder_targets(ladder, cases, found)
            settings.emit(table)
            tables.append(table)
            all_cases += [(ladder, case) for case in cases]
    if tables:
        tables[-1].targets.append(memory_target(all_cases))
    return tables
