"""Batch throughput on the public corpus, calcstep against SymPy in one run.

The corpus gives each expression its own variable and order, so the command line
reads it as JSON-line jobs (`calcstep diff --json-input --format json -`), the
whole corpus in one process (`--jobs 1`), and again with `--jobs 2` (two worker
processes, one per core here, as the command line takes for a file this long
when `--jobs` is left out).  Each is measured as it is (its start-up included), and
also net of start-up: the median time of a one-job batch with the same options,
run around the pass, is taken off once.  calcstep in-process (engine and JSON line, as the CLI writes it;
in a fresh process of calcstep's Python, see calcstep_worker.py) and SymPy
in-process (diff, and diff + simplify, parsing not timed, cache cleared before
each pass) run over the same expressions, in rotated order within each round;
ratios are paired within a round.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    CORPUS,
    Overtime,
    Run,
    Settings,
    Summary,
    Table,
    Target,
    alarm,
    fmt_rate,
    fmt_ratio,
    fmt_seconds,
    fmt_summary_ratio,
    fmt_summary_time,
    run_process,
    summarize,
    summary_dict,
)

MIN_RATE = 2000.0
STARTUPS = 3  # one-job batches timed around each CLI pass
MIN_OVER_SIMPLIFY = 50.0
PARALLEL_WORKERS = 2
CLI_GROSS = "calcstep CLI, JSON with steps (one process, --json-input)"
CLI_NET = "calcstep CLI, net of start-up (estimate)"
CLI_PARALLEL_GROSS = f"calcstep CLI, --jobs {PARALLEL_WORKERS} (worker processes)"
CLI_PARALLEL_NET = f"calcstep CLI --jobs {PARALLEL_WORKERS}, net of start-up (estimate)"
IN_PROCESS = "calcstep in-process (differentiate + JSON record)"
SYMPY_SIMPLIFY = "SymPy diff + simplify (in-process)"
SYMPY_DIFF = "SymPy bare diff (in-process)"
CONTENDERS = (CLI_GROSS, CLI_NET, CLI_PARALLEL_GROSS, CLI_PARALLEL_NET, IN_PROCESS,
              SYMPY_SIMPLIFY, SYMPY_DIFF)
NET_OF = {CLI_NET: CLI_GROSS, CLI_PARALLEL_NET: CLI_PARALLEL_GROSS}


@dataclass(frozen=True)
class Row:
    """One corpus expression."""

    key: str
    expr: str
    wrt: str
    order: int


@dataclass
class Pass:
    """One timed pass over the corpus by one contender."""

    seconds: float
    count: int
    errors: int = 0
    timeouts: int = 0
    results: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    each: list[tuple[float, Row]] = field(default_factory=list)
    startups: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.count / self.seconds if self.seconds > 0 else None


def load_corpus(path: Path = CORPUS) -> list[Row]:
    """The corpus rows: expression, variable, order."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                record = json.loads(line)
                rows.append(Row(record.get("id", str(number)), record["expr"],
                                record.get("wrt", "x"), int(record.get("order", 1))))
    return rows


# -- calcstep -------------------------------------------------------------------


