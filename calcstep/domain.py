"""Where an expression has a value, and what a simplified derivative forgets of it.

A derivative exists only where its function has a value.  Simplifying can drop
the part that said where that is: d/dx [(x² − 1)/(x − 1)] simplifies to 1, which
has a value at x = 1, where the function has none.  `forgotten_conditions` finds
such conditions, so that the report can say where the result holds.

The conditions read are the ones the notation itself sets: a divisor is not 0, a
logarithm's argument is positive, an even root's radicand is at least 0, and so
is the base of an irrational power; and the ones a function sets on its
argument (tan u needs cos u ≠ 0, arcsin u needs 1 − u² ≥ 0).  A condition that
always holds (eˣ > 0, x² + 1 ≠ 0, sec u ≠ 0) is no condition.  A condition of the
function is kept when the result's conditions say it too, judged by the part it
comes down to and what it asks of it (`_judged`): ln(x²) asks x² > 0, that is
x ≠ 0, which its derivative 2/x asks too, so nothing is said; ln(x) asks x > 0,
and its 1/x only x ≠ 0, so 1/x is said to hold where x is positive.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

from calcstep import polynomial
from calcstep.errors import CalcstepError
from calcstep.evaluate import evaluate
from calcstep.expr import (
    LEAVES,
    MINUS_ONE,
    ONE,
    TWO,
    Add,
    Call,
    Const,
    Expr,
    Log,
    Mul,
    Note,
    Num,
    Pow,
    Rational,
    Sym,
    add,
    mul,
    neg,
    split_coefficient,
    walk,
)
from calcstep.simplify import is_nonnegative, is_positive, known_sign, opposite

NONZERO = "is not 0"
POSITIVE = "is positive"
NONNEGATIVE = "is at least 0"


class Condition(NamedTuple):
    """`part` `relation` (x − 1 is not 0) wherever the expression has a value."""

    part: Expr
    relation: str


def _power_condition(power: Pow) -> Condition | None:
    """What uⁿ needs of u: u ≠ 0 for n < 0, u ≥ 0 for an even root (u > 0 when it
    also divides), u ≥ 0 for an irrational n (x^π; u > 0 for x^(−π)); nothing for
    a whole n ≥ 0 or an odd root.  Nor for an exponent with a variable: xˣ has a
    value at x = −1, though a derivative only where x > 0 (its ln(x) says so)."""
    base, exponent = power.base, power.exp
    if exponent.free_vars:
        return None
    if type(exponent) is not Num:
        return _irrational_power_condition(base, exponent)
    value = exponent.value
    if type(value) is Fraction and value.denominator % 2 == 0:
        return Condition(base, POSITIVE if value < 0 else NONNEGATIVE)
    return Condition(base, NONZERO) if value < 0 else None


def _irrational_power_condition(base: Expr, exponent: Expr) -> Condition | None:
    """u ≥ 0 for u^π, u > 0 for u^(−π): for an exponent with π, e or a function in
    it, by its sign.  One of numbers alone (3 + 2, 1.75·1.75⁻¹, √2) may be whole
    or an odd root, and one that is 0 or too near it to tell (log₃(1)) may be 0:
    nothing is said of them."""
    arithmetic = all(type(node) in (Num, Add, Mul, Pow) for node in walk(exponent))
    if arithmetic:
        return None
    try:
        value = evaluate(exponent, {})
    except CalcstepError:
        return None  # no value (the reading refused such parts already) or too large
    if abs(value) < 1e-9:
        return None
    return Condition(base, NONNEGATIVE if value > 0 else POSITIVE)


def _setters(expr: Expr) -> list[Expr]:
    """The distinct parts of `expr` with a variable that may set a condition
    (powers other than whole ones, functions, logarithms), inner ones first.  Read on every
    expression differentiated, so the walk passes over numbers, names, parts
    without a variable and x², x³ without a call."""
    found: list[Expr] = []
    stack = [expr]
    seen = {id(expr)}
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is Pow:
            exponent = node.exp
            if not (type(exponent) is Num and type(exponent.value) is int and exponent.value >= 0):
                found.append(node)
        elif kind is Call or kind is Log:
            found.append(node)
        for kid in node.children():
            if kid._free and type(kid) not in LEAVES and id(kid) not in seen:
                seen.add(id(kid))
                stack.append(kid)
    found.reverse()  # each part's own parts were found after it
    return found


# What a function asks of its argument u, as a condition on a part made of u:
# tan u needs cos u ≠ 0; arcsin u needs |u| ≤ 1, that is 1 − u² ≥ 0, the form its
# rate 1/√(1 − u²) keeps, so that the two are seen to ask the same.
def one_minus_square(u: Expr) -> Expr:
    return add(ONE, neg(Pow(u, TWO)))


def square_minus_one(u: Expr) -> Expr:
    return add(Pow(u, TWO), MINUS_ONE)


_ASKS: dict[str, Callable[[Expr], Condition]] = {
    "ln": lambda u: Condition(u, POSITIVE),
    # arcosh u needs u ≥ 1; arsech u needs 0 < u ≤ 1, its rate keeps u ≤ 1 (√(1 − u²))
    "acosh": lambda u: Condition(add(u, MINUS_ONE), NONNEGATIVE),
    "asech": lambda u: Condition(u, POSITIVE),
    "tan": lambda u: Condition(Call("cos", u), NONZERO),
    "sec": lambda u: Condition(Call("cos", u), NONZERO),
    "cot": lambda u: Condition(Call("sin", u), NONZERO),
    "csc": lambda u: Condition(Call("sin", u), NONZERO),
    "asin": lambda u: Condition(one_minus_square(u), NONNEGATIVE),
    "acos": lambda u: Condition(one_minus_square(u), NONNEGATIVE),
    "atanh": lambda u: Condition(one_minus_square(u), POSITIVE),
    "asec": lambda u: Condition(square_minus_one(u), NONNEGATIVE),
    "acsc": lambda u: Condition(square_minus_one(u), NONNEGATIVE),
    "acoth": lambda u: Condition(square_minus_one(u), POSITIVE),
    "coth": lambda u: Condition(u, NONZERO),
    "csch": lambda u: Condition(u, NONZERO),
    "acsch": lambda u: Condition(u, NONZERO),
}


def _conditions(node: Expr) -> tuple[Condition, ...]:
    """The conditions one node sets on its parts: log_b u needs u > 0, and of a
    base with a variable b > 0 and b − 1 ≠ 0 (log₁ u would divide by ln 1 = 0)."""
    kind = type(node)
    if kind is Log:
        if not node.base.free_vars:
            return (Condition(node.arg, POSITIVE),)
        return (Condition(node.arg, POSITIVE), Condition(node.base, POSITIVE),
                Condition(add(node.base, Num(-1)), NONZERO))
    condition = _power_condition(node) if kind is Pow else (
        asks(node.arg) if kind is Call and (asks := _ASKS.get(node.fn)) is not None else None)
    return () if condition is None else (condition,)


# Functions that are never 0 where they have a value: |sec u| ≥ 1, cosh u ≥ 1 …
_NEVER_ZERO = frozenset({"sec", "csc", "cosh", "sech", "csch", "coth", "sigmoid", "softplus"})


@lru_cache(maxsize=256)
def _always_holds(condition: Condition) -> bool:
    """True when the sign tests find `condition` holds for every value of its
    part's variables.  (Remembered: the conditions a result sets are asked again
    once their products are split, `_factored`.)"""
    part = condition.part
    if condition.relation == NONNEGATIVE:
        return is_nonnegative(part) or _quadratic_sign(part) >= 0
    if type(part) is Pow and type(part.exp) is Num and part.exp.value < 0:
        # 1/u is never 0, so it is positive wherever it is at least 0 (1/x², 1/√x);
        # 1/x may be negative: ln(1/x) asks 1/x > 0
        return condition.relation == NONZERO or is_nonnegative(part)
    if condition.relation == NONZERO and type(part) is Call and part.fn in _NEVER_ZERO:
        return True
    return (
        is_positive(part)
        or (condition.relation == NONZERO and is_positive(neg(part)))
        or _quadratic_sign(part) > 0  # x² − x + 1 is positive for every x, and so never 0
    )


def _never_holds(condition: Condition) -> bool:
    """True when the condition fails for every value of the part's variables: a
    part that must be positive yet is never (−(x − 1)² for ln), or must be at least
    0 yet is always negative (−x² − 1 under a square root).  A condition on a part
    without variables is the constants' check (`engine.check_constants`)."""
    part, relation = condition
    if not part.free_vars or relation == NONZERO:
        return False
    # a sum negated term by term, as the sign tests read sums: −x² − 1 is x² + 1
    opposite = add(*map(neg, part.terms)) if type(part) is Add else neg(part)
    if relation == POSITIVE:
        return is_nonnegative(opposite) or _quadratic_sign(opposite) >= 0
    return is_positive(opposite) or _quadratic_sign(opposite) > 0


