"""The rule engine: which rule applies to which expression, decided by one table.

`derive(expr, var)` returns the Step tree for d/d(var) expr.  Anything that does
not depend on the variable is a constant; otherwise the node's type selects a
dispatcher, which picks among the rules that fit that kind of node (a product of
a constant and the rest is a constant multiple, a product with divisors is a
quotient, and so on).  Results are memoised per sub-expression, so a shared
subtree is differentiated once, and every result is checked against the size
limit as it is made.
"""

from __future__ import annotations

from collections.abc import Callable

from calcstep import rules
from calcstep.deep import deep
from calcstep.errors import DerivationError, LimitError
from calcstep.expr import (
    Add,
    Apply,
    Call,
    Const,
    Expr,
    Log,
    Mul,
    Num,
    Pow,
    Sym,
    is_divisor,
    is_num,
    mul,
)
from calcstep.functions import BY_NAME
from calcstep.limits import DEFAULT_LIMITS, Limits
from calcstep.steps import Step


class Deriver:
    """Differentiates with respect to one variable, remembering what it has done.

    Calling it on an expression returns that expression's Step.  A subclass may
    override `__call__` to substitute the step for chosen sub-expressions: the
    answer checker replays a derivation with a learner's slip that way, so the
    rest of the derivation is the engine's own.

    With `record` false only the results are wanted (`diff --no-steps`): each step
    is cut down to its rule, target and result as soon as it is made, so what a
    derivation holds is one small step per distinct part, not the whole tree."""

    def __init__(
        self,
        var: str,
        limits: Limits,
        taken: frozenset[str] | None = None,
        root: Expr | None = None,
        record: bool = True,
        memo: dict[int, tuple[Expr, Step]] | None = None,
    ) -> None:
        self.var = var
        self.record = record
        self.symbol = Sym(var)
        self.limits = limits
        # node hash → (node, its step): keyed by the stored int, as the simplifier's
        # caches are, so a lookup never calls a node's __hash__ (a Python method);
        # a caller differentiating again by the same variable may share one
        self.memo: dict[int, tuple[Expr, Step]] = {} if memo is None else memo
        # the names the whole expression uses (its variables and abstract
        # functions), which the rules' letters keep clear of: given by a caller
        # that knows them, else found in `root` once a rule with letters to choose asks
        self._taken = taken
        self._root = root

    def __call__(self, expr: Expr) -> Step:
        known = self.memo.get(expr._hash)
        if known is not None and (known[0] is expr or known[0] == expr):
            return known[1]
        step = self.apply(expr)
        if step.result._size > self.limits.max_size:
            raise LimitError(
                f"the derivative grows past {self.limits.max_size:,} nodes",
                hint="raise the limit with --max-size, or simplify the input first",
            )
        if not self.record:
            step = Step(step.rule, expr, step.result, self.var)
        self.memo[expr._hash] = (expr, step)
        return step

    def apply(self, expr: Expr) -> Step:
        # `has`, read from the slot: every node derived asks it (so does _product)
        if self.var not in expr._free:
            return rules.constant(expr, self.var, self)
        dispatch = _DISPATCH.get(type(expr))
        if dispatch is None:  # pragma: no cover - every node type is in the table
            raise DerivationError(f"no rule applies to {type(expr).__name__}")
        return dispatch(expr, self)

    def local(self, expr: Expr, var: str) -> Step:
        """The derivative of a single stage with respect to its own input name."""
        return Deriver(var, self.limits, self._taken, self._root, self.record)(expr)

    @property
    def taken(self) -> frozenset[str]:
        """The variables and function names of the expression being differentiated."""
        if self._taken is None:
            self._taken = rules.names_used(self._root) if self._root is not None else frozenset()
        return self._taken

    def letters(self, rule: str, parts: tuple[Expr, ...]) -> tuple[str, ...]:
        """The letters naming `parts` in a step of `rule`: the rule's own unless the
        expression uses them for something else (rules.choose_letters)."""
        return rules.choose_letters(rule, parts, self.taken)


def _symbol(expr: Sym, d: Deriver) -> Step:
    return rules.variable(expr, d.var, d)


def _sum(expr: Add, d: Deriver) -> Step:
    return rules.sum_rule(expr, d.var, d)


