"""Where a derivative holds: the note for a result that simplifying has freed of
a condition its function sets (d/dx [(x² − 1)/(x − 1)] = 1 only where x ≠ 1),
and no note where the result keeps the condition, as most results do."""

from __future__ import annotations

import itertools
import json

import pytest
import sympy as sp

from calcstep.domain import only_at_points, set_conditions
from calcstep.engine import differentiate
from calcstep.errors import DomainError
from calcstep.evaluate import evaluate
from calcstep.parse import parse
from calcstep.printer import to_text
from calcstep.render.common import note_text, spelling_for

from oracle import to_sympy

PRETTY = spelling_for(False)


def _domain_notes(text: str, wrt: str | None = None) -> list[str]:
    report = differentiate(text, wrt=wrt)
    return [note for note in (note_text(n, PRETTY) for n in report.notes) if note.startswith("the result holds")]


@pytest.mark.parametrize(
    ("text", "where", "failing"),
    [
        ("x/x", "x is not 0", "0"),
        ("(x^2 - 1)/(x - 1)", "x is not 1", "1"),
        ("(x + 1)^2/(x + 1)", "x is not −1", "-1"),
        ("sqrt(x)^2", "x is at least 0", "-1"),
        ("e^(ln(x))", "x is positive", "-1"),
        ("sqrt(x)/sqrt(x)", "x is positive", "0"),
        ("x^2/x", "x is not 0", "0"),
        ("ln(x)/ln(x)", "x is positive and x is not 1", "1"),
        ("log_x(x^2)", "x is positive and x is not 1", "1"), ("log_x(2*x) - log_x(2)", "x is positive and x is not 1", "1"),
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
        # cosh u ≥ 1, and an odd root of an even power is ≥ 0 (arcosh(cosh x) asked
        # cosh(x) − 1 ≥ 0, and (x^(2/3))^(3/2) x^(2/3) ≥ 0, of every x)
        ("acosh(cosh(x))", None), ("sqrt(cosh(x) - 1)", None), ("(x^(2/3))^(3/2)", None),
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
    assert "note: the result holds only where x is not 1" in bare.err


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
        # an inverse function whose argument never lies where it has a value, said
        # of the argument as written
        ("asin(x^2+2)", "arcsin(x² + 2) has no value for any value of x: x² + 2 is always above 1", "asin(x^2+2)"),
        ("acos(x^2+2)", "arccos(x² + 2) has no value for any value of x: x² + 2 is always above 1", "acos(x^2+2)"),
        ("x*acos(-x^2-3/2)", "arccos(−x² − 3/2) has no value for any value of x: −x² − 3/2 is always below −1",
         "acos(-x^2-3/2)"),
        ("atanh(x^2+1)", "artanh(x² + 1) has no value for any value of x: x² + 1 is never below 1", "atanh(x^2+1)"),
        ("asec(sin(x)/2)", "arcsec(sin(x)/2) has no value for any value of x: sin(x)/2 is always strictly between "
         "−1 and 1", "asec(sin(x)/2)"),
        ("acsc(cos(x)/3 + 1/2)", "arccsc(cos(x)/3 + 1/2) has no value for any value of x: cos(x)/3 + 1/2 is always "
         "strictly between −1 and 1", "acsc(cos(x)/3 + 1/2)"),
        ("acoth(sin(x)/2)", "arcoth(sin(x)/2) has no value for any value of x: sin(x)/2 is always strictly between "
         "−1 and 1", "acoth(sin(x)/2)"),
        ("acoth(sin(x))", "arcoth(sin(x)) has no value for any value of x: sin(x) is always between −1 and 1",
         "acoth(sin(x))"),
        ("asin(e^x+1)", "arcsin(e^x + 1) has no value for any value of x: e^x + 1 is always above 1", "asin(e^x+1)"),
        ("asin(x^2 - 2*x + 3)", "arcsin(x² − 2x + 3) has no value for any value of x: x² − 2x + 3 is always above 1",
         "asin(x^2 - 2*x + 3)"),
        # arcosh's is said of its argument, not of the u − 1 its condition is made of
        ("acosh(sin(x)-1)", "arcosh(sin(x) − 1) has no value for any value of x: sin(x) − 1 is always below 1",
         "acosh(sin(x)-1)"),
        ("acosh(-x^2)", "arcosh(−x²) has no value for any value of x: −x² is always below 1", "acosh(-x^2)"),
        ("asech(-x^2)", "arsech(−x²) has no value for any value of x: −x² is never positive", "asech(-x^2)"),
        ("asech(x^2+2)", "arsech(x² + 2) has no value for any value of x: x² + 2 is always above 1", "asech(x^2+2)"),
        # two parts that need x on either side of a number, each with a value somewhere
        ("ln(-2*x)+ln(x)", "no value of x gives both ln(−2x) and ln(x) a value: ln(−2x) needs x < 0 and ln(x) "
         "needs x > 0", "ln(x)"),
        ("sqrt(x-2)*sqrt(1-x)", "no value of x gives both √(x − 2) and √(1 − x) a value: √(x − 2) needs x ≥ 2 and "
         "√(1 − x) needs x ≤ 1", "sqrt(1-x)"),
        ("x + ln(x)/sqrt(-x)", "no value of x gives both ln(x) and 1/√(−x) a value: ln(x) needs x > 0 and "
         "1/√(−x) needs x < 0", "sqrt(-x)"),
        ("ln(-x) + acosh(x) + y", "no value of x gives both ln(−x) and arcosh(x) a value: ln(−x) needs x < 0 and "
         "arcosh(x) needs x ≥ 1", "acosh(x)"),
        # a pair of another variable that meets at one value first: the pair with none is still found
        ("sqrt(y)+sqrt(-y)+ln(x)+ln(-x)", "no value of x gives both ln(x) and ln(−x) a value: ln(x) needs x > 0 "
         "and ln(−x) needs x < 0", "ln(-x)"),
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
    for x in (-3.7, -1, -0.5, 0, 0.25, 1, 2, 10, *_GRID):
        with pytest.raises(DomainError):
            evaluate(expr, {"x": x, "y": 0.75})


# x from −8 to 8 by 1/64: 0 among them, as are the ends of the intervals below
_GRID = [step / 64 for step in range(-512, 513)]


def _valued(text: str, wrt: str = "x", others: dict[str, float] | None = None) -> list[float]:
    """The points of _GRID where the expression has a value."""
    expr = parse(text).expr
    found = []
    for x in _GRID:
        try:
            evaluate(expr, {**(others or {}), wrt: x})
        except DomainError:
            continue
        found.append(x)
    return found


@pytest.mark.parametrize(
    ("text", "message", "marked"),
    [
        ("sqrt(-x^2)", "√(−x²) has no derivative for any value of x: −x² is never positive, so √(−x²) has a value "
         "only where −x² is 0", "sqrt(-x^2)"),
        ("3*sqrt(sin(x) - 1)", "√(sin(x) − 1) has no derivative for any value of x: sin(x) − 1 is never positive, "
         "so √(sin(x) − 1) has a value only where sin(x) − 1 is 0", "sqrt(sin(x) - 1)"),
        ("(-(x-1)^2)^pi", "(−(x − 1)²)^π has no derivative for any value of x: −(x − 1)² is never positive, "
         "so (−(x − 1)²)^π has a value only where −(x − 1)² is 0", "(-(x-1)^2)^pi"),
        ("asin(x^2+1)", "arcsin(x² + 1) has no derivative for any value of x: x² + 1 is never below 1, so "
         "arcsin(x² + 1) has a value only where x² + 1 is 1", "asin(x^2+1)"),
        ("acos(-x^4-1)", "arccos(−x⁴ − 1) has no derivative for any value of x: −x⁴ − 1 is never above −1, so "
         "arccos(−x⁴ − 1) has a value only where −x⁴ − 1 is −1", "acos(-x^4-1)"),
        ("acosh(1 - x^2)", "arcosh(1 − x²) has no derivative for any value of x: 1 − x² is never above 1, so "
         "arcosh(1 − x²) has a value only where 1 − x² is 1", "acosh(1 - x^2)"),
        ("asech(x^2+1)", "arsech(x² + 1) has no derivative for any value of x: x² + 1 is never below 1, so "
         "arsech(x² + 1) has a value only where x² + 1 is 1", "asech(x^2+1)"),
        ("e^x + acsc(sin(x))", "arccsc(sin(x)) has no derivative for any value of x: sin(x) is always between −1 "
         "and 1, so arccsc(sin(x)) has a value only where sin(x) is −1 or 1", "acsc(sin(x))"),
        ("sqrt(x) + sqrt(-x)", "√x and √(−x) both have a value only at x = 0, where there is no derivative: √x "
         "needs x ≥ 0 and √(−x) needs x ≤ 0", "sqrt(-x)"),
        ("sqrt(x*2) + sqrt(-x*3)", "√(x·2) and √(−x·3) both have a value only at x = 0, where there is no "
         "derivative: √(x·2) needs x ≥ 0 and √(−x·3) needs x ≤ 0", "sqrt(-x*3)"),
        ("sqrt(2x - 1)*sqrt(1 - 2x)", "√(2x − 1) and √(1 − 2x) both have a value only at x = 1/2, where there "
         "is no derivative: √(2x − 1) needs x ≥ 1/2 and √(1 − 2x) needs x ≤ 1/2", "sqrt(1 - 2x)"),
    ],
)
def test_a_function_with_a_value_at_separate_points_alone_is_refused(
    cli, text: str, message: str, marked: str
) -> None:
    """√(−x²) has a value at x = 0 alone, arcsin(x² + 1) too: with no interval
    around the point there is no derivative there, though the rules would write
    one (−x/√(−x²)).  Refused as a part with no value is, the part marked."""
    done = cli("diff", text)
    assert done.code == 2 and done.out == ""
    lines = done.err.splitlines()
    assert lines[0] == f"error: {message}"
    start = text.index(marked)
    assert lines[2] == "  " + " " * start + "^" * len(marked)
    # and it is true: no two neighbouring points of the grid both have a value
    found = _valued(text)
    assert all(later - earlier > 1 / 64 for earlier, later in itertools.pairwise(found))


def test_check_refuses_a_function_with_no_value_anywhere(cli) -> None:
    """`check` compared arcsin(x² + 2) with its rules' rate and said it correct."""
    done = cli("check", "asin(x^2+2)", "2x/sqrt(1-(x^2+2)^2)")
    assert done.code == 2 and done.out == ""
    assert done.err.splitlines()[0] == (
        "error: arcsin(x² + 2) has no value for any value of x: x² + 2 is always above 1")
    done = cli("check", "sqrt(-x^2)", "-x/sqrt(-x^2)")
    assert done.code == 2 and "has no derivative for any value of x" in done.err


@pytest.mark.parametrize(
    "text",
    ["ln(1 - x^2)", "sqrt(2*x - x^2)", "ln(x - x^2)", "sqrt(-x)", "ln(-x)", "sqrt(x^2)", "sqrt(1 - sin(x))",
     "asin(x)", "asin(x/2)", "asin(sin(x))", "acos(x^2)", "acos(1 - x^2)", "atanh(x/2)", "atanh(tanh(x))",
     "asec(x)", "asec(x^2+1)", "acsc(x^2 + 1/2)", "acosh(x^2+1)", "acosh(cosh(x))", "acoth(x^2+2)",
     "acoth(x^2+1)", "acoth(1/x)", "asech(sigmoid(x))", "asech(sech(x))", "asin(x^2)", "asin(2*sin(x))",
     # a value on an interval, where the argument is the one value its function allows
     "sqrt(-relu(x))", "asin(heaviside(x) + 1)", "acsc(sign(x))",
     # conditions that leave an interval between them
     "ln(x) + ln(1 - x)", "sqrt(x)*sqrt(2 - x)", "ln(x)*sqrt(1 - 4x)"],
)
def test_a_function_with_a_value_somewhere_is_differentiated(text: str) -> None:
    """Not refused when it has a value on an interval: 1 − x² > 0 on (−1, 1), −x > 0
    for x < 0, x² + 1 > 1 for x ≠ 0 (arcoth), −relu(x) = 0 for x ≤ 0."""
    assert differentiate(text).result is not None
    found = _valued(text)
    assert any(later - earlier == 1 / 64 for earlier, later in itertools.pairwise(found))


@pytest.mark.parametrize(("text", "wrt"), [("sqrt(-y^2) + x", "x"), ("sqrt(-x^2) + y", "y"),
                                           ("asin(y^2 + 1)*x", "x"), ("sqrt(y) + sqrt(-y) + x", "x")])
def test_a_value_at_separate_points_of_another_variable_is_no_refusal(text: str, wrt: str) -> None:
    """√(−y²) + x has a value for every x where y = 0, and a derivative by x there."""
    assert differentiate(text, wrt=wrt).result is not None
    other = "y" if wrt == "x" else "x"
    assert len(_valued(text, wrt, {other: 0})) == len(_GRID)


# Where each inverse function has a value, as SymPy sets: an independent word on
# the refusals of arguments that are polynomials.
_ALLOWED = {
    "asin": sp.Interval(-1, 1), "acos": sp.Interval(-1, 1), "atanh": sp.Interval.open(-1, 1),
    "acoth": sp.Union(sp.Interval.open(-sp.oo, -1), sp.Interval.open(1, sp.oo)),
    "asec": sp.Union(sp.Interval(-sp.oo, -1), sp.Interval(1, sp.oo)),
    "acosh": sp.Interval(1, sp.oo), "asech": sp.Interval.Lopen(0, 1),
}


@pytest.mark.parametrize(
    ("text", "where"),
    [("asin(x^2+2)", sp.S.EmptySet), ("acos(-x^2-3/2)", sp.S.EmptySet), ("atanh(x^2+1)", sp.S.EmptySet),
     ("acosh(-x^2)", sp.S.EmptySet), ("asech(-x^2)", sp.S.EmptySet), ("asech(x^2+2)", sp.S.EmptySet),
     ("asin(x^2 - 2*x + 3)", sp.S.EmptySet), ("acoth(1 - x^2)", None),
     ("asin(x^2+1)", sp.FiniteSet(0)), ("acosh(1 - x^2)", sp.FiniteSet(0)), ("asech(x^2+1)", sp.FiniteSet(0)),
     ("asin(x^2 - 2*x + 2)", sp.FiniteSet(1)), ("asin(x^2)", None), ("acosh(x^2+1)", None),
     ("acoth(x^2+1)", None), ("asec(x^2 + 1/2)", None)],
)
def test_where_an_argument_lies_agrees_with_sympy(text: str, where: sp.Set | None) -> None:
    """Refused as having no value exactly where SymPy finds no x at which the argument
    lies in its function's domain; as having a value at separate points where it
    finds those alone; and differentiated (where None) where it finds an interval."""
    expr = parse(text).expr
    found = _ALLOWED[expr.fn].as_relational(to_sympy(expr.arg)).as_set().intersect(sp.S.Reals)
    if where is None:
        assert found.measure > 0
        assert differentiate(text).result is not None
        return
    assert found == where
    if where is sp.S.EmptySet:
        with pytest.raises(DomainError, match="has no value for any value of x"):
            differentiate(text)
    else:
        assert only_at_points(set_conditions(expr), "x") is not None
        with pytest.raises(DomainError, match="has no derivative for any value of x"):
            differentiate(text)
