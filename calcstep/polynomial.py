"""Polynomials in one variable with exact rational coefficients, for cancelling.

A polynomial is a tuple of coefficients, lowest degree first, with no trailing
zero: x² − 1 is (−1, 0, 1), 0 is ().  The simplifier reads a quotient's numerator
and divisors as polynomials to cancel a divisor that divides the numerator:
(x² − 1)/(x − 1) is x + 1.  Nothing here records a step or prints.
"""

from __future__ import annotations

from fractions import Fraction

from calcstep.expr import Add, Expr, Mul, Num, Pow, Rational, Sym, add, mul

Poly = tuple[Rational, ...]

# Polynomials above this degree are left alone: cancelling is for the quotients
# a learner meets, and the work grows with the square of the degree.
MAX_DEGREE = 40


def _trim(coefficients: list[Rational]) -> Poly:
    while coefficients and coefficients[-1] == 0:
        coefficients.pop()
    return tuple(coefficients)


def _plus(p: Poly, q: Poly) -> Poly:
    longer, shorter = (p, q) if len(p) >= len(q) else (q, p)
    total = list(longer)
    for i, c in enumerate(shorter):
        total[i] += c
    return _trim(total)


def _times(p: Poly, q: Poly) -> Poly | None:
    if not p or not q:
        return ()
    if len(p) + len(q) - 2 > MAX_DEGREE:
        return None
    product: list[Rational] = [0] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            product[i + j] += a * b
    return _trim(product)


def from_expr(expr: Expr, var: str) -> Poly | None:
    """`expr` as a polynomial in `var`; None when it is not one (another name, a
    function, a negative or fractional power, a decimal, or a degree above MAX_DEGREE)."""
    kind = type(expr)
    if kind is Num:
        return None if expr.decimal else _trim([expr.value])
    if kind is Sym:
        return (0, 1) if expr.name == var else None
    if kind is Add:
        total: Poly = ()
        for term in expr.terms:
            part = from_expr(term, var)
            if part is None:
                return None
            total = _plus(total, part)
        return total
    if kind is Mul:
        product: Poly | None = (1,)
        for factor in expr.factors:
            part = from_expr(factor, var)
            if part is None:
                return None
            product = _times(product, part)
            if product is None:
                return None
        return product
    if kind is Pow and type(expr.exp) is Num and type(expr.exp.value) is int and expr.exp.value >= 0:
        base = from_expr(expr.base, var)
        if base is None or (len(base) - 1) * expr.exp.value > MAX_DEGREE:
            return None
        power: Poly | None = (1,)
        for _ in range(expr.exp.value):
            power = _times(power, base)
            if power is None:
                return None
        return power
    return None


def divide(p: Poly, q: Poly) -> tuple[Poly, Poly]:
    """(quotient, remainder) of p ÷ q, q not 0: p = quotient·q + remainder, the
    remainder of lower degree than q."""
    remainder = list(p)
    quotient: list[Rational] = [0] * max(len(p) - len(q) + 1, 0)
    lead = q[-1]
    for shift in range(len(p) - len(q), -1, -1):
        c = Fraction(remainder[shift + len(q) - 1]) / lead
        quotient[shift] = c
        if c:
            for i, b in enumerate(q):
                remainder[shift + i] -= c * b
    return _trim(quotient), _trim(remainder[: len(q) - 1])


def gcd(p: Poly, q: Poly) -> Poly:
    """The greatest common divisor of p and q, monic (leading coefficient 1); () when
    both are 0.  Euclid's algorithm, with exact fractions."""
    while q:
        p, q = q, divide(p, q)[1]
    if not p:
        return ()
    lead = Fraction(p[-1])
    return tuple(c / lead for c in p)


def to_expr(p: Poly, var: str) -> Expr:
    """The polynomial as an expression, highest degree first: 3x² − 1."""
    x = Sym(var)
    terms = []
    for degree in range(len(p) - 1, -1, -1):
        c = p[degree]
        if c == 0:
            continue
        power = Num(1) if degree == 0 else x if degree == 1 else Pow(x, Num(degree))
        terms.append(Num(c) if degree == 0 else power if c == 1 else mul(Num(c), power))
    return add(*terms)
