"""Shared helpers for the benchmarks: running a process and measuring it, statistics,
growth-exponent fits, Markdown tables and the record of the machine they ran on.

Only the standard library is imported here, so `run.py --help` works anywhere.
"""

from __future__ import annotations

import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "data" / "public_corpus.jsonl"

# Environment variables a user's shell does not normally set and which change
# what is measured: without byte-code caching every start recompiles calcstep.
DROPPED_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PYTHONPROFILEIMPORTTIME",
               "PYTHONTRACEMALLOC", "PYTHONDEVMODE", "PYTHONWARNINGS")

KEEP_STDOUT = 64 << 20  # bytes of a child's output kept for parsing; the rest is only counted
KEEP_STDERR = 64 << 10
NOISE_NOTE = ("These 2-core machines drift ±30% from run to run: compare ratios measured "
              "within one run, not absolute times across runs.")


# -- running a process --------------------------------------------------------


@dataclass
class Run:
    """One finished (or stopped) child process, measured from just before it was
    started until it was reaped."""

    seconds: float
    returncode: int | None
    timed_out: bool = False
    out_bytes: int = 0
    out: bytes = b""
    err: str = ""
    peak_kib: int | None = None
    error: str | None = None
    timeout: float = 0.0  # the time limit it ran under

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out and self.returncode == 0

    @property
    def peak_mib(self) -> float | None:
        return None if self.peak_kib is None else self.peak_kib / 1024

    def failure(self) -> str:
        """Why the run did not succeed, in a few words for a table cell."""
        if self.error is not None:
            return f"error: {self.error}"
        if self.timed_out:
            return f"timeout after {self.timeout:g} s"
        if self.returncode is not None and self.returncode < 0:
            name = signal.Signals(-self.returncode).name if -self.returncode in _SIGNALS else "?"
            return f"killed by signal {-self.returncode} ({name})"
        return f"error: exit {self.returncode}: {message(self.err)}"


_SIGNALS = {s.value for s in signal.Signals}


def first_line(text: str, limit: int = 100) -> str:
    """The first non-blank line of `text`, shortened to `limit` characters, safe in a table."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "(no message)")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def message(stderr: str) -> str:
    """The telling line of a child's stderr: a traceback's last line, else the first line."""
    if "Traceback (most recent call last)" in stderr:
        lines = [ln for ln in stderr.splitlines() if ln.strip()]
        return first_line(lines[-1])
    return first_line(stderr)


def child_env() -> dict[str, str]:
    """The environment for measured children: the user's, less `DROPPED_ENV`."""
    return {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}


def _drain(stream: Any, keep: int, sink: dict[str, Any]) -> None:
    """Read `stream` to its end, keeping its first `keep` bytes and counting all."""
    kept = bytearray()
    total = 0
    fd = stream.fileno()
    while chunk := os.read(fd, 1 << 20):
        total += len(chunk)
        if len(kept) < keep:
            kept += chunk[: keep - len(kept)]
    stream.close()
    sink["data"], sink["total"] = bytes(kept), total


def _limit_memory(limit_bytes: int | None) -> Callable[[], None] | None:
    """A preexec function capping the child's address space, or None for no cap."""
    if not limit_bytes:
        return None

    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    return apply


