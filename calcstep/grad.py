"""Gradients through a computation: backpropagation as the chain rule, node by node.

`grad_report(text, wrt, at)` builds the computation graph of an expression (one
node per distinct sub-expression, so a shared sub-expression is one node with
several users), runs

* the forward pass: each node's value at the point, with calcstep's evaluation
  rules (a node that has no value there is an error that names the node);
* the local rates: for each node and each of its inputs, ∂node/∂input at the
  point.  A sum's rates are 1 and a product's are the products of the other
  inputs (computed directly, so a sum of a thousand terms costs a thousand
  steps).  Every other rate comes from the rule engine itself: the node's
  operation is written on stand-in names for its inputs (tanh(#0), #0^2, e^#0)
  and `derive` gives the rate (sech²(#0), 2·#0, e^#0), which is evaluated at the
  inputs' values.  So a power's rate is n·u^(n−1), a^u·ln a or the general power
  rule, and a function's is its derivative from the function table.  A function
  met exactly at its corner (relu, abs at 0) has no rate there: it is undefined,
  with a note, and so is every gradient whose paths cross it;
* the backward pass (reverse-mode chain rule): ∂out/∂out = 1 and, walking the
  graph from the output back to the inputs,

      ∂out/∂input = Σ over the input's users   ∂out/∂user · ∂user/∂input,

  so every path from an input to the output contributes the product of the
  local rates along it, and the contributions add.

Each variable's gradient is set beside its symbolic partial derivative from the
rule engine, evaluated at the same point: the two are one computation checked by
another.

The chain of local rates follows, for each variable, its dominant path: of all
paths from the variable to the output, the one whose product of local rates is
largest in size (where every product is 0, one through a stage at a flat point
of its own operation, if any: the tie is not left to the order factors are
written in).  For a composition (each weight used once) it is the only path
and its product is the gradient.  Stage 0 is the variable; each later stage is a
node on the path, its local rate with respect to the stage before, and the running
product — the nudge falling through the stacked number lines, in numbers.

Warnings (`vanishing`, `exploding`) are defined on the gradient itself: a variable
is flagged when |∂out/∂variable| < 1e-3 or > 1e3 (for a single path, the size of
the product of its local rates), and not otherwise, with two exceptions, both
small gradients that are no loss of the nudge on its way back:

* the paths' products cancel (the largest is not small): a note says so;
* the gradient is 0 (every path's product is, or a single path's rate is 0
  once settled exactly) because the output is at a stationary point along the
  variable.  That is told apart (`Stationary`) by the second-derivative test
  along the variable, the others held: a curvature other than 0 is a minimum or
  maximum, whichever stage's rate is the 0 (a product's factor of 0 as much as
  (w·x − y)² where the error is 0); a curvature of 0 is a flat point only where
  a stage's local rate is 0 where its own operation is stationary (its rate is
  0 there but not just beside it: (w·x − y)³ where the error is 0, cos at 0).
  Without one, a rate 0 on both sides too (a ReLU switched off, w·x at x = 0) is
  a flat stretch no nudge crosses nearby either, and stays a warning.

A warning names the stage where the running product along the dominant path left
[1e-3, 1e3] for good, and the stages with the smallest (vanishing) or largest
(exploding) local rates: the ones that shrink or grow the product most.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import pairwise

from calcstep.derive import derive
from calcstep.engine import (
    PointValue,
    absent_variable,
    check_variable_name,
    constant_near,
    corner_point,
    derive_orders,
    parse_point,
    value_at_point,
)
from calcstep.errors import (
    AtZeroError,
    CalcstepError,
    DomainError,
    LimitError,
    TooLargeError,
    UsageError,
    shortened,
)
from calcstep.evaluate import evaluate
from calcstep.expr import (
    ONE,
    ZERO,
    Add,
    Apply,
    Call,
    Const,
    E,
    Expr,
    Log,
    Mul,
    Note,
    Num,
    Pow,
    Sym,
    add,
    is_num,
    mul,
    name_key,
    rebuild,
    substitute,
    walk,
)
from calcstep.functions import BY_NAME, DEFAULT_ABSTRACT
from calcstep.limits import DEFAULT_LIMITS, Limits
from calcstep.parse import Parsed, function_meant_by, parse
from calcstep.printer import escape_braces, to_text
from calcstep.simplify import Simplifier, simplify
from calcstep.steps import Derivation

VANISHING_BELOW = 1e-3
EXPLODING_ABOVE = 1e3
AGREEMENT = 1e-9  # relative tolerance between the backward pass and the rule engine
NAMED_STAGES = 3  # how many shrinking (or growing) stages a warning names
PATHS_LISTED = 4  # a chain with this many paths or fewer lists each path's product
_FORMULA_FACTORS = 8  # products with more factors keep no rate formulas

# Stand-in names for a node's inputs when its operation is differentiated on its
# own.  '#' cannot start a variable name, so they never clash with the user's.
_STAND_IN = "#{}"

# Inputs kept as themselves in a node's operation: numbers and named constants.
# They cannot be nudged, and an exponent must stay an exact number for calcstep's
# real odd roots ((-8)^(1/3) = -2) to apply.
_LITERALS: frozenset[type] = frozenset({Num, Const})


# ---------------------------------------------------------------------------
# What the report holds
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GraphNode:
    """One node of the computation graph.

    `id` is 1-based and topological (every input has a smaller id); the output
    is the last node.  `formula` is the operation written on the inputs' names
    (n3·n5, tanh(n4)); `rates[i]` is ∂node/∂inputs[i] at the point, None for an
    input that is a constant (nothing nudges it) or where the rate is undefined.
    `rate_formulas[i]` is that rate written on the inputs' names (sech(n4)^2),
    None for a constant input and for the factors of a product of more than
    eight.  `gradient` is ∂out/∂node, None for a constant node or where it is
    undefined.
    """

    id: int
    expr: Expr
    operation: str
    formula: Expr
    inputs: tuple[int, ...]
    value: float
    rates: tuple[float | None, ...]
    rate_formulas: tuple[Expr | None, ...]
    gradient: float | None

    @property
    def varies(self) -> bool:
        """True when the node depends on a variable (so a nudge can reach it)."""
        return bool(self.expr.free_vars)


@dataclass(frozen=True, slots=True)
class Graph:
    """The computation graph after the forward and backward passes.

    `undefined[i]` says why node i+1's gradient is undefined (None where it is
    defined); `notes` are remarks such as a relu met exactly at its corner."""

    nodes: tuple[GraphNode, ...]
    undefined: tuple[Note | None, ...]
    notes: tuple[Note, ...] = ()
    scales: tuple[float, ...] = ()  # Σ over paths of |product|: the size of the sum's terms

    @property
    def output(self) -> GraphNode:
        return self.nodes[-1]

    def node(self, node_id: int) -> GraphNode:
        return self.nodes[node_id - 1]

    def variable(self, name: str) -> GraphNode | None:
        """The input node of the variable `name`, if the expression uses it."""
        variable = Sym(name)
        return next((n for n in self.nodes if n.expr == variable), None)


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of a chain: `node`, its local rate with respect to the stage
    before (None for stage 0, the variable itself), the running product of the
    rates so far, and log10 of its size (None when the product is exactly 0),
    which stays right where the float product underflows or overflows."""

    node: int
    rate: float | None
    product: float
    log10_size: float | None


@dataclass(frozen=True, slots=True)
class PathProduct:
    """One path from a variable to the output: its node ids (the variable's first,
    the output's last) and the local rate of each step along it (None where
    undefined).  The multivariable chain rule adds the paths' products."""

    nodes: tuple[int, ...]
    rates: tuple[float | None, ...]

    @property
    def product(self) -> float | None:
        """The product of the rates; None when one of them is undefined."""
        if None in self.rates:
            return None
        return math.prod(rate for rate in self.rates if rate is not None)


@dataclass(frozen=True, slots=True)
class Chain:
    """The dominant path from `variable` to the output, as stages.

    `paths` counts the paths from the variable to the output through distinct
    nodes (a residual connection doubles them per layer; x·x is one step whose
    rate is the sum of its two uses' rates), those through an undefined local
    rate (relu at its corner) included: the dominant path is chosen among the
    others.  When it is 1 the final running product is the gradient; otherwise
    the gradient sums all of the paths' products.  `every` lists each path with
    its rates when there are at most PATHS_LISTED of them (empty otherwise)."""

    variable: str
    stages: tuple[Stage, ...]
    paths: int
    every: tuple[PathProduct, ...] = ()

    @property
    def product(self) -> float:
        return self.stages[-1].product

    @property
    def path(self) -> tuple[int, ...]:
        return tuple(stage.node for stage in self.stages)


