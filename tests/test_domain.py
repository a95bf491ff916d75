"""Where a derivative holds: the note for a result that simplifying has freed of
a condition its function sets (d/dx [(x² − 1)/(x − 1)] = 1 only where x ≠ 1),
and no note where the result keeps the condition, as most results do."""

from __future__ import annotations

import json

import pytest

from calcstep.engine import differentiate
from calcstep.errors import DomainError
from calcstep.evaluate import evaluate
from calcstep.parse import parse
from calcstep.printer import to_text
from calcstep.render.common import note_text, spelling_for

PRETTY = spelling_for(False)


def _domain_notes(text: str, wrt: str | None = None) -> list[str]:
    report = differentiate(text, wrt=wrt)
    return [note for note in (note_text(n, PRETTY) for n in report.notes) if note.startswith("the result holds")]


@pytest.mark.parametrize(
    ("text", "where", "failing"),
    [
        ("x/x", "x is not 0", "0"),
        ("(x^2 - 1)/(x - 1)", "x − 1 is not 0", "1"),
        ("(x + 1)^2/(x + 1)", "x + 1 is not 0", "-1"),
        ("sqrt(x)^2", "x is at least 0", "-1"),
        ("e^(ln(x))", "x is positive", "-1"),
        ("sqrt(x)/sqrt(x)", "x is positive", "0"),
        ("x^2/x", "x is not 0", "0"),
        ("ln(x)/ln(x)", "x is positive and ln(x) is not 0", "1"),
        ("atan(y/x)", "x is not 0", "0"),
        ("x^pi/x^pi", "x is positive", "0"),
        ("ln(sin(x))", "sin(x) is positive", "-1"),
        # ln(x) asks x > 0, its rate 1/x only x ≠ 0: at −1 the rate has a value
        ("ln(x)", "x is positive", "-1"),
        ("ln(x^2 - 1)", "x² − 1 is positive", "0"),
        ("ln(x^3 - 3*x^2 + 3*x - 1)", "x³ − 3x² + 3x − 1 is positive", "0"),  # (x − 1)³ > 0 is x > 1
        ("ln(sqrt(x))", "√x is positive", "0"),  # not also 'x is at least 0', which √x > 0 says
        ("1/sqrt(x)^2", "x is positive", "-1"),
        # a function's own condition: csc asks sin ≠ 0, arcsin |x| ≤ 1, atanh |x| < 1
        ("1/csc(x)", "sin(x) is not 0", "0"),
        ("tan(x)/tan(x)", "cos(x) is not 0 and tan(x) is not 0", "0"),
        ("sin(asin(x))", "1 − x² is at least 0", "2"),
        ("atanh(x)", "1 − x² is positive", "2"),
        ("acosh(x)", "x − 1 is at least 0", "0"), ("sinh(acosh(x))", "x − 1 is at least 0", "-2"),
        ("asech(x)", "x is positive", "-0.5"),
        # a logarithm of a reciprocal asks it to be positive, which its rate −1/x does
        # not; said of x, as 1/x > 0 and 2/x > 0 are x > 0
        ("ln(1/x)", "x is positive", "-1"), ("log10(1/x)", "x is positive", "-1"),
        ("ln(1/x^3)", "x is positive", "-1"), ("ln(2/x)", "x is positive", "-1"),
        ("ln(pi*x)", "x is positive", "-1"),  # a constant of known sign is a number as 2 is
    ],
)
def test_a_result_freed_of_its_functions_condition_says_where_it_holds(text: str, where: str, failing: str) -> None:
    assert _domain_notes(text) == [f"the result holds only where {where}: elsewhere the function has no value"]
    # and the note is true: where the condition fails, the function has no value
    point = {"x": failing, "y": "1"} if "y" in text else {"x": failing}
    value = differentiate(text, at=[point]).values[0]
    assert value.undefined is not None and value.undefined.startswith("the function is undefined there"), value


