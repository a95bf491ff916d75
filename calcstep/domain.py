"""Where an expression has a value, and what a simplified derivative forgets of it.

A derivative exists only where its function has a value.  Simplifying can drop
the part that said where that is: d/dx [(x² − 1)/(x − 1)] simplifies to 1, which
has a value at x = 1, where the function has none.  `forgotten_conditions` finds
such parts, so that the report can say where the result holds.

The conditions read are the ones the notation itself sets: a divisor is not 0, a
logarithm's argument is positive, an even root's radicand is at least 0, and so
is the base of an irrational power.  A condition that always
holds (eˣ > 0, x² + 1 ≠ 0) is no condition.  What is kept is judged by the part's
base (x of x², x − 1 of −(x − 1), a product's factors one by one): ln(x²) and
its derivative 2/x both need x ≠ 0, so nothing is said of them.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import NamedTuple

from calcstep.errors import CalcstepError
from calcstep.evaluate import evaluate
from calcstep.expr import (
    LEAVES,
    Add,
    Call,
    Expr,
    Log,
    Mul,
    Note,
    Num,
    Pow,
    Rational,
    mul,
    neg,
    split_coefficient,
    walk,
)
from calcstep.simplify import is_nonnegative, is_positive

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
    (powers other than whole ones, logarithms), inner ones first.  Read on every
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


def _condition(node: Expr) -> Condition | None:
    """The condition one node sets on a part of it, if any."""
    kind = type(node)
    if kind is Pow:
        return _power_condition(node)
    if (kind is Call and node.fn == "ln") or kind is Log:
        return Condition(node.arg, POSITIVE)
    return None


def _always_holds(condition: Condition) -> bool:
    part = condition.part
    if condition.relation == NONNEGATIVE:
        return is_nonnegative(part)
    if type(part) is Pow and type(part.exp) is Num and part.exp.value < 0:
        return True  # 1/x is never 0
    return is_positive(part) or (condition.relation == NONZERO and is_positive(neg(part)))


def _strongest(relations: set[str]) -> str:
    """One relation saying all of `relations` on one part (≥ 0 and ≠ 0 is > 0)."""
    if POSITIVE in relations or relations == {NONNEGATIVE, NONZERO}:
        return POSITIVE
    (relation,) = relations
    return relation


def conditions(expr: Expr) -> list[Condition]:
    """The conditions `expr` sets on its parts with variables, one for each part
    (the strongest asked of it), inner parts first; those that always hold are
    left out."""
    found: dict[Expr, set[str]] = {}  # each part → what is asked of it
    for node in _setters(expr):
        condition = _condition(node)
        if condition is None:
            continue
        part = condition.part
        while condition.relation == NONZERO and type(part) is Pow and not part.exp.free_vars and is_positive(part.exp):
            part = part.base  # u^π is 0 only where u is: said of u, with what else u must be
        if type(part) is Pow and part.exp.free_vars:
            continue  # where uᵛ is 0 or has a value is its own matter: 0⁰ is 1, (−1)⁻¹ is −1
        if part.free_vars and not _always_holds(Condition(part, condition.relation)):
            found.setdefault(part, set()).add(condition.relation)
    return [Condition(part, _strongest(relations)) for part, relations in found.items()]


def _keys(part: Expr) -> tuple[object, ...]:
    """What a condition on `part` is judged by: its base, without powers by numbers,
    a leading number or bars (x of 2x³ and of |x|, x − 1 of (x − 1)²), a sum's
    as its terms in proportion (1 − x as x − 1, 2x − 2 as x − 1)."""
    while True:
        if type(part) is Pow and type(part.exp) is Num:
            part = part.base
        elif type(part) is Mul and type(part.factors[0]) is Num:
            part = mul(*part.factors[1:])
        elif type(part) is Call and part.fn == "abs":
            part = part.arg  # |x| > 0 where x ≠ 0
        else:
            break
    if type(part) is Add:
        return (_proportional_key(part),)
    return (part,)


def _proportional_key(total: Add) -> frozenset[tuple[Rational, Expr]]:
    """A sum's terms as (coefficient, rest), the coefficients divided by one term's,
    in any order: 8θ + 16e + 3 and θ + 2e + 3/8 (and −θ − 2e − 3/8) have one key,
    as they are 0 together."""
    parts = [part for part in map(split_coefficient, total.terms) if part[0] != 0]  # 0·x adds nothing
    if not parts:
        return frozenset()
    lead = min(parts, key=lambda part: part[1]._hash)[0]
    return frozenset((Fraction(coefficient) / lead, rest) for coefficient, rest in parts)


def forgotten_conditions(
    function: Expr, result: Expr, var: str, normal_form: Callable[[Expr], Expr]
) -> list[Condition]:
    """The conditions of `function` on a part with the variable `var` that no
    condition of `result` is on (judged by `_keys`, each part of `function` in its
    `normal_form` too: 1/(x + x) asks 2x ≠ 0, the x ≠ 0 of its derivative's −1/(2x²)).
    Where they fail the function has no value, and so no derivative, though `result`
    may have one.  A part without `var` is left out: ∂/∂x of 1/y − 3x is −3
    wherever it exists, and y ≠ 0 is no news about x."""
    wanted = [condition for condition in conditions(function) if var in condition.part.free_vars]
    if not wanted:
        return []  # a polynomial, most often: the result is not walked
    kept = {key for condition in _factored(conditions(result)) for key in _keys(condition.part)}
    forgotten: dict[Condition, None] = {}
    for condition in wanted:
        if not kept.isdisjoint(_keys(condition.part)):
            continue
        simple = Condition(normal_form(condition.part), condition.relation)
        for factor in _factored([simple]):
            if var in factor.part.free_vars and kept.isdisjoint(_keys(factor.part)):
                forgotten.setdefault(factor)
    return list(forgotten)


def _factored(found: list[Condition]) -> list[Condition]:
    """The conditions with a product that is not to be 0 split into its factors,
    each not to be 0 (x·(2x − 1) ≠ 0 is x ≠ 0 and 2x − 1 ≠ 0), and those that
    always hold left out."""
    split = []
    for condition in found:
        part = condition.part
        if condition.relation == NONZERO and type(part) is Mul:
            split += [Condition(factor, NONZERO) for factor in part.factors if factor.free_vars]
        else:
            split.append(condition)
    return [condition for condition in split if not _always_holds(condition)]


def forgotten_note(
    function: Expr, result: Expr, var: str, normal_form: Callable[[Expr], Expr]
) -> Note | None:
    """A note saying where `result` holds, when simplifying forgot it (see
    `forgotten_conditions`); else None."""
    forgotten = forgotten_conditions(function, result, var, normal_form)
    if not forgotten:
        return None
    said = " and ".join(f"{{{index}}} {condition.relation}" for index, condition in enumerate(forgotten))
    return Note(f"the result holds only where {said}: elsewhere the function has no value",
                tuple(condition.part for condition in forgotten))