@dataclass(frozen=True, slots=True)
class GradientWarning:
    """A gradient outside [1e-3, 1e3]: `kind` is "vanishing" or "exploding".

    `size` is |∂out/∂variable|.  `crossed_at` is the stage of the chain from which
    the running product stays beyond the threshold it ends beyond (None when the
    dominant path alone does not end there, which takes several paths);
    `stages` are the stage numbers that shrink (vanishing) or grow (exploding)
    the product most, most extreme first."""

    kind: str
    variable: str
    size: float
    threshold: float
    path: tuple[int, ...]
    crossed_at: int | None
    stages: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Stationary:
    """A gradient that is 0 because the output is flat to first order along
    `variable`.  `curvature` is ∂²out/∂variable² at the point (None where it has
    no value); its sign tells a minimum from a maximum along the variable.

    Stage `stage` of the chain (node `node`, input node `before`) has local rate
    0.  With `flat`, `before`'s value is a flat point of the stage's own operation
    (n₇² at n₇ = 0, cos at 0), not a flat stretch of it (a ReLU switched off): that
    is the 0 a flat point (curvature 0) needs.  Without it the stage's rate is
    only 0 there (a product whose other factor is 0, w·sin(wx) at w = 0), and the
    curvature, which is then not 0, alone tells the minimum or maximum."""

    variable: str
    stage: int
    node: int
    before: int
    curvature: float | None
    flat: bool = True
    # where the curvature is exactly 0: the order of the first derivative along the
    # variable that is not 0 at the point (up to HIGHEST_TEST_ORDER), and its value
    order: int | None = None
    leading: float | None = None

    @property
    def kind(self) -> str:
        """minimum or maximum by the second-derivative test along the variable,
        the others held (curvature > 0 or < 0); where the curvature is 0, by the
        first derivative that is not, when its order is even (w⁴ at 0 is a
        minimum); else flat point (an odd order, as w³ at 0, or none found)."""
        if self.curvature:
            return "minimum" if self.curvature > 0 else "maximum"
        if self.order is not None and self.order % 2 == 0 and self.leading:
            return "minimum" if self.leading > 0 else "maximum"
        return "flat point"


@dataclass(frozen=True, slots=True)
class Partial:
    """∂out/∂`variable` twice: `numeric` from the backward pass and `symbolic`
    from the rule engine (simplified) with its value `symbolic_value` at the
    point.  `undefined` / `symbolic_undefined` say why one has no value there.
    `agree` is True when both are within 1e-9 relative of each other (measured
    against the sizes of the terms the gradient sums, so cancellation between
    paths is not mistaken for disagreement), None when either is undefined.
    `derivation` holds the rule engine's steps when they were asked for."""

    variable: str
    numeric: float | None
    undefined: Note | None
    symbolic: Expr
    symbolic_value: float | None
    symbolic_undefined: str | None
    agree: bool | None
    derivation: Derivation | None = None
    # how the rule engine's value was found where its formula has none (the
    # other variables held: ∂relu(wx)/∂w at x = 0 is 0), else None
    symbolic_note: str | None = None


@dataclass(frozen=True, slots=True)
class GradReport:
    """Everything `calcstep grad` says about one expression at one point."""

    input: str
    parsed: Parsed
    variables: tuple[str, ...]
    point: tuple[tuple[str, Expr, float], ...]
    graph: Graph
    partials: tuple[Partial, ...]
    chains: tuple[Chain, ...]
    warnings: tuple[GradientWarning, ...]
    notes: tuple[Note, ...] = ()
    # gradients that are 0 because the output is at a stationary point along their
    # variable: told beside the warnings, and not flagged as vanishing
    stationary: tuple[Stationary, ...] = ()

    @property
    def expr(self) -> Expr:
        return self.parsed.expr

    @property
    def value(self) -> float:
        """The expression's value at the point."""
        return self.graph.output.value

    @property
    def gradient(self) -> dict[str, float | None]:
        """Each variable's partial derivative: the backward pass's; where that meets
        an undefined local rate, the rule engine's value if the derivative exists
        there all the same (x·|x| at 0: the corner's rate is multiplied by 0, and
        the derivative 2|x| is 0); None where it does not exist."""
        return {p.variable: p.numeric if p.numeric is not None else p.symbolic_value for p in self.partials}


# ---------------------------------------------------------------------------
# The graph: distinct nodes in topological order
# ---------------------------------------------------------------------------


def _node_key(expr: Expr, kid_ids: tuple[int, ...]) -> tuple:
    """A node's identity from its own fields and its inputs' ids: equal
    sub-expressions get equal keys without a deep comparison of the trees."""
    own = tuple(f for f in expr.fields() if not isinstance(f, (Expr, tuple)))
    return (type(expr), own, kid_ids)


def topological(expr: Expr) -> tuple[list[Expr], list[tuple[int, ...]]]:
    """The distinct sub-expressions of `expr`, inputs before users (the output
    last), and each one's inputs as 0-based indices into that list.

    Equal sub-expressions are one node even when they are different objects, as
    the parser makes them; the walk is iterative, so depth costs no stack."""
    exprs: list[Expr] = []
    inputs: list[tuple[int, ...]] = []
    index_of_key: dict[tuple, int] = {}
    index_of_object: dict[int, int] = {}
    for node in walk(expr):
        kid_ids = tuple(index_of_object[id(kid)] for kid in node.children())
        key = _node_key(node, kid_ids)
        index = index_of_key.get(key)
        if index is None:
            index = len(exprs)
            index_of_key[key] = index
            exprs.append(node)
            inputs.append(kid_ids)
        index_of_object[id(node)] = index
    return exprs, inputs


@lru_cache(maxsize=4096)
def _stand_in(position: int) -> Sym:
    return Sym(_STAND_IN.format(position))


def operation_on_inputs(expr: Expr) -> Expr:
    """The node's own operation, its inputs replaced by stand-ins #0, #1, …
    (numbers and constants kept): tanh(w·x) → tanh(#0), x^2 → #0^2."""
    kids = expr.children()
    if not kids:
        return expr
    return rebuild(
        expr,
        tuple(kid if type(kid) in _LITERALS else _stand_in(i) for i, kid in enumerate(kids)),
    )


@lru_cache(maxsize=4096)
def local_rate_formula(operation: Expr, position: int) -> tuple[Expr, Expr]:
    """∂operation/∂#position by the rule engine: (as the rules give it, simplified).

    The first is evaluated (it is defined exactly where the rule is); the second
    is shown.  Cached: a deep network repeats a few operations many times."""
    raw = derive(operation, _STAND_IN.format(position)).result
    return raw, simplify(raw)[0]


def _stand_in_values(values: Sequence[float]) -> dict[str, float]:
    return {_STAND_IN.format(i): value for i, value in enumerate(values)}


# ---------------------------------------------------------------------------
# Words for operations (one table by node type)
# ---------------------------------------------------------------------------

_OPERATION_WORD: dict[type, Callable[[Expr], str]] = {
    Num: lambda e: "number",
    Const: lambda e: "constant",
    Sym: lambda e: "variable",
    Add: lambda e: "add",
    Mul: lambda e: "multiply",
    Pow: lambda e: "exp" if e.base == E else "power",
    Call: lambda e: e.fn,
    Log: lambda e: "log",
    Apply: lambda e: f"function {e.fn}",
}


def operation_word(expr: Expr) -> str:
    """What a node does, in a word: add, multiply, power, exp, tanh, variable…"""
    return _OPERATION_WORD[type(expr)](expr)


# ---------------------------------------------------------------------------
# Forward pass
# ---------------------------------------------------------------------------


def _constant_value(expr: Expr, simplifier: Simplifier) -> float | None:
    """The value of a constant sub-expression worked out exactly first, where the
    simplifier can: sin(π) is 0, not the 1.2e-16 of floating point, so a path
    through it carries exactly nothing, as in the rule engine's derivative.
    None when exact work does not settle it (the float path then decides).
    `simplifier` is shared by the forward pass, so nested constants are
    simplified once, not again inside each constant around them."""
    try:
        return evaluate(simplifier(expr)[0], {})
    except CalcstepError:
        return None