@pytest.mark.parametrize(
    ("text", "wrt"),
    [
        # the result keeps the condition, in some form: nothing to say
        ("ln(x^2)", None), ("1/x", None), ("sqrt(x)", None), ("x^x", None),
        ("x*ln(x)", None), ("1/(x - 1)^2", None), ("ln(abs(x))", None), ("(2*x - 2)^(-1)", None),
        # a perfect power: x² − 4x + 4 > 0 is (x − 2)² > 0, that is x ≠ 2, as 2/(x − 2) asks
        ("ln(x^2 - 4*x + 4)", None), ("ln(x^2 + 2*x + 1)", None),
        # a function's own condition, kept by its rate in the same form
        ("tan(x)", None), ("sec(x)", None), ("asin(x)", None), ("acos(x)", None), ("asec(x)", None),
        ("x*asin(x) + sqrt(1 - x^2)", None), ("sin(x)/sin(x) + cot(x)", None), ("ln(1 + ln(1 + x^2))", None),
        # a condition that always holds is none
        ("ln(e^x)", None), ("1/(x^2 + 1)", None), ("sqrt(x^2 + 1)", None),
        ("ln(x^2 - x + 1)", None), ("1/(x^2 - x + 1)", None),  # a quadratic with no root
        # bounded functions: 1 − σ(u) > 0 (the logistic loss), 2 − sin u ≥ 1
        ("ln(1 - sigmoid(x))", None), ("ln(1 - tanh(x))", None), ("ln(2 - sin(x))", None),
        ("-y*ln(sigmoid(w*x + b)) - (1 - y)*ln(1 - sigmoid(w*x + b))", "w"),
        ("ln(x + sqrt(x^2 + 1))", None), ("ln(sqrt(x^2 + 1) - x)", None),  # a root beyond |x|
        # where xˣ has a value is its own matter (0⁰ is 1, (−1)⁻¹ is −1): nothing is said
        ("x^x", None), ("x^x/x^x", None),
        # an exponent of numbers alone may be whole (3 + 2 is 5): no condition
        ("(b + 2.5 + 0.125)^(3 + 2)", "b"), ("x^(1.75*1.75^(-1))", None),
        # a condition on another variable is no news about this one
        ("1/y - 3*x", "x"),
        # polynomials and functions defined everywhere
        ("x^3 - 2*x", None), ("sin(x)*e^x", None), ("sigmoid(w*x + b)", "w"),
        ("ln(pi*abs(x))", None),  # π|x| > 0 is x ≠ 0, as 1/x asks
        # 1/u² is positive wherever it has a value: ln of it asks only u ≠ 0
        ("ln(1/x^2)", None), ("ln(1/(x - 1)^2)", None), ("ln(1/sin(x)^2)", None), ("log_2(1/x^2)", None),
    ],
)
def test_a_result_that_keeps_its_functions_condition_has_no_note(text: str, wrt: str | None) -> None:
    assert _domain_notes(text, wrt) == []


def test_the_note_reaches_scripts_and_the_terminal(cli) -> None:
    record = json.loads(cli("diff", "x/x", "--format", "json").out)
    assert record["notes"] == ["the result holds only where x is not 0: elsewhere the function has no value"]
    bare = cli("diff", "(x^2-1)/(x-1)", "--no-steps", "--format", "plain")
    # the result alone on stdout, for scripts; what it needs said on stderr
    assert bare.out == "1\n"
    assert "note: the result holds only where x − 1 is not 0" in bare.err


@pytest.mark.parametrize(
    ("text", "canonical", "failing"),
    [("1/(1/x)", "(1/x)^(-1)", "0"), ("1/(x^-2)", "(1/x^2)^(-1)", "0"), ("1/(2/x)", "1/2*(1/x)^(-1)", "0"),
     ("x/(1/x)", "x*(1/x)^(-1)", "0"), ("1/(1/(x - 1))", "(1/(x - 1))^(-1)", "1")],
)
def test_a_divisor_that_is_a_division_keeps_its_own(text: str, canonical: str, failing: str) -> None:
    # 1/(1/x) is read as written, not as x: it has no value at 0, and the derivative
    # there is undefined, said as such (it was given as 1)
    report = differentiate(text, at=[{"x": failing}])
    assert to_text(report.expr) == canonical
    assert report.values[0].undefined is not None
    assert _domain_notes(text)  # and where the result 1 holds is said