def _quadratic_sign(expr: Expr) -> int:
    """For a quadratic ax² + bx + c in one variable with a > 0: 1 when it is
    positive for every x (b² − 4ac < 0: x² − x + 1), 0 when it is at least 0 and 0
    at one x (b² = 4ac: x² − 2x + 1); else, and for anything else, −1 (not known)."""
    if type(expr) is not Add or len(expr.terms) > 3 or len(expr.free_vars) != 1:
        return -1
    (var,) = expr.free_vars
    # each term's coefficient by its power of the variable, decimals read as the
    # exact numbers they are (x − x² − 0.25 is −(x − 1/2)², as x − x² − 1/4 is)
    coefficients: dict[int, Rational] = {}
    for term in expr.terms:
        coefficient, body = split_coefficient(term)
        power = 0 if body == ONE else 1 if body == Sym(var) else 2 if body == Pow(Sym(var), TWO) else None
        if power is None or power in coefficients:
            return -1
        coefficients[power] = coefficient
    a, b, c = (coefficients.get(power, 0) for power in (2, 1, 0))
    if a <= 0:
        return -1
    discriminant = b * b - 4 * a * c
    return 1 if discriminant < 0 else 0 if discriminant == 0 else -1


# How a condition that never holds is said of its part.
_NEVER = {POSITIVE: "is never positive", NONNEGATIVE: "is always negative"}