# A value this small beside what it is made of (a sum of terms that cancel, sin
# at a multiple of π), or a pole function's value this large, may be rounding of
# an exact 0 or of a pole: the forward pass settles it exactly.
_NEAR = 1e-9
# functions with poles where a value they are made of is an exact 0 (cos u for tan u)
_POLES = frozenset({"tan", "sec", "cot", "csc"})
# functions that are 0 at an argument other than 0 (sin π, ln 1, arccos 1): a tiny
# value of theirs may be an exact 0 though their argument is not tiny; a sigmoid's
# never is (it is never 0), however saturated
_ZEROS_AWAY_FROM_0 = frozenset({"sin", "cos", "tan", "cot", "ln", "acos", "asec", "acosh", "asech"})
# A part larger than this is not settled exactly: the floats stand (its exact
# simplification could cost more than the whole pass).
_SETTLED_UP_TO = 2000


def _near_special(expr: Expr, value: float, kid_values: Sequence[float]) -> bool:
    """True when `value`, `expr`'s from its inputs' `kid_values` in floats, may be
    an exact 0 rounded (0.1·3 − 0.3 is 5.6e-17, sin π is 1.2e-16) or an exact
    pole rounded (tan at the float nearest π/2 is 1.6e16)."""
    kind = type(expr)
    if expr._size > _SETTLED_UP_TO:
        return False
    if kind is Add:
        return abs(value) <= _NEAR * sum(map(abs, kid_values))
    if kind is Call:
        argument = max(map(abs, kid_values), default=0.0)
        # tiny beside an argument that is not (sin π): a tiny argument's tiny value
        # (tanh of 10⁻²⁰, deep in a vanishing stack) is no rounded 0, and asks nothing
        return (expr.fn in _ZEROS_AWAY_FROM_0 and abs(value) <= _NEAR * max(1.0, argument) and argument > _NEAR) or (
            expr.fn in _POLES and abs(value) * _NEAR >= 1
        )
    return False


def _settled(expr: Expr, exact: Mapping[Expr, Expr], simplifier: Simplifier) -> float | None:
    """0.0 when `expr` is exactly 0 at the exact point (`exact`: each variable →
    its exact value), None when it is not or exact work cannot tell; raises
    DomainError where it has no value there (tan at π/2)."""
    try:
        value = simplifier(substitute(expr, exact))[0]
    except DomainError:
        raise
    except CalcstepError:
        return None
    return 0.0 if is_num(value, 0) else None


def forward(
    exprs: Sequence[Expr],
    operations: Sequence[Expr],
    inputs: Sequence[tuple[int, ...]],
    point: Mapping[str, float],
    exact: Mapping[str, Expr] | None = None,
) -> list[float]:
    """Every node's value at `point`, inputs first (`operations[i]` is node i's
    operation on stand-ins for its inputs, see `operation_on_inputs`).

    A leaf's operation is the leaf itself, read at the point; an operation is
    evaluated on its inputs' values with calcstep's own rules (fsum for sums,
    real odd roots, DomainError where undefined).  With the `exact` point (each
    variable's value as written: 0.1, π/2), a value that may be rounding of an
    exact 0 or of a pole is settled exactly, as `diff --at` settles it: w·x + b
    is 0 at w = 0.1, x = 3, b = −0.3, a ReLU's corner, not 5.6e-17, and tan has
    no value at π/2, not 1.6e16.

    Raises DomainError naming the first node that has no value there."""
    values: list[float] = []
    simplifier = Simplifier()
    at = {Sym(name): value for name, value in exact.items()} if exact is not None else None
    for index, (expr, operation, kids) in enumerate(zip(exprs, operations, inputs, strict=True)):
        try:
            value = _constant_value(expr, simplifier) if kids and not expr.free_vars else None
            if value is None:
                kid_values = [values[k] for k in kids]
                value = evaluate(operation, _stand_in_values(kid_values) if kids else point)
                if at is not None and kids and _near_special(expr, value, kid_values):
                    settled = _settled(expr, at, simplifier)
                    if settled is not None:
                        value = settled
                    elif type(expr) is Add:
                        # not 0, though the floats of its terms cancel: worked out
                        # from the point as a whole, 1 − σ(40) is σ(−40), 4.2e−18
                        value = evaluate(expr, point)
            values.append(value + 0.0)  # −0.0 (0 times a negative number) is 0
        except DomainError as error:
            formula = to_text(_named_formula(operation, kids, node_names(len(exprs))))
            where = f"node n{index + 1} = {formula}"
            if expr.size <= _WRITTEN_UP_TO:  # a graph's node may stand for a tree too long to write
                where += f" ({shortened(to_text(expr), 60)})"
            # a value past a float's range exists: it is only too large to compute with
            said = ("the expression's value at this point is too large for floating point"
                    if isinstance(error, TooLargeError) else "the expression has no value at this point")
            failed = type(error)(  # an AtZeroError stays one: the 0 may be rounding
                f"{said}: {where}: {error.message}",
                hint="choose another point with --at",
            )
            failed.at_node = where  # type: ignore[attr-defined]
            raise failed from None
    return values


# A failing node's expression is quoted in the message only up to this size: a
# residual stack shares each layer twice, and written out its text doubles per layer.
_WRITTEN_UP_TO = 100_000


def node_names(count: int) -> list[Sym]:
    """The names n1 … n`count` of the nodes, as variables for formulas."""
    return [Sym(f"n{i}") for i in range(1, count + 1)]


def _named_formula(operation: Expr, kids: Sequence[int], names: Sequence[Sym]) -> Expr:
    """The operation written on its inputs' node names: tanh(n4), n2·n3."""
    if not kids:
        return operation
    return substitute(operation, {_stand_in(i): names[k] for i, k in enumerate(kids)})


# ---------------------------------------------------------------------------
# Local rates
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rates:
    rates: tuple[float | None, ...]
    formulas: tuple[Expr | None, ...]
    undefined: tuple[Note | None, ...]
    notes: tuple[Note, ...] = ()


_NO_RATES = _Rates((), (), ())


def _sum_rate(operation: Expr, position: int, values: Sequence[float]) -> tuple[float, Expr | None]:
    """∂(u₁ + … + uₙ)/∂uᵢ = 1: a nudge in one term moves the sum by as much."""
    return 1.0, ONE


def _product_rate(
    operation: Expr, position: int, values: Sequence[float]
) -> tuple[float, Expr | None]:
    """∂(u₁·…·uₙ)/∂uᵢ = the product of the other factors (the rectangle's other
    sides).  Past a few factors no formula is kept: it would repeat the factors
    once per input."""
    rate = math.prod(v for i, v in enumerate(values) if i != position)
    if not math.isfinite(rate):
        raise DomainError("the value is too large to represent")
    factors = operation.children()
    if len(factors) > _FORMULA_FACTORS:
        return rate, None
    return rate, mul(*(f for i, f in enumerate(factors) if i != position))


def _derived_rate(
    operation: Expr, position: int, values: Sequence[float]
) -> tuple[float, Expr | None]:
    """∂operation/∂input by the rule engine (a function's derivative from the
    function table, n·u^(n−1), a^u·ln a, the general power, …), evaluated at the
    inputs' values with calcstep's evaluation rules."""
    raw, shown = local_rate_formula(operation, position)
    return evaluate(raw, _stand_in_values(values)), shown


# The local rate of an operation with respect to one input, at the inputs' values:
# sums and products directly (any number of inputs, in linear time), the rest by
# the rule engine.  Raises DomainError where the rate is undefined.
_RATE: dict[type, Callable[[Expr, int, Sequence[float]], tuple[float, Expr | None]]] = {
    Add: _sum_rate,
    Mul: _product_rate,
    Pow: _derived_rate,
    Call: _derived_rate,
    Log: _derived_rate,
    Apply: _derived_rate,
}