@cache
def gnu_time() -> str | None:
    """GNU time's path, when it is installed (it reports a child's peak memory)."""
    path = shutil.which("time", path="/usr/bin:/bin:/usr/local/bin")
    if path is None:
        return None
    try:
        done = subprocess.run([path, "-f", "%M", "true"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if done.returncode == 0 and done.stderr.strip().isdigit() else None


MEMORY_METHOD_NOTE = {
    True: "peak RSS (GNU time's %M: the child's own ru_maxrss, forked from a small process)",
    False: "peak RSS (ru_maxrss from wait4: an upper bound, as it includes the benchmark "
           "driver's own footprint at the fork; install GNU time for exact figures)",
}


def run_process(
    argv: Sequence[str],
    *,
    timeout: float,
    stdin_path: Path | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    memory_limit: int | None = None,
    measure_memory: bool = False,
    keep: int = KEEP_STDOUT,
) -> Run:
    """Run `argv` and measure it: wall time, exit status, output size and, with
    `measure_memory`, the peak resident memory of that one child.

    Output goes through pipes that are drained as it comes, so a huge output costs
    no disk.  A child still running after `timeout` seconds is killed, with its
    process group.  The peak memory comes from GNU time when it is installed: the
    ru_maxrss the kernel reports for a child forked from this (large) process
    includes this process's own footprint at the fork."""
    wrapper = gnu_time() if measure_memory else None
    report = None
    if wrapper:
        handle, report = tempfile.mkstemp(prefix="calcstep-bench-", suffix=".rss")
        os.close(handle)
        argv = [wrapper, "-f", "%M", "-o", report, *argv]
    stdin = stdin_path.open("rb") if stdin_path else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env if env is not None else child_env(), cwd=cwd, start_new_session=True,
            preexec_fn=_limit_memory(memory_limit),
        )
    except OSError as error:
        return Run(0.0, None, error=str(error))
    finally:
        if stdin_path:
            stdin.close()
    try:
        run = _wait(proc, start, timeout, keep)
        if report:
            _read_report(run, Path(report))
        elif not measure_memory:
            run.peak_kib = None
    finally:
        if report:
            Path(report).unlink(missing_ok=True)
    return run


def _read_report(run: Run, report: Path) -> None:
    """Take the peak memory (and a signal's death) from GNU time's report."""
    lines = [ln.strip() for ln in report.read_text().splitlines() if ln.strip()]
    run.peak_kib = int(lines[-1]) if lines and lines[-1].isdigit() else None
    killed = next((ln for ln in lines if ln.startswith("Command terminated by signal")), None)
    if killed and not run.timed_out:
        run.returncode = -int(killed.rsplit(" ", 1)[1])


Sink = dict[str, Any]


def _drain_threads(proc: subprocess.Popen[bytes], keep: int) -> tuple[list[threading.Thread], Sink, Sink]:
    """Threads reading the child's stdout and stderr as it writes them."""
    out: Sink = {}
    err: Sink = {}
    readers = [threading.Thread(target=_drain, args=(proc.stdout, keep, out), daemon=True),
               threading.Thread(target=_drain, args=(proc.stderr, KEEP_STDERR, err), daemon=True)]
    for reader in readers:
        reader.start()
    return readers, out, err


def _wait(proc: subprocess.Popen[bytes], start: float, timeout: float, keep: int) -> Run:
    """Drain the child's pipes, reap it with `wait4`, kill its group at the timeout."""
    readers, out, err = _drain_threads(proc, keep)
    reaped = threading.Event()
    timed_out = threading.Event()

    def stop() -> None:
        if not reaped.is_set():
            timed_out.set()
            os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, stop)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:  # Ctrl-C: the child is in a session of its own and did not see it
        timer.cancel()
        os.killpg(proc.pid, signal.SIGKILL)
        os.wait4(proc.pid, 0)
        raise
    seconds = time.perf_counter() - start
    reaped.set()
    timer.cancel()
    if timed_out.is_set():  # the group may outlive its leader
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    peak = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return Run(seconds, proc.returncode, timed_out.is_set(), out.get("total", 0),
               out.get("data", b""), err.get("data", b"").decode("utf-8", "replace"), peak,
               timeout=timeout)


# -- finding calcstep -----------------------------------------------------------


def find_calcstep(explicit: str | None) -> Path | None:
    """The calcstep executable: `explicit`, else the one beside this Python, else on PATH."""
    if explicit:
        return Path(explicit)
    beside = Path(sys.executable).parent / "calcstep"
    if beside.exists():
        return beside
    found = shutil.which("calcstep")
    return Path(found) if found else None


