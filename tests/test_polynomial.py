"""Polynomials in one variable, and the simplifier's cancelling of a divisor that
divides the rest of a quotient (SymPy as the oracle)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from calcstep import polynomial
from calcstep.engine import differentiate
from calcstep.parse import parse
from calcstep.printer import to_pretty, to_text

from oracle import symbol, to_sympy

coefficients = st.one_of(st.integers(-6, 6), st.builds(Fraction, st.integers(-6, 6), st.integers(1, 4)))
polys = st.lists(coefficients, max_size=6).map(lambda c: polynomial._trim(list(c)))
divisors = polys.filter(lambda p: len(p) >= 1)


@settings(max_examples=300, deadline=None)
@given(polys, divisors)
def test_division_leaves_a_remainder_of_lower_degree(p, q) -> None:
    quotient, remainder = polynomial.divide(p, q)
    assert len(remainder) < len(q)
    product = polynomial._times(quotient, q)
    assert product is not None and polynomial._plus(product, remainder) == p


@settings(max_examples=300, deadline=None)
@given(polys, polys, divisors)
def test_the_gcd_divides_both_and_takes_a_shared_factor(p, q, shared) -> None:
    g = polynomial.gcd(p, q)
    for each in (p, q):
        if each:
            assert polynomial.divide(each, g)[1] == ()
    a, b = polynomial._times(p, shared), polynomial._times(q, shared)
    if a and b:  # the gcd of p·s and q·s is divisible by s
        assert polynomial.divide(polynomial.gcd(a, b), shared)[1] == ()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(polys.filter(lambda p: len(p) >= 2), st.integers(1, 3)), min_size=1, max_size=3),
       coefficients.filter(bool))
def test_repeated_factors_multiply_back_to_the_polynomial_and_are_square_free(factors, lead) -> None:
    # p = c·a₁·a₂²·a₃³…: the factors found multiply back to p (up to its leading
    # number), each found once, with no factor repeated inside it
    p: polynomial.Poly = (lead,)
    for factor, times in factors:
        for _ in range(times):
            p = polynomial._times(p, factor)
    found = polynomial.repeated_factors(p)
    if found is None:
        assert len(polynomial.gcd(p, polynomial.derivative(p))) < 2
        return
    product: polynomial.Poly = (p[-1],)
    for factor, times in found:
        assert factor[-1] == 1 and len(factor) >= 2 and times >= 1
        assert len(polynomial.gcd(factor, polynomial.derivative(factor))) < 2
        for _ in range(times):
            product = polynomial._times(product, factor)
    assert product == p
    assert any(times > 1 for _, times in found)


@pytest.mark.parametrize(
    ("text", "result"),
    [("e^x/(1+x^2)", "e^x·(x − 1)²/(x² + 1)²"), ("e^x*(x-1)/(x^2+1)", "x·e^x·(x² − 2x + 3)/(x² + 1)²"),
     ("x^3/(x+1)^2", "x²·(x + 3)/(x + 1)³"), ("(x^2 - 1)/(x^2 + 3x + 2)", "3/(x + 2)²")],
)
def test_a_numerator_with_a_repeated_factor_is_written_with_its_power(text: str, result: str) -> None:
    # the derivative of eˣ/(1 + x²) is eˣ(x − 1)²/(1 + x²)², as answer keys print
    # it; a numerator with no repeated factor stays expanded, and one whose
    # factor cancels a divisor is cancelled from its expanded form, in one step
    report = differentiate(text)
    assert to_pretty(report.result) == result
    assert sp.simplify(to_sympy(report.result) - sp.diff(to_sympy(parse(text).expr), symbol("x"))) == 0


@settings(max_examples=200, deadline=None)
@given(polys)
def test_a_polynomial_reads_back_from_its_expression(p) -> None:
    assert polynomial.from_expr(polynomial.to_expr(p, "x"), "x") == p


@pytest.mark.parametrize(
    ("text", "read"),
    [("x^2 - 1", (-1, 0, 1)), ("(x + 1)^2", (1, 2, 1)), ("2x(x - 3)", (0, -6, 2)), ("0", ()),
     ("x/2 + 1", (1, Fraction(1, 2)))],
)
def test_polynomials_are_read(text: str, read: tuple) -> None:
    assert polynomial.from_expr(parse(text).expr, "x") == read


@pytest.mark.parametrize("text", ["x + y", "sin(x)", "x^-1", "sqrt(x)", "0.5x", "x^100"])
def test_what_is_no_polynomial_in_x_is_not_read(text: str) -> None:
    assert polynomial.from_expr(parse(text).expr, "x") is None


@pytest.mark.parametrize(
    ("text", "result"),
    [
        # the quotient rule leaves numerators with the denominator as a factor
        ("(x^2 + 2x + 1)/(x + 1)", "1"),
        ("(x^2 - 1)/(x - 1)", "1"),
        ("(x^3 - 1)/(x - 1)", "2x + 1"),
        ("(x^2 - 1)/(x^2 + 2x + 1)", "2/(x + 1)²"),  # its divisor seen as the square it is
        # a factor shared with part of a divisor: (x − 1)/(x + 2) in disguise
        ("(x^2 - 1)/(x^2 + 3x + 2)", "3/(x + 2)²"),
        ("(x^2 - 4)/(x^2 - 5x + 6)", "−5/(x − 3)²"),
        # nothing shared: nothing cancelled
        ("(x + 1)/(x - 1)", "−2/(x − 1)²"),
        ("x^2/(x + 1)", "x·(x + 2)/(x + 1)²"),
    ],
)
def test_a_divisor_that_divides_the_numerator_is_cancelled(text: str, result: str) -> None:
    _derivative_reads(text, result)


def _derivative_reads(text: str, result: str) -> None:
    """d/dx `text` is written `result`, and SymPy agrees that it is the derivative."""
    report = differentiate(text)
    assert to_pretty(report.result) == result
    x = symbol("x")
    assert sp.simplify(to_sympy(report.result) - sp.diff(to_sympy(parse(text).expr), x)) == 0


def test_cancelling_is_a_step_of_its_own() -> None:
    simplification = differentiate("(x^2 - 1)/(x - 1)").derivations[0].simplification
    assert simplification[-1].rule == "cancel-factor"
    assert to_pretty(simplification[-1].target) == "(x² − 2x + 1)/(x − 1)²"


small = st.integers(-4, 4)
leading = st.sampled_from([1, 2, 3, -2, Fraction(1, 2)])


@settings(max_examples=60, deadline=None)
@given(leading, small, leading, small, leading, small, st.integers(1, 2))
def test_random_quotients_with_a_shared_factor_are_differentiated_right(p, a, q, b, r, c, power) -> None:
    # ((p·x − a)·(q·x + b)) over (p·x − a)^power·(r·x − c), the divisor multiplied
    # out or not, with leading coefficients other than 1 (a cancelled factor
    # 2x − 2 leaves its 2 below); the derivative checked against SymPy's
    shared, top, other = f"({p}*x - ({a}))", f"({q}*x + ({b}))", f"({r}*x - ({c}))"
    below = f"({shared}^{power}*{other})" if power > 1 else f"(({p}*{r})*x^2 - ({p}*{c} + {a}*{r})*x + ({a * c}))"
    text = f"({shared}*{top})/{below}"
    report = differentiate(text)
    x = symbol("x")
    expected = sp.diff(to_sympy(parse(text).expr), x)
    got = to_sympy(report.result)
    for point in (Fraction(37, 7), Fraction(-53, 11), Fraction(71, 13)):
        want = expected.subs(x, point)
        if want.has(sp.zoo, sp.nan):
            continue
        assert sp.simplify(got.subs(x, point) - want) == 0, (text, to_pretty(report.result))


@pytest.mark.parametrize(
    ("text", "result"),
    [("(x^2 - 1)/(2x - 2)", "1/2"), ("(2x^2 - x - 1)/(2x + 1)", "1"), ("(x^2 - 1)/(3x + 3)", "1/3"),
     ("(-6x^3 + 13x^2 + 21x - 18)/(3x - 2)", "3 − 4x"), ("(x^2 - 4)/(2x + 4)^2", "4/(2x + 4)²")],
)
def test_a_divisor_with_a_leading_coefficient_keeps_it_below(text: str, result: str) -> None:
    assert to_pretty(differentiate(text).result) == result


# Polynomials in x and y: each term a coefficient, a power of x and a power of y.
terms_in_x_and_y = st.lists(st.tuples(coefficients, st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=5)


def _two_variable_text(terms: list[tuple[Fraction, int, int]]) -> str:
    return " + ".join(f"({c})*x^{i}*y^{j}" for c, i, j in terms)


@settings(max_examples=150, deadline=None)
@given(terms_in_x_and_y)
def test_a_polynomial_in_two_variables_reads_back_by_its_slices(terms) -> None:
    expr = parse(_two_variable_text(terms)).expr
    read = polynomial.slices(expr, "x")
    assert read is not None
    again = polynomial.sliced_to_expr(read, "x")
    assert sp.expand(to_sympy(again) - to_sympy(expr)) == 0


@settings(max_examples=100, deadline=None)
@given(terms_in_x_and_y, divisors.filter(lambda p: len(p) >= 2))
def test_a_factor_in_x_alone_is_found_in_every_slice_and_divided_out(terms, factor) -> None:
    # (the polynomial in x and y)·(a polynomial in x): the factor divides every slice
    product = f"({_two_variable_text(terms)})*({to_text(polynomial.to_expr(factor, 'x'))})"
    read = polynomial.slices(parse(product).expr, "x")
    if not read:
        return  # the polynomial was 0
    shared = polynomial.sliced_gcd(read, factor)
    monic = polynomial.gcd(factor, ())  # the factor scaled to a leading 1
    assert polynomial.divide(shared, monic)[1] == ()  # all of the factor is found
    quotient = polynomial.sliced_divide(read, shared)
    rebuilt = sp.expand(to_sympy(polynomial.sliced_to_expr(quotient, "x")) * to_sympy(polynomial.to_expr(shared, "x")))
    assert sp.expand(rebuilt - to_sympy(parse(product).expr)) == 0


@pytest.mark.parametrize(
    ("text", "wrt", "order", "result"),
    [
        # a second partial derivative by x of a quotient leaves (x − 1) in the
        # numerator's every slice: xy² − y² + x − 1 = (x − 1)(y² + 1)
        ("(x^2 + y^2)/(x - 1)", "x", 2, "2(y² + 1)/(x − 1)³"),
        ("(x^2*y - y)/(x - 1)", "y", 1, "x + 1"),
    ],
)
def test_a_divisor_in_one_variable_cancels_from_a_numerator_with_others(
    text: str, wrt: str, order: int, result: str
) -> None:
    _assert_derivative(text, wrt, order, result)


def _assert_derivative(text: str, wrt: str, order: int, result: str) -> None:
    """The derivative of `text` prints as `result`, and SymPy finds it equal to its own."""
    report = differentiate(text, wrt=wrt, order=order)
    assert to_pretty(report.result) == result
    expected = sp.diff(to_sympy(parse(text).expr), symbol(wrt), order)
    assert sp.simplify(to_sympy(report.result) - expected) == 0


def _terms(text: str) -> polynomial.Terms:
    """The polynomial written in `text`, term by term in all its variables."""
    read = polynomial.slices(parse(text).expr, "x")
    assert read is not None
    return polynomial.flattened(read, "x")


def _terms_text(terms: polynomial.Terms) -> str:
    return " + ".join(f"({c})*" + "*".join(f"{name}^{power}" for name, power in monomial)
                      if monomial else f"({c})" for monomial, c in terms.items()) or "0"


@settings(max_examples=150, deadline=None)
@given(terms_in_x_and_y, terms_in_x_and_y)
def test_long_division_takes_a_factor_in_two_variables_back_out(terms, factor) -> None:
    # p·q ÷ q is p, whatever the variables; the quotient found times q is p·q
    p, q = _two_variable_text(terms), _two_variable_text(factor)
    divisor = _terms(q)
    if not divisor or not _terms(p):
        return  # a factor of 0
    quotient = polynomial.exact_quotient(_terms(f"({p})*({q})"), divisor)
    assert quotient is not None
    assert sp.expand(to_sympy(parse(_terms_text(quotient)).expr) - to_sympy(parse(p).expr)) == 0


@pytest.mark.parametrize(
    ("dividend", "divisor"),
    [("x^2 + y^2", "x + y"), ("x*y + 1", "x"), ("x^2 - y", "x - y"), ("y^3 + x", "y + x^2")],
)
def test_long_division_with_a_remainder_divides_nothing(dividend: str, divisor: str) -> None:
    assert polynomial.exact_quotient(_terms(dividend), _terms(divisor)) is None


@pytest.mark.parametrize(
    ("text", "wrt", "result"),
    [
        # the quotient rule leaves the divisor in the numerator: it cancels whole
        ("(x^2 - y^2)/(x - y)", "x", "1"),
        ("(x^3 + y^3)/(x + y)", "x", "2x − y"),
        ("(x^2*y + x*y^2)/(x + y)", "x", "y"),
        ("(x^2 - a^2)/(x - a)", "x", "1"),
        ("(x^2 - y^2)/(x - y)", "y", "1"),
        # it divides once, not twice: the rest stays below
        ("(x^2 - y^2)/(x + y)^2", "x", "2y/(x + y)²"),
        # a sum the numerator has as a factor divides the divisor: arctan's
        # addition formula, whose partial derivatives are the one-variable ones
        ("atan(2*x*y/(x^2 - y^2))", "x", "−2y/(x² + y²)"),
        ("atan((x + y)/(1 - x*y))", "x", "1/(x² + 1)"),
        ("atan((x + y)/(1 - x*y))", "y", "1/(y² + 1)"),
        # nothing divides: nothing is cancelled
        ("x/(x + y)", "x", "y/(x + y)²"),
    ],
)
def test_a_divisor_in_two_variables_cancels_when_it_divides_the_numerator(
    text: str, wrt: str, result: str
) -> None:
    _assert_derivative(text, wrt, 1, result)


def test_cancelling_a_divisor_in_two_variables_is_a_step_of_its_own() -> None:
    simplification = differentiate("(x^3 + y^3)/(x + y)").derivations[0].simplification
    cancel = next(step for step in simplification if step.rule == "cancel-factor")
    assert to_pretty(cancel.target) == "(3x²·(x + y) − (x³ + y³))/(x + y)²"
    assert to_pretty(cancel.result) == "2x − y"


@settings(max_examples=60, deadline=None)
@given(terms_in_x_and_y, st.sampled_from(["x + y", "x - y", "2x + 3y", "x*y + 1", "x^2 + y"]))
def test_quotients_by_a_divisor_in_two_variables_are_differentiated_right(terms, shared) -> None:
    # (p·s)/s², the divisor s in x and y: the derivative is d/dx (p/s), whatever cancels
    p = _two_variable_text(terms)
    text = f"(({p})*({shared}))/({shared})^2"
    report = differentiate(text)
    expected = sp.diff(to_sympy(parse(text).expr), symbol("x"))
    assert sp.simplify(to_sympy(report.result) - expected) == 0, (text, to_pretty(report.result))


@pytest.mark.parametrize(
    ("text", "wrt", "result"),
    [
        # the quotient rule's 3x²·(a + x) − x³ is multiplied out where the quotient
        # gains, and the powers its terms share come out, as in one variable
        ("x^3/(x + a)", "x", "x²·(3a + 2x)/(a + x)²"),
        ("x^3/(x + 1)", "x", "x²·(2x + 3)/(x + 1)²"),
        ("x^2*y/(x + y)", "x", "xy·(x + 2y)/(x + y)²"),
        ("x^2*y^2/(x - y)", "x", "xy²·(x − 2y)/(x − y)²"),
    ],
)
def test_a_numerator_in_several_variables_is_written_factored(text: str, wrt: str, result: str) -> None:
    _assert_derivative(text, wrt, 1, result)


@pytest.mark.parametrize(
    ("text", "result"),
    [
        # a divisor that is a square is written as one, and meets the factor the
        # quotient rule leaves beside it: −2/(x − 1)³, not −2/((x − 1)·(x² − 2x + 1))
        ("1/(x^2 - 2x + 1)", "−2/(x − 1)³"),
        ("x/(x^2 - 2x + 1)", "−(x + 1)/(x − 1)³"),
        ("1/(9x^2 + 6x + 1)^2", "−12/(3x + 1)⁵"),
        # what is left of a divisor once a factor is cancelled has whole coefficients
        # with no common divisor: 2x − 1 (its 2 kept below), not 4x − 2
        ("1/(4x^2 - 4x + 1)", "−4/(2x − 1)³"),
        ("x/(4x^2 - 4x + 1)", "−(2x + 1)/(2x − 1)³"),
        ("(2x + 1)/(4x^2 - 1)", "−2/(2x − 1)²"),
    ],
)
def test_a_divisor_that_is_a_power_is_written_as_one(text: str, result: str) -> None:
    _derivative_reads(text, result)