def local_rates(
    expr: Expr,
    operation: Expr,
    index: int,
    kids: Sequence[int],
    values: Sequence[float],
    node_name: Sequence[Sym],
) -> _Rates:
    """∂node/∂input_i at the point for each input that varies; for a constant
    input, and where the rate is undefined, None (with the reason)."""
    children = expr.children()
    if not children:
        return _NO_RATES
    node = node_name[index]
    inputs = [values[k] for k in kids]
    names = {_stand_in(i): node_name[k] for i, k in enumerate(kids)}
    rule = _RATE[type(expr)]
    rates: list[float | None] = []
    formulas: list[Expr | None] = []
    undefined: list[Note | None] = []
    notes: list[Note] = []
    for position, child in enumerate(children):
        rate: float | None = None
        formula: Expr | None = None
        why: Note | None = None
        if child.free_vars:
            argument = names[_stand_in(position)]
            corner = (
                _call_corner(expr, node, argument, inputs[position])
                if isinstance(expr, Call)
                else None
            )
            try:
                rate, shown = rule(operation, position, inputs)
            except DomainError as error:
                shown = local_rate_formula(operation, position)[1]
                if len(children) == 1 or shown is None:
                    why = Note(
                        "the local rate of {0} is undefined at {1} = {2}: " + escape_braces(error.message),
                        (node, argument, _number(inputs[position])),
                    )
                else:  # n₁^n₂: its rate for n₂, n₃·ln(n₁), fails on n₁, not on n₂
                    why = Note(
                        "the local rate of {0} for {1}, {2}, is undefined here: " + escape_braces(error.message),
                        (node, argument, substitute(shown, names)),
                    )
            formula = None if shown is None else substitute(shown, names)
            if corner is not None:
                rate, why = None, corner
                notes.append(corner)
        rates.append(rate)
        formulas.append(formula)
        undefined.append(why)
    return _Rates(tuple(rates), tuple(formulas), tuple(undefined), tuple(notes))


def _call_corner(expr: Call, node: Sym, argument: Sym, value: float) -> Note | None:
    """A function met exactly at its corner (relu, abs, sign at 0) has no local
    rate there: the slopes on the two sides differ, so the rate is undefined,
    and we say so rather than pick a side.  Only functions have corners: the
    rule's formula may give a number there all the same (sign′ = 0 even at its
    jump), so this is checked apart from it."""
    where = _corner_value(expr.fn)
    if where is None or value != where:
        return None
    # a step beside the corner, not the next float: |u|′ = u/|u| overflows at 5e-324
    step = 1e-9 * max(1.0, abs(where))
    left = _rounded(_one_sided_rate(expr.fn, where - step))
    right = _rounded(_one_sided_rate(expr.fn, where + step))
    corner = corner_point(expr.fn)
    shape = (node, Call(expr.fn, argument), Call(expr.fn, Sym("u")), corner)
    if left == right:
        why = "{0} = {1} is at the jump of {2} at u = {3}: its local rate there is undefined"
        return Note(why, shape)
    why = (
        "{0} = {1} is at the corner of {2} at u = {3} (slope {4} just left of it, {5} just "
        "right of it): its local rate there is undefined"
    )
    return Note(why, (*shape, _number(left), _number(right)))


def _corner_value(fn: str) -> float | None:
    return None if BY_NAME[fn].corner is None else evaluate(corner_point(fn), {})


def _rounded(rate: float | None) -> float | None:
    """A one-sided slope to 12 digits (u/|u| beside 0 is 0.9999999999999999)."""
    return None if rate is None else round(rate, 12)


def _one_sided_rate(fn: str, at: float) -> float | None:
    try:
        return evaluate(BY_NAME[fn].derivative(Sym("u")), {"u": at})
    except DomainError:
        return None


def _number(value: float | None) -> Expr:
    """A float as the number its shortest decimal names, for notes (their
    expressions are spelled by each renderer)."""
    if value is None:
        return Sym("undefined")
    return Num(Fraction(repr(value)), decimal=not value.is_integer())


# ---------------------------------------------------------------------------
# Backward pass
# ---------------------------------------------------------------------------


def backward(
    exprs: Sequence[Expr], inputs: Sequence[tuple[int, ...]], rates: Sequence[_Rates]
) -> tuple[list[float | None], list[Note | None], list[float]]:
    """∂out/∂node for every node, by the reverse-mode chain rule.

    ∂out/∂out = 1; then, from the output back, each node hands each varying input
    ∂out/∂node · ∂node/∂input, summed over the input's users.  A gradient is
    undefined (None, with the first reason met) when any path from the node to the
    output crosses an undefined local rate.  Also returns, per node, the sum over
    paths of |product| (the same recursion on sizes), the scale against which
    agreement is judged."""
    count = len(exprs)
    gradient = [0.0] * count
    scale = [0.0] * count
    reason: list[Note | None] = [None] * count
    gradient[-1] = scale[-1] = 1.0
    for index in range(count - 1, -1, -1):
        if not exprs[index].free_vars:
            continue
        here, size, why = gradient[index], scale[index], reason[index]
        if why is None and not math.isfinite(here):
            why = reason[index] = Note(
                "the gradient at {0} is too large to represent", (Sym(f"n{index + 1}"),)
            )
        node_rates = rates[index]
        for position, kid in enumerate(inputs[index]):
            if not exprs[kid].free_vars:
                continue
            rate = node_rates.rates[position]
            if why is not None or rate is None:
                if reason[kid] is None:
                    reason[kid] = why or node_rates.undefined[position]
                continue
            gradient[kid] += here * rate
            scale[kid] += size * abs(rate)
    gradients: list[float | None] = [
        None if reason[i] is not None or not exprs[i].free_vars else gradient[i]
        for i in range(count)
    ]
    return gradients, reason, scale


def compute_graph(expr: Expr, point: Mapping[str, float], exact: Mapping[str, Expr] | None = None) -> Graph:
    """The computation graph of `expr` at `point` after the forward pass, the
    local rates and the backward pass.  `point` gives every variable a value;
    `exact`, the same values as written, settles exact zeros and poles (`forward`)."""
    exprs, inputs = topological(expr)
    operations = [operation_on_inputs(e) for e in exprs]
    values = forward(exprs, operations, inputs, point, exact)
    names = node_names(len(exprs))
    rates = [
        local_rates(e, operations[i], i, kids, values, names)
        for i, (e, kids) in enumerate(zip(exprs, inputs, strict=True))
    ]
    gradients, reasons, scales = backward(exprs, inputs, rates)
    nodes = tuple(
        GraphNode(
            id=i + 1,
            expr=e,
            operation=operation_word(e),
            formula=_named_formula(operations[i], kids, names),
            inputs=tuple(k + 1 for k in kids),
            value=values[i],
            rates=r.rates,
            rate_formulas=r.formulas,
            gradient=gradients[i],
        )
        for i, (e, kids, r) in enumerate(zip(exprs, inputs, rates, strict=True))
    )
    notes = tuple(note for r in rates for note in r.notes)
    return Graph(nodes, tuple(reasons), notes, tuple(scales))


# ---------------------------------------------------------------------------
# The chain of local rates along the dominant path
# ---------------------------------------------------------------------------


def _edge_rates(node: GraphNode) -> dict[int, float | None]:
    """∂node/∂input per distinct input (x·x has one input used twice: the rates
    of its uses add); None where a use's rate is undefined."""
    edges: dict[int, float | None] = {}
    for kid, rate in zip(node.inputs, node.rates, strict=True):
        if kid in edges:
            previous = edges[kid]
            edges[kid] = None if previous is None or rate is None else previous + rate
        else:
            edges[kid] = rate
    return edges


def _log10_size(value: float) -> float:
    return -math.inf if value == 0 else math.log10(abs(value))


def _widest(
    graph: Graph, start: int, within: Callable[[GraphNode], bool]
) -> tuple[dict[int, float], dict[int, int], dict[int, int]]:
    """From node `start`, over the nodes after it that `within` admits, in one pass:
    each reached node's log10 |largest product of local rates| from `start`, the
    input that largest product came through, and the number of paths to it (those
    through an undefined rate included; they have no product)."""
    best: dict[int, float] = {start: 0.0}
    came_from: dict[int, int] = {}
    paths: dict[int, int] = {start: 1}
    for node in graph.nodes[start:]:
        if not within(node):
            continue
        for kid, rate in _edge_rates(node).items():
            if kid not in paths:
                continue
            paths[node.id] = paths.get(node.id, 0) + paths[kid]
            if kid not in best or rate is None:
                continue  # a path with an undefined rate counts, but has no product
            candidate = best[kid] + _log10_size(rate)
            if node.id not in best or candidate > best[node.id]:
                best[node.id] = candidate
                came_from[node.id] = kid
    return best, came_from, paths