def script_interpreter(script: Path) -> str:
    """The Python a console script runs with (its #! line), else this one."""
    try:
        with script.open("rb") as handle:
            line = handle.readline(4096).decode("utf-8", "replace").strip()
    except OSError:
        return sys.executable
    if not line.startswith("#!"):
        return sys.executable
    words = line[2:].split()
    if not words:
        return sys.executable
    if Path(words[0]).name == "env" and len(words) > 1:
        return shutil.which(words[-1]) or sys.executable
    return words[0]


# -- statistics ------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Median, minimum, maximum and number of a sample."""

    n: int
    median: float
    low: float
    high: float

    def to_dict(self, digits: int = 6) -> dict[str, float | int]:
        return {"n": self.n, "median": round(self.median, digits),
                "min": round(self.low, digits), "max": round(self.high, digits)}


def summarize(values: Sequence[float]) -> Summary | None:
    """The summary of `values`, or None when there are none."""
    if not values:
        return None
    return Summary(len(values), statistics.median(values), min(values), max(values))


def summary_dict(summary: Summary | None) -> dict[str, float | int] | None:
    """The summary as JSON data, or None when there was nothing to summarise."""
    return summary.to_dict() if summary else None


def fit_exponent(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """The least-squares slope of log y against log x (the growth exponent), or None
    with fewer than two usable points."""
    points = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len(points) < 2:
        return None
    mean_x = statistics.fmean(p[0] for p in points)
    mean_y = statistics.fmean(p[1] for p in points)
    spread = sum((px - mean_x) ** 2 for px, _ in points)
    if spread == 0:
        return None
    return sum((px - mean_x) * (py - mean_y) for px, py in points) / spread


# -- formatting --------------------------------------------------------------------


def fmt_seconds(seconds: float | None) -> str:
    """A duration with a unit chosen for it: 12.3 ms, 1.23 s."""
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_summary_time(summary: Summary | None) -> tuple[str, str]:
    """(median, min–max) cells for a sample of durations."""
    if summary is None:
        return "–", "–"
    return fmt_seconds(summary.median), f"{fmt_seconds(summary.low)} – {fmt_seconds(summary.high)}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3g}×" if value < 100 else f"{value:,.0f}×"


def fmt_summary_ratio(summary: Summary | None) -> str:
    """A median ratio with its range: 5.1× (4.8–5.6×)."""
    if summary is None:
        return "–"
    return f"{fmt_ratio(summary.median)} ({summary.low:.3g}–{summary.high:.3g}×)"


def fmt_bytes(count: int | None) -> str:
    if count is None:
        return "–"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count} B"


def fmt_mib(mib: float | None) -> str:
    return "–" if mib is None else f"{mib:.0f} MiB"


def fmt_rate(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:,.0f}/s" if rate >= 100 else f"{rate:.3g}/s"


def fmt_exponent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def rounded(value: Any, digits: int = 6) -> Any:
    """`value` with every float rounded, so the JSON results are stable and short."""
    if isinstance(value, float):
        return round(value, digits) if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    return value


# -- tables and targets ------------------------------------------------------------------


@dataclass
class Target:
    """One of the issue's targets, as measured: met is None when it could not be judged."""

    name: str
    measured: str
    met: bool | None

    def verdict(self) -> str:
        return {True: "met", False: "NOT met", None: "not judged"}[self.met]