# The values of its argument u where a function has one, as intervals (low end,
# whether u may be it, high end, whether u may be it), None for no end: arcsin u
# needs −1 ≤ u ≤ 1, arcoth u needs u < −1 or u > 1.  Whether an argument ever
# lies there is read from u itself (`_range_verdict`), so that what is said is
# said of the argument written (sin(x) − 1 is always below 1), not of a part
# made of it (the sin(x) − 1 − 1 of arcosh's condition in `_ASKS`).
_Interval = tuple["Rational | None", bool, "Rational | None", bool]
_BETWEEN_ONES: tuple[_Interval, ...] = ((-1, True, 1, True),)
_BEYOND_ONES: tuple[_Interval, ...] = ((None, False, -1, True), (1, True, None, False))
_RANGES: dict[str, tuple[_Interval, ...]] = {
    "asin": _BETWEEN_ONES,
    "acos": _BETWEEN_ONES,
    "atanh": ((-1, False, 1, False),),
    "asec": _BEYOND_ONES,
    "acsc": _BEYOND_ONES,
    "acoth": ((None, False, -1, False), (1, False, None, False)),
    "acosh": ((1, True, None, False),),
    "asech": ((0, False, 1, True),),
}
# what an even root or an irrational power asks of its base, read the same way
_AT_LEAST_ZERO: tuple[_Interval, ...] = ((0, True, None, False),)


def _positive(expr: Expr) -> bool:
    return is_positive(expr) or _quadratic_sign(expr) > 0


def _nonnegative(expr: Expr) -> bool:
    return is_nonnegative(expr) or _quadratic_sign(expr) >= 0


def _minus(u: Expr, end: Rational) -> Expr:
    """u − end, its numbers added up (x² + 2 − 1 is x² + 1), as the sign tests
    read a quadratic by one number term."""
    terms = u.terms if type(u) is Add else (u,)
    others = [term for term in terms if type(term) is not Num]
    total = sum((term.value for term in terms if type(term) is Num), Fraction(0)) - end
    if total == 0:
        return add(*others)
    number = Num(int(total) if total.denominator == 1 else total)
    return add(*others, number)


def _known_range(u: Expr, ends: set[Rational]) -> _Interval:
    """The values u takes, as far as the sign tests tell of u beside each of
    `ends`: x² + 2 is above −1 and above 1, so (1, ∞)."""
    low: Rational | None = None
    low_in = False
    high: Rational | None = None
    high_in = False
    for end in sorted(ends):
        difference = _minus(u, end)
        if _positive(difference):
            side, strict = 1, True
        elif _positive(opposite(difference)):
            side, strict = -1, True
        elif _nonnegative(difference):
            side, strict = 1, False
        elif _nonnegative(opposite(difference)):
            side, strict = -1, False
        else:
            continue
        if side > 0 and (low is None or end > low or (end == low and strict)):
            low, low_in = end, not strict
        if side < 0 and (high is None or end < high or (end == high and strict)):
            high, high_in = end, not strict
    return low, low_in, high, high_in


def _meeting(known: _Interval, allowed: _Interval) -> tuple[Rational | None, bool, Rational | None, bool]:
    """The interval both `known` and `allowed` are."""
    (low, low_in, high, high_in), (a_low, a_low_in, a_high, a_high_in) = known, allowed
    if a_low is not None and (low is None or a_low > low):
        low, low_in = a_low, a_low_in
    elif a_low is not None and a_low == low:
        low_in = low_in and a_low_in
    if a_high is not None and (high is None or a_high < high):
        high, high_in = a_high, a_high_in
    elif a_high is not None and a_high == high:
        high_in = high_in and a_high_in
    return low, low_in, high, high_in