def _walk_back(came_from: Mapping[int, int], start: int, end: int) -> list[int]:
    """The path from `start` to `end` that `came_from` records, `start` first."""
    path = [end]
    while path[-1] != start:
        path.append(came_from[path[-1]])
    path.reverse()
    return path


def dominant_chain(graph: Graph, variable: str) -> Chain | None:
    """The path from `variable` to the output with the largest |product of local
    rates| (found in one pass over the graph, on log sizes so that no product
    underflows), as stages; None when no path with defined rates exists.

    Where every path's product is 0 they tie, and the path taken is one through
    a stage at a flat point of its own operation (`_flat_edge`) when there is
    one: that stage, not a product's factor of 0, is what a stationary point is
    told by, and the tie must not be broken by the order the factors are
    written in (w·(wx − 1)² and (wx − 1)²·w take the same path)."""
    start = graph.variable(variable)
    if start is None:
        return None
    best, came_from, paths = _widest(graph, start.id, lambda node: node.expr.has(variable))
    end = graph.output.id
    if end not in best:
        return None
    path = _walk_back(came_from, start.id, end)
    if best[end] == -math.inf:
        path = _through_flat_edge(graph, variable, best, came_from) or path
    every = every_path(graph, start.id) if paths[end] <= PATHS_LISTED else ()
    return Chain(variable, _stages(graph, path), paths[end], every)


def _flat_edge(graph: Graph, variable: str, reached: Mapping[int, float]) -> tuple[int, int] | None:
    """(input, node) of the step nearest the output whose local rate is exactly 0
    at a flat point of the node's own operation (`_stationary_at`: n₅² at n₅ = 0,
    cos at 0), among the steps on a path from `variable` with defined rates
    (their inputs `reached`); None when there is none."""
    for node in reversed(graph.nodes):
        if not node.expr.has(variable):
            continue
        for kid, rate in _edge_rates(node).items():
            if kid in reached and rate == 0 and _stationary_at(graph, node, kid):
                return kid, node.id
    return None


def _through_flat_edge(
    graph: Graph, variable: str, best: Mapping[int, float], came_from: Mapping[int, int]
) -> list[int] | None:
    """A path from `variable` to the output through its `_flat_edge` (the largest
    to the edge, then the largest from it on), or None when there is no such
    edge or no path with defined rates goes on from it."""
    start = graph.variable(variable)
    edge = _flat_edge(graph, variable, best) if start is not None else None
    if start is None or edge is None:
        return None
    kid, node = edge
    onward, onward_from, _ = _widest(graph, node, lambda _node: True)
    end = graph.output.id
    if end not in onward:
        return None
    return [*_walk_back(came_from, start.id, kid), *_walk_back(onward_from, node, end)]


def every_path(graph: Graph, start: int) -> tuple[PathProduct, ...]:
    """Every path from node `start` to the output, each with its local rates (a
    node that uses an input twice is one step, its uses' rates added, as in the
    chain), in the order of a walk that takes each node's users by id.  The
    number of paths can double per layer: call it only where they are few."""
    users: dict[int, list[tuple[int, float | None]]] = {}
    for node in graph.nodes[start:]:
        for kid, rate in _edge_rates(node).items():
            users.setdefault(kid, []).append((node.id, rate))
    end = graph.output.id
    found: list[PathProduct] = []
    # iterative depth-first walk: (node, path so far, rates so far)
    pending: list[tuple[int, tuple[int, ...], tuple[float | None, ...]]] = [(start, (start,), ())]
    while pending:
        node, nodes, rates = pending.pop()
        if node == end:
            found.append(PathProduct(nodes, rates))
            continue
        # reversed, so that the lowest user is walked first
        for user, rate in reversed(users.get(node, [])):
            pending.append((user, (*nodes, user), (*rates, rate)))
    return tuple(found)


def _stages(graph: Graph, path: Sequence[int]) -> tuple[Stage, ...]:
    """The running product along `path`, stage by stage, from the variable out."""
    stages = [Stage(path[0], None, 1.0, 0.0)]
    product, log_size = 1.0, 0.0
    for previous, current in pairwise(path):
        rate = _edge_rates(graph.node(current))[previous]
        assert rate is not None  # the path uses defined rates only
        product *= rate
        log_size += _log10_size(rate)
        stages.append(Stage(current, rate, product, None if log_size == -math.inf else log_size))
    return tuple(stages)


# ---------------------------------------------------------------------------
# Warnings
# ---------------------------------------------------------------------------


def gradient_warning(variable: str, gradient: float, chain: Chain | None) -> GradientWarning | None:
    """A warning when |gradient| < 1e-3 (vanishing) or > 1e3 (exploding), else None.
    The gradient is finite (the backward pass leaves a non-finite one undefined)."""
    size = abs(gradient)
    kind = _kind(size)
    if kind is None:
        return None
    vanishing = kind == "vanishing"
    threshold = VANISHING_BELOW if vanishing else EXPLODING_ABOVE
    if chain is None:
        return GradientWarning(kind, variable, size, threshold, (), None, ())
    if vanishing and not _beyond(chain.stages[-1], vanishing):
        return None  # no product of rates vanished: the paths cancel (see cancelling_paths)
    return GradientWarning(
        kind, variable, size, threshold, chain.path,
        _crossing(chain, vanishing), _extreme_stages(chain, vanishing),
    )


# How far beside an input its operation's rate is looked at, relative to the
# input's size, to tell a stationary point (n² at 0: 2·10⁻⁶ beside it) from a
# flat stretch (a ReLU below 0: 0 beside it too).
_BESIDE = 1e-6


def _rate_beside(graph: Graph, node: GraphNode, before: int, offset: float) -> float | None:
    """∂node/∂(node `before`) with that input's value moved by `offset`, by the same
    rules as the local rates (a node using the input twice adds both uses' rates);
    None where the rate is undefined there."""
    operation = operation_on_inputs(node.expr)
    values = [graph.node(kid).value + (offset if kid == before else 0.0) for kid in node.inputs]
    rule = _RATE[type(node.expr)]
    try:
        return math.fsum(rule(operation, i, values)[0] for i, kid in enumerate(node.inputs) if kid == before)
    except CalcstepError:
        return None


def flat_stage(graph: Graph, chain: Chain, exact: Mapping[Expr, Expr] | None = None) -> int | None:
    """The stage of `chain` whose local rate is 0 at a stationary point of its
    own operation, or None.

    Where every path's product is 0, `dominant_chain` takes a path through such
    a stage if any path has one, so looking along the chain finds it.  A stage of
    rate 0 qualifies when its rate is not 0 just beside its input, on one side at
    least: the operation is stationary there (u² at 0, cos at 0).  A stage whose
    rate is 0 on both sides too (a ReLU below 0, a product with a factor 0) is a
    flat stretch, through which no nudge passes nearby either: with a second
    derivative of 0 along the variable, that stays a warning.  With the `exact` point (each variable → its value as written), a
    rate that is 0 only up to rounding (cos at the float nearest π/2, 6.1e-17) is
    settled exactly, as the forward pass settles values.  Of several stationary
    stages the last (nearest the output) is named."""
    stationary = [
        number
        for number, stage in enumerate(chain.stages)
        if stage.rate is not None
        and _zero_rate(graph, graph.node(stage.node), chain.stages[number - 1].node, stage.rate, exact)
        and _stationary_at(graph, graph.node(stage.node), chain.stages[number - 1].node)
    ]
    return stationary[-1] if stationary else None


def _zero_rate(
    graph: Graph, node: GraphNode, before: int, rate: float, exact: Mapping[Expr, Expr] | None
) -> bool:
    """Is `node`'s rate for input `before` 0?  Exactly 0 in floats, or, tiny
    beside its input and with the exact point known, 0 when worked out exactly
    (the rule's formula on the inputs' exact values, simplified)."""
    if rate == 0:
        return True
    if exact is None or abs(rate) > _NEAR * max(1.0, abs(graph.node(before).value)):
        return False
    return _settled_zero(graph, node, before, exact)


def _settled_zero(graph: Graph, node: GraphNode, before: int, exact: Mapping[Expr, Expr]) -> bool:
    """Is `node`'s rate for input `before` 0 when worked out exactly: the rule's
    formula on the inputs' exact values, simplified?  False where that cannot be
    told (a node too large to settle, a formula with no value)."""
    if node.expr.size > _SETTLED_UP_TO:
        return False
    operation = operation_on_inputs(node.expr)
    inputs = {_stand_in(i): substitute(graph.node(kid).expr, exact) for i, kid in enumerate(node.inputs)}
    try:
        formula = add(*(local_rate_formula(operation, i)[0] for i, kid in enumerate(node.inputs) if kid == before))
        return is_num(simplify(substitute(formula, inputs))[0], 0)
    except CalcstepError:
        return False


