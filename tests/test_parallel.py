"""Batches on several processes (`diff --jobs N`): the same answers, in the same
order, byte for byte, as one process gives; prompt answers in a pipe; clean stops."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcstep import parallel

from conftest import calcstep_process, run_cli

CORPUS = Path(__file__).parent / "data" / "public_corpus.jsonl"

pytestmark = pytest.mark.skipif(not parallel.available(), reason="worker processes are forked")


def _mixed_batch() -> str:
    """Corpus expressions with unreadable and undefined lines among them."""
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()][:45]
    lines = []
    for index, row in enumerate(rows):
        lines.append(row["expr"])
        if index % 7 == 3:
            lines.append("sin(x")
        if index % 11 == 5:
            lines.append("ln(0)*x")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("fmt", ["plain", "json", "latex", "markdown"])
def test_several_processes_write_what_one_writes(fmt: str) -> None:
    batch = _mixed_batch()
    one = run_cli("diff", "-", "--format", fmt, stdin=batch)
    several = run_cli("diff", "-", "--format", fmt, "--jobs", "3", stdin=batch)
    assert one.code == several.code == 2
    assert several.out == one.out
    assert several.err == one.err


def test_lines_beyond_ascii_travel_to_the_workers_and_back_unchanged() -> None:
    # the pipes carry JSON: unicode input, output and errors (with their line
    # numbers, past blank lines and comments) arrive as one process writes them
    batch = "x²·sin(x)\n\n# a comment\n√(x) + π·x\nsin(x\n∛x·e^x\nx ÷ 2\nθ^2\n" * 5
    for fmt in ("plain", "json"):
        one = run_cli("diff", "-", "--format", fmt, stdin=batch)
        several = run_cli("diff", "-", "--format", fmt, "--jobs", "2", stdin=batch)
        assert several == one
        assert "line 5:" in several.err and "line 37:" in several.err


LINES = ["x^2", "sin(x)*e^x", "sin(x", "", "# a comment", "ln(0)*x", "1/(x-x)", "x^x", "f(g(x))",
         "   ", "sqrt(x^2+1)", "2x y", "relu(x)", "$", "tan(x)^2"]


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=40), st.sampled_from(["plain", "json"]))
def test_any_batch_is_answered_alike_by_one_process_and_several(lines: list[str], fmt: str) -> None:
    batch = "\n".join(lines) + "\n"
    one = run_cli("diff", "-", "--format", fmt, "--no-steps", stdin=batch)
    several = run_cli("diff", "-", "--format", fmt, "--no-steps", "--jobs", "2", stdin=batch)
    assert several == one


def test_json_jobs_keep_their_order_and_options() -> None:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()][:60]
    jobs = "".join(json.dumps({"expr": r["expr"], "wrt": r["wrt"], "order": r["order"]}) + "\n" for r in rows)
    one = run_cli("diff", "-", "--json-input", "--format", "json", stdin=jobs)
    several = run_cli("diff", "-", "--json-input", "--format", "json", "-j", "0", stdin=jobs)
    assert several == one
    records = [json.loads(line) for line in several.out.splitlines()]
    assert [(r["input"], r["variable"], r["order"]) for r in records] == [
        (r["expr"], r["wrt"], r["order"]) for r in rows
    ]


def test_one_expression_ignores_jobs() -> None:
    assert run_cli("diff", "x^3", "-f", "plain", "--no-steps", "-j", "4").out == "3x²\n"


def _calcstep(*args: str) -> subprocess.Popen:
    # its own session: an interrupt is sent to the group, as a terminal does
    return calcstep_process(*args, start_new_session=True)


def test_a_pipe_is_answered_line_by_line() -> None:
    process = _calcstep("diff", "-", "--no-steps", "-f", "plain", "--jobs", "2")
    assert process.stdin is not None and process.stdout is not None
    for expression, derivative in [("x^3", "3x²"), ("sin(x)", "cos(x)"), ("e^(2x)", "2e^(2x)")]:
        process.stdin.write(expression + "\n")
        process.stdin.flush()
        assert process.stdout.readline() == derivative + "\n"  # answered before more input
    process.stdin.close()
    assert process.wait(timeout=30) == 0


def _workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(word) for word in children.read_text().split()] if children.exists() else []


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_an_interrupt_stops_every_process_with_status_130() -> None:
    process = _calcstep("diff", "-", "--format", "json", "--jobs", "2")
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("x^x\n" * 5 + "x^x^x^x^x\n" * 400)
    process.stdin.flush()
    process.stdout.readline()  # it is running
    workers = _workers_of(process.pid)
    assert workers
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in err
    time.sleep(0.2)
    assert not any(Path(f"/proc/{worker}").exists() and "Z" not in _state(worker) for worker in workers)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
@pytest.mark.parametrize(("lines", "workers_expected"), [(400, True), (60, False)])
def test_a_long_file_is_answered_on_every_core_unasked(tmp_path: Path, lines: int, workers_expected: bool) -> None:
    batch = tmp_path / "batch.txt"
    batch.write_text("x^x\n" * 5 + "x^x^x^x^x\n" * (lines - 5))
    with batch.open() as stdin:
        process = subprocess.Popen([sys.executable, "-m", "calcstep", "diff", "-", "--format", "json"],
                                   stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                   start_new_session=True)
        assert process.stdout is not None
        process.stdout.readline()  # it is running
        workers = _workers_of(process.pid)
        os.killpg(process.pid, signal.SIGINT)  # the parent stops its workers
        process.communicate(timeout=30)
    expected = parallel.worker_count(0) > 1 and workers_expected
    assert bool(workers) == expected


def test_a_file_batch_is_answered_alike_with_and_without_jobs(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()][:120]
    batch = tmp_path / "jobs.jsonl"
    batch.write_text("".join(json.dumps({"expr": r["expr"], "wrt": r["wrt"], "order": r["order"]}) + "\n"
                             for r in rows))
    outputs = []
    for jobs in ([], ["--jobs", "1"]):
        with batch.open() as stdin:
            done = subprocess.run([sys.executable, "-m", "calcstep", "diff", "-", "--json-input", "-f", "json", *jobs],
                                  stdin=stdin, capture_output=True, text=True, timeout=120)
        outputs.append((done.returncode, done.stdout, done.stderr))
    assert outputs[0] == outputs[1]
    assert len(outputs[0][1].splitlines()) == 120


def test_workers_unasked_grow_with_the_batch_up_to_the_cores(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "worker_count", lambda requested: 4 if requested == 0 else requested)
    per = parallel.LINES_PER_WORKER
    assert parallel.auto_worker_count(None) == 1  # a pipe: its length is not known
    assert parallel.auto_worker_count(2 * per - 1) == 1
    assert parallel.auto_worker_count(2 * per) == 2
    assert parallel.auto_worker_count(3 * per + 1) == 3
    assert parallel.auto_worker_count(100 * per) == 4
    monkeypatch.setattr(parallel, "worker_count", lambda requested: 64 if requested == 0 else requested)
    assert parallel.auto_worker_count(1000 * per) == parallel.MAX_AUTO_WORKERS  # unasked, a few at most
    monkeypatch.setattr(parallel, "worker_count", lambda requested: 1 if requested == 0 else requested)
    assert parallel.auto_worker_count(100 * per) == 1  # one core: no workers


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (FileNotFoundError, IndexError):
        return "Z"


# -- the machinery -------------------------------------------------------------


def test_chunks_are_sent_when_the_input_pauses() -> None:
    def slow_lines():
        yield from ["a", "b"]
        time.sleep(0.2)  # a person typing
        yield "c"

    assert list(parallel.chunked(slow_lines(), size=16)) == [["a", "b"], ["c"]]
    assert list(parallel.chunked(map(str, range(40)), size=16)) == [
        list(map(str, range(0, 16))), list(map(str, range(16, 32))), list(map(str, range(32, 40)))
    ]


def test_an_error_reading_input_is_raised_after_what_was_read() -> None:
    def failing():
        yield "a"
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    chunks = parallel.chunked(failing(), size=16)
    assert next(chunks) == ["a"]
    with pytest.raises(UnicodeDecodeError):
        next(chunks)


def _uneven(chunk: list[int], first: bool) -> tuple[list[int], bool]:
    time.sleep(0.01 * (chunk[0] % 3))  # later chunks may finish first
    return [n * n for n in chunk], first


def test_answers_come_back_in_input_order() -> None:
    chunks = [[n, n + 1] for n in range(0, 40, 2)]
    results = list(parallel.ordered_results(_uneven, chunks, 3))
    assert [chunk for chunk, _ in results] == chunks
    assert [answer for _, (answer, _) in results] == [[n * n for n in chunk] for chunk in chunks]
    assert [first for _, (_, first) in results] == [True] + [False] * 19


def _dies_in_a_worker(chunk: list[int], first: bool) -> list[int]:
    if chunk[0] == 6 and os.getpid() != PARENT:
        os._exit(9)  # as if killed for memory
    return [n + 1 for n in chunk]


PARENT = os.getpid()


def test_a_dead_worker_loses_no_line() -> None:
    chunks = [[n] for n in range(12)]
    results = list(parallel.ordered_results(_dies_in_a_worker, chunks, 2))
    assert [answer for _, answer in results] == [[n + 1] for n in range(12)]


def test_worker_count() -> None:
    assert parallel.worker_count(3) == 3
    assert parallel.worker_count(0) >= 1


def test_no_fork_means_one_process(monkeypatch) -> None:
    def refuse() -> int:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(parallel.os, "fork", refuse)
    chunks = [[n] for n in range(5)]
    results = list(parallel.ordered_results(_uneven, chunks, 2))
    assert [answer for _, (answer, _) in results] == [[n * n] for n in range(5)]
    assert [first for _, (_, first) in results] == [True, False, False, False, False]


def test_errors_stay_beside_their_lines_when_both_streams_are_one(tmp_path: Path) -> None:
    # 2>&1: each line's error block follows its answer, as with one process
    batch = tmp_path / "mixed.txt"
    batch.write_text("x^2\nln(x\ntan(x)\nsni(x)\nx^3\n" * 6)
    outputs = []
    for jobs in ("1", "2"):
        with batch.open() as stdin:
            done = subprocess.run([sys.executable, "-m", "calcstep", "diff", "-", "--no-steps", "--jobs", jobs],
                                  stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
