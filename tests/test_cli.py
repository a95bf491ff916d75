"""The command line as a user meets it: output, formats, batches and exit statuses."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from calcstep.parse import parse

from conftest import assert_snapshot

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "calcstep" / "schemas" / "diff.schema.json").read_text()
)

README_EXAMPLES = ["sin(x^2)", "x^2*sin(x)", "(x+1)/(x-1)", "x^x", "f(g(h(x)))"]


@pytest.mark.parametrize("text", README_EXAMPLES)
def test_plain_derivation_snapshot(cli, text: str) -> None:
    run = cli("diff", text, "--format", "plain")
    assert run.code == 0, run.err
    name = "plain_" + "".join(ch if ch.isalnum() else "_" for ch in text) + ".txt"
    assert_snapshot(name, run.out)


def test_plain_output_without_a_terminal_is_the_default(cli) -> None:
    assert cli("diff", "sin(x^2)").out == cli("diff", "sin(x^2)", "-f", "plain").out


def test_plain_output_has_no_escape_codes(cli) -> None:
    run = cli("diff", "x^2*sin(x)", "--explain")
    assert "\x1b" not in run.out


def test_ascii_output_is_ascii(cli) -> None:
    run = cli("diff", "sin(x^2)*sqrt(x)", "--ascii")
    assert run.code == 0
    assert run.out.isascii()
    assert run.out.strip().endswith("= (4*x^2*cos(x^2) + sin(x^2))/(2*sqrt(x))")


def test_explain_says_why_each_rule_applies(cli) -> None:
    run = cli("diff", "sin(x^2)", "--explain")
    assert "why: sin(x²) is a composition" in run.out


def test_result_alone(cli) -> None:
    run = cli("diff", "sin(x^2)", "--no-steps")
    assert run.out == "2x·cos(x²)\n"
    assert cli("diff", "sin(x^2)", "--no-steps", "--ascii").out == "2*x*cos(x^2)\n"


def test_expressions_may_begin_with_a_minus_sign(cli) -> None:
    assert cli("diff", "-x^2", "--no-steps").out == "−2x\n"
    assert cli("diff", "-w^2", "--no-steps").out == "−2w\n"
    assert cli("diff", "-n^3", "-n", "2", "--no-steps").out == "−6n\n"
    assert cli("diff", "-w", "t", "-t^2", "--no-steps").out == "−2t\n"
    assert cli("diff", "--no-steps", "--", "-x^2").out == "−2x\n"


def test_an_expression_beginning_with_a_minus_sign_is_echoed_and_placed_as_typed(cli) -> None:
    # the space that keeps "-x" from being read as an option is not the user's:
    # it appears neither in the echoed input nor in an error's offset
    assert json.loads(cli("diff", "-f", "json", "-x^2").out)["input"] == "-x^2"
    error = json.loads(cli("diff", "-f", "json", "-x + ln(0)").out)["error"]
    assert error["position"]["offset"] == 5
    assert cli("diff", "-x + ln(0)").err.splitlines()[1:3] == ["  -x + ln(0)", "       ^^^^^"]
    record = json.loads(cli("check", "-x^2", "-2x", "-f", "json").out)
    assert (record["input"], record["answer_input"]) == ("-x^2", "-2x")


def test_order_and_variable(cli) -> None:
    run = cli("diff", "x^3*y^2", "--wrt", "y", "--order", "2", "--no-steps", "--ascii")
    assert run.out == "2*x^3\n"
    run = cli("diff", "x^4", "-n", "3", "-f", "plain")
    assert "order 2: d/dx [4x³]" in run.out
    assert run.out.strip().endswith("d³/dx³ x⁴ = 24x")


def test_value_at_a_point(cli) -> None:
    run = cli("diff", "sin(x^2)", "--at", "x=2", "--no-steps")
    assert run.out.splitlines()[1] == "at x = 2: 4·cos(4) ≈ −2.61457448345"
    run = cli("diff", "x*y", "--wrt", "x", "--at", "x=1,y=3", "--at", "x=2,y=pi", "--no-steps")
    assert run.out.splitlines()[1:] == ["at x = 1, y = 3: 3", "at x = 2, y = π: π ≈ 3.14159265359"]


def test_a_point_naming_a_variable_the_expression_lacks_says_so(cli) -> None:
    """A value for a name the expression does not have is not used: said beside the
    value, as a mistyped name (--at x=1,z=2 for x·y²… with y) would otherwise pass."""
    run = cli("diff", "x^2", "--at", "x=1,y=2", "--no-steps")
    assert run.out.splitlines()[1] == "at x = 1, y = 2: 2 (y is not in the expression)"
    record = json.loads(cli("diff", "5", "--at", "x=1,t=0", "--no-steps", "-f", "json").out)
    assert record["value"][0]["note"] == "x, t are not in the expression"
    assert "note" not in json.loads(cli("diff", "x*y", "--at", "x=1,y=2", "-f", "json").out)["value"][0]


def test_value_where_the_derivative_is_undefined(cli) -> None:
    for text, point, reason in (
        # at a corner the corner is the reason, not the formula's division by zero
        ("abs(x)", "x=0", "the derivative does not exist there: at x = 0 the function has a corner (slope −1 on the left, 1 on the right), from |x| at its corner there"),
        ("relu(x - 1)", "x=1", "the derivative does not exist there: at x = 1 the function has a corner (slope 0 on the left, 1 on the right), from relu(x − 1) at its corner there"),
        # the slopes are the function's, the part named is what makes them: sign's
        # jump gives x·sign(x) a corner
        ("x*sign(x)", "x=0", "at x = 0 the function has a corner (slope −1 on the left, 1 on the right), "
         "from sign(x) at its jump there"),
        ("sign(x) + x", "x=0", "at x = 0 the function jumps (−1 just left of it, 0 at it, 1 just right), "
         "from sign(x) at its jump there"),
        # where the formula divides by zero, the slopes beside the point tell the shape
        ("cbrt(x)", "x=0", "the derivative does not exist there: at x = 0 the function has a vertical "
         "tangent (its slope tends to +∞ on both sides)"),
        ("ln(x)", "x=-1", "the function is undefined there"),
        ("1/x", "x=0", "the function is undefined there"),
    ):
        run = cli("diff", text, "--at", point, "--no-steps")
        assert run.code == 0
        assert reason in run.out, (text, run.out)
        assert "nan" not in run.out and "inf" not in run.out


def test_json_matches_the_schema(cli) -> None:
    for text in [*README_EXAMPLES, "x^2 + y", "1/2x", "sin(x", "abs(x)"]:
        run = cli("diff", text, "--format", "json", "--at", "x=2,y=1")
        record = json.loads(run.out)
        jsonschema.validate(record, SCHEMA)


def test_json_result_reads_back(cli) -> None:
    record = json.loads(cli("diff", "x^2*e^(-x)/(1+x)", "-f", "json").out)
    assert parse(record["result"]).expr is not None
    assert record["variable"] == "x" and record["order"] == 1
    assert record["steps"]["rule"] == "quotient"
    assert record["steps"]["substeps"][0]["rule"] == "product"


def test_json_higher_orders_list_every_order(cli) -> None:
    record = json.loads(cli("diff", "sin(x)", "-n", "3", "-f", "json").out)
    jsonschema.validate(record, SCHEMA)
    assert [o["result"] for o in record["orders"]] == ["cos(x)", "-sin(x)", "-cos(x)"]


def test_batch_keeps_every_line_in_order(cli) -> None:
    lines = ["x^2", "# a comment", "", "sin(x", "e^x", "   ", "2x +", "ln(x)"]
    run = cli("diff", "-", "-f", "json", stdin="\n".join(lines) + "\n")
    assert run.code == 2
    records = [json.loads(line) for line in run.out.splitlines()]
    assert [r["input"] for r in records] == ["x^2", "sin(x", "e^x", "2x +", "ln(x)"]
    assert [r["error"] is None for r in records] == [True, False, True, False, True]
    for record in records:
        jsonschema.validate(record, SCHEMA)


def test_batch_plain_gives_one_line_per_expression(cli) -> None:
    run = cli("diff", "-", "--no-steps", stdin="x^2\nsin(x\nx^3\n")
    assert run.out.splitlines() == ["2x", "error: '(' is never closed", "3x²"]
    assert run.code == 2
    assert "never closed" in run.err


def test_bad_options_exit_2(cli) -> None:
    assert cli("diff", "x^2", "--wrt", "2x").code == 2
    assert cli("diff", "x^2", "--format", "yaml").code == 2
    assert cli("diff", "x^2", "--at", "x").code == 2
    assert cli("diff", "x*y", "--at", "x=1").code == 2
    assert cli("diff", "a*b").code == 2
    assert cli("diff", "x^2", "--wrt", "pi").code == 2


def test_no_steps_still_says_how_the_input_was_read(cli) -> None:
    # the output stays the result alone; the note that e^2x is e²·x goes to stderr
    run = cli("diff", "e^2x", "--no-steps", "--format", "plain")
    assert run.out.strip() == "e²"
    assert "note: 'e^2x' was read as e²·x, not e^(2x)" in run.err
    assert cli("diff", "x^2", "--no-steps", "--format", "plain").err == ""


def test_functions_cannot_make_a_known_function_abstract(cli) -> None:
    # sin made abstract would be differentiated as sin′(x), with exit 0
    run = cli("diff", "sin(x)", "--functions", "u,sin")
    assert run.code == 2 and "'sin', which is a function calcstep knows" in run.err
    assert cli("grad", "e*x", "--at", "x=1", "--functions", "e").code == 2
    assert cli("diff", "u(x)", "--functions", "u", "--no-steps").out.strip() == "u′(x)"


def test_parse_shows_the_reading(cli) -> None:
    run = cli("parse", "1/2x")
    assert run.out.splitlines() == [
        "read as:    x/2",
        "canonical:  1/2*x",
        "note: '1/2x' was read as (1/2)·x",
    ]
    tree = cli("parse", "sin(x^2)", "--tree").out
    assert "└─ power" in tree and "function sin" in tree
    record = json.loads(cli("parse", "sin^-1(x)", "-f", "json").out)
    assert record["expression"] == "asin(x)"
    assert "inverse" in record["notes"][0]


def test_rules_lists_every_rule(cli) -> None:
    from calcstep.rules import RULES

    run = cli("rules")
    assert run.code == 0
    for rule_id in RULES:
        assert rule_id in run.out
    assert cli("rules", "no-such-rule").code == 2


def test_version(cli) -> None:
    from calcstep import __version__

    assert cli("--version").out.strip() == f"calcstep {__version__}"


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_json_pipes_through_jq() -> None:
    from conftest import run_cli

    out = run_cli("diff", "-", "-f", "json", stdin="sin(x^2)\nx^3\n").out
    result = subprocess.run(["jq", "-r", ".result"], input=out, capture_output=True, text=True)
    assert result.stdout.splitlines() == ["2*x*cos(x^2)", "3*x^2"]


def test_help_gives_each_limit_its_default(cli) -> None:
    # a bracketed "[default: …]" would be eaten as Rich markup in the help panel
    out = " ".join(cli("diff", "--help").out.replace("│", " ").split())
    for phrase in ("(default 500,000)", "(default 20,000)", "(default 100,000,000)", "(default 10,000)"):
        assert phrase in out


@pytest.mark.parametrize(
    "text", [" + ".join(f"x^{k}/{k}" for k in range(1, 700)), "sin(sin(sin(x^2)))*ln(x)", "x^x"]
)
def test_json_is_written_as_json_dumps_lays_it_out(cli, text: str) -> None:
    # the writer spells JSON itself, piece by piece: the line must read as the
    # standard library writes the same values, so scripts diffing it see no change
    from calcstep.engine import differentiate
    from calcstep.render import RenderOptions
    from calcstep.render.json import report_json

    for options in (RenderOptions(), RenderOptions(explain=True), RenderOptions(steps=False)):
        line = "".join(report_json(differentiate(text, order=2), options))
        assert line == json.dumps(json.loads(line), ensure_ascii=False)
    run = cli("diff", text, "--format", "json", "--max-length", "100000")
    assert run.out == "".join(report_json(differentiate(text))) + "\n"


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_progress_bar_leaves_the_answers_on_stdout(tmp_path: Path, jobs: str) -> None:
    # stderr on a terminal, stdout to a file: the bar is drawn, and every answer
    # still goes to the file (Rich's bar would take stdout over by default)
    batch = tmp_path / "batch.txt"
    batch.write_text("".join(f"x^{k}*sin(x)\n" for k in range(1, 41)) + "sin(x\n")
    command = [sys.executable, "-m", "calcstep", "diff", "-", "-f", "json", "--jobs", jobs]
    with batch.open() as stdin:
        plain = subprocess.run(command, stdin=stdin, capture_output=True, timeout=60)
    master, terminal = os.openpty()
    drawn = bytearray()
    reading = threading.Thread(target=_drain, args=(master, drawn), daemon=True)
    reading.start()
    try:
        with batch.open() as stdin:
            shown = subprocess.run(command, stdin=stdin, stdout=subprocess.PIPE, stderr=terminal, timeout=60)
    finally:
        os.close(terminal)
    reading.join(5)
    os.close(master)
    assert shown.returncode == plain.returncode == 2
    assert shown.stdout == plain.stdout
    assert len(shown.stdout.splitlines()) == 41
    assert b"differentiating" in drawn
    assert b"never closed" in drawn


def _drain(descriptor: int, into: bytearray) -> None:
    """Read a pseudo-terminal until it closes (a full one would block the writer)."""
    while True:
        try:
            chunk = os.read(descriptor, 65536)
        except OSError:
            return
        if not chunk:
            return
        into.extend(chunk)


@pytest.mark.parametrize(
    ("text", "point", "shown"),
    [
        ("tan(x)", "x=pi/2", "undefined (the function is undefined there: tan is undefined"),
        ("cot(x)", "x=pi", "undefined (the function is undefined there: cot is undefined"),
        ("1/(x^2-2)", "x=sqrt(2)", "undefined (the function is undefined there: division by zero)"),
        # a logarithm to a base that is no base: the function's fault, not its derivative's
        ("log_x(3)", "x=-2", "undefined (the function is undefined there: a logarithm to base −2 is undefined"),
        ("log_x(3)", "x=1", "undefined (the function is undefined there: a logarithm to base 1 is undefined"),
        ("sqrt(sin(x))", "x=pi", "undefined (the derivative does not exist there: at x = π, an end of the "
         "function's domain, the tangent is vertical (its slope tends to −∞ from the left))"),
        ("x^2", "x=sin(pi)", "at x = sin(π): 0"),
        ("1/cos(x)", "x=pi", "at x = π: 0"),
        ("ln(x)", "x=1e-400", "at x = 1e-400: 1e400 (beyond floating point: no decimal)"),
        ("x^2", "x=1e400", "at x = 1e400: 2e400 (beyond floating point: no decimal)"),
        # the cosine of 10¹⁰⁰ worked out in decimal: a float of the argument has no digit of it
        ("sin(x)", "x=10^100", "≈ −0.928081905075"),
    ],
)
def test_values_at_a_point_are_decided_exactly(cli, text: str, point: str, shown: str) -> None:
    # poles are undefined (not 1e32 from rounding); an exact 0 is 0 (not 1e-16);
    # values past floating point are exact, with no decimal made up
    run = cli("diff", text, "--at", point, "--no-steps", "--format", "plain")
    assert run.code == 0, run.err
    value_line = run.out.splitlines()[1]
    assert shown in value_line, value_line
    assert "e+3" not in value_line and "e-16" not in value_line


def test_a_value_beyond_floating_point_has_a_null_decimal_in_json(cli) -> None:
    record = json.loads(cli("diff", "x^2", "--at", "x=1e400", "--no-steps", "-f", "json").out)
    assert record["value"] == [{"at": {"x": "1e400"}, "exact": "2e400", "decimal": None, "undefined": None}]


def test_a_byte_order_mark_before_a_batch_is_dropped(cli) -> None:
    run = cli("diff", "-", "--no-steps", "-f", "plain", stdin="\ufeffx^2\nx^3\n")
    assert run.code == 0
    assert run.out == "2x\n3x²\n"


def test_the_order_limit_is_said_without_a_missing_option(cli) -> None:
    run = cli("diff", "x^2", "--order", "10001")
    assert run.code == 2
    assert "above the limit of 10,000" in run.err
    assert "--max-order" not in run.err


@pytest.mark.parametrize(("args", "fmt"), [(["check", "x^2", "2x"], "latex"), (["grad", "x^2"], "markdown"),
                                           (["parse", "x"], "latex"), (["rules"], "latex")])
def test_a_format_a_command_does_not_write_is_refused(cli, args: list[str], fmt: str) -> None:
    # refused as --help says: only the formats the command writes are offered
    run = cli(*args, "--format", fmt)
    assert run.code == 2
    assert run.out == ""
    offered = "'rich', 'plain', 'json', 'markdown'" if args[0] == "rules" else "'rich', 'plain', 'json'"
    assert f"'{fmt}' is not one of {offered}" in " ".join(run.err.split())
    assert "latex" not in cli(args[0], "--help").out


def test_every_format_a_command_offers_is_one_it_writes(cli) -> None:
    for command, formats in (("parse", "<rich|plain|json>"), ("check", "<rich|plain|json>"),
                             ("grad", "<rich|plain|json>"), ("rules", "<rich|plain|json|markdown>")):
        assert formats in cli(command, "--help").out, command


def test_a_name_given_twice_in_one_point_is_refused(cli) -> None:
    run = cli("diff", "x^2", "--at", "x=1,x=2")
    assert run.code == 2
    assert "--at gives x twice in one point" in run.err


SIDES = "the formula is no guide here; the function's forms on the two sides of the point agree, so this is the derivative"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # |x|·sin(x) is −x·sin(x) on the left of 0 and x·sin(x) on the right: both have slope 0
        ("abs(x)*sin(x)", f"at x = 0: 0 ({SIDES})"),
        ("abs(x^3)", "at x = 0: 0"),  # 3x·|x|: |x³| is |x|³, which meets the x⁵ beside it
        ("relu(x)^2", f"at x = 0: 0 ({SIDES})"),
        ("relu(x)", "at x = 0: undefined (the derivative does not exist there: at x = 0 the function has a corner"),
        ("abs(x)", "at x = 0: undefined (the derivative does not exist there: at x = 0 the function has a corner"),
        ("sqrt(x)", "at x = 0: undefined (the derivative does not exist there: at x = 0, an end"),  # one side only
        # no corner: the formula 2sin(x)/(3∛x) + ∛x²·cos(x) is 0/0 at 0, its limit from both sides 0
        ("sin(x)*cbrt(x)^2", "at x = 0: ≈ 0 (the formula has no value here; its limit from both sides is the derivative)"),
    ],
)
def test_a_formula_without_a_value_gives_way_to_its_limit_from_both_sides(cli, text: str, shown: str) -> None:
    run = cli("diff", text, "--at", "x=0", "--no-steps", "-f", "plain")
    assert run.out.splitlines()[1].startswith(shown), run.out


def test_a_value_found_from_both_sides_says_so_in_json(cli) -> None:
    record = json.loads(cli("diff", "abs(x)*sin(x)", "--at", "x=0", "--no-steps", "-f", "json").out)
    jsonschema.validate(record, SCHEMA)
    assert record["value"][0]["exact"] == "0" and record["value"][0]["decimal"] == 0
    assert "forms on the two sides" in record["value"][0]["note"]


HELD = "(the formula has no value here; this is the derivative with the other variables held at their values)"


@pytest.mark.parametrize(
    ("text", "wrt", "order", "point"),
    [
        ("abs(x*y)", "x", 1, "x=1,y=0"),  # |x·0| is 0 for every x
        ("abs(x*y)", "x", 1, "x=0,y=0"),
        ("x*abs(x*y)", "x", 2, "x=1,y=0"),  # 2xy²/|xy| (∂²/∂x² |xy| is written 0)
        ("relu(w*x)", "w", 1, "w=1,x=0"),  # a ReLU unit with input 0: its weight's rate is 0
        ("sqrt(x^2*y^2)", "x", 1, "x=2,y=0"),
        ("x*abs(x*y) + y*x^2", "x", 1, "x=1,y=0"),
    ],
)
def test_a_partial_without_a_formula_value_is_taken_with_the_other_variables_held(
    cli, text: str, wrt: str, order: int, point: str
) -> None:
    # by definition, ∂ⁿf/∂xⁿ at (x0, y0) is the n-th derivative of x ↦ f(x, y0) at
    # x0: checked against central differences of that function
    import math

    from calcstep.evaluate import evaluate
    from calcstep.parse import parse_expr

    run = cli("diff", text, "--wrt", wrt, "--order", str(order), "--at", point, "--no-steps", "-f", "json")
    value = json.loads(run.out)["value"][0]
    assert value["undefined"] is None and value["note"] == HELD[1:-1], value
    values = {name: float(v) for name, v in (pair.split("=") for pair in point.split(","))}
    function = parse_expr(text)

    def along(offset: float) -> float:
        return evaluate(function, {**values, wrt: values[wrt] + offset})

    h = 1e-3
    estimate = (along(h) - along(-h)) / (2 * h) if order == 1 else (along(h) - 2 * along(0) + along(-h)) / h**2
    assert math.isclose(value["decimal"], estimate, abs_tol=1e-6)
    shown = cli("diff", text, "--wrt", wrt, "--order", str(order), "--at", point, "--no-steps", "-f", "plain")
    assert shown.out.splitlines()[1].endswith(HELD), shown.out


CONSTANT = "(the formula has no value here; the function is constant on both sides, so this is 0)"


@pytest.mark.parametrize(("text", "point"), [("relu(-3*relu(-3*x))", "x=0.5"), ("relu(relu(-x))", "x=1")])
def test_a_dead_unit_has_rate_0_where_its_formula_has_no_value(cli, text: str, point: str) -> None:
    # relu(−3·relu(−3x)) is 0 for every x near ½: its rate there is 0, though the
    # formula's heaviside(0) has no value
    run = cli("diff", text, "--at", point, "--no-steps", "-f", "plain")
    assert run.out.splitlines()[1].endswith(f": 0 {CONSTANT}"), run.out


@pytest.mark.parametrize(
    ("text", "wrt", "point"),
    [
        ("relu(w*x)", "x", "w=1,x=0"),  # relu(x) itself: a corner along x
        ("abs(x*y)", "x", "x=0,y=1"),  # |x|: a corner
        ("x*y/abs(y)", "x", "x=1,y=0"),  # the function has no value at y = 0
    ],
)
def test_holding_the_other_variables_finds_no_value_where_there_is_none(
    cli, text: str, wrt: str, point: str
) -> None:
    run = cli("diff", text, "--wrt", wrt, "--at", point, "--no-steps", "-f", "json")
    assert json.loads(run.out)["value"][0]["undefined"] is not None


@pytest.mark.parametrize(
    ("text", "point", "shown"),
    [
        ("sign(x)", "x=0", "at x = 0: undefined (the derivative does not exist there: at x = 0 the function jumps "
                           "(−1 just left of it, 0 at it, 1 just right), from sign(x) at its jump there)"),
        ("sign(x)+x", "x=0", "at x = 0: undefined (the derivative does not exist there"),
        ("x*sign(x)", "x=0", "at x = 0: undefined (the derivative does not exist there"),  # |x|
        # x|x|: its formula 2|x| is 0 there, and the limits from both sides agree
        ("x^2*sign(x)", "x=0", "at x = 0: 0"),
        ("x*abs(x)", "x=0", "at x = 0: 0"),
        ("abs(x)^3", "x=0", "at x = 0: 0"),
        ("sign(x)", "x=1", "at x = 1: 0"),
        # a point typed as a decimal is the same point: 0.0 is at the corner too
        # (it once gave −1 for |x| at 0.0, as 0.0 was not taken for 0)
        ("abs(x)", "x=0.0", "at x = 0: undefined (the derivative does not exist there"),
        ("abs(x-1/2)", "x=0.5", "at x = 0.5: undefined (the derivative does not exist there"),
        ("relu(x-0.5)", "x=0.5", "at x = 0.5: undefined (the derivative does not exist there"),
        ("x*abs(x)", "x=0.0", "at x = 0: 0"),
        ("ln(x)", "x=0.0", "at x = 0: undefined (the function is undefined there"),
    ],
)
def test_at_a_jump_the_formula_is_no_guide(cli, text: str, point: str, shown: str) -> None:
    # sign′ = 0 has a value at the jump, where the derivative does not exist
    run = cli("diff", text, "--at", point, "--no-steps", "-f", "plain")
    assert run.out.splitlines()[1].startswith(shown), run.out


@pytest.mark.parametrize(
    ("text", "point", "exact"),
    [
        # the formula's own exact value stands where both sides agree with it (an
        # average beside the point once gave 0.02 for 2·10⁶·|x| at 0)
        ("10^6*x*abs(x)", "x=0", "0"), ("relu(100*x)^2", "x=0", "0"), ("100*abs(x)^3", "x=0", "0"),
        # |u| with u ≥ 0 or u ≤ 0 on both sides is ±u there: no corner
        ("abs(x^2-2*x+1)", "x=1", "0"), ("abs(cos(x)-1)", "x=0", "0"), ("relu(cos(x)-1)", "x=0", "0"),
        ("x+relu(relu(x-1))", "x=0", "1"), ("abs(x)^(4/3)", "x=0", "0"), ("sqrt(abs(x))*x", "x=0", "0"),
        # jumps, however small or far out, and arccot's jump at 0
        ("10^7+sign(x)", "x=0", None), ("x+sign(x)/10^7", "x=0", None), ("x^3+sign(x-1000)", "x=1000", None),
        ("sign(x)^2", "x=0", None), ("acot(x)", "x=0", None), ("x*acot(x)", "x=0", None),
        # corners the samples beside the point once missed (they fell on other zeros)
        ("abs(sin(pi*x))", "x=10^8", None), ("sign(sin(10^8*pi*x))", "x=0", None),
    ],
)
def test_at_a_corner_the_two_sides_decide(cli, text: str, point: str, exact: str | None) -> None:
    value = json.loads(cli("diff", text, "--at", point, "--no-steps", "-f", "json").out)["value"][0]
    assert value["exact"] == exact, value
    assert (value["undefined"] is None) == (exact is not None), value


@pytest.mark.parametrize(
    ("text", "point", "order", "exact"),
    [
        # relu(x) is 0 all around −1, so x + √relu(x) is x there, though the formula
        # 1 + heaviside(x)/(2√relu(x)) is 0/0 (found by QA)
        ("x+sqrt(relu(x))", "x=-1", 1, "1"), ("x+sqrt(relu(x))", "x=-1", 2, "0"),
        # exact zeros the simplifier now knows: arcosh(1) = 0, 0^π = 0 (the function
        # divides by them, so the derivative has no value, rather than an unsimplified one)
        ("x/acosh(y)", "x=1,y=1", 1, None), ("x/(softplus(y)-ln(2))", "x=1,y=0", 1, None),
        ("x/y^pi", "x=1,y=0", 1, None), ("x*y^pi", "x=1,y=0", 1, "0"),
    ],
)
def test_a_value_the_formula_cannot_give_is_found_or_refused(cli, text: str, point: str, order: int,
                                                            exact: str | None) -> None:
    value = json.loads(cli("diff", text, "--wrt", "x", "--at", point, "-n", str(order), "--no-steps",
                           "-f", "json").out)["value"][0]
    assert value["exact"] == exact and (value["undefined"] is None) == (exact is not None), value


@pytest.mark.parametrize(("text", "order"), [("sin(x)*abs(x)^0.5", 1), ("cbrt(x)*sin(x)", 1), ("sin(x)*cbrt(x)^2", 1)])
def test_a_slowly_settling_limit_is_found(cli, text: str, order: int) -> None:
    # (5/3)·h^(2/3) beside 0 is still 8·10⁻⁶ at the last step: the steady shrinking
    # that is left is added up, and the limit is 0, not 8e-06 or "does not exist"
    value = json.loads(cli("diff", text, "--at", "x=0", "-n", str(order), "--no-steps", "-f", "json").out)["value"][0]
    assert value["decimal"] == 0 and value["undefined"] is None, value


@pytest.mark.parametrize("value", ["ln(0)", "sqrt(-1)", "asin(2)"])
def test_a_point_with_no_value_is_refused(cli, value: str) -> None:
    run = cli("diff", "x^2", "--at", f"x={value}")
    assert run.code == 2
    assert run.err.startswith(f"error: the value of x ('{value}') is not a number")


def test_a_value_too_small_for_a_float_has_no_false_zero(cli) -> None:
    record = json.loads(cli("diff", "x^3", "--at", "x=1e-200", "--no-steps", "-f", "json").out)
    assert record["value"][0]["exact"] == "3e-400"
    assert record["value"][0]["decimal"] is None


@pytest.mark.parametrize(
    ("text", "order", "exists"),
    [("abs(x)*sin(x)^2", "2", True), ("relu(x)^3", "2", True), ("x*abs(x)", "2", False),
     ("abs(x)*sin(x)^2", "3", False)],
)
def test_a_higher_derivative_at_a_filled_gap(cli, text: str, order: str, exists: bool) -> None:
    # (|x|·sin²x)″ is 0 at 0, though its formula (2x·cos x·sin x/|x| + …) has no
    # value there; x·|x|″ = 2·sign(x) jumps, and does not exist
    line = cli("diff", text, "-n", order, "--at", "x=0", "--no-steps", "-f", "plain").out.splitlines()[1]
    assert line.startswith("at x = 0: 0 (") if exists else "undefined" in line, line


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_stdout_without_unicode_gets_ascii_not_a_traceback(encoding: str) -> None:
    # a cp1252 console or file, or PYTHONIOENCODING=ascii: the text formats use
    # the ASCII spelling, and JSON escapes what the encoding lacks (valid JSON)
    env = dict(os.environ, PYTHONIOENCODING=encoding)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "calcstep", *args], capture_output=True, env=env, timeout=60)

    for args in (["check", "cos(x)", "-sin(x)"], ["diff", "sin(theta^2)", "--wrt", "theta"], ["parse", "x^2"],
                 ["grad", "sigmoid(w*x)", "--at", "w=1,x=2"], ["rules", "chain"]):
        done = run(*args)
        assert done.returncode == 0, done.stderr
        assert b"Traceback" not in done.stderr
        if encoding == "ascii":
            assert done.stdout.isascii(), args
    record = json.loads(run("diff", "sin(theta^2)", "--wrt", "theta", "-f", "json").stdout.decode(encoding))
    assert record["result_pretty"] == "2θ·cos(θ²)"


def test_ascii_asked_makes_json_ascii_too() -> None:
    # --ascii on a terminal that takes Unicode: the JSON line is ASCII as well, what
    # it keeps in Unicode (result_pretty) escaped, so it reads back the same (found by QA)
    done = subprocess.run([sys.executable, "-m", "calcstep", "diff", "sin(theta^2)", "--wrt", "theta", "--ascii",
                           "-f", "json", "--no-steps"], capture_output=True, timeout=60,
                          env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert done.returncode == 0 and done.stdout.isascii()
    assert json.loads(done.stdout)["result_pretty"] == "2θ·cos(θ²)"


def test_a_misspelt_rule_name_gets_the_closest_one(cli) -> None:
    run = cli("rules", "chian")
    assert run.code == 2
    assert "hint: did you mean chain?" in run.err


def test_an_abstract_function_is_not_a_variable_to_differentiate_by(cli) -> None:
    run = cli("diff", "f(x)", "--wrt", "f")
    assert run.code == 2
    assert "'f' is a function in this expression, not a variable" in run.err
    assert cli("diff", "f^2 + 3f", "--wrt", "f", "--no-steps", "-f", "plain").out.splitlines()[-1].endswith("2f + 3")


def test_ascii_lessons_write_roots_with_brackets(cli) -> None:
    out = cli("rules", "power", "--ascii").out
    assert "sqrt(x) = x^(1/2) has rate 1/(2sqrt(x))" in " ".join(out.split())


@pytest.mark.parametrize(
    ("text", "point", "reference"),
    [
        ("tan(x)", "x=pi/2-10^-20", lambda m: 1 / m.cos(m.pi / 2 - m.mpf(10) ** -20) ** 2),
        ("ln(cos(x))", "x=pi/2-10^-20", lambda m: -m.tan(m.pi / 2 - m.mpf(10) ** -20)),
        ("sec(x)", "x=2pi-10^-18", lambda m: m.sec(2 * m.pi - m.mpf(10) ** -18) * m.tan(2 * m.pi - m.mpf(10) ** -18)),
        ("1/(x-1)", "x=1+10^-20", lambda m: -(m.mpf(10) ** 40)),
        ("ln(x-1)", "x=1+10^-20", lambda m: m.mpf(10) ** 20),
        ("x*ln(x)", "x=10^-400", lambda m: m.log(m.mpf(10) ** -400) + 1),
        ("ln(1-sigmoid(x))", "x=37", lambda m: -1 / (1 + m.exp(-37))),
    ],
)
def test_values_near_a_pole_or_the_edge_of_floats_are_right(cli, text: str, point: str, reference) -> None:
    # rounding the point (π/2 − 10^-20 is π/2 in floating point) must neither call
    # the value undefined nor give a wrong number: checked against 50 digits
    import mpmath

    mpmath.mp.dps = 50
    record = json.loads(cli("diff", text, "--at", point, "--no-steps", "-f", "json").out)["value"][0]
    assert record["undefined"] is None, record
    assert record["decimal"] == pytest.approx(float(reference(mpmath)), rel=1e-9)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_batch_record_names_its_line_of_input(jobs: str) -> None:
    # blank lines and comments are not answered, so the count of records is not
    # the line: every record names it (an error on stderr too), so a script can
    # match records to lines
    command = [sys.executable, "-m", "calcstep", "diff", "-", "-f", "json", "--no-steps", "-j", jobs]
    done = subprocess.run(command, input="x^2\n\n# a comment\nln(x\nx^3\n", capture_output=True, text=True,
                          timeout=60)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r.get("line") for r in records] == [1, 4, 5]
    assert [list(r)[:2] for r in records] == [["input", "line"]] * 3
    assert done.stderr.startswith("line 4: error: '(' is never closed")
    for record in records:
        jsonschema.validate(record, SCHEMA)


def test_a_single_expression_has_no_line(cli) -> None:
    assert "line" not in json.loads(cli("diff", "x^2", "-f", "json").out)


def test_an_unknown_rule_in_json_is_an_error_record(cli) -> None:
    run = cli("rules", "nosuch", "-f", "json")
    assert run.code == 2
    assert json.loads(run.out)["error"]["message"] == "no rule called 'nosuch'"


@pytest.mark.parametrize(
    "text",
    ["x^(1/3)/10000", "x^(1/3) + 10^4", "relu(x)*10^-9", "abs(x)/10^7", "abs(x) + 10^20", "relu(x) + 10^20"],
)
def test_a_corner_or_a_vertical_tangent_of_any_size_stays_undefined(cli, text: str) -> None:
    # the limit from both sides must settle and agree relative to the values' own
    # size (a corner of 10⁻⁹ is a corner), and constancy is judged exactly (in
    # floating point 10^20 + |x| does not move)
    record = json.loads(cli("diff", text, "--at", "x=0", "--no-steps", "-f", "json").out)["value"][0]
    assert record["undefined"] is not None, record


def test_a_trig_value_past_2_to_the_53_is_worked_out_in_decimal(cli) -> None:
    # a float cannot hold 2^53 + 1: its sine would be noise; the exact value is
    # worked out in decimal arithmetic, π to as many digits as it needs
    for point, exact in (("x=2^53+1", "5.43888440125644892647"), ("x=pi/2+2^53+1", "1.22528182975815835322")):
        record = json.loads(cli("diff", "tan(x)", "--at", point, "--no-steps", "-f", "json").out)["value"][0]
        assert record["exact"] is not None and math.isclose(record["decimal"], float(exact), rel_tol=1e-14)


@pytest.mark.parametrize(
    ("args", "hint"),
    [(["x^2"], "hint: to differentiate it, write calcstep diff 'x^2'"),
     (["x^2", "+", "1"], "hint: to differentiate it, write calcstep diff 'x^2 + 1'"),
     (["sinx", "--wrt", "x"], "hint: to differentiate it, write calcstep diff 'sinx'"),
     (["sin", "x"], "hint: to differentiate it, write calcstep diff 'sin x'"),
     (["f'(x)"], "hint: to differentiate it, write calcstep diff \"f'(x)\"")],
)
def test_an_expression_given_without_a_command_is_told_the_command(cli, args: list[str], hint: str) -> None:
    run = cli(*args)
    assert run.code == 2
    assert f"No such command {args[0]!r}" in run.err
    assert run.err.splitlines()[-1] == hint


@pytest.mark.parametrize("word", ["dif", "hello", "help"])
def test_a_command_misspelt_is_not_taken_for_an_expression(cli, word: str) -> None:
    # dif is a near-miss of diff (Typer suggests it); hello is no expression but h·e·l·l·o
    run = cli(word, "x")
    assert run.code == 2
    assert "hint: to differentiate" not in run.err


@pytest.mark.parametrize(
    ("args", "hint"),
    [(["diff", "x^2", "+", "1"], "hint: put the whole expression in quotes: calcstep diff 'x^2 + 1'"),
     (["diff", "x^2", "+", "1", "--wrt", "x"], "hint: put the whole expression in quotes: calcstep diff 'x^2 + 1'"),
     (["parse", "sin", "x"], "hint: put the whole expression in quotes: calcstep parse 'sin x'"),
     (["grad", "w", "*", "x"], "hint: put the whole expression in quotes: calcstep grad 'w * x'"),
     (["check", "x^2", "2x", "+", "C"], "hint: put each expression in quotes: calcstep check 'x^2 + 1' '2x'")],
)
def test_an_expression_split_by_the_shell_is_told_to_be_quoted(cli, args: list[str], hint: str) -> None:
    run = cli(*args)
    assert run.code == 2
    assert "Got unexpected extra argument(s)" in run.err
    assert run.err.splitlines()[-1] == hint


def test_a_star_the_shell_expanded_to_file_names_is_put_back(cli, tmp_path, monkeypatch) -> None:
    # unquoted, calcstep diff 2 * x reaches calcstep as 2, the directory's files, x
    for name in ("notes.txt", "a.py", "B.md"):
        (tmp_path / name).write_text("")
    (tmp_path / ".hidden").write_text("")
    monkeypatch.chdir(tmp_path)
    run = cli("diff", "2", "a.py", "notes.txt", "B.md", "x")
    assert run.code == 2
    assert run.err.splitlines()[-1] == "hint: put the whole expression in quotes: calcstep diff '2 * x'"


def test_other_usage_errors_get_no_quoting_hint(cli) -> None:
    assert "hint:" not in cli("rules", "chain", "rule").err
    assert "hint:" not in cli("diff", "x", "--order", "zero").err


def test_a_thousands_separator_in_at_is_named(cli) -> None:
    run = cli("diff", "x^2", "--at", "x=1,000")
    assert run.code == 2
    assert run.err.splitlines() == ["error: --at takes name=value pairs, not '000'",
                                    "hint: write numbers without thousands separators: 1000"]


def test_an_error_in_a_part_whose_reading_was_noted_gives_the_note_as_its_hint(cli) -> None:
    # √-2x is √(−2)·x, and √(−2) has no value: "a part with no value has no
    # derivative" would not say that √(−2x) wants brackets
    run = cli("diff", "3 + √-2x")
    assert run.code == 2
    assert run.err.splitlines() == [
        "error: (-2)^(1/2) is not a real number", "  3 + √-2x", "      ^^^",
        "hint: '√-2x' was read as √(−2)·x, not √(−2x); for that, write the root's argument in parentheses"]
    assert cli("diff", "x/(2-2)").err.endswith("hint: a part with no value has no derivative\n")


@pytest.mark.parametrize("option", [("--at", "x="), ("--at", "x"), ("--order", "abc")])
def test_an_option_that_cannot_be_read_is_refused_before_any_record(cli, option: tuple[str, str]) -> None:
    # as README and the man page say: no record in any format, for one expression
    # or a batch, since no expression was read
    for fmt in ("json", "plain"):
        run = cli("diff", "-", *option, "-f", fmt, stdin="x^2\nsin(x)\n")
        assert (run.code, run.out) == (2, "")
        assert "--at" in run.err or "--order" in run.err

def test_a_variable_given_in_the_wrong_case_is_told_names_are_case_sensitive(cli) -> None:
    # --wrt X for x² is a derivative of 0: right, but seldom what was meant
    said = "X is not in the expression, but x is: names are case-sensitive (to differentiate by x, write --wrt x)"
    run = cli("diff", "x^2", "--wrt", "X")
    assert run.code == 0
    assert f"note: {said}" in run.out
    assert json.loads(cli("diff", "x^2", "--wrt", "X", "-f", "json").out)["notes"] == [said]
    assert "case-sensitive" not in cli("diff", "x^2", "--wrt", "y").out  # no name to confuse it with
    assert "case-sensitive" not in cli("diff", "X*x", "--wrt", "X").out  # both are there
    grad = " ".join(cli("grad", "w*x", "--wrt", "W", "--at", "w=1,x=2").out.split())
    assert "note: W is not in the expression, but w is: names are case-sensitive" in grad


def test_json_notes_write_a_product_sign_as_the_canonical_text_does(cli) -> None:
    # as the schema says: '1/2x' was read as (1/2)*x, not (1/2)·x beside e^2*x
    notes = json.loads(cli("diff", "1/2x", "-f", "json").out)["notes"]
    assert notes == ["'1/2x' was read as (1/2)*x"]
    assert all("·" not in note for note in json.loads(cli("diff", "cos(x^2) 2x", "-f", "json").out)["notes"])


def test_a_negative_exact_value_is_not_repeated_as_its_decimal(cli) -> None:
    # −3 and -3 are one number: the decimal is given only when it says more
    assert cli("diff", "-3x", "--at", "x=1", "--no-steps", "-f", "plain").out.splitlines()[1] == "at x = 1: −3"
    assert cli("diff", "-pi*x", "--at", "x=1", "--no-steps", "-f", "plain").out.splitlines()[1] == (
        "at x = 1: −π ≈ −3.14159265359")


def test_calcstep_alone_is_a_usage_error_said_on_stderr(cli) -> None:
    # exit status 2, as the man page has it for a usage error, and nothing on stdout
    run = cli()
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith("usage: calcstep COMMAND [ARGS]...")
    assert all(f"\n  {name} " in run.err for name in ("diff", "check", "grad", "parse", "rules"))
    assert max(map(len, run.err.splitlines())) <= 80


def test_parse_takes_the_limit_its_hint_names(cli) -> None:
    deep = "(" * 25_000 + "x" + ")" * 25_000
    refused = cli("parse", deep, "--format", "plain")
    assert refused.code == 2 and "raise the limit with --max-depth" in refused.err
    assert cli("parse", deep, "--format", "plain", "--max-depth", "30000").code == 0


def test_a_variable_the_expression_does_not_have_is_said_to_give_0(cli) -> None:
    # -w y for x²: the 0 is explained, as grad explains a gradient of 0; a constant
    # needs no word, and a slip of case is said as such
    run = cli("diff", "x^2", "-w", "y", "--format", "plain")
    assert "note: y does not appear in the expression: nudging it changes nothing, so the derivative is 0" in run.out
    assert run.out.rstrip().endswith("d/dy x² = 0")
    assert "note" not in cli("diff", "5", "--format", "plain").out
    assert "names are case-sensitive" in cli("diff", "x^2", "-w", "X", "--format", "plain").out


@pytest.mark.parametrize("args", [["diff", "-h"], ["diff", "x^2", "-h"], ["check", "-h", "x"], ["grad", "-h"],
                                  ["rules", "-h"], ["parse", "-h"], ["-h"]])
def test_dash_h_is_help_as_dash_dash_help_is(cli, args: list[str]) -> None:
    # never the expression −h: `calcstep diff -h` is the command's help
    run = cli(*args)
    assert (run.code, run.err) == (0, "")
    assert run.out == cli(*["--help" if word == "-h" else word for word in args]).out
    assert "Usage: calcstep" in run.out


def test_the_expression_minus_h_is_written_in_brackets_or_after_dash_dash(cli) -> None:
    for args in (["(-h)"], ["- h"], ["--", "-h"]):
        assert cli("diff", "--no-steps", *args).out == "−1\n", args


def test_a_rule_name_beginning_with_a_minus_sign_is_quoted_as_typed(cli) -> None:
    # no space of calcstep's own before it
    assert cli("rules", "-x").err.startswith("error: no rule called '-x'\n")
    run = cli("-x^2")
    assert "No such command '-x^2'" in run.err
    assert run.err.splitlines()[-1] == "hint: to differentiate it, write calcstep diff '-x^2'"


@pytest.mark.parametrize(
    ("glued", "apart"),
    [(["diff", "x^3", "-n2"], ["diff", "x^3", "-n", "2"]),
     (["diff", "x*y", "-wy"], ["diff", "x*y", "-w", "y"]),
     (["diff", "x^2", "-fjson"], ["diff", "x^2", "-f", "json"]),
     (["diff", "-x^3", "-n2", "-wx"], ["diff", "-x^3", "-n", "2", "-w", "x"]),
     (["check", "x*y", "x", "-wy"], ["check", "x*y", "x", "-w", "y"]),
     (["check", "-x^2", "-2x", "-fjson"], ["check", "-x^2", "-2x", "-f", "json"]),
     (["parse", "x^2", "-fjson"], ["parse", "x^2", "-f", "json"]),
     (["grad", "w*x", "-ww", "--at", "w=1,x=2"], ["grad", "w*x", "-w", "w", "--at", "w=1,x=2"]),
     (["grad", "--depth-sweep", "--layers", "2", "-f", "json"], ["grad", "--depth-sweep", "--layers", "2", "-f", "json"]),
     (["rules", "chain", "-fjson"], ["rules", "chain", "-f", "json"])],
)
def test_a_short_option_takes_its_value_glued_on(cli, glued: list[str], apart: list[str]) -> None:
    # as Click reads -n2 for -n 2: not an extra argument, nor the expression x -n2
    run = cli(*glued)
    assert (run.code, run.err) == (0, "")
    assert run.out == cli(*apart).out


def test_a_glued_option_with_no_expression_beside_it_is_the_expression(cli) -> None:
    # the words expressions were before options took glued values: still them
    # when the command has no other word for its expression
    assert json.loads(cli("diff", "-n2", "-f", "json").out)["input"] == "-n2"
    assert json.loads(cli("diff", "-wy", "-f", "json", "--wrt", "w").out)["result"] == "-y"
    assert cli("diff", "-n^3", "-n", "2", "--no-steps").out == "−6n\n"
    # two of them: the first is the expression, as Click fills arguments in order
    assert cli("diff", "-n2", "-n2", "--no-steps").out == "0\n"


def test_a_glued_value_the_option_does_not_take_is_told_how_to_write(cli) -> None:
    # -fxml is not a format: the hint is not to quote it into the expression x -fxml
    run = cli("diff", "x", "-fxml")
    assert run.code == 2
    assert "unexpected extra argument(s) (-fxml)" in run.err
    assert run.err.splitlines()[-1] == (
        "hint: for the option, write -f xml; for an expression, put the whole expression in quotes")
    # not a value at all: the expression x^2 -w^2 split by the shell
    assert cli("diff", "x^2", "-w^2").err.splitlines()[-1] == (
        "hint: put the whole expression in quotes: calcstep diff 'x^2 -w^2'")
    assert cli("diff", "--", "-h", "--no-steps").err.splitlines()[-1] == (
        "hint: -- ends the options: put them before it")
    refused = cli("diff", "x^3", "-n0")
    assert refused.code == 2 and "0 is not in the range x>=1" in refused.err
    sweep = cli("grad", "--depth-sweep", "-fjson")
    assert sweep.code == 2 and sweep.err.splitlines()[-1] == "hint: for the option, write -f json"


def test_an_option_alone_is_the_option_and_says_how_to_write_the_expression(cli) -> None:
    run = cli("diff", "-n")
    assert run.code == 2
    assert "Option '-n' requires an argument" in run.err
    assert run.err.splitlines()[-1] == (
        "hint: -n is an option that takes a value; for the expression -n, write '(-n)', or put it after --")
    assert "hint" not in cli("diff", "x^2", "-n").err  # a value forgotten: no expression to tell


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_batch_line_s_reading_note_on_stderr_names_its_line(jobs: str) -> None:
    # with --no-steps the notes go to stderr: each names its line, as an error does
    command = [sys.executable, "-m", "calcstep", "diff", "-", "--no-steps", "-f", "plain", "-j", jobs]
    done = subprocess.run(command, input="x^2\nsin x^2\n\n1/2x\nln(x\n", capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.splitlines() == ["2x", "2x·cos(x²)", "1/2", "error: '(' is never closed"]
    assert done.stderr.splitlines()[:3] == ["line 2: note: 'sin x^2' was read as sin(x²)",
                                            "line 4: note: '1/2x' was read as (1/2)·x",
                                            "line 5: error: '(' is never closed"]


def test_a_single_expression_s_note_on_stderr_has_no_line(cli) -> None:
    assert cli("diff", "sin x^2", "--no-steps", "-f", "plain").err == "note: 'sin x^2' was read as sin(x²)\n"


def _drawn(node: dict, depth: int = 0) -> list[str]:
    """A JSON tree node as the text tree labels it, one line per node, indented."""
    words = {"number": node.get("value"), "variable": node.get("name"), "constant": node.get("name"),
             "function": node.get("name"), "abstract function": node.get("name")}
    label = " ".join(part for part in (node["node"], words.get(node["node"])) if part)
    lines = [depth * " " + label]
    for child in node["children"]:
        lines += _drawn(child, depth + 1)
    return lines


def test_parse_gives_the_tree_in_json_when_asked(cli) -> None:
    # --tree is not ignored in JSON: the tree the text draws, as nested objects
    record = json.loads(cli("parse", "sin(x)*2", "-f", "json", "--tree").out)
    assert record["tree"] == {"node": "product", "children": [
        {"node": "function", "name": "sin", "children": [{"node": "variable", "name": "x", "children": []}]},
        {"node": "number", "value": "2", "children": []}]}
    assert record["error"] is None and record["expression"] == "sin(x)*2"
    assert "tree" not in json.loads(cli("parse", "sin(x)*2", "-f", "json").out)
    text = "f'(log_2(x)) + pi^theta - 1.5*y"
    tree = json.loads(cli("parse", text, "-f", "json", "--tree").out)["tree"]
    drawn = cli("parse", text, "--tree", "--ascii", "-f", "plain").out.split("tree:\n")[1].splitlines()
    assert _drawn(tree) == [_indented(line) for line in drawn]
    assert tree["children"][0] == {"node": "abstract function", "name": "f", "order": 1, "children": [
        {"node": "logarithm", "children": [{"node": "variable", "name": "x", "children": []},
                                           {"node": "number", "value": "2", "children": []}]}]}


def _indented(line: str) -> str:
    """A drawn tree's line ("  |   `-- variable x") as one space per level, with
    the labels the JSON test compares ("abstract function f'" without its marks)."""
    body = line[2:]
    label = body.lstrip(" |`-")
    depth = (len(body) - len(label)) // 4
    return depth * " " + label.replace("'", "").replace("logarithm (argument, base)", "logarithm")


def test_parse_writes_a_deep_tree_in_json(cli) -> None:
    deep = "sin(" * 5000 + "x" + ")" * 5000
    run = cli("parse", deep, "-f", "json", "--tree")
    assert run.code == 0, run.err
    assert run.out.count('"node": "function"') == 5000
    assert run.out.rstrip().endswith(', "error": null}')


def _steps_titles(step: dict) -> Iterator[tuple[str, str]]:
    stack = [step]
    while stack:
        node = stack.pop()
        yield node["rule"], node["title"]
        stack += node.get("substeps") or []


def test_every_rule_title_shown_names_its_rule(cli) -> None:
    # the title as diff shows it, and as a person shortens it (without the words
    # in brackets), both explain the rule: "general power rule" is general-power
    from calcstep.rules import RULES

    def found(name: str) -> str:
        run = cli("rules", name, "-f", "json")
        assert run.code == 0, (name, run.err)
        return json.loads(run.out)["id"]

    for rule in RULES.values():
        assert found(rule.title) == rule.id
        assert found(rule.title.upper()) == rule.id
        short = rule.title.split(" (")[0]
        full_title_of = {other.title: other.id for other in RULES.values()}
        assert found(short) == full_title_of.get(short, rule.id), short
    assert found("general power rule") == "general-power"
    assert found("logarithm rule") == "logarithm-base"
    assert found("product rule") == "product"  # the rule of that title, not product-n's short one
    shown = set()
    for text in ("x^x", "x*y*z*w", "sin(cos(tan(x)))", "2^x", "log_2(x)", "f(x)*e^x", "asin(x)/sqrt(x)", "abs(x)"):
        record = json.loads(cli("diff", text, "-f", "json").out)
        shown |= {pair for pair in _steps_titles(record["steps"]) if pair[0] in RULES}
    assert len(shown) >= 12
    for rule_id, title in shown:
        assert found(title) == rule_id, title


@pytest.mark.parametrize(("text", "asked"), [("w1*x", "w₁"), ("w1*x", "w_1"), ("x₁^2*y", "x1"), ("w_1*x", "w1")])
def test_a_variable_named_as_the_output_writes_it_is_the_expressions_own(cli, text: str, asked: str) -> None:
    # w1, w_1 and w₁ are all printed w₁: a name copied from the output into --wrt
    # or --at gave a derivative of 0 ("w₁ does not appear in the expression")
    run = cli("diff", text, "--wrt", asked, "--at", f"{asked}=3,x=2,y=1", "--no-steps", "-f", "json")
    record = json.loads(run.out)
    assert run.code == 0 and record["notes"] == [] and record["result"] not in ("0", "")
    assert record["value"][0]["exact"] not in ("0", None)
    graded = cli("check", text, record["result"], "--wrt", asked)
    assert graded.code == 0 and graded.out.startswith("correct")
    backward = cli("grad", text, "--wrt", asked, "--at", f"{asked}=3,x=2,y=1", "-f", "json")
    gradient = json.loads(backward.out)["gradient"]
    assert backward.code == 0 and len(gradient) == 1 and next(iter(gradient.values())) != 0


def test_a_logarithm_to_base_1_at_the_point_leaves_the_function_without_a_value(cli) -> None:
    # log_x(x) is written 1 and its base 1 forgotten: the quotient was given a value at 1
    run = cli("diff", "log_x(x)/log_x(x+1)", "--at", "x=1", "--no-steps")
    assert "undefined (the function is undefined there: a logarithm to base 1 is undefined" in run.out