def _stationary_at(graph: Graph, node: GraphNode, before: int) -> bool:
    """True when `node`'s rate for input `before` is not 0 just beside that
    input's value, on one side at least (it is 0 at the value itself)."""
    step = _BESIDE * max(1.0, abs(graph.node(before).value))
    return any(rate not in (None, 0.0) for rate in (_rate_beside(graph, node, before, -step),
                                                       _rate_beside(graph, node, before, step)))


def stationary_point(
    graph: Graph,
    expr: Expr,
    item: Partial,
    chain: Chain | None,
    point: tuple[tuple[str, Expr, float], ...],
    limits: Limits = DEFAULT_LIMITS,
) -> Stationary | None:
    """The output at a stationary point along the variable, or None.

    The gradient must be 0 (`_zero_gradient`).  Then the second-derivative test
    along the variable decides, its curvature ∂²out/∂variable² by the rule
    engine, judged at the exact point as `diff --at` judges it:

    * a curvature other than 0 is a minimum or maximum, whatever stage makes
      each path's product 0.  The stage named is the chain's at a flat point of
      its own operation (`flat_stage`), else its last stage of rate exactly 0
      (w·sin(wx) at w = 0: a product whose other factor is 0);
    * a curvature of 0, or none, is a flat point only where a flat stage explains
      the 0 ((wx − y)³ where the error is 0); without one (a ReLU switched off,
      w·x at x = 0) the output is flat on a whole stretch, and that stays a
      vanishing gradient."""
    if chain is None or item.numeric is None or abs(item.numeric) >= VANISHING_BELOW:
        return None
    exact = {Sym(name): value for name, value, _ in point}
    if not _zero_gradient(graph, chain, item.numeric, exact):
        return None
    flat = flat_stage(graph, chain, exact)
    # without a flat stage the 0 must be exact, not a rate that underflowed (σ' at 800)
    named = flat if flat is not None else _exact_zero_stage(graph, chain, exact)
    if named is None:
        return None
    curvature, order, leading = _derivative_test(expr, item.variable, point, limits)
    if flat is None and not curvature:
        return None  # 0 on a whole stretch: no stationary point told, a warning
    node, before = chain.stages[named].node, chain.stages[named - 1].node
    return Stationary(item.variable, named, node, before, curvature, flat is not None, order, leading)


def _zero_gradient(graph: Graph, chain: Chain, gradient: float, exact: Mapping[Expr, Expr]) -> bool:
    """Is ∂out/∂variable 0, exactly or up to rounding?  0 in floats with every
    path's product 0 (the chain, the largest, has a rate of 0), or, on a single
    path, a rate that is 0 once settled exactly (cos at the float nearest π/2).
    A gradient that underflowed to 0 through small rates, none of them 0, is no 0;
    nor is a sum of several paths rounded to nearly 0, which need not be 0."""
    if gradient == 0 and chain.stages[-1].log10_size is None:
        return True
    return chain.paths == 1 and any(
        stage.rate is not None and _zero_rate(graph, graph.node(stage.node), chain.stages[number - 1].node,
                                              stage.rate, exact)
        for number, stage in enumerate(chain.stages)
    )


def _exact_zero_stage(graph: Graph, chain: Chain, exact: Mapping[Expr, Expr]) -> int | None:
    """The last stage of `chain` whose local rate is 0 when worked out exactly on
    the inputs' exact values (a float 0 may be an underflow), or None."""
    for number in range(len(chain.stages) - 1, 0, -1):
        stage = chain.stages[number]
        if stage.rate is not None and abs(stage.rate) <= _NEAR and _settled_zero(
            graph, graph.node(stage.node), chain.stages[number - 1].node, exact
        ):
            return number
    return None


# Where the curvature is 0, the derivatives along the variable are tried up to this
# order for the first that is not 0 at the point (w⁴ at 0: the fourth, 24), for an
# output of up to _TESTED_UP_TO nodes, and while they stay within _TEST_SIZE nodes:
# the eighth derivative of a deep network grows past any use (and any patience).
HIGHEST_TEST_ORDER = 8
_TESTED_UP_TO = 200
_TEST_SIZE = 20_000


def _derivative_test(
    expr: Expr, variable: str, point: tuple[tuple[str, Expr, float], ...], limits: Limits
) -> tuple[float | None, int | None, float | None]:
    """The curvature ∂²out/∂variable² at the point by the rule engine, the others
    held, judged at the exact point as `diff --at` judges it (None where it has no
    value); and where it is exactly 0, the order and value of the first higher
    derivative that is not 0 there (None, None when none is, up to
    HIGHEST_TEST_ORDER, or one has no value).  Each order differentiates the one
    before, once."""
    exact = tuple((name, value) for name, value, _ in point)
    try:
        first, second = derive_orders(expr, variable, 2, limits, record=False)
        curvature = _value_of_order(expr, second.result, first.result, 2, exact, variable, limits)
        if curvature is None or not _exactly_zero(curvature):
            return (curvature.decimal if curvature is not None else None), None, None
    except CalcstepError:
        return None, None, None  # the test cannot be made: a flat point, of no kind named
    if expr.size > _TESTED_UP_TO:
        return 0.0, None, None
    bounded = limits._replace(max_size=min(limits.max_size, _TEST_SIZE))
    simplifier = Simplifier(bounded, record=False)
    below = second.result
    for order in range(3, HIGHEST_TEST_ORDER + 1):
        try:
            (derivation,) = derive_orders(below, variable, 1, bounded, simplifier=simplifier, record=False)
            value = _value_of_order(expr, derivation.result, below, order, exact, variable, bounded)
        except CalcstepError:
            break  # grown past the bound, or no value: no order told
        if value is None or value.decimal is None:
            break
        if not _exactly_zero(value):
            return 0.0, order, value.decimal
        below = derivation.result
    return 0.0, None, None


def _value_of_order(expr: Expr, result: Expr, below: Expr, order: int, exact: tuple[tuple[str, Expr], ...],
                    variable: str, limits: Limits) -> PointValue | None:
    """The `order`-th derivative `result` of `expr` (`below`: the one before it)
    at the exact point; None where it has no value there."""
    value = value_at_point(expr, result, exact, limits, var=variable, below=below, order=order)
    return value if value.undefined is None else None


def _exactly_zero(value: PointValue) -> bool:
    """Is the value 0 exactly (or, with no exact form, as a decimal)?"""
    return value.exact == ZERO if value.exact is not None else value.decimal == 0


def cancelling_paths(variable: str, gradient: float, chain: Chain | None) -> Note | None:
    """A note where the gradient is small though its largest path's product is not:
    the paths' products cancel (w·sin(wx) where its two paths meet), which is no
    vanishing gradient, whose product of local rates itself shrinks."""
    if chain is None or chain.paths < 2 or _kind(abs(gradient)) != "vanishing" or _beyond(chain.stages[-1], True):
        return None
    return Note(
        "the gradient for {0} is small though no product of local rates along its paths "
        f"is: the paths' products cancel (the largest is {chain.product:.6g}), which is no "
        "vanishing gradient",
        (Sym(variable),),
    )


def _beyond(stage: Stage, vanishing: bool) -> bool:
    """Is the running product at this stage beyond the threshold (on log sizes,
    so underflow and overflow do not matter)?"""
    if stage.log10_size is None:
        return vanishing
    limit = math.log10(VANISHING_BELOW if vanishing else EXPLODING_ABOVE)
    return stage.log10_size < limit if vanishing else stage.log10_size > limit


def _crossing(chain: Chain, vanishing: bool) -> int | None:
    """The first stage from which the running product stays beyond the threshold
    to the end; None when it does not end beyond it."""
    crossed = None
    for number, stage in enumerate(chain.stages):
        if not _beyond(stage, vanishing):
            crossed = None
        elif crossed is None:
            crossed = number
    return crossed


