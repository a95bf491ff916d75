"""Nothing breaks it: fuzzed input, resource limits, domains, batch integrity, safety."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from calcstep.engine import differentiate
from calcstep.errors import CalcstepError, DomainError, LimitError, ParseError
from calcstep.limits import Limits
from calcstep.parse import parse
from calcstep.printer import to_text

from conftest import calcstep_process, run_cli

PACKAGE = Path(__file__).resolve().parent.parent / "calcstep"

# The fuzz tests' size; a long run by hand: CALCSTEP_FUZZ_EXAMPLES=20000 pytest tests/test_robustness.py
FUZZ = int(os.environ.get("CALCSTEP_FUZZ_EXAMPLES", "400"))

TOKENS = [
    "x", "y", "t", "2", "3.5", ".5", "1e9", "0", "+", "-", "−", "*", "/", "^", "**", "(", ")",
    "[", "]", "|", "sin", "cos", "ln", "log", "log_2", "sqrt", "abs", "exp", "e", "pi", "π",
    "θ", "f", "g", "'", "²", "⁻¹", "√", "∛", "·", " ", "  ", ",", ".", "=", "sinh", "relu",
    "sigmoid", "x_1", "w2", "f'", "sin^-1", "sin^2", "arctan", "%", "\t", "\n", "é", "😀",
]

token_soup = st.lists(st.sampled_from(TOKENS), max_size=14).map("".join)


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_any_text_is_read_or_refused_with_a_calcstep_error(text: str) -> None:
    try:
        parse(text)
    except CalcstepError as error:
        assert error.message
        assert error.render()


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(token_soup)
def test_token_soup_never_raises_anything_else(text: str) -> None:
    try:
        report = differentiate(text, wrt="x")
    except CalcstepError as error:
        assert error.render()
        return
    assert parse(to_text(report.result)).expr == report.result


@settings(max_examples=FUZZ // 3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(token_soup, st.text(max_size=30)))
def test_the_command_line_never_prints_a_traceback(text: str) -> None:
    assume(text != "-")  # that one means: read expressions from stdin
    run = run_cli("diff", text, "--format", "json")
    assert run.code in (0, 2), run
    assert "Traceback" not in run.out + run.err
    if run.code == 0:
        assert json.loads(run.out)["error"] is None
    elif run.out:
        assert json.loads(run.out)["error"]["message"]
    run = run_cli("check", text, "0")
    assert run.code in (0, 1, 2)
    assert "Traceback" not in run.out + run.err


# -- resource limits ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("9^9^9^9", "0"),
        ("(10^100000)^100000", "0"),
        ("x*9^9^9", "9^387420489"),
        ("2^(2^(2^(2^(2^2))))*x", "2^(2^65536)"),
    ],
)
def test_constant_towers_stay_symbolic(text: str, answer: str) -> None:
    assert to_text(differentiate(text).result) == answer


def test_a_derivation_past_the_size_limit_stops_with_a_message() -> None:
    with pytest.raises(LimitError) as caught:
        differentiate("x^x", order=40, limits=Limits(max_size=5_000))
    assert "5,000" in caught.value.message
    assert "--max-size" in (caught.value.hint or "")


def test_deep_nesting_is_refused_early() -> None:
    for text in ("sin(" * 100_000 + "x" + ")" * 100_000, "-" * 100_000 + "x", "x^" * 100_000 + "x"):
        started = time.perf_counter()
        with pytest.raises(ParseError) as caught:
            parse(text, limits=Limits(max_length=len(text)))  # the depth guard, not the length's
        assert "deep" in caught.value.message
        assert time.perf_counter() - started < 5
    with pytest.raises(ParseError):  # a bare function name cannot take another as argument
        parse("sin " * 100_000 + "x")


def test_limits_are_adjustable() -> None:
    with pytest.raises(ParseError):
        parse("x" + "+x" * 20, limits=Limits(max_length=10))
    with pytest.raises(ParseError):
        parse("123456", limits=Limits(max_digits=3))
    assert parse("(" * 30 + "x" + ")" * 30, limits=Limits(max_depth=40)).expr is not None
    with pytest.raises(ParseError):
        parse("(" * 30 + "x" + ")" * 30, limits=Limits(max_depth=20))


def test_long_sums_and_products_are_linear_not_quadratic() -> None:
    terms = 20_000
    report = differentiate("+".join(f"{i}*x^{i % 5}" for i in range(1, terms + 1)))
    assert len(report.result.children()) == 4
    product = parse("*".join(["x"] * terms)).expr
    assert len(product.children()) == terms


def test_long_numbers_and_lines() -> None:
    with pytest.raises(ParseError) as caught:
        parse("9" * 100_000)
    assert "digits" in caught.value.message
    long_line = "x+" * 50_000 + "x"
    assert to_text(differentiate(long_line).result) == "50001"


def test_high_orders() -> None:
    assert to_text(differentiate("sin(x)", order=1000).result) == "sin(x)"
    report = differentiate("x^2*sin(x)*e^x", order=100)
    assert report.result.size < 200


# -- domains -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("0^0", "1"),  # x^0 = 1 for every x, 0 included, by convention
        ("(-8)^(1/3)", "-2"),  # an odd root of a negative number is real
        ("1e309", "1e309"),  # numbers are exact: no overflow to infinity
        ("sqrt(4)", "2"),
    ],
)
def test_constants_have_documented_readings(text: str, reading: str) -> None:
    from calcstep.simplify import simplify

    assert to_text(simplify(parse(text).expr)[0]) == reading
    assert to_text(differentiate(text).result) == "0"


@pytest.mark.parametrize("text", ["ln(0)", "x + ln(0)", "sqrt(-1)", "1/(2 - 2)", "asin(2)", "x*log_2(-4)"])
def test_undefined_constants_are_refused(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        differentiate(text)
    message = caught.value.message
    assert "undefined" in message or "not a real number" in message or "division by zero" in message


def test_division_by_a_literal_zero_is_a_located_error() -> None:
    with pytest.raises(ParseError) as caught:
        parse("x/0")
    assert caught.value.position == 2 and "division by zero" in caught.value.message  # at the 0


# -- batches -------------------------------------------------------------------------


def test_a_hostile_batch_keeps_every_line_in_order() -> None:
    lines = [
        "x^2",
        "(" * 30_000 + "x" + ")" * 30_000,
        "sni(x)",
        "9" * 20_000,
        "\x00\x01",
        "x" + "+x" * 5_000,
        "ln(0)",
        "é😀",
        "sin(x",
        "x^x",
    ]
    run = run_cli("diff", "-", "--format", "json", "--no-steps", stdin="\n".join(lines) + "\n")
    records = [json.loads(line) for line in run.out.splitlines()]
    assert [r["input"] for r in records] == lines
    assert [r["error"] is None for r in records] == [
        True, False, False, False, False, True, False, False, False, True
    ]
    assert run.code == 2
    assert "Traceback" not in run.err


def test_interrupt_stops_cleanly_with_status_130() -> None:
    process = calcstep_process("diff", "-", "--format", "json")
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("x^x\n" * 5 + "x^x^x^x^x\n" * 2000)
    process.stdin.flush()
    process.stdout.readline()  # it is running
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_closed_pipe_ends_quietly(tmp_path: Path, jobs: str) -> None:
    batch = tmp_path / "big.txt"
    batch.write_text("sin(x^2)*x^3\n" * 3000)
    shell = f"{sys.executable} -m calcstep diff - --format json --jobs {jobs} < {batch} | head -1; " + (
        'echo "status ${PIPESTATUS[0]}" >&2'
    )
    result = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=60)
    assert json.loads(result.stdout)["result"]
    # 141, as for a process stopped by SIGPIPE: not 1, which check uses for "wrong"
    assert result.stderr == "status 141\n"


def test_a_check_whose_reader_is_gone_does_not_say_wrong() -> None:
    shell = f'{sys.executable} -m calcstep check "x^2*sin(x)" "x^2*cos(x) + 2x*sin(x)" | true; ' + (
        'echo "status ${PIPESTATUS[0]}" >&2'
    )
    result = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=60)
    assert result.stderr.splitlines()[-1] in ("status 0", "status 141")  # written before, or not


def test_stdout_closed_from_the_start_is_said_in_a_line() -> None:
    shell = f'{sys.executable} -m calcstep diff "x^2" >&-'
    result = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "error: could not write the output: standard output is closed\n"


def test_results_are_flushed_as_they_come() -> None:
    process = calcstep_process("diff", "-", "--no-steps")
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("x^3\n")
    process.stdin.flush()
    assert process.stdout.readline() == "3x²\n"  # before the input ends
    process.stdin.close()
    process.wait(timeout=30)


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("chosen", ["plain", "json"])
def test_a_batch_from_a_file_keeps_answers_and_errors_in_order_on_one_stream(
    tmp_path: Path, chosen: str, jobs: str
) -> None:
    # read ahead from a file, the answers are held in the buffer between flushes;
    # an error on stderr must still come after the answers before it
    batch = tmp_path / "batch.txt"
    batch.write_text("x^2\nsin(\nx^3\n", encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    with batch.open(encoding="utf-8") as stdin:
        done = subprocess.run([sys.executable, "-m", "calcstep", "diff", "-", "--no-steps", "--format", chosen,
                               "--jobs", jobs],
                              stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=env, timeout=60)
    lines = done.stdout.splitlines()
    assert done.returncode == 2
    firsts = [line.split(":")[0] if not line.startswith("{") else json.loads(line).get("result", "error")
              for line in lines if not line.startswith((" ", "hint"))]
    expected = {"plain": ["2x", "error", "line 2", "3x²"], "json": ["2*x", "error", "line 2", "3*x^2"]}
    assert firsts == expected[chosen]


def test_held_output_is_flushed_a_tenth_of_a_second_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from calcstep import cli

    flushes: list[float] = []
    clock = [100.0]
    monkeypatch.setattr(cli.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(cli.sys, "stdout", type("Out", (), {"flush": lambda self: flushes.append(clock[0])})())
    held, at_once = cli._Flush(held=True), cli._Flush(held=False)
    for step in (0.0, 0.05, 0.09, 0.11, 0.15, 0.25):
        clock[0] = 100.0 + step
        held()
    assert flushes == [100.11, 100.25]
    flushes.clear()
    for _ in range(3):
        at_once()
    assert len(flushes) == 3


# -- safety ----------------------------------------------------------------------------


def _package_sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_eval_exec_pickle_or_sympify_in_the_package() -> None:
    forbidden_builtins = {"eval", "exec", "compile", "__import__"}
    forbidden_calls = {"sympify", "literal_eval"}
    forbidden_modules = {"pickle", "marshal", "shelve", "sympy", "dill"}
    for path in _package_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Name):
                    name = node.func.id
                    assert name not in forbidden_builtins | forbidden_calls, f"{path.name}:{node.lineno} calls {name}"
                elif isinstance(node.func, ast.Attribute):
                    name = node.func.attr
                    assert name not in forbidden_calls, f"{path.name}:{node.lineno} calls {name}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] not in forbidden_modules, f"{path.name} imports {alias.name}"
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in forbidden_modules, f"{path.name} imports {node.module}"


def test_nothing_is_written_to_disk(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    environment = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
                       PYTHONDONTWRITEBYTECODE="1")
    for args in (["diff", "sin(x^2)"], ["diff", "-", "--format", "json"], ["parse", "1/2x"],
                 ["rules"], ["check", "x^2", "2x"]):
        subprocess.run([sys.executable, "-m", "calcstep", *args], input="x^2\n", text=True,
                       capture_output=True, cwd=work, env=environment, timeout=60)
    assert list(home.iterdir()) == []
    assert list(work.iterdir()) == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["diff", "x^2"], ["diff", "-", "--jobs", "2"], ["check", "x^2", "2x"]])
def test_an_unwritable_output_is_one_line_and_status_2(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "calcstep", *args], input="x^2\nx^3\n",
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: could not")
    assert "No space left on device" in result.stderr


@pytest.mark.parametrize("height", [90, 100, 140])
def test_a_power_tower_whose_work_nests_deeper_than_it_is_answered(height: int) -> None:
    # the tower is shallow enough to start on the ordinary stack, its derivative
    # is not: the work runs again with room instead of being refused
    text = "x^" * height + "x"
    report = differentiate(text)
    assert report.result.has("x")


def test_no_thread_for_deep_work_is_a_limit_error(monkeypatch) -> None:
    import threading

    def refuse(self) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    with pytest.raises(LimitError) as caught:
        differentiate("sin(" * 400 + "x" + ")" * 400)
    assert "memory" in caught.value.message


def test_a_result_too_large_to_write_is_refused_before_writing() -> None:
    # a power tower's derivative is small as a graph but its parts' texts grow as
    # the cube of the height: refused by the writing budget (5 × --max-size)
    from calcstep.limits import DEFAULT_LIMITS

    limits = DEFAULT_LIMITS._replace(max_size=1_000_000)
    with pytest.raises(LimitError) as caught:
        differentiate("x^" * 300 + "x", limits=limits)
    assert "too large to write" in caught.value.message
    assert differentiate("x^" * 100 + "x", limits=limits).result.has("x")


def test_a_product_too_long_to_differentiate_is_refused_before_it_is_built(cli) -> None:
    # each of the product rule's n terms holds the other n − 1 factors: 10,000
    # factors would take gigabytes before the size check; refused at once
    text = "*".join(f"(x+{i})" for i in range(1, 10_001))
    run = cli("diff", text, "--no-steps", "--max-length", "1000000")
    assert run.code == 2
    assert "the derivative grows past 100,000,000 nodes" in run.err
    small = "*".join(f"(x+{i})" for i in range(1, 101))
    assert cli("diff", small, "--no-steps", "--max-size", "1000").code == 2
    assert cli("diff", small, "--no-steps").code == 0


@pytest.mark.parametrize("json_input", [False, True])
def test_bytes_that_are_not_utf8_are_named_and_the_json_stays_utf8(json_input: bool) -> None:
    # a batch line with bytes that are not UTF-8: said as such in its place, and
    # the JSON written is still UTF-8 throughout (the bytes escaped), one line each
    lines = [b'{"expr": "x^2"}', b'{"expr": "\xff\xfe x"}', b'{"expr": "sin x"}'] if json_input else [
        b"x^2", b"\xff\xfe x", b"sin x"]
    command = [sys.executable, "-m", "calcstep", "diff", "-", "-f", "json", "--no-steps"]
    command += ["--json-input"] if json_input else []
    done = subprocess.run(command, input=b"\n".join(lines) + b"\n", capture_output=True, timeout=60)
    assert done.returncode == 2
    records = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [r["error"] is None for r in records] == [True, False, True]
    assert records[1]["error"]["message"] == "invalid UTF-8 byte 0xFF"
    # and well-formed Unicode: the bytes are U+FFFD in the input echoed, never a lone surrogate
    assert "\ufffd\ufffd" in done.stdout.decode("utf-8").splitlines()[1]
    assert all(not 0xD800 <= ord(char) <= 0xDFFF for char in json.dumps(records, ensure_ascii=False))
    assert b"Traceback" not in done.stderr