@lru_cache(maxsize=256)
def _range_verdict(u: Expr, allowed: tuple[_Interval, ...]) -> tuple[str, tuple[Rational, ...]] | None:
    """What the sign tests tell of where u lies among the `allowed` intervals: how
    the values it takes are said, with () when none of them is allowed, or with
    the allowed ones, each an end of an interval, when those are all it can be
    (x² + 1 for arcsin: 1 alone); None when u may lie inside an allowed interval,
    or nothing is known.  (Remembered: `nowhere` and then `only_at_points` ask it
    of the same arguments.)"""
    ends = {end for interval in allowed for end in (interval[0], interval[2]) if end is not None}
    known = _known_range(u, ends)
    if known[0] is None and known[2] is None:
        return None
    points: list[Rational] = []
    for interval in allowed:
        low, low_in, high, high_in = _meeting(known, interval)
        if low is None or high is None or low < high:
            return None  # u may lie inside the interval (or its side is not known)
        if low == high and low_in and high_in:
            points.append(low)
    return _said(known), tuple(points)


def number_text(value: Rational) -> str:
    return str(value).replace("-", "−")


def _said(known: _Interval) -> str:
    """How the values a part takes are said: "is always below 1", "is never
    positive" (−x²), "is always strictly between −1 and 1"."""
    low, low_in, high, high_in = known
    if high is None:
        if low == 0:
            return "is never negative" if low_in else "is always positive"
        return f"is never below {number_text(low)}" if low_in else f"is always above {number_text(low)}"
    if low is None:
        if high == 0:
            return "is never positive" if high_in else "is always negative"
        return f"is never above {number_text(high)}" if high_in else f"is always below {number_text(high)}"
    if low_in and high_in:
        return f"is always between {number_text(low)} and {number_text(high)}"
    if not (low_in or high_in):
        return f"is always strictly between {number_text(low)} and {number_text(high)}"
    lower = f"at least {number_text(low)}" if low_in else f"above {number_text(low)}"
    upper = f"at most {number_text(high)}" if high_in else f"below {number_text(high)}"
    return f"is always {lower} and {upper}"


# Functions that take each value at no more than countably many arguments (sin u
# = 1 at π/2 + 2kπ, |u| = 1 at ±1): all known ones but those constant over an
# interval (relu, the step and sgn).
_LEVELLED = frozenset({
    "sin", "cos", "tan", "sec", "csc", "cot", "asin", "acos", "atan", "acot", "asec", "acsc",
    "sinh", "cosh", "tanh", "sech", "csch", "coth", "asinh", "acosh", "atanh", "acoth", "asech", "acsch",
    "ln", "abs", "sigmoid", "softplus",
})


def _nonzero_constant(expr: Expr) -> bool:
    return (type(expr) is Num and expr.value != 0) or type(expr) is Const


def _separate_levels(expr: Expr) -> bool:
    """True when `expr`, of one variable, takes each value at no more than
    countably many values of it (x² − 1 at two, sin(x) − 1 at π/2 + 2kπ), so at no
    interval of them: where it is one value, as 0, it is so at separate points
    alone, with no interval around any.  Conservative: False for what is not
    known (relu(x), x − x, a product of two parts with x).  Each step goes into
    the one part with the variable, so the walk is a loop, however deep."""
    while True:
        kind = type(expr)
        if kind is Sym:
            return True
        if not expr.free_vars:
            return False
        if kind is Call:
            if expr.fn not in _LEVELLED:
                return False
            expr = expr.arg
        elif kind is Log:
            if expr.base.free_vars:
                return False
            expr = expr.arg
        elif kind is Pow:
            base = expr.base
            if expr.exp.free_vars:  # aᵘ for a constant a > 0 other than 1 takes each value once
                if base.free_vars or not (type(base) is Const or (type(base) is Num and 0 < base.value != 1)):
                    return False
                expr = expr.exp
            elif _nonzero_constant(expr.exp):  # uⁿ = c at most at two u
                expr = base
            else:
                return False
        elif kind is Mul:
            varying = [factor for factor in expr.factors if factor.free_vars]
            if len(varying) != 1 or not all(_nonzero_constant(factor) for factor in expr.factors
                                            if not factor.free_vars):
                return False
            expr = varying[0]
        elif kind is Add:
            varying = [term for term in expr.terms if term.free_vars]
            if len(varying) == 1:
                expr = varying[0]
                continue
            if len(expr.free_vars) != 1:
                return False
            (var,) = expr.free_vars
            poly = polynomial.from_expr(expr, var)
            return poly is not None and len(poly) >= 2  # a polynomial of degree 1 or more
        else:
            return False