class CliBatch:
    """The corpus through `calcstep diff --json-input --format json -`, in one
    process or with `--jobs N`."""

    def __init__(self, settings: Settings, rows: list[Row], scratch: Path, workers: int = 1) -> None:
        self.settings = settings
        self.workers = workers
        self.rows = rows
        self.scratch = scratch
        self.jobs = scratch / "jobs.jsonl"
        self.jobs.write_text("".join(json.dumps({"expr": row.expr, "wrt": row.wrt, "order": row.order})
                                     + "\n" for row in rows), encoding="utf-8")
        self.one_job = scratch / "one-job.jsonl"
        self.one_job.write_text('{"expr": "x"}\n', encoding="utf-8")

    def argv(self) -> list[str]:
        # --jobs always given: left out, a file batch this long takes a worker per core
        return [str(self.settings.calcstep), "diff", "--json-input", "--format", "json",
                "--jobs", str(self.workers), "-"]

    def run(self) -> Pass:
        """One pass over the corpus; a failed process counts its rows as errors.
        One-job batches run before and after it, timing start-up in the same
        stretch of time as the pass itself."""
        startups = self.startup(STARTUPS - STARTUPS // 2)
        done = run_process(self.argv(), timeout=self.settings.timeout * 5,
                           stdin_path=self.jobs, cwd=self.scratch)
        result = Pass(done.seconds, len(self.rows))
        result.startups = startups + self.startup(STARTUPS // 2)
        self._collect(done, result)
        return result

    def _collect(self, done: Run, result: Pass) -> None:
        """Read the JSON lines back, one per row; status 2 only means some rows failed."""
        if done.timed_out or done.error or done.returncode not in (0, 2):
            result.errors += len(self.rows)
            result.note = done.failure()
            return
        lines = done.out.decode("utf-8", "replace").splitlines()
        for row, line in zip(self.rows, lines, strict=False):
            record = json.loads(line)
            if record.get("error"):
                result.errors += 1
            else:
                result.results[row.key] = record["result"]
        result.errors += max(0, len(self.rows) - len(lines))

    def startup(self, times: int) -> list[float]:
        """Seconds of a one-job batch (`x`), `times` times: the cost of one start."""
        runs = [run_process(self.argv(), timeout=self.settings.timeout,
                            stdin_path=self.one_job, cwd=self.scratch) for _ in range(times)]
        return [r.seconds for r in runs if r.ok]


WORKER = Path(__file__).resolve().parent / "calcstep_worker.py"


def calcstep_in_process(settings: Settings, rows: list[Row], scratch: Path) -> Pass:
    """The corpus through calcstep's engine and JSON renderer, in one fresh process
    of calcstep's own Python (calcstep_worker.py), timed per expression inside it."""
    done = run_process([settings.calcstep_python, str(WORKER), str(CORPUS)],
                       timeout=settings.timeout * 5, cwd=scratch)
    if not done.ok:
        return Pass(0.0, len(rows), len(rows), note=done.failure())
    record = json.loads(done.out)
    by_key = {row.key: row for row in rows}
    each = [(seconds, by_key[key]) for seconds, key in record["each"] if key in by_key]
    return Pass(record["seconds"], record["count"], record["errors"], each=each)


# -- SymPy ------------------------------------------------------------------------


class SympySide:
    """The corpus read by SymPy once; diff (and simplify) timed per expression."""

    def __init__(self, rows: list[Row], limit: float) -> None:
        from sympy_form import SympyReader

        self.reader = SympyReader()
        self.limit = limit
        self.items: list[tuple[str, Any, Any, int]] = []
        self.unread: list[str] = []
        for row in rows:
            try:
                expr = self.reader.read(row.expr)
            except ValueError:
                self.unread.append(row.key)
                continue
            self.items.append((row.key, expr, self.reader.symbol(row.wrt), row.order))

    def run(self, simplify: bool) -> Pass:
        """One pass; an expression running past the limit counts the limit as its time."""
        from sympy.core.cache import clear_cache

        sp = self.reader.sp
        clear_cache()
        result = Pass(0.0, len(self.items))
        for key, expr, var, order in self.items:
            start = time.perf_counter()
            try:
                with alarm(self.limit):
                    value = sp.diff(expr, var, order)
                    if simplify:
                        value = sp.simplify(value)
                result.results[key] = value
            except Overtime:
                result.timeouts += 1
            except Exception:  # a SymPy failure is counted, not fatal
                result.errors += 1
            result.seconds += time.perf_counter() - start
        return result


# -- the rounds ---------------------------------------------------------------------


@dataclass
class Measured:
    """Every pass of every contender, and SymPy's reader of the corpus."""

    passes: dict[str, list[Pass]]
    reader: Any
    unread: int
    missing: str = ""  # why SymPy did not run, when it did not


def measure(settings: Settings, rows: list[Row], rounds: int) -> Measured:
    """`rounds` rounds of every contender, rotated; CLI start-ups measured alongside."""
    passes: dict[str, list[Pass]] = {name: [] for name in CONTENDERS}
    try:
        sympy_side: SympySide | None = SympySide(rows, settings.pick(20.0, 10.0))
    except ImportError as error:
        sympy_side, missing = None, f"not run: {error}"
    with tempfile.TemporaryDirectory(prefix="calcstep-bench-") as scratch:
        cli = CliBatch(settings, rows, Path(scratch))
        cli.startup(1)  # warm-up: byte-code caches
        parallel = CliBatch(settings, rows, Path(scratch), PARALLEL_WORKERS)
        jobs: list[tuple[str, Callable[[], Pass]]] = [
            (CLI_GROSS, cli.run),
            (CLI_PARALLEL_GROSS, parallel.run),
            (IN_PROCESS, lambda: calcstep_in_process(settings, rows, Path(scratch))),
        ]
        if sympy_side is not None:
            jobs += [(SYMPY_SIMPLIFY, lambda: sympy_side.run(simplify=True)),
                     (SYMPY_DIFF, lambda: sympy_side.run(simplify=False))]
        for index in range(rounds):
            shift = index % len(jobs)
            for name, job in jobs[shift:] + jobs[:shift]:
                passes[name].append(job())
            for net, gross in NET_OF.items():
                passes[net].append(_net(passes[gross][-1]))
    if sympy_side is None:
        return Measured(passes, None, 0, missing)
    return Measured(passes, sympy_side.reader, len(sympy_side.unread))


def _net(gross: Pass) -> Pass:
    """The CLI pass less one median start-up (of those timed around it)."""
    start = summarize(gross.startups)
    if start is None:
        return Pass(0.0, gross.count, gross.errors, note="start-up not measured")
    net = gross.seconds - start.median
    return Pass(max(net, 0.0), gross.count, gross.errors,
                note=f"a start-up of {start.median * 1000:.0f} ms taken off (median of {start.n})")


# -- tables ----------------------------------------------------------------------------


def paired(top: list[Pass], bottom: list[Pass]) -> Summary | None:
    """Rate of top ÷ rate of bottom within each round, summarised."""
    if not top or not bottom:
        return None
    ratios = [a.rate / b.rate for a, b in zip(top, bottom, strict=True)
              if a.rate and b.rate]
    return summarize(ratios)


def throughput_table(measured: Measured, rows: list[Row], rounds: int) -> Table:
    """Expressions per second of each contender and its paired ratios to SymPy."""
    passes = measured.passes
    table = Table("throughput", f"Batch throughput: public corpus, {len(rows)} expressions, "
                  f"{rounds} round(s)",
                  ["contender", "rounds", "time per pass (median)", "min – max", "expr/s (median)",
                   "÷ SymPy diff+simplify", "÷ SymPy bare diff", "problems"])
    for name in CONTENDERS:
        runs = passes[name]
        if not runs:
            table.rows.append([name, "0", "–", "–", "–", "–", "–", measured.missing])
            table.data[name] = {"not_run": measured.missing}
            continue
        seconds = summarize([p.seconds for p in runs])
        rate = summarize([p.rate for p in runs if p.rate])
        to_simplify = paired(runs, passes[SYMPY_SIMPLIFY])
        to_diff = paired(runs, passes[SYMPY_DIFF])
        median, spread = fmt_summary_time(seconds)
        table.rows.append([name, str(len(runs)), median, spread,
                           fmt_rate(rate.median if rate else None),
                           "1×" if name == SYMPY_SIMPLIFY else fmt_summary_ratio(to_simplify),
                           "1×" if name == SYMPY_DIFF else fmt_summary_ratio(to_diff),
                           _problems(runs[0])])
        table.data[name] = {
            "seconds": summary_dict(seconds),
            "rate": summary_dict(rate),
            "count": runs[0].count, "errors": runs[0].errors, "timeouts": runs[0].timeouts,
            "ratio_to_sympy_simplify": summary_dict(to_simplify),
            "ratio_to_sympy_diff": summary_dict(to_diff),
        }
    unread = measured.unread
    table.notes = [
        "The command line runs the corpus as one batch of JSON-line jobs, each with its own "
        "variable and order: `calcstep diff --json-input --format json --jobs 1 -`, and with "
        f"`--jobs {PARALLEL_WORKERS}` its lines are answered by that many worker processes "
        "(written in input order, byte for byte the same). Left out, `--jobs` is "
        f"{PARALLEL_WORKERS} for this batch on a {PARALLEL_WORKERS}-core machine.",
        "Net of start-up: the pass's time less the median time of a one-job batch (`x`), "
        f"{STARTUPS} of which run around each pass — an estimate of steady-state speed.",
        "In-process: a fresh process of calcstep's Python (benchmarks/calcstep_worker.py) "
        "times each expression through differentiate and the JSON writer (report_json).",
        "Ratios are rate ÷ rate, paired within each round (how many times faster than SymPy).",
        "SymPy: expressions parsed once with parse_expr (real symbols), not timed; the SymPy "
        "cache is cleared before each pass; a per-expression time limit counts as its time.",
    ] + ([f"SymPy could not read {unread} expressions; they are left out of its passes."]
         if unread else [])
    return table


def _problems(first: Pass) -> str:
    parts = []
    if first.errors:
        parts.append(f"{first.errors} errors")
    if first.timeouts:
        parts.append(f"{first.timeouts} over the time limit")
    if first.note:
        parts.append(first.note)
    return "; ".join(parts) or "none"


@dataclass
class Compactness:
    """Per-expression operation counts: calcstep's result against SymPy's."""

    ratios: list[float] = field(default_factory=list)
    ours: int = 0
    theirs: int = 0
    smaller: int = 0
    equal: int = 0
    larger: int = 0
    unread: int = 0


def compare_ops(reader: Any, ours: dict[str, Any], theirs: dict[str, Any]) -> Compactness:
    """count_ops of calcstep's `result` (read by SymPy) against SymPy's, per expression."""
    found = Compactness()
    for key, text in ours.items():
        if key not in theirs:
            continue
        try:
            mine = reader.count_ops(reader.read(text))
        except ValueError:
            found.unread += 1
            continue
        other = reader.count_ops(theirs[key])
        found.ours += mine
        found.theirs += other
        found.smaller += mine < other
        found.equal += mine == other
        found.larger += mine > other
        if other > 0:
            found.ratios.append(mine / other)
        elif mine == 0:
            found.ratios.append(1.0)
    return found


def compactness_table(measured: Measured) -> Table:
    """How compact calcstep's results are, next to SymPy's (first round's results)."""
    passes, reader = measured.passes, measured.reader
    ours = passes[CLI_GROSS][0].results
    table = Table("compactness", "Result compactness (sympy.count_ops, per expression)",
                  ["calcstep against", "expressions", "median ops ratio", "min – max",
                   "calcstep smaller", "equal", "larger", "total ops (calcstep / SymPy)"])
    if reader is None:
        table.rows.append(["SymPy", "0", "–", "–", "–", "–", "–", measured.missing])
        return table
    for name, label in ((SYMPY_SIMPLIFY, "SymPy simplify(diff)"), (SYMPY_DIFF, "SymPy bare diff")):
        found = compare_ops(reader, ours, passes[name][0].results)
        ratio = summarize(found.ratios)
        count = found.smaller + found.equal + found.larger
        table.rows.append([label, str(count), fmt_ratio(ratio.median if ratio else None),
                           f"{ratio.low:.3g} – {ratio.high:.3g}" if ratio else "–",
                           str(found.smaller), str(found.equal), str(found.larger),
                           f"{found.ours} / {found.theirs}"])
        table.data[label] = {"compared": count, "ratio": summary_dict(ratio), "smaller": found.smaller,
                             "equal": found.equal, "larger": found.larger,
                             "ops_calcstep": found.ours, "ops_sympy": found.theirs,
                             "unreadable_results": found.unread}
    table.notes = [
        "calcstep's canonical `result` (from the command line's JSON) is read into SymPy "
        "with real symbols and counted with sympy.count_ops, like SymPy's own results; "
        "ratio = calcstep ÷ SymPy, so below 1 is more compact.",
        "Expressions where SymPy failed or ran past its time limit are left out.",
    ]
    return table


def targets(passes: dict[str, list[Pass]], compact: Table) -> list[Target]:
    """The batch targets, judged on the command line net of start-up: in one process,
    and with worker processes."""
    inproc = summarize([p.rate for p in passes[IN_PROCESS] if p.rate])
    ratio = compact.data.get("SymPy simplify(diff)", {}).get("ratio")
    found = []
    for name, how in ((CLI_NET, "one process"), (CLI_PARALLEL_NET, f"--jobs {PARALLEL_WORKERS}")):
        net = summarize([p.rate for p in passes[name] if p.rate])
        over_simplify = paired(passes[name], passes[SYMPY_SIMPLIFY])
        over_diff = paired(passes[name], passes[SYMPY_DIFF])
        aside = f" (CLI net of start-up; in-process {fmt_rate(inproc.median if inproc else None)})"
        found += [
            Target(f"batch ≥ {MIN_RATE:,.0f} expressions/s with steps, {how}",
                   fmt_rate(net.median if net else None) + (aside if name == CLI_NET else " (CLI net)"),
                   net.median >= MIN_RATE if net else None),
            Target(f"batch ≥ {MIN_OVER_SIMPLIFY:g}× SymPy diff+simplify, {how}",
                   fmt_ratio(over_simplify.median if over_simplify else None) + " (CLI net)",
                   over_simplify.median >= MIN_OVER_SIMPLIFY if over_simplify else None),
            Target(f"batch faster than SymPy bare diff, {how}",
                   fmt_ratio(over_diff.median if over_diff else None) + " (CLI net)",
                   over_diff.median > 1 if over_diff else None),
        ]
    compactness = Target("results at least as compact as SymPy simplify (median count_ops ratio ≤ 1)",
                         fmt_ratio(ratio["median"]) if ratio else "not measured",
                         ratio["median"] <= 1 if ratio else None)
    return [*found, compactness]


def slowest_table(measured: Measured, count: int = 8) -> Table:
    """The corpus expressions calcstep took longest over (in-process, first round)."""
    first = measured.passes[IN_PROCESS][0]
    table = Table("throughput.slowest", f"Slowest {count} corpus expressions for calcstep "
                  "(in-process, first round)", ["time", "order", "variable", "expression"])
    if not first.each:
        table.rows.append(["–", "–", "–", first.note or "not measured"])
        return table
    ranked = sorted(first.each, key=lambda item: item[0], reverse=True)[:count]
    for seconds, row in ranked:
        text = row.expr if len(row.expr) <= 70 else row.expr[:69] + "…"
        table.rows.append([fmt_seconds(seconds), str(row.order), row.wrt, f"`{text}`"])
    median = summarize([seconds for seconds, _ in first.each])
    table.notes = [f"Median per expression: {fmt_seconds(median.median if median else None)}; "
                   "engine and JSON writer together."]
    table.data = {"slowest": [{"seconds": s, "id": r.key, "expr": r.expr, "order": r.order,
                               "wrt": r.wrt} for s, r in ranked]}
    return table


def run(settings: Settings) -> list[Table]:
    """Measure batch throughput and compactness; return their tables."""
    rows = load_corpus()
    rounds = settings.rounds or settings.pick(5, 1)
    try:
        measured = measure(settings, rows, rounds)
    except ImportError as error:
        table = Table("throughput", "Batch throughput", ["status"], [[f"not run: {error}"]])
        settings.emit(table)
        return [table]
    speed = throughput_table(measured, rows, rounds)
    settings.emit(speed)
    compact = compactness_table(measured)
    speed.targets = targets(measured.passes, compact)
    settings.emit(compact)
    slowest = slowest_table(measured)
    settings.emit(slowest)
    return [speed, compact, slowest]