def _product(expr: Mul, d: Deriver) -> Step:
    """Constant factors first (constant multiple), then divisors (quotient), else
    the product rule."""
    var = d.var
    constants = [f for f in expr.factors if var not in f._free]
    if constants:
        varying = [f for f in expr.factors if var in f._free]
        return rules.constant_multiple(expr, var, d, mul(*constants), mul(*varying))
    numerator = [f for f in expr.factors if not is_divisor(f)]
    divisors = [f for f in expr.factors if is_divisor(f)]
    if numerator and divisors:
        denominator = mul(*(Pow(f.base, Num(-f.exp.value, f.exp.decimal)) for f in divisors))
        return rules.quotient(expr, var, d, mul(*numerator), _unit_powers(denominator))
    # each of the n terms holds the other n − 1 factors: at least (n − 1)·size
    # nodes, refused before they are built (10,000 factors would take gigabytes)
    if (len(expr.factors) - 1) * (expr.size - 1) > d.limits.max_size:
        raise LimitError(
            f"the derivative grows past {d.limits.max_size:,} nodes: each of the product "
            f"rule's {len(expr.factors):,} terms holds the other factors",
            hint="raise the limit with --max-size, or multiply out fewer factors",
        )
    return rules.product(expr, var, d)


def _unit_powers(expr: Expr) -> Expr:
    """x^1 written as x, inside a product or alone (the denominator of 1/x is x)."""
    if type(expr) is Pow and type(expr.exp) is Num and expr.exp.value == 1:
        return expr.base
    if type(expr) is Mul:
        return mul(*(_unit_powers(factor) for factor in expr.factors))
    return expr


def _power(expr: Pow, d: Deriver) -> Step:
    var = d.var
    base_varies, exponent_varies = expr.base.has(var), expr.exp.has(var)
    if base_varies and exponent_varies:
        return rules.general_power(expr, var, d)
    if base_varies:
        if is_num(expr.exp, 0):  # 0 however written (0.0 too)
            return rules.zeroth_power(expr, var, d)
        if expr.base == d.symbol:
            return rules.power(expr, var, d)
        return rules.chain(expr, var, d, d.local)
    if expr.exp == d.symbol:
        return rules.exponential(expr, var, d)
    return rules.chain(expr, var, d, d.local)


def _call(expr: Call, d: Deriver) -> Step:
    if expr.fn not in BY_NAME:  # pragma: no cover - the parser admits only known names
        raise DerivationError(f"no rule for the function '{expr.fn}'")
    if expr.arg == d.symbol:
        return rules.known_function(expr, d.var, d)
    return rules.chain(expr, d.var, d, d.local)


def _log(expr: Log, d: Deriver) -> Step:
    if expr.base.has(d.var):
        return rules.change_of_base(expr, d.var, d)
    if expr.arg == d.symbol:
        return rules.logarithm_base(expr, d.var, d)
    return rules.chain(expr, d.var, d, d.local)


def _apply(expr: Apply, d: Deriver) -> Step:
    if expr.arg == d.symbol:
        return rules.abstract(expr, d.var, d)
    return rules.chain(expr, d.var, d, d.local)


def _leaf(expr: Expr, d: Deriver) -> Step:  # pragma: no cover - leaves are constants
    return rules.constant(expr, d.var, d)


_DISPATCH: dict[type, Callable[[Expr, Deriver], Step]] = {
    Num: _leaf,
    Const: _leaf,
    Sym: _symbol,
    Add: _sum,
    Mul: _product,
    Pow: _power,
    Call: _call,
    Log: _log,
    Apply: _apply,
}


@deep
def derive(
    expr: Expr,
    var: str,
    limits: Limits = DEFAULT_LIMITS,
    taken: frozenset[str] | None = None,
    record: bool = True,
    memo: dict[int, tuple[Expr, Step]] | None = None,
) -> Step:
    """The derivation of d/d`var` `expr`: a Step tree whose result is the derivative.
    `taken`: the names `expr` uses (variables and abstract functions), when known;
    `record` false: only the top step, with the same result (see Deriver); `memo`:
    the steps of parts already differentiated by `var`, with the same `taken` and
    `record`, to take up (and add to)."""
    return Deriver(var, limits, taken, root=expr, record=record, memo=memo)(expr)