def set_conditions(expr: Expr) -> list[tuple[Expr, Condition]]:
    """Each part of `expr` with a variable that sets a condition, with that
    condition, inner parts first: what `nowhere` and `conditions` read (the
    reading's caller walks an expression once for both)."""
    return [(node, condition) for node in _setters(expr) for condition in _conditions(node)]


def nowhere(setting: list[tuple[Expr, Condition]]) -> tuple[Expr, Expr, str] | None:
    """The innermost of the parts `setting` lists (`set_conditions`) that has no
    value for any value of its variables, with the part whose values it cannot
    have and how that is said (ln(−x²): −x² is never positive; arcsin(x² + 2):
    x² + 2 is always above 1); None when there is none known.  Such an expression
    has no value anywhere, so it has no derivative to give."""
    for node, condition in setting:
        allowed = _RANGES.get(node.fn) if type(node) is Call else None
        if allowed is not None:  # read of the argument itself, not of the condition's part
            verdict = _range_verdict(node.arg, allowed) if node.arg.free_vars else None
            if verdict is not None and not verdict[1]:
                return node, node.arg, verdict[0]
        elif _never_holds(condition):
            return node, condition.part, _NEVER[condition.relation]
    return None


class Bound(NamedTuple):
    """What a part needs of a variable: to be above `end` (`upward`) or below it,
    the end itself allowed or not."""

    part: Expr
    end: Fraction
    allowed: bool
    upward: bool

    def said(self, var: str) -> str:
        """x > 0, x ≤ 1/2 (`var` as it is to be written)."""
        sign = (">" if self.upward else "<") if not self.allowed else ("≥" if self.upward else "≤")
        return f"{var} {sign} {number_text(self.end)}"


class Clash(NamedTuple):
    """Two parts whose conditions on one variable cannot both hold (ln(−2x) needs
    x < 0, ln(x) needs x > 0), or, with `point` set, hold at that value alone
    (√x + √(−x) at 0); `first` is the part written first."""

    first: Bound
    second: Bound
    var: str
    point: Fraction | None


def clash(setting: list[tuple[Expr, Condition]], var: str | None = None) -> Clash | None:
    """The first two parts `setting` lists whose conditions, each a line in one
    variable (a·x + b > 0 or ≥ 0), leave no value of it, or, for the variable
    `var`, one alone; None when there are none.  Conditions of other shapes are
    not read here (`nowhere` reads each one alone)."""
    if len(setting) < 2:
        return None
    low: dict[str, Bound] = {}  # for each variable, the highest lower end so far
    high: dict[str, Bound] = {}  # and the lowest upper end
    for node, condition in setting:
        found = _linear_bound(node, condition)
        if found is None:
            continue
        name, bound = found
        ends = low if bound.upward else high
        held = ends.get(name)
        if held is None or (bound.end > held.end if bound.upward else bound.end < held.end) or (
            bound.end == held.end and not bound.allowed
        ):
            ends[name] = bound
        if name in low and name in high:
            bottom, top = low[name], high[name]
            met = bottom.end == top.end and bottom.allowed and top.allowed
            if bottom.end > top.end or (bottom.end == top.end and not met) or (met and name == var):
                return Clash(*_in_order(bottom, top, node), name, bottom.end if met else None)
    return None


def _in_order(one: Bound, other: Bound, last: Expr) -> tuple[Bound, Bound]:
    """The two bounds, the one of the part `last` met second."""
    return (other, one) if one.part is last else (one, other)


def _linear_bound(node: Expr, condition: Condition) -> tuple[str, Bound] | None:
    """The variable and the bound a condition a·x + b > 0 (or ≥ 0) sets on it, for
    the part `node`; None for a condition of another shape.  The line is read
    from the part's terms as they stand (x, 2x, −x + 1): asked of every condition
    of every expression, it is not read as a polynomial."""
    if condition.relation not in (POSITIVE, NONNEGATIVE) or len(condition.part.free_vars) != 1:
        return None
    part = condition.part
    slope = offset = Fraction(0)
    for term in part.terms if type(part) is Add else (part,):
        kind = type(term)
        if kind is Num:
            offset += Fraction(term.value)
        elif kind is Sym:
            slope += 1
        elif kind is Mul and sum(type(factor) is Sym for factor in term.factors) == 1 and all(
            type(factor) in (Num, Sym) for factor in term.factors
        ):
            # 2x, or x·2 and −x·3 as written
            slope += math.prod((Fraction(f.value) for f in term.factors if type(f) is Num), start=Fraction(1))
        else:
            return None
    if slope == 0:
        return None
    (var,) = part.free_vars
    return var, Bound(node, -offset / slope, condition.relation == NONNEGATIVE, slope > 0)