@pytest.mark.parametrize(
    ("text", "message", "marked"),
    [
        ("ln(-(x-1)^2)", "ln(−(x − 1)²) has no value for any value of x: −(x − 1)² is never positive",
         "ln(-(x-1)^2)"),
        ("x + y*ln(-x^2)", "ln(−x²) has no value for any value of x: −x² is never positive", "ln(-x^2)"),
        ("sqrt(-x^2 - 1)", "√(−x² − 1) has no value for any value of x: −x² − 1 is always negative",
         "sqrt(-x^2 - 1)"),
        ("(-x^2 - 1)^pi", "(−x² − 1)^π has no value for any value of x: −x² − 1 is always negative",
         "(-x^2 - 1)^pi"),
        ("ln(-x^2 - y^2)", "ln(−x² − y²) has no value for any value of x, y: −x² − y² is never positive",
         "ln(-x^2 - y^2)"),
        # a quadratic never positive: −(x − 1)² written out, and one with no root
        ("1/ln(-x^2 + 2*x - 1)", "ln(−x² + 2x − 1) has no value for any value of x: −x² + 2x − 1 is never positive",
         "ln(-x^2 + 2*x - 1)"),
        ("sqrt(x - x^2 - 1)", "√(x − x² − 1) has no value for any value of x: x − x² − 1 is always negative",
         "sqrt(x - x^2 - 1)"),
        # the same with a decimal: −(x − 1/2)², however its numbers are written
        ("ln(x - x^2 - 0.25)", "ln(x − x² − 0.25) has no value for any value of x: x − x² − 0.25 is never positive",
         "ln(x - x^2 - 0.25)"),
        ("e^x*ln(-abs(x))", "ln(−|x|) has no value for any value of x: −|x| is never positive", "ln(-abs(x))"),
        ("ln(sin(x) - 2)", "ln(sin(x) − 2) has no value for any value of x: sin(x) − 2 is never positive",
         "ln(sin(x) - 2)"),
        ("sqrt(cos(x) - 3)", "√(cos(x) − 3) has no value for any value of x: cos(x) − 3 is always negative",
         "sqrt(cos(x) - 3)"),
    ],
)
def test_a_function_with_no_value_anywhere_is_refused(cli, text: str, message: str, marked: str) -> None:
    """Its rules would still write a derivative (2/(x − 1) for ln(−(x − 1)²)) of a
    function that has none: refused as a constant part with no value is, the
    part marked where it was written."""
    done = cli("diff", text)
    assert done.code == 2 and done.out == ""
    lines = done.err.splitlines()
    assert lines[0] == f"error: {message}"
    start = text.index(marked)
    assert lines[2] == "  " + " " * start + "^" * len(marked)
    # and it is true: the function has no value at any point tried
    expr = parse(text).expr
    for x in (-3.7, -1, -0.5, 0, 0.25, 1, 2, 10):
        with pytest.raises(DomainError):
            evaluate(expr, {"x": x, "y": 0.75})


@pytest.mark.parametrize("text", ["ln(1 - x^2)", "sqrt(2*x - x^2)", "ln(x - x^2)", "sqrt(-x)", "ln(-x)",
                                  "sqrt(-x^2)"])
def test_a_function_with_a_value_somewhere_is_differentiated(text: str) -> None:
    """Not refused when it has a value at some x: 1 − x² > 0 on (−1, 1), −x > 0 for
    x < 0 (and √(−x²) is 0 at 0, though that is all)."""
    assert differentiate(text).result is not None