@dataclass
class Table:
    """A titled Markdown table with notes below it and the raw numbers behind it."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)

    def markdown(self) -> str:
        """The table as Markdown, columns padded so it also reads in a terminal."""
        cells = [[c.replace("|", "\\|") for c in row] for row in [self.columns, *self.rows]]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]

        def line(row: list[str]) -> str:
            return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

        rule = "| " + " | ".join("-" * w for w in widths) + " |"
        parts = [f"### {self.title}", "", line(cells[0]), rule, *map(line, cells[1:])]
        if self.notes:
            parts += ["", *(f"- {note}" for note in self.notes)]
        return "\n".join(parts) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "columns": self.columns, "rows": self.rows,
                "notes": self.notes, "data": rounded(self.data),
                "targets": [t.__dict__ for t in self.targets]}


def targets_table(targets: list[Target]) -> Table:
    """All targets measured in this run, one row each."""
    table = Table("targets", "Targets (issue 6)", ["target", "measured", "verdict"])
    table.rows = [[t.name, t.measured, t.verdict()] for t in targets]
    return table


# -- the run's settings and the machine ------------------------------------------------------


@dataclass
class Settings:
    """What one benchmark run uses: the executables, sizes, rounds and limits."""

    quick: bool
    calcstep: Path
    calcstep_python: str
    sympy_python: str
    timeout: float
    rounds: int | None = None
    memory_limit_mib: int = 8192
    install: str = ""
    memory_note: str = ""
    emit: Callable[[Table], None] = print

    def pick(self, full: Any, quick: Any) -> Any:
        """`quick` in --quick mode, else `full`."""
        return quick if self.quick else full


def command_output(argv: Sequence[str], timeout: float = 60) -> str:
    """The stripped stdout of a short helper command, or a note of why there is none."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                              env=child_env(), cwd=Path("/"))
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"
    return done.stdout.strip() if done.returncode == 0 else f"unavailable ({first_line(done.stderr)})"


_PROBE = ("import importlib.metadata as m, sys, calcstep; "
          "print(sys.version.split()[0]); print(calcstep.__file__); "
          "print(' '.join(f'{p}={m.version(p)}' for p in ('typer', 'rich', 'lark')))")


def machine_info(settings: Settings) -> dict[str, Any]:
    """The date, machine, interpreters and versions a run measured."""
    probe = command_output([settings.calcstep_python, "-c", _PROBE]).splitlines()
    probe += ["?"] * (3 - len(probe))
    calcstep_file = probe[1]
    sympy_version = command_output(
        [settings.sympy_python, "-c", "import sympy; print(sympy.__version__)"])
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "mode": "quick" if settings.quick else "full",
        "machine": platform.platform(),
        "processor": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
        "driver_python": f"{sys.executable} ({platform.python_version()})",
        "calcstep_executable": str(settings.calcstep),
        "calcstep_version": command_output([str(settings.calcstep), "--version"]),
        "calcstep_python": f"{settings.calcstep_python} ({probe[0]})",
        "calcstep_package": calcstep_file,
        "calcstep_install": install_kind(calcstep_file),
        "calcstep_dependencies": probe[2],
        "sympy_python": settings.sympy_python,
        "sympy_version": sympy_version,
        "repository_commit": git_commit(),
        "dropped_from_child_environment": list(DROPPED_ENV),
        "peak_memory_method": "GNU time %M" if gnu_time() else "wait4 ru_maxrss (upper bound)",
    }


def install_kind(package_file: str) -> str:
    """'installed' for a package in site-packages, else 'editable/source tree'."""
    if "site-packages" in package_file or "dist-packages" in package_file:
        return "installed (non-editable)"
    return "editable/source tree (cold start may differ from an installed package)"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit() -> str:
    """The repository's HEAD and whether the work tree differs, read without taking locks."""
    head = command_output(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    changes = command_output(["git", "--no-optional-locks", "-C", str(REPO), "status",
                              "--porcelain", "--untracked-files=no"])
    if head.startswith("unavailable"):
        return head
    return head + (" (with uncommitted changes)" if changes and not changes.startswith("unavailable") else "")


@contextmanager
def alarm(seconds: float) -> Iterator[None]:
    """Raise `Overtime` in this (main) thread if the block runs longer than `seconds`."""

    def ring(signum: int, frame: object) -> None:
        raise Overtime

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Overtime(BaseException):
    """An in-process computation ran past its time limit (a BaseException, so that
    library code catching Exception cannot swallow it)."""