def only_at_points(setting: list[tuple[Expr, Condition]], var: str) -> tuple[Expr, Expr, str, str] | None:
    """The innermost of the parts `setting` lists that has a value only at
    separate values of `var`, with no interval around any, so that nothing made
    of it has a derivative by `var` anywhere: √(−x²) has a value at x = 0 alone,
    arcsin(x² + 1) too, √(sin(x) − 1) where sin x = 1.  Given as (the part, its
    argument, how the argument's values are said, the values where it has one:
    "0", "−1 or 1"); None when there is none known.

    Said only of an argument of `var` alone whose every value it takes at
    separate points (`_separate_levels`): √(−relu(x)) has a value for every
    x ≤ 0, and √(−y²) + x one for every x where y = 0, each with a derivative by x."""
    for node, condition in setting:
        if type(node) is Call and node.fn in _RANGES:
            part, allowed = node.arg, _RANGES[node.fn]
        elif type(node) is Pow and condition.relation == NONNEGATIVE:
            part, allowed = condition.part, _AT_LEAST_ZERO
        else:
            continue
        if part.free_vars != frozenset({var}):
            continue
        verdict = _range_verdict(part, allowed)
        if verdict is not None and verdict[1] and _separate_levels(part):
            return node, part, verdict[0], " or ".join(map(number_text, verdict[1]))
    return None


def _strongest(relations: set[str]) -> str:
    """One relation saying all of `relations` on one part (≥ 0 and ≠ 0 is > 0)."""
    if POSITIVE in relations or relations == {NONNEGATIVE, NONZERO}:
        return POSITIVE
    (relation,) = relations
    return relation


def conditions(expr: Expr, setting: list[tuple[Expr, Condition]] | None = None) -> list[Condition]:
    """The conditions `expr` sets on its parts with variables, one for each part
    (the strongest asked of it), inner parts first; those that always hold are
    left out.  `setting`: `set_conditions(expr)`, when the caller has it."""
    found: dict[Expr, set[str]] = {}  # each part → what is asked of it
    for _, condition in set_conditions(expr) if setting is None else setting:
        part = condition.part
        while condition.relation == NONZERO and type(part) is Pow and not part.exp.free_vars and is_positive(part.exp):
            part = part.base  # u^π is 0 only where u is: said of u, with what else u must be
        if type(part) is Pow and part.exp.free_vars:
            continue  # where uᵛ is 0 or has a value is its own matter: 0⁰ is 1, (−1)⁻¹ is −1
        if part.free_vars and not _always_holds(Condition(part, condition.relation)):
            found.setdefault(part, set()).add(condition.relation)
    return [Condition(part, _strongest(relations)) for part, relations in found.items()]


# Relations as matching judges them: a part's sign may flip on the way to its
# key (−x > 0 is x < 0), so the two relations a flip makes are needed too.
NEGATIVE = "is negative"
NONPOSITIVE = "is at most 0"
_FLIPPED = {POSITIVE: NEGATIVE, NEGATIVE: POSITIVE, NONNEGATIVE: NONPOSITIVE, NONPOSITIVE: NONNEGATIVE,
            NONZERO: NONZERO}
# what a relation of uⁿ asks of u: for an even n, u² > 0 is u ≠ 0 and u² ≥ 0 is
# nothing (None); for 1/u, 1/u ≠ 0 is nothing and 1/u ≥ 0 is u > 0
_OF_EVEN_POWER = {POSITIVE: NONZERO, NONNEGATIVE: None, NONZERO: NONZERO, NEGATIVE: NONZERO, NONPOSITIVE: NONZERO}
_OF_RECIPROCAL = {POSITIVE: POSITIVE, NONNEGATIVE: POSITIVE, NONZERO: None, NEGATIVE: NEGATIVE,
                  NONPOSITIVE: NEGATIVE}
_OF_ROOT = {POSITIVE: POSITIVE, NONNEGATIVE: None, NONZERO: NONZERO, NEGATIVE: NEGATIVE, NONPOSITIVE: NONZERO}