def _extreme_stages(chain: Chain, vanishing: bool) -> tuple[int, ...]:
    """Stage numbers whose |local rate| shrinks (< 1) or grows (> 1) the product
    most, most extreme first, at most NAMED_STAGES of them."""
    rated = [(abs(s.rate), n) for n, s in enumerate(chain.stages) if s.rate is not None]
    if vanishing:
        chosen = sorted((size, n) for size, n in rated if size < 1)
    else:
        chosen = sorted(((-size, n) for size, n in rated if size > 1))
    return tuple(n for _, n in chosen[:NAMED_STAGES])


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


def _variables(expr: Expr, wrt: Iterable[str] | None) -> tuple[str, ...]:
    """The variables asked for, checked and without repeats; all of the
    expression's variables (sorted) when none are named."""
    names = [name.strip() for name in (wrt or ()) if name.strip()]
    if not names:
        return tuple(sorted(expr.free_vars, key=name_key))
    return tuple(dict.fromkeys(check_variable_name(name, expr.free_vars) for name in names))


def _point(
    expr: Expr, at: Mapping[str, str], functions: frozenset[str], limits: Limits
) -> tuple[tuple[str, Expr, float], ...]:
    """The point as (name, exact value, float), every variable of `expr` given."""
    exact = parse_point(dict(at), functions, limits, expr.free_vars)
    missing = sorted(expr.free_vars - {name for name, _ in exact}, key=name_key)
    if missing:
        # σ(w·x + b) reads as σ times a bracket: the hint says how to write the sigmoid
        meant = next(filter(None, map(function_meant_by, missing)), None)
        raise UsageError(
            f"--at gives no value for {', '.join(missing)}",
            hint=meant or "give every variable a value, e.g. --at " + ",".join(f"{m}=0.5" for m in missing),
        )
    return tuple((name, value, _decimal(name, value)) for name, value in exact)


def _values_not_used(expr: Expr, point: tuple[tuple[str, Expr, float], ...]) -> tuple[Note, ...]:
    """A note naming the names --at gives a value that `expr` does not have, as
    `diff --at` names them: a mistyped name does not pass unnoticed."""
    unused = [Sym(name) for name, _, _ in point if name not in expr.free_vars]
    if not unused:
        return ()
    names = ", ".join(f"{{{index}}}" for index in range(len(unused)))
    one = len(unused) == 1
    return (Note(f"{names} {'is' if one else 'are'} not in the expression: "
                 f"{'its value is' if one else 'their values are'} not used", tuple(unused)),)


def _decimal(name: str, value: Expr) -> float:
    """A point's exact value as the float the passes compute with; refused when it
    has none, or rounds to 0 though it is not 0 (1e-400)."""
    try:
        decimal = evaluate(value, {})
    except CalcstepError as error:
        reason = ("it is too large for floating point, in which the passes are computed"
                  if isinstance(error, TooLargeError) else error.message)
        raise UsageError(f"the value of {name} has no decimal value: {reason}") from None
    if decimal == 0 and not is_num(value, 0):
        raise UsageError(
            f"the value of {name} is too small for floating point, in which the passes are "
            "computed: it rounds to 0",
            hint="choose a value above 1e-308 in size; calcstep diff --at computes exactly",
        )
    return decimal


def _rounded_to_zero(
    error: AtZeroError, expr: Expr, point: tuple[tuple[str, Expr, float], ...], limits: Limits
) -> CalcstepError:
    """The forward pass met a 0.0 where no 0 may be (ln 0, 1/0): undefined when the
    expression has no exact value there either; else the 0 is rounding (1 − σ(40)
    is 0.0, though not 0), and floating point cannot do this point."""
    try:
        simplify(substitute(expr, {Sym(name): exact for name, exact, _ in point}), limits)
    except DomainError:
        return error
    except CalcstepError:
        pass  # no exact answer either way: the rounding reading is the likelier
    return LimitError(
        f"floating point cannot reach this point: at {getattr(error, 'at_node', 'a node')} a value "
        "rounds to 0 where no 0 may be, though exactly it is not 0",
        hint="write the expression so that no part is a difference of nearly equal numbers "
        "(1 − sigmoid(u) is sigmoid(−u)), or choose another point with --at",
    )


def _agree(numeric: float, symbolic: float, scale: float) -> bool:
    """Within AGREEMENT relative, relative to the larger of the two and of the
    sum of |path products| (cancellation between paths leaves rounding of that
    size)."""
    return abs(numeric - symbolic) <= AGREEMENT * max(abs(numeric), abs(symbolic), scale)


def partial(
    graph: Graph,
    expr: Expr,
    variable: str,
    point: tuple[tuple[str, Expr, float], ...],
    limits: Limits = DEFAULT_LIMITS,
    steps: bool = False,
) -> Partial:
    """∂out/∂variable from the backward pass and from the rule engine, side by side.

    Where the rule engine's formula has no value at the point, its value is
    looked for as `diff --at` does (the limit from both sides, or the other
    variables held); a value found that way is not compared with the backward
    pass, which is exact where the other is rounded."""
    node = graph.variable(variable)
    numeric: float | None = 0.0  # a variable the expression does not use: rate 0
    undefined = None
    scale = 0.0
    if node is not None:
        numeric = node.gradient
        undefined = graph.undefined[node.id - 1]
        scale = graph.scales[node.id - 1]
    derivation = derive_orders(expr, variable, 1, limits)[0]
    symbolic_note = None

    def judged() -> PointValue:  # the point judged exactly, as `diff --at` judges it
        exact = tuple((name, value) for name, value, _ in point)
        return value_at_point(expr, derivation.result, exact, limits, var=variable)

    try:
        # + 0.0: −0.0 (−sech·tanh where both underflow) is written 0
        symbolic_value: float | None = evaluate(derivation.result, {name: v for name, _, v in point}) + 0.0
        symbolic_undefined = None
        if undefined is not None:
            # the backward pass met a corner or a jump (|w|'s at 0, written sign(w)·w):
            # the formula may have a value there all the same (sign(0) = 0)
            undefined_there = judged().undefined
            if undefined_there is not None:
                symbolic_value, symbolic_undefined = None, undefined_there
    except DomainError as error:
        symbolic_value, symbolic_undefined = None, error.message
        found = judged()
        if found.undefined is None and found.decimal is not None:
            symbolic_value, symbolic_undefined, symbolic_note = found.decimal, None, found.note
    agree = None
    if numeric is not None and symbolic_value is not None and symbolic_note is None:
        agree = _agree(numeric, symbolic_value, scale)
    return Partial(
        variable, numeric, undefined, derivation.result, symbolic_value,
        symbolic_undefined, agree, derivation if steps else None, symbolic_note,
    )


def grad_report(
    text: str,
    wrt: Iterable[str] | None = None,
    at: Mapping[str, str] | None = None,
    *,
    functions: Iterable[str] = DEFAULT_ABSTRACT,
    limits: Limits = DEFAULT_LIMITS,
    steps: bool = False,
) -> GradReport:
    """Parse `text`, evaluate it at the point `at` (name → value text, read
    exactly: "0.5", "pi/4"), and differentiate it with respect to each of `wrt`
    (default: every variable) by the backward pass and by the rule engine.

    Raises ParseError for bad input, UsageError for a missing or bad value, and
    DomainError (naming the node) where the expression has no value at the point."""
    functions = frozenset(functions)
    parsed = parse(text, functions=functions, limits=limits)
    expr = parsed.expr
    variables = _variables(expr, wrt)
    point = _point(expr, at or {}, functions, limits)
    floats = {name: value for name, _, value in point}
    # the graph as typed: w₃·(w₂·(w₁·x)) is three layers, each a stage of its
    # own in the chain, though the rule engine reads one product w₃·w₂·w₁·x
    layered = parse(text, functions=functions, limits=limits, grouped=True).expr
    try:
        graph = compute_graph(layered, floats, {name: value for name, value, _ in point})
    except AtZeroError as error:
        raise _rounded_to_zero(error, expr, point, limits) from None
    partials = tuple(partial(graph, expr, v, point, limits, steps) for v in variables)
    chains = tuple(c for c in (dominant_chain(graph, v) for v in variables) if c is not None)
    by_variable = {c.variable: c for c in chains}
    stationary = tuple(
        s
        for s in (
            stationary_point(graph, expr, p, by_variable.get(p.variable), point, limits)
            for p in partials
            if expr.has(p.variable)
        )
        if s is not None
    )
    at_rest = {s.variable for s in stationary}  # a gradient 0 at a stationary point is no warning
    warnings = tuple(
        w
        for w in (
            gradient_warning(p.variable, p.numeric, by_variable.get(p.variable))
            for p in partials
            if p.numeric is not None and expr.has(p.variable) and p.variable not in at_rest
        )
        if w is not None
    )
    cancelling = tuple(
        note
        for note in (
            cancelling_paths(p.variable, p.numeric, by_variable.get(p.variable))
            for p in partials
            if p.numeric is not None and expr.has(p.variable)
        )
        if note is not None
    )
    unused = tuple(
        absent_variable(expr, v, "its gradient is 0")  # --wrt W for w: the case, not the gradient, is the news
        for v in variables
        if not expr.has(v)
    )
    # a name asked for with --wrt that the expression lacks has its note already
    notes = (*parsed.notes, *graph.notes, *cancelling, *unused,
             *_values_not_used(expr, tuple(entry for entry in point if entry[0] not in variables)))
    return GradReport(text, parsed, variables, point, graph, partials, chains, warnings, notes, stationary)