def _judged(part: Expr, relation: str) -> tuple[object, str] | None:
    """The condition `part` `relation` as matching judges it: (the key of the part
    it comes down to, what it asks of that part), or None when it asks nothing.
    Powers by numbers, bars and a leading number are taken off, with what they do
    to the relation (x² > 0 is x ≠ 0, −x > 0 is x < 0, |x| > 0 is x ≠ 0); a sum is
    keyed by its terms in proportion (2 − 2x > 0 is x − 1 < 0)."""
    while True:
        kind = type(part)
        if kind is Pow and type(part.exp) is Num:
            value = part.exp.value
            if value < 0:
                relation = _OF_RECIPROCAL[relation]
            elif type(value) is int and value % 2 == 0:
                relation = _OF_EVEN_POWER[relation]
            elif type(value) is Fraction and value.denominator % 2 == 0:
                relation = _OF_ROOT[relation]
            if relation is None:
                return None
            part = part.base
        elif kind is Mul and (sign := _constant_sign(part.factors[0])):
            if sign < 0:
                relation = _FLIPPED[relation]
            part = mul(*part.factors[1:])
        elif kind is Call and part.fn == "abs":
            relation = _OF_EVEN_POWER[relation]  # |x| as √(x²)
            if relation is None:
                return None
            part = part.arg
        elif kind is Add and (perfect := _perfect_power(part)) is not None:
            # x² − 4x + 4 > 0 is (x − 2)² > 0, that is x − 2 ≠ 0
            base, times, scale = perfect
            if scale < 0:
                relation = _FLIPPED[relation]
            if times % 2 == 0:
                relation = _OF_EVEN_POWER[relation]
                if relation is None:
                    return None
            part = base
        elif kind is Add:
            key, lead = _proportional_key(part)
            return key, _FLIPPED[relation] if lead < 0 else relation
        else:
            return part, relation


def _constant_sign(factor: Expr) -> int:
    """+1 or −1 for a leading factor that is a constant of known sign (−2, π, √2:
    a product's numbers and constants come first), else 0."""
    if type(factor) is Num:
        return (factor.value > 0) - (factor.value < 0)
    return known_sign(factor) if not factor.free_vars else 0


def _perfect_power(total: Add) -> tuple[Expr, int, Rational] | None:
    """(a, k, c) for a polynomial in one variable that is c·aᵏ with k ≥ 2 and a of
    degree 1 or more (x² − 4x + 4 is (x − 2)², c = 1); else None."""
    if len(total.free_vars) != 1:
        return None
    (var,) = total.free_vars
    poly = polynomial.from_expr(total, var)
    factors = polynomial.repeated_factors(poly) if poly is not None else None
    if not factors or len(factors) != 1 or factors[0][1] < 2:
        return None
    base, times = factors[0]
    return polynomial.to_expr(base, var), times, poly[-1]


def _proportional_key(total: Add) -> tuple[frozenset[tuple[Rational, Expr]], Rational]:
    """A sum's terms as (coefficient, rest), the coefficients divided by one term's
    (the lead, given too), in any order: 8θ + 16e + 3 and θ + 2e + 3/8 (and
    −θ − 2e − 3/8, with a negative lead) have one key, as they are 0 together."""
    parts = [part for part in map(split_coefficient, total.terms) if part[0] != 0]  # 0·x adds nothing
    if not parts:
        return frozenset(), 1
    lead = min(parts, key=lambda part: part[1]._hash)[0]
    return frozenset((Fraction(coefficient) / lead, rest) for coefficient, rest in parts), lead


def _implied(relation: str, known: set[str]) -> bool:
    """Whether the relations `known` of a part say `relation` of it too."""
    if relation in known:
        return True
    if relation == NONZERO:
        return POSITIVE in known or NEGATIVE in known
    if relation == POSITIVE:
        return NONNEGATIVE in known and NONZERO in known
    if relation == NEGATIVE:
        return NONPOSITIVE in known and NONZERO in known
    return (relation == NONNEGATIVE and POSITIVE in known) or (relation == NONPOSITIVE and NEGATIVE in known)


def forgotten_conditions(
    function: Expr, result: Expr, var: str, normal_form: Callable[[Expr], Expr],
    setting: list[tuple[Expr, Condition]] | None = None,
) -> list[Condition]:
    """The conditions of `function` on a part with the variable `var` that the
    conditions of `result` do not say too (judged by `_judged`, each part of
    `function` in its `normal_form` too: 1/(x + x) asks 2x ≠ 0, which the x ≠ 0
    of its derivative's −1/(2x²) says).  Where they fail the function has no
    value, and so no derivative, though `result` may have one: ln(x) asks x > 0,
    its rate 1/x only x ≠ 0.  A part without `var` is left out: ∂/∂x of 1/y − 3x
    is −3 wherever it exists, and y ≠ 0 is no news about x."""
    wanted = [condition for condition in conditions(function, setting) if var in condition.part.free_vars]
    if not wanted:
        return []  # a polynomial, most often: the result is not walked
    known: dict[object, set[str]] = {}  # each key → the relations the result asks of it
    for condition in _factored(conditions(result)):
        judged = _judged(condition.part, condition.relation)
        if judged is not None:
            known.setdefault(judged[0], set()).add(judged[1])

    def said(condition: Condition) -> bool:
        judged = _judged(condition.part, condition.relation)
        return judged is None or _implied(judged[1], known.get(judged[0], set()))

    forgotten: dict[Condition, None] = {}
    for condition in wanted:
        if said(condition):
            continue
        simple = Condition(normal_form(condition.part), condition.relation)
        for factor in _factored([simple]):
            if var in factor.part.free_vars and not said(factor):
                forgotten.setdefault(factor)
    return _strongest_only(list(forgotten))


def _strongest_only(found: list[Condition]) -> list[Condition]:
    """The conditions without those another one says too: ln(√x) asks x ≥ 0 and
    √x > 0, and √x > 0 is x > 0, which says x ≥ 0."""
    judged = [_judged(condition.part, condition.relation) for condition in found]
    return [
        condition
        for index, (condition, mine) in enumerate(zip(found, judged, strict=True))
        if mine is None or not any(
            other is not None and other[0] == mine[0] and other[1] != mine[1] and _implied(mine[1], {other[1]})
            for place, other in enumerate(judged) if place != index
        )
    ]


def _factored(found: list[Condition]) -> list[Condition]:
    """The conditions with a product that is not to be 0 split into its factors,
    each not to be 0 (x·(2x − 1) ≠ 0 is x ≠ 0 and 2x − 1 ≠ 0), and those that
    always hold left out."""
    split = []
    pending = list(reversed(found))
    while pending:
        condition = pending.pop()
        part = condition.part
        if condition.relation == NONZERO and type(part) is Mul:
            pending += [Condition(factor, NONZERO) for factor in reversed(part.factors) if factor.free_vars]
        elif condition.relation == NONZERO and type(part) is Call and part.fn == "ln":
            # ln u ≠ 0 is u ≠ 1: what a base u of log_u asks (1/ln²x says x ≠ 1)
            split.append(Condition(add(part.arg, Num(-1)), NONZERO))
        else:
            split.append(condition)
    return [condition for condition in split if not _always_holds(condition)]


def _said_of_base(condition: Condition) -> Condition:
    """The condition said of what it comes down to, when a sign test is asked of
    an odd power or of a positive multiple: 1/x > 0 is x > 0, x³ ≥ 0 is x ≥ 0,
    1/x³ ≥ 0 is x > 0, 2/x > 0 is x > 0."""
    part, relation = condition
    if relation == NONZERO and type(part) is Add and len(part.terms) == 2 and type(part.terms[-1]) is Num:
        # x − 1 ≠ 0 is said x ≠ 1
        return Condition(part.terms[0], f"is not {number_text(-part.terms[-1].value)}")
    while relation in (POSITIVE, NONNEGATIVE):
        if type(part) is Pow and type(part.exp) is Num and type(part.exp.value) is int and part.exp.value % 2 == 1:
            if part.exp.value < 0:
                relation = POSITIVE  # 1/x is never 0: at least 0 is positive
            part = part.base
        elif type(part) is Mul and _constant_sign(part.factors[0]) > 0:
            part = mul(*part.factors[1:])
        else:
            break
    return Condition(part, relation)


def forgotten_note(
    function: Expr, result: Expr, var: str, normal_form: Callable[[Expr], Expr],
    setting: list[tuple[Expr, Condition]] | None = None,
) -> Note | None:
    """A note saying where `result` holds, when simplifying forgot it (see
    `forgotten_conditions`; `setting`: `set_conditions(function)`, when the caller
    has it); else None."""
    found = forgotten_conditions(function, result, var, normal_form, setting)
    # said once each: log_x(2x) asks 2x > 0 and x > 0, both x > 0 as said
    forgotten = list(dict.fromkeys(_said_of_base(condition) for condition in found))
    if not forgotten:
        return None
    said = " and ".join(f"{{{index}}} {condition.relation}" for index, condition in enumerate(forgotten))
    return Note(f"the result holds only where {said}: elsewhere the function has no value",
                tuple(condition.part for condition in forgotten))