# ---------------------------------------------------------------------------
# Depth sweep: how the product behaves as layers stack up
# ---------------------------------------------------------------------------


def stacked(activation: str, depth: int, *, weight: Fraction | int = 1,
            residual: bool = False, var: str = "x") -> Expr:
    """`depth` layers of `activation` on the variable `var`:
    h₀ = x, hₖ = f(w·hₖ₋₁), or hₖ = hₖ₋₁ + f(w·hₖ₋₁) with a residual connection
    (no product node when w = 1).  Each layer reuses the previous layer's node,
    so a residual stack is a graph whose paths from x double with each layer,
    not a tree (its text, written out, would double too)."""
    return _layers(activation, depth, weight, residual, var)[-1] if depth else Sym(var)


def _layers(activation: str, depth: int, weight: Fraction | int, residual: bool, var: str) -> list[Expr]:
    """h₁ … h_depth of `stacked`, each the node the next is built on."""
    layer: Expr = Sym(var)
    scale = Num(weight)
    layers = []
    for _ in range(depth):
        inner = layer if weight == 1 else mul(scale, layer)
        out = Call(activation, inner)
        layer = add(layer, out) if residual else out
        layers.append(layer)
    return layers


@dataclass(frozen=True, slots=True)
class SweepColumn:
    """|∂hₙ/∂x| at depths 1…N for one kind of layer; `kinds[n-1]` is the warning
    at depth n ("vanishing", "exploding" or None) and `first` the first depth
    flagged, with its kind."""

    activation: str
    residual: bool
    sizes: tuple[float | None, ...]
    kinds: tuple[str | None, ...]
    first: tuple[int, str] | None

    @property
    def label(self) -> str:
        return f"x+{self.activation}" if self.residual else self.activation


@dataclass(frozen=True, slots=True)
class DepthSweep:
    """The gradient's size against depth, for several layers, plain and residual."""

    x: float
    weight: float
    depths: tuple[int, ...]
    columns: tuple[SweepColumn, ...]


def _sweep_size(expr: Expr, x: float) -> float | None:
    """|∂out/∂x| by the backward pass; where that meets a corner (a dead ReLU fed
    exactly 0), 0 if the stack is constant on both sides of x, else undefined."""
    graph = compute_graph(expr, {"x": x})
    node = graph.variable("x")
    if node is None:
        return None
    if node.gradient is not None:
        return abs(node.gradient)
    return 0.0 if constant_near(expr, (("x", Num(Fraction(x))),), "x", DEFAULT_LIMITS) else None


def _depth_held(layers: Sequence[Expr], x: float) -> int:
    """How many of the stacked `layers` have values floating point can hold at
    `x` (all of them, unless the stack explodes past 10³⁰⁸): the deepest stack is
    tried first, then the depth is found by halving."""
    def holds(depth: int) -> bool:
        exprs, inputs = topological(layers[depth - 1])
        try:
            forward(exprs, [operation_on_inputs(e) for e in exprs], inputs, {"x": x})
        except TooLargeError:
            return False
        return True

    if holds(len(layers)):
        return len(layers)
    low, high = 0, len(layers)  # layers[:low] hold; layers[:high] do not
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if holds(middle) else (low, middle)
    return low


def _tangents(graph: Graph, variable: str) -> dict[int, float]:
    """∂node/∂`variable` for each varying node of the graph, keyed by the id of its
    expression: the chain rule run forward, each node's rate the sum over its
    inputs of local rate × the input's own.  This is the product of local rates
    along every path, as the backward pass sums it, for every node at once.  A
    node past an undefined rate, or too large to represent, is left out (its
    stack takes the backward pass, which says why)."""
    found: dict[int, float] = {}
    tangent: list[float | None] = [None] * len(graph.nodes)
    start = Sym(variable)
    for index, node in enumerate(graph.nodes):
        if not node.varies:
            continue
        if node.expr == start:
            rate: float | None = 1.0
        else:
            rate = 0.0
            for kid, local in zip(node.inputs, node.rates, strict=True):
                if not graph.node(kid).varies:
                    continue
                upstream = tangent[kid - 1]
                if local is None or upstream is None:
                    rate = None
                    break
                rate += local * upstream
        if rate is not None and math.isfinite(rate):
            tangent[index] = rate
            found[id(node.expr)] = rate
    return found


def _kind(size: float | None) -> str | None:
    if size is None:
        return None
    if size < VANISHING_BELOW:
        return "vanishing"
    return "exploding" if size > EXPLODING_ABOVE else None


def sweep_column(activation: str, residual: bool, depths: Sequence[int],
                 x: float, weight: Fraction | int) -> SweepColumn:
    """One column of the sweep: ∂hₙ/∂x for each depth n, from one graph of the
    deepest stack that floating point can hold (whose nodes include every
    shallower layer hₙ).  Past it the layers' values themselves are too large:
    those depths have no size and count as exploding."""
    layers = _layers(activation, max(depths), weight, residual, "x")
    held = _depth_held(layers, x)
    tangents = _tangents(compute_graph(layers[held - 1], {"x": x}), "x") if held else {}
    sizes = tuple(
        None if n > held
        else _sweep_size(layers[n - 1], x) if (tangent := tangents.get(id(layers[n - 1]))) is None
        else abs(tangent)
        for n in depths
    )
    kinds = tuple("exploding" if n > held else _kind(size) for n, size in zip(depths, sizes, strict=True))
    first = next(((n, k) for n, k in zip(depths, kinds, strict=True) if k is not None), None)
    return SweepColumn(activation, residual, sizes, kinds, first)


def sweep_point(at: Mapping[str, str], limits: Limits = DEFAULT_LIMITS) -> tuple[float, float]:
    """The depth sweep's input x and every layer's weight w, read from --at texts
    as any point is (2, 1/3, pi/4); x = 0.5 and w = 1 unless given."""
    unknown = sorted(set(at) - {"x", "w"})
    if unknown:
        raise UsageError(
            f"the depth sweep has no variable {', '.join(unknown)}",
            hint="its --at takes x (the input) and w (every layer's weight), e.g. --at x=1/2,w=2",
        )
    values = {"x": 0.5, "w": 1.0}
    for name, exact in parse_point(dict(at), DEFAULT_ABSTRACT, limits):
        values[name] = _decimal(name, exact)
    return values["x"], values["w"]


def depth_sweep(
    max_depth: int = 20,
    *,
    x: float = 0.5,
    weight: float = 1.0,
    activations: Sequence[str] = ("sigmoid", "tanh", "relu"),
) -> DepthSweep:
    """|∂out/∂x| for 1…`max_depth` stacked layers of each activation, without and
    with a residual connection, at the input `x` with every layer's weight
    `weight`.  Plain layers multiply f′ per layer (σ′ ≤ 1/4, so sigmoid stacks
    vanish); a residual layer multiplies 1 + w·f′, which cannot shrink the product
    when w·f′ ≥ 0, and can grow it."""
    if max_depth < 1:
        raise UsageError("the depth sweep needs a depth of 1 or more")
    unknown = [name for name in activations if name not in BY_NAME]
    if unknown:
        raise UsageError(f"unknown activation: {', '.join(unknown)}", hint="e.g. sigmoid, tanh, relu")
    exact_weight = Fraction(weight)
    depths = tuple(range(1, max_depth + 1))
    columns = tuple(
        sweep_column(name, residual, depths, x, exact_weight)
        for residual in (False, True)
        for name in activations
    )
    return DepthSweep(x, weight, depths, columns)
