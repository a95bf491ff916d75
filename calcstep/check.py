"""The answer checker: is ANSWER the derivative of EXPR, and if not, what went wrong.

`check_answer` differentiates EXPR with the engine (the very derivation `calcstep
diff` shows), reads ANSWER, and decides whether the two are the same function:

1. Symbolically: simplify(answer − derivative).  0 proves them equal; a nonzero
   number proves them different.
2. Otherwise numerically, in double precision, at `POINTS` (24) points where the
   function and its derivative both have values.  The points are pseudo-random
   but reproducible: the generator is seeded from the canonical texts of the
   expression and the answer, the variable and the order.  They take both signs,
   stay at least 0.1 away from 0 (where |x|, relu and friends have corners), and
   avoid places where the derivative is 0, tinier than 1e-8 or larger than 1e12
   (where rounding, as in ln(1 + ε) or 1 − σ(u), can swamp the value) unless
   too few others are found.
   At each point where the answer has a value too, the gap is measured against
   the largest of the two values and of their top-level terms (so cancellation
   in a sum is not taken for a difference): up to `TIGHT` (1e-9) it is equal,
   above `LOOSE` (1e-6) different.  A gap in between gets a second, tighter
   look: in exact arithmetic at the same point when the difference simplifies
   to a number there (it does for rational functions), else at four
   neighbouring points, where a gap above `LOOSE` is a difference; a gap that
   stays below one part in a million is rounding.  An answer that equals the
   derivative at every point where both have values is correct; where only one
   of them has a value, a note says so.  Before an answer is called correct on
   points alone, the simplified difference answer − derivative is evaluated by
   itself, at those points and at a few far ones (x ≈ ±32, ±127, ±1014), and
   measured against its own size before cancellation: 3x² + 10⁻⁷·sin x, or
   2x + relu(x − 25), is not the derivative of x³ or x².  Abstract functions (f, g, h) are
   compared by standing in a fixed, generic smooth function for each name (the
   same one for f, f′, f″ …).

When the answer is wrong, the checker replays the derivation with a classic slip
(the `MISTAKES` below) at a step where it can happen: the engine's own deriver
runs again with that step's result replaced by the mistaken one, so the rest of
the derivative is built exactly as the rules build it, and the replay is compared
with the answer at the same points.  The first replay that agrees names the
mistake and the step.  The order they are tried in: slips other than signs from
the outside in; each of those repeated at every step where it fits; sign slips
from the inside out (a sign lost at cos(x) says more than one lost in the sum
around it), a lost minus before an extra one; those repeated; the whole answer
negated; two slips at two steps (a term of a sum left out is tried only alone).
For a higher derivative, slips in the last order come first, then in earlier
ones.  An answer no replay explains is still shown to be wrong, with a witness
point where the two differ.  A step inside a constant factor (x·cos(x²) in
2x·cos(x²)) is reported with the factor, as the learner's working has it.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from enum import Enum, StrEnum
from fractions import Fraction
from functools import lru_cache
from itertools import combinations, islice, pairwise
from string import Formatter

from calcstep.deep import run_deep
from calcstep.derive import Deriver, derive
from calcstep.domain import one_minus_square, square_minus_one
from calcstep.engine import (
    DiffReport,
    check_constants,
    corner_point,
    derive_orders,
    differentiate,
    fixed_part_without_value,
)
from calcstep.errors import CalcstepError, DomainError, ParseError, TooLargeError, UsageError
from calcstep.evaluate import evaluate
from calcstep.expr import (
    MINUS_ONE,
    ONE,
    TWO,
    Add,
    Apply,
    Call,
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
    neg,
    split_coefficient,
    sub,
    substitute,
    walk,
)
from calcstep.functions import BY_NAME, DEFAULT_ABSTRACT, function_spellings
from calcstep.limits import DEFAULT_LIMITS, Limits
from calcstep.parse import Parsed, parse
from calcstep.printer import escape_braces, to_text
from calcstep.rules import RULES, given_part, peel
from calcstep.simplify import Simplifier, simplify
from calcstep.steps import Derivation, Step

# ---------------------------------------------------------------------------
# Tolerances and sampling
# ---------------------------------------------------------------------------

POINTS = 24  # points compared, each where the function and its derivative have values
MAX_TRIES = 400  # points tried to find them
TIGHT = 1e-9  # a relative gap up to this is equal at once
LOOSE = 1e-6  # a relative gap above this is a difference at once
SURE = 1e-2  # a gap above this share of the values is a difference without looking at terms
NEIGHBOURS = (-0.02, -0.01, 0.01, 0.02)  # relative moves for the second look
# The first points are round numbers, so a witness reads "at x = 0.7".
NICE = (0.7, -1.3, 1.6, -0.4, 2.3, -2.1, 0.35, -0.85)
# Magnitudes (low, high, weight) the later points are drawn from: small ones for
# arcsin-like domains, large ones for ln(ln x)-like ones.
BANDS = ((0.1, 1.0, 4), (1.0, 3.0, 4), (3.0, 8.0, 2), (8.0, 20.0, 1))
# The magnitudes the second half of the tries spans, when the bands find too few.
WIDE = (1e-3, 1e4)
# Derivative values outside this range (0 too) make a point a last resort.
EXTREMES = (1e-8, 1e12)
# A candidate mistake matches when it agrees with the answer at this many points
# (or at every point found, when fewer were).
MATCH_POINTS = 8
# Replays tried at most per order, and the nodes they may rederive in all, so a
# huge expression cannot make the diagnosis slow.
MAX_CANDIDATES = 300
REPLAY_BUDGET = 300_000
# Single slips combined in pairs, when no one slip explains the answer: the first
# this many (pairs of them are tried, in order).
PAIRED = 12
# In a chain of more stages than this, slips are looked for only in the outermost
# and innermost ones (a learner's chain is short; a machine's need not be).
MAX_STAGES = 8

Env = Mapping[str, float]

# ---------------------------------------------------------------------------
# The mistakes
# ---------------------------------------------------------------------------

FORGOT_INNER = "forgot_inner_derivative"
OUTER_AT_WRONG_ARGUMENT = "outer_at_wrong_argument"
PRODUCT_OF_DERIVATIVES = "product_of_derivatives"
PRODUCT_TERM_MISSING = "product_term_missing"
QUOTIENT_REVERSED = "quotient_numerator_reversed"
QUOTIENT_MISSING_SQUARE = "quotient_missing_square"
QUOTIENT_OF_DERIVATIVES = "quotient_of_derivatives"
CONSTANT_KEPT = "constant_kept"
POWER_RULE_ON_EXPONENTIAL = "power_rule_on_exponential"
EXPONENTIAL_WITHOUT_LOG = "exponential_without_log"
POWER_RULE_MISAPPLIED = "power_rule_misapplied"
SIGN_ERROR = "sign_error"
WRONG_ORDER = "wrong_order"
CONSTANT_OF_INTEGRATION = "constant_of_integration"
OTHER_VARIABLE = "other_variable"
WRONG_VARIABLE = "wrong_variable"
READ_OTHERWISE = "read_otherwise"
ROUNDED = "rounded"
OFF_BY_CONSTANT = "off_by_constant"
SUM_TERM_MISSING = "sum_term_missing"
SQUARE_FORGOTTEN = "square_forgotten"
LOGARITHM_WITHOUT_LOG = "logarithm_without_log"
EXPONENTIAL_RULE_ON_POWER = "exponential_rule_on_power"


@dataclass(frozen=True, slots=True)
class Mistake:
    """A classic mistake the checker recognises: its stable id (used in JSON) and a
    short title."""

    id: str
    title: str


MISTAKES: dict[str, Mistake] = {
    m.id: m
    for m in (
        Mistake(FORGOT_INNER, "the inner derivative forgotten"),
        Mistake(OUTER_AT_WRONG_ARGUMENT,
                "the outer rate taken at x, at part of the inside or at its rate, instead of the whole inside"),
        Mistake(SUM_TERM_MISSING, "the rate of a term of a sum left out"),
        Mistake(PRODUCT_OF_DERIVATIVES, "the product rule taken as the product of derivatives"),
        Mistake(PRODUCT_TERM_MISSING, "one of the product rule's two terms left out"),
        Mistake(QUOTIENT_REVERSED, "the quotient rule's numerator reversed"),
        Mistake(QUOTIENT_MISSING_SQUARE, "the quotient rule's square left out"),
        Mistake(QUOTIENT_OF_DERIVATIVES, "the quotient rule taken as the quotient of derivatives"),
        Mistake(CONSTANT_KEPT, "a constant term kept, whose rate is 0"),
        Mistake(POWER_RULE_ON_EXPONENTIAL, "the power rule applied to an exponential"),
        Mistake(EXPONENTIAL_WITHOUT_LOG, "an exponential's rate taken as itself, as if its base were e"),
        Mistake(LOGARITHM_WITHOUT_LOG, "a logarithm's rate taken as ln's, as if its base were e"),
        Mistake(EXPONENTIAL_RULE_ON_POWER, "the exponential rule applied to a power whose base varies"),
        Mistake(SQUARE_FORGOTTEN, "the square in a function's rate left out"),
        Mistake(POWER_RULE_MISAPPLIED, "the power rule's exponent not lowered by one, or the power not brought down"),
        Mistake(SIGN_ERROR, "a lost or extra minus sign"),
        Mistake(WRONG_ORDER, "differentiated the wrong number of times"),
        Mistake(CONSTANT_OF_INTEGRATION, "a constant of integration added to a derivative"),
        Mistake(OTHER_VARIABLE, "the answer written in another variable"),
        Mistake(WRONG_VARIABLE, "differentiated with respect to another variable"),
        Mistake(READ_OTHERWISE, "right as probably meant, but written so that it reads otherwise"),
        Mistake(ROUNDED, "right but for a constant rounded to a decimal"),
        Mistake(OFF_BY_CONSTANT, "off by a constant: a term that is no part of the derivative"),
    )
}

# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Witness:
    """A point where the answer and the derivative differ: the values of the
    variables, the answer's value (None where it has none) and the derivative's,
    computed with `stand_ins` for the abstract functions; and their `gap` where
    those two values are equal floats."""

    point: tuple[tuple[str, float], ...]
    yours: float | None
    correct: float
    # the concrete functions of t that stood in for abstract ones (f, g …) there
    stand_ins: tuple[tuple[str, Expr], ...] = ()
    # answer − derivative there, from their simplified difference, when the two
    # values are the same float (2x + 10⁻³⁰ and 2x at 0.7): the values cannot show it
    gap: float | None = None


@dataclass(frozen=True, slots=True)
class WrongStep:
    """The step of the derivation where the answer departs from it: by `rule`,
    d/d`var` `target` is `right`; the answer's working has `yours` instead.
    `target` belongs to the `order`-th derivative (it is the (order − 1)-th).
    With a `factor`, `rule` works on `target` without it, and the results are
    multiplied by it."""

    rule: str
    target: Expr
    var: str
    right: Expr
    yours: Expr
    order: int = 1  # which derivative the step belongs to, for --order N
    # the constant factor of `target` that the rule sets aside (2 in 2x·cos(x²),
    # whose product rule works on x·cos(x²)); `right` and `yours` include it, so
    # they read as the learner's own working does.  None when there is none.
    factor: Expr | None = None


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Why an answer is wrong: the mistake's id (None when it is not one of the
    classic ones), a sentence for the learner (a Note, so each renderer spells the
    mathematics its own way), the step where it happened, a witness point, and
    for a known function's rate the reason that rate holds."""

    mistake: str | None
    message: Note
    step: WrongStep | None
    witness: Witness | None
    why: str | None = None  # the function table's reason for the right rate, if any


class Method(StrEnum):
    """How the verdict was reached."""

    SIMPLIFY = "simplify"  # answer − derivative simplified to a number (0: equal)
    POINTS = "points"  # compared at points


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Everything `calcstep check` says about one answer."""

    diff: DiffReport
    answer: Parsed
    correct: bool
    method: Method
    points: int  # points compared (0 when answer − derivative simplified to 0)
    diagnosis: Diagnosis | None = None
    notes: tuple[Note, ...] = field(default=())  # where the two differ in domain
    # how the inputs were read, where that could surprise (2e^2x read as 2e²·x):
    # shown before the diagnosis, which a misreading explains
    readings: tuple[Note, ...] = field(default=())

    @property
    def derivative(self) -> Expr:
        """The right derivative, simplified."""
        return self.diff.result

    @property
    def var(self) -> str:
        return self.diff.var

    @property
    def order(self) -> int:
        return self.diff.order

    @property
    def expr(self) -> Expr:
        return self.diff.expr


# ---------------------------------------------------------------------------
# Values at points
# ---------------------------------------------------------------------------


def _value(expr: Expr, env: Env) -> float | None:
    """expr at env; None where it has no value, inf where it is too large for a float."""
    try:
        return evaluate(expr, env)
    except TooLargeError:
        # overflow is not a hole in the domain: such a point is skipped, not noted
        return math.inf
    except DomainError:
        return None


def _seed(*parts: str) -> int:
    """A seed that depends only on the texts (str hash() is salted per process)."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _draw(rng: random.Random) -> float:
    """A random point coordinate: either sign, |t| ≥ 0.1, two decimals, not an integer."""
    low, high, _ = rng.choices(BANDS, weights=[band[2] for band in BANDS])[0]
    magnitude = round(rng.uniform(low, high), 2)
    if magnitude == int(magnitude):
        magnitude += 0.01  # integers invite coincidences: x^n = x at 1, sin(πx) = 0 at all
    return magnitude * rng.choice((1, -1))


def _draw_wide(rng: random.Random) -> float:
    """A random point coordinate anywhere in WIDE, spread evenly over the orders of
    magnitude: for functions defined only far out (ln(x − 25)) or close to 0
    (ln(0.01 − x²)), which the usual bands miss."""
    low, high = (math.log10(bound) for bound in WIDE)
    return float(f"{10 ** rng.uniform(low, high):.3g}") * rng.choice((1, -1))


def _tries(seed: int, names: Sequence[str]) -> Iterator[dict[str, float]]:
    """The points to try, in order: round ones first, then reproducible random ones
    from the usual bands, and in the second half from the whole of WIDE (reached
    only when the first half found too few points)."""
    rng = random.Random(seed)
    for i in range(MAX_TRIES):
        if i < len(NICE):
            yield {name: NICE[(i + 3 * j) % len(NICE)] for j, name in enumerate(names)}
        else:
            draw = _draw if i < MAX_TRIES // 2 else _draw_wide
            yield {name: draw(rng) for name in names}


def _extreme(value: float) -> bool:
    """Values so small or large that rounding can swamp them (ln(1 + ε) in an
    answer; 1 − σ(u) = 0 where σ(u) rounds to 1; a difference of huge terms):
    such points, 0 included, are used only when too few others are found (as
    for a derivative that is 0 everywhere)."""
    return not EXTREMES[0] <= abs(value) <= EXTREMES[1]


def _ground(
    function: Expr, derivative: Expr, names: Sequence[str], seed: int
) -> tuple[tuple[Env, ...], tuple[Env, ...]]:
    """Where the comparison happens: points where the function and its derivative
    both have values, and points where the function has one but the derivative not."""
    points: list[Env] = []
    extreme: list[Env] = []
    outside: list[Env] = []
    for env in _tries(seed, names):
        base = _value(function, env)
        if base is None or math.isinf(base):
            continue
        rate = _value(derivative, env)
        if rate is None:
            outside.append(env)
        elif not math.isinf(rate):
            (extreme if _extreme(rate) else points).append(env)
            if len(points) == POINTS:
                break
    if len(points) < POINTS // 2:
        points += extreme[: POINTS - len(points)]
    return tuple(points), tuple(outside[:POINTS])


class _Verdict(Enum):
    SAME = "same"
    CLOSE = "close"
    DIFFERENT = "different"


def _terms(expr: Expr) -> tuple[Expr, ...]:
    return expr.terms if isinstance(expr, Add) else ()


def _scale(yours: Expr, reference: Expr, env: Env, a: float, b: float) -> float:
    """The size a gap is measured against: the largest of the two values and of
    their top-level terms (a sum of large terms that cancel is only as exact as
    its terms)."""
    sizes = [abs(a), abs(b)]
    for term in (*_terms(yours), *_terms(reference)):
        value = _value(term, env)
        if value is not None and math.isfinite(value):
            sizes.append(abs(value))
    return max(sizes)


def _verdict(yours: Expr, reference: Expr, env: Env, a: float, b: float) -> _Verdict:
    gap = abs(a - b)
    size = max(abs(a), abs(b))
    if gap <= TIGHT * size:
        return _Verdict.SAME
    if gap > SURE * size and size >= EXTREMES[0]:
        return _Verdict.DIFFERENT  # no rounding short of a catastrophe is that large
    scale = _scale(yours, reference, env, a, b)
    if gap <= TIGHT * scale:
        return _Verdict.SAME
    return _Verdict.CLOSE if gap <= LOOSE * scale else _Verdict.DIFFERENT


@dataclass(frozen=True, slots=True)
class _Comparison:
    """The answer against a reference at the ground points: how many agreed, where
    the answer has no value but the reference has, and the first difference."""

    agreed: int
    undefined: tuple[Env, ...]
    witness: Witness | None
    first: Witness | None  # the first point where both have values


def _witness(env: Env, yours: float | None, correct: float) -> Witness:
    """A witness point; an answer too large for a float there counts as no value."""
    if yours is not None and math.isinf(yours):
        yours = None
    return Witness(tuple(sorted(env.items())), yours, correct)


def _second_look(yours: Expr, reference: Expr, env: Env, a: float, b: float) -> Witness | None:
    """At a point where the two are close but not equal (`a` and `b`, their
    values there), a closer look: a point where they differ, or None when the gap
    is rounding.

    First exactly: with the point's coordinates as exact decimals (0.7 is 7/10),
    yours − reference often simplifies to a number, which settles it (2x and
    2x + x/10⁷ differ, rounding or not).  Else at four neighbouring points: a
    gap above LOOSE at any of them is a difference.  Else the gap is taken for
    rounding: below one part in a million there and nearby."""
    exact = _exact_gap(yours, reference, env)
    if exact is not None:
        return None if exact == 0 else _witness(env, a, b)
    for move in NEIGHBOURS:
        near = {name: round(value * (1 + move), 6) for name, value in env.items()}
        a_near, b_near = _value(yours, near), _value(reference, near)
        if a_near is None or b_near is None or math.isinf(a_near) or math.isinf(b_near):
            continue
        if _verdict(yours, reference, near, a_near, b_near) is _Verdict.DIFFERENT:
            return _witness(near, a_near, b_near)
    return None


def _exact_gap(yours: Expr, reference: Expr, env: Env) -> Fraction | int | None:
    """yours − reference at the point in exact arithmetic, when it simplifies to a
    rational number (it does for rational functions); else None."""
    point = {Sym(name): Num(Fraction(str(value))) for name, value in env.items()}
    try:
        gap = simplify(substitute(sub(yours, reference), point))[0]
    except CalcstepError:
        return None
    return gap.value if isinstance(gap, Num) else None


def _compare(yours: Expr, reference: Expr, points: Iterable[Env]) -> _Comparison:
    """Compare at each point, stopping at the first difference."""
    agreed = 0
    undefined: list[Env] = []
    first: Witness | None = None
    for env in points:
        b = _value(reference, env)
        if b is None or math.isinf(b):
            continue
        a = _value(yours, env)
        if a is None:
            undefined.append(env)
            continue
        if math.isinf(a):
            continue
        if first is None:
            first = _witness(env, a, b)
        verdict = _verdict(yours, reference, env, a, b)
        witness = None
        if verdict is _Verdict.DIFFERENT:
            witness = _witness(env, a, b)
        elif verdict is _Verdict.CLOSE:
            witness = _second_look(yours, reference, env, a, b)
        if witness is not None:
            return _Comparison(agreed, tuple(undefined), witness, first)
        agreed += 1
    return _Comparison(agreed, tuple(undefined), None, first)


# ---------------------------------------------------------------------------
# Abstract functions: a concrete stand-in for each name
# ---------------------------------------------------------------------------

_PLACEHOLDER = Sym("t")


@lru_cache(maxsize=256)
def _model(name: str, order: int) -> Expr:
    """The `order`-th derivative of the smooth function that stands in for the
    abstract function `name` in t: sin(a·t) + b·e^(c·t) + 1/(t² + d), with a, b,
    c, d fixed by the name, so f and g differ and f, f′, f″ agree with one
    another.  The last term keeps it from solving any linear equation with
    constant coefficients, as sin and e^(c·t) alone do (f‴ = c·f″ − a²·f′ +
    a²c·f): an answer built from f, f′ and f″ by such an equation is not taken
    for f‴."""
    if order > 0:
        return derive(_model(name, order - 1), _PLACEHOLDER.name).result
    k = _seed(name)
    a = Num(Fraction(5 + k % 4, 4))
    b = Num(Fraction(2 + k % 3, 5))
    c = Num(Fraction(3 + k % 5, 8))
    d = Num(2 + k % 3)
    return add(
        Call("sin", mul(a, _PLACEHOLDER)),
        mul(b, Pow(E, mul(c, _PLACEHOLDER))),
        Pow(add(Pow(_PLACEHOLDER, Num(2)), d), Num(-1)),
    )


def _stand_ins(*exprs: Expr) -> tuple[tuple[str, Expr], ...]:
    """The stand-in for each abstract function the expressions use, by name."""
    names = sorted({node.fn for expr in exprs for node in walk(expr) if isinstance(node, Apply)})
    return tuple((name, _model(name, 0)) for name in names)


def _has_abstract(expr: Expr) -> bool:
    return any(isinstance(node, Apply) for node in walk(expr))


def _concrete(expr: Expr) -> Expr:
    """expr with every abstract function application f⁽ᵏ⁾(u) replaced by its stand-in."""
    while _has_abstract(expr):
        mapping = {
            node: substitute(_model(node.fn, node.order), {_PLACEHOLDER: node.arg})
            for node in walk(expr)
            if isinstance(node, Apply)
        }
        expr = substitute(expr, mapping)  # one level of nesting per round
    return expr


# ---------------------------------------------------------------------------
# Slips: how each rule can be misapplied
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wrong:
    """A step's result with a slip in it, and the sentence that names the slip:
    `text` is a Note template whose {0}, {1} … are `args` (simplified for display
    only when the slip is reported, so trying a slip costs no simplification)."""

    result: Expr
    text: str
    args: tuple[Expr, ...] = ()
    extra_minus: bool = False  # a sign slip that adds a minus (rarer than losing one)
    why: str | None = None  # why the right rate is what it is, when a known function's

    def message(self, typed: frozenset[Expr] = frozenset()) -> Note:
        """The sentence, its rule-made parts tidied term by term; parts of the input
        (`typed`) are shown as written (cos(−2x), not the cos(2x) tidying would make)."""
        return Note(self.text, tuple(arg if arg in typed else _tidy_terms(arg) for arg in self.args))


@dataclass(frozen=True, slots=True)
class Slip:
    """One way to misapply a rule: `variants(step, var)` are the mistaken results
    of the step `step` (whose substeps are as the replay made them)."""

    name: str
    mistake: str
    variants: Callable[[Step, str], tuple[Wrong, ...]]


def _tidy(expr: Expr) -> Expr:
    """expr simplified for display (as it is when simplifying fails)."""
    try:
        return simplify(expr)[0]
    except CalcstepError:
        return expr


def _tidy_terms(expr: Expr) -> Expr:
    """A sum tidied term by term, its terms kept in the order the rule wrote them
    (low d-high minus high d-low, not the textbook order simplifying would sort
    it into, which can put the subtracted term first); anything else tidied whole."""
    if not isinstance(expr, Add):
        return _tidy(expr)
    return add(*(term for term in map(_tidy_term, expr.terms) if not is_num(term, 0)))


def _tidy_term(term: Expr) -> Expr:
    """One term tidied; a subtracted sum keeps its brackets, x + 1 − (x − 1), and is
    not opened into x + 1 + 1 − x, which hides which term was subtracted; a product
    stays one."""
    coefficient, rest = split_coefficient(term)
    if coefficient == -1:
        inside = _tidy(rest)
        if isinstance(inside, Add):
            return mul(Num(-1), inside)
    tidied = _tidy(term)
    if isinstance(tidied, Add) and isinstance(term, Mul):
        # a product the simplifier multiplies out, the product rule's h·g′ =
        # (x³ − x)·2x, stays a product: its terms would merge into the sum around
        # it (… + 2x⁴ − 2x²), and the rule's two terms could no longer be told apart
        factors = [factor for factor in map(_tidy, term.factors) if not is_num(factor, 1)]
        if len(factors) > 1:  # (x − 1)·1 is x − 1 all the same
            return mul(*factors)
    return tidied


def _negative(expr: Expr) -> bool:
    """True when expr is written with a minus sign in front: its number factors
    multiply to a negative number (−sin(x), −1/x², but not (−1)·(−sin(x)))."""
    factors = expr.factors if isinstance(expr, Mul) else (expr,)
    sign = 1
    for factor in factors:
        if isinstance(factor, Num) and factor.value < 0:
            sign = -sign
    return sign < 0


def _why(rule: str) -> str | None:
    """A known function's one-line reason for its rate, to follow a message."""
    return RULES[rule].why if rule in BY_NAME else None


def _others(rates: list[Expr], i: int, *replacement: Expr) -> Expr:
    """The product of `rates` with rate i replaced (left out when no replacement)."""
    return mul(*rates[:i], *replacement, *rates[i + 1 :])


# -- the chain rule ---------------------------------------------------------


def _inner_values(target: Expr, var: str) -> list[Expr]:
    """What each stage of a composition is applied to, from the outside in:
    sin(cos(x²)) → [cos(x²), x², x].  Stage i of a chain step is taken at
    value i (the peeling is the chain rule's own, calcstep.rules.peel)."""
    return [inner for _, inner in peel(target, var)]


def _rates(step: Step) -> list[Expr]:
    """A chain step's local rates, outermost first, each at its inner value; the
    chain rule's result is their product.  The last is the rate of the innermost
    part with respect to x."""
    return [s.evaluated if s.evaluated is not None else s.result for s in step.substeps]


def _stage_at(stage: Step, values: list[Expr], index: int) -> Expr:
    """Stage `index` of a chain as a function of x: sin(u) at u = x² is sin(x²)."""
    if stage.evaluated is None:
        return stage.target
    return substitute(stage.target, {Sym(stage.var): values[index]})


def _forgot_inner(step: Step, var: str) -> tuple[Wrong, ...]:
    """d/dx f(g(x)) taken as f′(g(x)) alone: the inner rate left out.  In a longer
    chain also: all the inner rates left out, or one middle stage's."""
    rates = _rates(step)
    outer = "outer rate" if len(rates) == 2 else "outer stages' rates"  # sin(cos(x²)): two stages
    wrongs = [
        Wrong(
            mul(*rates[:-1]),
            f"You forgot the inner derivative: {{0}} is a composition, so after the {outer} "
            "{1} you must multiply by the rate of the inside, {2}, which is {3}.",
            (step.target, mul(*rates[:-1]), step.substeps[-1].target, rates[-1]),
        )
    ]
    if 2 < len(rates) <= MAX_STAGES:
        values = _inner_values(step.target, var)
        wrongs.append(
            Wrong(
                rates[0],
                "You forgot the inner derivatives: {0} is a chain of compositions, so after "
                "the outer rate {1} you must multiply by the rate of the inside, {2}, which "
                "is {3}.",
                (step.target, rates[0], values[0], mul(*rates[1:])),
            )
        )
        wrongs += [
            Wrong(
                _others(rates, i),
                "You forgot an inner derivative: in the chain {0} every stage multiplies "
                "the rate by its own local rate, and the rate of the stage {1}, which is "
                "{2}, is missing.",
                (step.target, _stage_at(step.substeps[i], values, i), rates[i]),
            )
            for i in range(1, len(rates) - 1)
        ]
    return tuple(wrongs)


def _outer_at_x(step: Step, var: str) -> tuple[Wrong, ...]:
    """f′(g(x))·g′(x) taken as f′(x)·g′(x), and as f′(x) alone."""
    outer = step.substeps[0]
    if outer.evaluated is None:
        return ()
    rates = _rates(step)
    at_x = substitute(outer.result, {Sym(outer.var): Sym(var)})
    text = (
        "The outer rate must be taken at the inside, not at {0}: in {1} the outer rate is "
        "{2}, with {3} left untouched inside, not {4}."
    )
    values = _inner_values(step.target, var)
    args = (Sym(var), step.target, rates[0], values[0], at_x)
    wrongs = [
        Wrong(_others(rates, 0, at_x), text, args),
        Wrong(at_x, text + " Then multiply by the rate of the inside, {5}.",
              (*args, _others(rates, 0))),
    ]
    # the outer rate taken at less than the whole inside: in a longer chain, at the
    # inside with a deeper part dropped (sin(cos(x²))′ with cos(cos(x)), as if the
    # inside were cos(x)); at part of the inside (sin(x² + 1)′ with cos(x²), the
    # constant dropped; sin(3x²)′ with cos(x²), the factor dropped)
    mistaken = [substitute(values[0], {deeper: Sym(var)}) for deeper in values[1:-1]]
    for inside in [*mistaken, *_parts_of_inside(values[0], var)]:
        at_inside = substitute(outer.result, {Sym(outer.var): inside})
        wrongs.append(Wrong(
            _others(rates, 0, at_inside),
            "The outer rate must be taken at the whole inside, not at {0}: in {1} the outer "
            "rate is {2}, with {3} left untouched inside, not {4}.",
            (inside, step.target, rates[0], values[0], at_inside),
        ))
    # the inside differentiated in place as well as after: e^(sin x)′ as
    # e^(cos x)·cos x, the outer rate taken at the inside's rate
    inside_rate = _others(rates, 0)
    at_rate = substitute(outer.result, {Sym(outer.var): inside_rate})
    if at_rate != rates[0]:  # e^(eˣ): the inside is its own rate
        wrongs.append(Wrong(
            _others(rates, 0, at_rate),
            "The outer rate must be taken at the inside itself, not at its rate: in {0} the "
            "outer rate is {1}, with {2} left untouched inside, not {3}. The inside is "
            "differentiated once, for the factor {4} that follows the outer rate.",
            (step.target, rates[0], values[0], at_rate, inside_rate),
        ))
    # in a longer chain, every outer rate taken as if the innermost part were x:
    # ln(cos(x²))′ as (1/cos x)·(−sin x)·2x, e^(sin(x²))′ as e^(sin x)·cos x·2x
    if len(values) > 2:
        innermost = values[-2]
        dropped = [substitute(rate, {innermost: Sym(var)}) for rate in rates[:-1]]
        if dropped != rates[:-1]:
            wrongs.append(Wrong(
                mul(*dropped, rates[-1]),
                "Every outer rate must be taken at its whole inside, with {0} left untouched "
                "in it: in {1} the outer rates are {2}, not {3}. Then multiply by the rate of "
                "{0}, {4}.",
                (innermost, step.target, mul(*rates[:-1]), mul(*dropped), rates[-1]),
            ))
    # in a longer chain, an inner stage's rate taken at x: sin(sin(x²))′ with
    # cos(x) for the rate of the inner sine, where cos(x²) belongs
    for i, stage in enumerate(step.substeps[1 : len(values)], start=1):
        if stage.evaluated is None or stage.evaluated is stage.result:
            continue  # derived in x already, or a rate without its inside (2 for 2u)
        stage_at_x = substitute(stage.result, {Sym(stage.var): Sym(var)})
        if stage_at_x == rates[i]:
            continue
        wrongs.append(Wrong(
            _others(rates, i, stage_at_x),
            "Each stage's rate must be taken at its own inside, not at {0}: in {1} that rate "
            "is {2}, with {3} left untouched inside, not {4}.",
            (Sym(var), _stage_at(stage, values, i), rates[i], values[i], stage_at_x),
        ))
    return tuple(wrongs)


def _parts_of_inside(inside: Expr, var: str) -> list[Expr]:
    """The parts of a chain's inside a learner may take for the whole of it: each
    term of a sum that holds x, and the sum without its constant terms (x² + x + 1:
    x², x and x² + x); each factor of a product that holds x (3x²: x²).  Not x
    itself, whose case is the outer rate taken at x."""
    if type(inside) is Add:
        varying = [term for term in inside.terms if term.has(var)]
        parts = list(varying)
        if 1 < len(varying) < len(inside.terms):
            parts.append(add(*varying))
    elif type(inside) is Mul:
        parts = [factor for factor in inside.factors if factor.has(var)]
        if len(parts) == len(inside.factors):
            parts = []  # x·sin(x) has no constant to drop: its factors are not "the inside" mistaken
    else:
        return []
    return [part for part in parts if part != Sym(var)]


def _is_exponential(step: Step) -> bool:
    return step.rule in ("exp", "exponential")


def _power_rule_rate(stage: Step) -> Expr:
    """What the power rule wrongly makes of a^u: u·a^(u−1)."""
    assert isinstance(stage.target, Pow)
    u = stage.target.exp
    return mul(u, Pow(stage.target.base, add(u, Num(-1))))


_POWER_ON_EXPONENTIAL = (
    "The power rule does not apply to {0}: it needs a constant exponent, and here the "
    "variable is in the exponent. An exponential grows in proportion to itself: the "
    "rate of {1} is {2}"
)
_WITHOUT_LOG = (
    "The rate of {1} is {2}, not {1} itself: an exponential grows in proportion to "
    "itself, times the natural logarithm of its base, and only for the base e is that "
    "logarithm 1"
)


def _on_exponential(target: Expr, base: Expr, result: Expr, wrong: Expr, var: str) -> Wrong:
    """The power rule used on `target`, an exponential with base `base`."""
    return _exponential_slip(_POWER_ON_EXPONENTIAL, ", so", target, base, result, wrong, var)


def _without_log(target: Expr, base: Expr, result: Expr, wrong: Expr, var: str) -> Wrong:
    """`target`, an exponential with base `base`, given the rate of eˣ: itself."""
    return _exponential_slip(_WITHOUT_LOG, "; so", target, base, result, wrong, var)


def _exponential_slip(
    text: str, so: str, target: Expr, base: Expr, result: Expr, wrong: Expr, var: str
) -> Wrong:
    """A slip on `target`, an exponential with base b: `text` says what the rate of
    bˣ ({1}) is ({2}); for a longer `target` ({0}) the sentence goes on, after `so`,
    to the rate of {0} ({3}, the step's `result`)."""
    return _slip_on_base(text, so, target, Pow(base, Sym(var)), (), result, wrong, var)


def _slip_on_base(
    text: str, so: str, target: Expr, plain: Expr, extra: tuple[Expr, ...], result: Expr, wrong: Expr, var: str
) -> Wrong:
    """A slip on `target`, a function to a base b (bᵘ, log_b u): `text` says what the
    rate of `plain`, that function of x alone ({1}), is ({2}), with `extra` as {3} …;
    for a longer `target` ({0}) the sentence goes on, after `so`, to the rate of {0}
    (the step's `result`)."""
    args = (target, plain, derive(plain, var).result, *extra)
    if target == plain:
        return Wrong(wrong, text + ".", args)
    return Wrong(wrong, text + so + f" the rate of {{0}} is {{{len(args)}}}.", (*args, result))


_LOG_WITHOUT_LN = (
    "The rate of {1} is {2}, not {3}: a logarithm to the base b is ln divided by the "
    "constant ln(b), so its rate is ln's rate divided by ln(b) too, and only for the base "
    "e is that constant 1"
)


def _log_without_ln(target: Expr, base: Expr, result: Expr, wrong: Expr, var: str) -> Wrong:
    """`target`, a logarithm to the base `base`, given ln's rate: 1/u, ln b left out."""
    x = Sym(var)
    return _slip_on_base(_LOG_WITHOUT_LN, "; so", target, Log(x, base), (Pow(x, MINUS_ONE),), result, wrong, var)


def _logarithm_without_log(step: Step, var: str) -> tuple[Wrong, ...]:
    """(log_b x)′ taken as 1/x, as if it were ln x: the factor 1/ln b left out."""
    assert isinstance(step.target, Log)
    return (_log_without_ln(step.target, step.target.base, step.result, Pow(step.target.arg, MINUS_ONE), var),)


def _logarithm_without_log_stage(step: Step, var: str) -> tuple[Wrong, ...]:
    """A logarithm stage log_b u of a chain taken as ln u, its rate 1/u (the other
    rates kept): log₁₀(x² + 1)′ as 2x/(x² + 1)."""
    return tuple(
        _log_without_ln(at, base, step.result, _others(rates, i, Pow(inner, MINUS_ONE)), var)
        for i, at, base, inner, rates in _stages_with_a_base(step, var, "logarithm-base")
    )


def _stages_with_a_base(step: Step, var: str, rule: str) -> Iterator[tuple[int, Expr, Expr, Expr, list[Expr]]]:
    """For each stage of the chain `step` by `rule` (a logarithm's or an
    exponential's, whose target has a base): its index, the stage at its inner
    value, that base, the inner value, and the chain's rates."""
    rates = _rates(step)
    values = _inner_values(step.target, var)
    for i, stage in enumerate(step.substeps[: len(values)]):
        if stage.rule == rule:
            assert isinstance(stage.target, (Log, Pow))
            yield i, _stage_at(stage, values, i), stage.target.base, values[i], rates


def _exponential_without_log(step: Step, var: str) -> tuple[Wrong, ...]:
    """(a^x)′ taken as a^x, the factor ln a left out."""
    assert isinstance(step.target, Pow)
    return (_without_log(step.target, step.target.base, step.result, step.target, var),)


def _exponential_without_log_stage(step: Step, var: str) -> tuple[Wrong, ...]:
    """An exponential stage a^u of a chain taken as a^u, its ln a left out (the
    other rates kept)."""
    return tuple(
        _without_log(at, base, step.result, _others(rates, i, at), var)
        for i, at, base, _, rates in _stages_with_a_base(step, var, "exponential")
    )


def _power_on_exponential_stage(step: Step, var: str) -> tuple[Wrong, ...]:
    """An exponential stage a^u of a chain differentiated by the power rule,
    u·a^(u−1), with the inner rates (and without them)."""
    rates = _rates(step)
    values = _inner_values(step.target, var)
    wrongs: list[Wrong] = []
    for i, stage in enumerate(step.substeps[: len(values)]):
        if not _is_exponential(stage):
            continue
        assert isinstance(stage.target, Pow)
        wrong = _power_rule_rate(stage)
        if stage.evaluated is not None:
            wrong = substitute(wrong, {Sym(stage.var): values[i]})
        at = _stage_at(stage, values, i)
        for result in (_others(rates, i, wrong), mul(*rates[:i], wrong)):
            wrongs.append(_on_exponential(at, stage.target.base, step.result, result, var))
    return tuple(wrongs)


def _reciprocal_without_square(step: Step, var: str) -> tuple[Wrong, ...]:
    """1/h differentiated as −h′/h: the quotient rule's square left out."""
    outer = step.substeps[0]
    target = outer.target
    if outer.evaluated is None or not (isinstance(target, Pow) and target.exp == Num(-1)):
        return ()
    h = _inner_values(step.target, var)[0]
    return (
        Wrong(
            _others(_rates(step), 0, neg(Pow(h, Num(-1)))),
            "The quotient rule divides by the square of the denominator: the rate of 1/h is "
            "minus h' over h squared, so with h = {0} below the bar goes {1}, not {0}.",
            (h, Pow(h, Num(2))),
        ),
    )


def _chain_sign(step: Step, var: str) -> tuple[Wrong, ...]:
    """One stage's rate with its sign flipped: d/du cos(u) taken as sin(u)."""
    rates = _rates(step)
    values = _inner_values(step.target, var)
    wrongs: list[Wrong] = []
    for i, stage in enumerate(step.substeps):
        if stage.substeps or (stage.rule not in BY_NAME and not _negative(rates[i])):
            continue
        if 0 < i < len(rates) - 1 and len(rates) > MAX_STAGES:
            continue  # in a long chain, only the outermost and innermost stages
        lost = _negative(rates[i])
        which = "the outer rate" if i == 0 else "the rate of {1}"
        wrongs.append(
            Wrong(
                _others(rates, i, neg(rates[i])),
                _sign_slip(lost) + ": in {0} " + which + " is {2}, not {3}.",
                (step.target, _stage_at(stage, values, i), rates[i], neg(rates[i])),
                extra_minus=not lost,
                why=_why(stage.rule),
            )
        )
        inside = _SIGN_INSIDE.get(stage.rule)
        at = _stage_at(stage, values, i)
        if inside is not None and type(at) is Call:  # 2x·(1 + tanh²(x²)) for tanh(x²)
            right, slipped = inside(at.arg)
            wrongs.append(
                Wrong(
                    _others(rates, i, slipped),
                    "A sign slipped inside a rate: in {0} " + which + " is {2}, not {3}.",
                    (step.target, at, right, slipped),
                    why=_why(stage.rule),
                )
            )
    return tuple(wrongs)


# -- sums -----------------------------------------------------------------------

# In a sum of more terms that vary than this, only one term's rate at a time is
# tried left out (every set of them would be too many replays).
MAX_SUM_SUBSETS = 4


def _sum_term_missing(step: Step, var: str) -> tuple[Wrong, ...]:
    """(g + h + …)′ with the rates of some terms left out: every nonempty set of the
    terms that vary with x but not all of them, one term first (a sum of more than
    MAX_SUM_SUBSETS such terms: one term only).  Leaving them all out leaves 0,
    which says nothing about the sum rule; a constant term's rate is 0 already."""
    if step.rule != "sum":
        return ()
    varying = [i for i, part in enumerate(step.substeps) if part.target.has(var)]
    largest = len(varying) - 1 if len(varying) <= MAX_SUM_SUBSETS else 1
    return tuple(
        _terms_left_out(step, frozenset(left_out))
        for size in range(1, largest + 1)
        for left_out in combinations(varying, size)
    )


def _terms_left_out(step: Step, left_out: frozenset[int]) -> Wrong:
    """The sum step `step` with the rates of its terms at `left_out` (indices) left
    out, and the sentence that says which they are."""
    parts = step.substeps
    kept = add(*(part.result for i, part in enumerate(parts) if i not in left_out))
    missing = [parts[i] for i in sorted(left_out)]
    terms = _listed(range(2, 2 + len(missing)))
    rates = _listed(range(2 + len(missing), 2 + 2 * len(missing)))
    which = f"the rate of {terms}, which is {rates}" if len(missing) == 1 else (
        f"the rates of {terms}, which are {rates}")
    return Wrong(
        kept,
        "A sum changes by the changes of all its terms at once, so the rate of {0} is the "
        f"sum of its terms' rates, {{1}}. Your answer leaves out {which}.",
        (step.target, step.result, *(part.target for part in missing), *(part.result for part in missing)),
    )


def _listed(indices: Iterable[int]) -> str:
    """Note placeholders as a list in words: {2}; {2} and {3}; {2}, {3} and {4}."""
    names = [f"{{{i}}}" for i in indices]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# -- products and quotients ---------------------------------------------------


def _product_of_derivatives(step: Step, var: str) -> tuple[Wrong, ...]:
    """(g·h)′ taken as g′·h′ (for n factors, the product of all n rates)."""
    wrong = mul(*(part.result for part in step.substeps))
    if step.rule == "product":
        return (
            Wrong(
                wrong,
                "The rate of a product is not the product of the rates. Picture {0} as a "
                "rectangle with sides {1} and {2}: a nudge grows it along both sides at "
                "once, so the rate is left d-right plus right d-left, {3}, not {4}.",
                (step.target, given_part(step, "g"), given_part(step, "h"), step.result, wrong),
            ),
        )
    return (
        Wrong(
            wrong,
            "The rate of a product is not the product of the rates: each factor of {0} "
            "changes in turn while the others hold still, one term per factor, so the rate "
            "is {1}, not {2}.",
            (step.target, step.result, wrong),
        ),
    )


def _product_term_missing(step: Step, var: str) -> tuple[Wrong, ...]:
    """(g·h)′ taken as g·h′ alone, or as h·g′ alone: one sliver of the rectangle."""
    if step.rule != "product":
        return ()
    g, h, dg, dh = _parts(step)
    text = ("The product rule has two terms. Picture {0} as a rectangle with sides {1} and "
            "{2}: a nudge grows it along both sides at once, by a sliver along each. Your "
            "answer keeps only {3}%s; the other sliver, {4}, is missing, so the rate is {5}.")
    return tuple(
        Wrong(kept, text % _itself(kept, step.target, own), (step.target, g, h, kept, missing, step.result))
        for kept, missing, own in ((mul(g, dh), mul(h, dg), 2), (mul(h, dg), mul(g, dh), 1))
    )


def _itself(kept: Expr, product: Expr, own: int) -> str:
    """Words for a sliver kept that is the product itself (x·eˣ keeps x·(eˣ)′, which
    is x·eˣ): the answer looks undifferentiated, but one of the product rule's
    terms is what gave it, its factor {`own`} being its own rate."""
    return f" (the function itself, since {{{own}}} is its own rate)" if _tidy(kept) == _tidy(product) else ""


def _product_sign(step: Step, var: str) -> tuple[Wrong, ...]:
    """Left d-right minus right d-left, either way round."""
    g, h, dg, dh = _parts(step)
    return tuple(
        Wrong(
            wrong,
            "The product rule adds its two terms, left d-right plus right d-left: {0}, "
            "not {1}.",
            (step.result, wrong),
        )
        for wrong in (sub(mul(g, dh), mul(h, dg)), sub(mul(h, dg), mul(g, dh)))
    )


def _parts(step: Step) -> tuple[Expr, Expr, Expr, Expr]:
    """g, h, g′, h′ of a product step g·h or a quotient step g/h."""
    dg, dh = (part.result for part in step.substeps)
    return given_part(step, "g"), given_part(step, "h"), dg, dh


def _quotient_reversed(step: Step, var: str) -> tuple[Wrong, ...]:
    """(g/h)′ taken as (g·h′ − h·g′)/h² (and also without the square)."""
    g, h, dg, dh = _parts(step)
    reversed_ = sub(mul(g, dh), mul(h, dg))
    text = (
        "The quotient rule's numerator is the wrong way round: with {0} on top and {1} "
        "below, it is low d-high minus high d-low, {2}, not {3}; swapping the two terms "
        "flips the sign of the whole result."
    )
    args = (g, h, sub(mul(h, dg), mul(g, dh)), reversed_)
    return (
        Wrong(mul(reversed_, Pow(h, Num(-2))), text, args),
        Wrong(
            mul(reversed_, Pow(h, Num(-1))),
            text + " And the denominator is squared: {4}, not {1}.",
            (*args, Pow(h, Num(2))),
        ),
    )


def _constant_kept(step: Step, var: str) -> tuple[Wrong, ...]:
    """d/dx c taken as c: a constant term carried into the derivative."""
    if is_num(step.target, 0):
        return ()
    return (
        Wrong(
            step.target,
            "A constant term does not change as {0} changes, so its rate is 0: the {1} in "
            "the function adds nothing to the derivative.",
            (Sym(var), step.target),
        ),
    )


def _quotient_of_derivatives(step: Step, var: str) -> tuple[Wrong, ...]:
    """(g/h)′ taken as g′/h′, the rates divided as the functions are."""
    g, h, dg, dh = _parts(step)
    wrong = mul(dg, Pow(dh, Num(-1)))
    text = (
        "The rate of a quotient is not the quotient of the rates: as {0} and {1} both change, "
        "the quotient changes by low d-high minus high d-low over low squared, {2}, not {3}."
    )
    return (Wrong(wrong, text, (g, h, step.result, wrong)),)


def _quotient_missing_square(step: Step, var: str) -> tuple[Wrong, ...]:
    """(g/h)′ taken as (h·g′ − g·h′)/h."""
    g, h, dg, dh = _parts(step)
    return (
        Wrong(
            mul(sub(mul(h, dg), mul(g, dh)), Pow(h, Num(-1))),
            "The quotient rule divides by the square of the denominator, low d-high minus "
            "high d-low over low squared: with {0} below the bar, the denominator of the "
            "rate is {1}, not {0}.",
            (h, Pow(h, Num(2))),
        ),
    )


def _quotient_numerator_only(step: Step, var: str) -> tuple[Wrong, ...]:
    """(g/h)′ taken as h·g′ − g·h′, with nothing below.  Tried after g′/h′: where
    the two agree (x/(x + 1) answered 1, which is 1/1 and x + 1 − x alike), the
    rates divided is the likelier slip."""
    g, h, dg, dh = _parts(step)
    top = sub(mul(h, dg), mul(g, dh))
    return (
        Wrong(
            top,
            "The quotient rule divides by the square of the denominator, low d-high minus "
            "high d-low over low squared: {0} is only the numerator, and it goes over {1}.",
            (top, Pow(h, Num(2))),
        ),
    )


def _quotient_sign(step: Step, var: str) -> tuple[Wrong, ...]:
    """(g/h)′ taken as (h·g′ + g·h′)/h²."""
    g, h, dg, dh = _parts(step)
    plus = add(mul(h, dg), mul(g, dh))
    return (
        Wrong(
            mul(plus, Pow(h, Num(-2))),
            "A minus sign was lost in the quotient rule: its numerator is low d-high minus "
            "high d-low, {0}, not {1}.",
            (sub(mul(h, dg), mul(g, dh)), plus),
        ),
    )


# -- exponentials and powers ----------------------------------------------------


def _power_on_exponential(step: Step, var: str) -> tuple[Wrong, ...]:
    """(a^x)′ taken as x·a^(x−1)."""
    assert isinstance(step.target, Pow)
    return (
        _on_exponential(step.target, step.target.base, step.result, _power_rule_rate(step), var),
    )


def _power_on_general_power(step: Step, var: str) -> tuple[Wrong, ...]:
    """(f^g)′ taken as g·f^(g−1)·f′ (and without f′): the power rule with an
    exponent that is not constant."""
    f, g = given_part(step, "f"), given_part(step, "g")
    power = mul(g, Pow(f, add(g, Num(-1))))
    text = (
        "The power rule needs a constant exponent, but {0} has {1} in both its base and its "
        "exponent, so neither the power rule nor the exponential rule fits alone: take "
        "logarithms, ln(y) = {2}, and differentiate that, which gives {3}."
    )
    args = (step.target, Sym(var), mul(g, Call("ln", f)), step.result)
    return (Wrong(mul(power, derive(f, var).result), text, args), Wrong(power, text, args))


def _exponential_on_general_power(step: Step, var: str) -> tuple[Wrong, ...]:
    """(f^g)′ taken as f^g·ln f·g′ (and without g′): the exponential rule with a base
    that is not constant, the twin of the power rule with a variable exponent.  The
    right rate is the sum of the two rules' results, which the sentence says."""
    f, g = given_part(step, "f"), given_part(step, "g")
    dg = derive(g, var).result
    by_exponential = mul(step.target, Call("ln", f), dg)
    by_power = mul(g, Pow(f, add(g, Num(-1))), derive(f, var).result)
    text = (
        "The exponential rule needs a constant base, but {0} has {1} in both its base and its "
        "exponent, so neither the exponential rule nor the power rule fits alone: take "
        "logarithms, ln(y) = {2}, and differentiate that, which gives {3}. That is the "
        "exponential rule's term, {4}, and the power rule's term, {5}, added: your answer "
        "keeps only the first"
    )
    args = (step.target, Sym(var), mul(g, Call("ln", f)), step.result, by_exponential, by_power)
    return (
        Wrong(by_exponential, text + ".", args),
        Wrong(mul(step.target, Call("ln", f)), text + ", and without the exponent's rate {6}.", (*args, dg)),
    )


_POWER_RULE = ("The power rule brings the power down in front and lowers the exponent by one: "
               "the rate of {0} is {1}, not {2}.")


def _power_rule_slips(power: Pow) -> tuple[Expr, ...]:
    """What (uⁿ)′ is mistaken for: n·uⁿ (the exponent not lowered), n·u^(n+1)
    (raised instead), u^(n−1) (the power not brought down in front)."""
    base, n = power.base, power.exp
    slips = [mul(n, Pow(base, n)), mul(n, Pow(base, add(n, Num(1))))]
    if n != Num(-1):  # 1/x² for 1/x: the −1 not brought down is a minus sign lost, said so
        slips.append(Pow(base, add(n, Num(-1))))
    return tuple(slips)


def _power_rule_misapplied(step: Step, var: str) -> tuple[Wrong, ...]:
    """(xⁿ)′ taken as n·xⁿ, n·x^(n+1) or x^(n−1)."""
    assert isinstance(step.target, Pow)
    return tuple(Wrong(slip, _POWER_RULE, (step.target, step.result, slip))
                 for slip in _power_rule_slips(step.target))


def _power_stage_misapplied(step: Step, var: str) -> tuple[Wrong, ...]:
    """A power stage uⁿ of a chain (sin³x, (x² + 1)⁵) differentiated with the
    power rule's slips, times the inner rates: 3·sin³x·cos x for sin³x."""
    rates = _rates(step)
    values = _inner_values(step.target, var)
    wrongs: list[Wrong] = []
    for i, stage in enumerate(step.substeps[: len(values)]):
        if stage.rule != "power" or stage.evaluated is None:
            continue
        assert isinstance(stage.target, Pow)
        inside = {Sym(stage.var): values[i]}
        at = _stage_at(stage, values, i)
        for slip in _power_rule_slips(stage.target):
            wrongs.append(Wrong(_others(rates, i, substitute(slip, inside)), _POWER_RULE,
                                (at, rates[i], substitute(slip, inside))))
    return tuple(wrongs)


def _unsquared(rate: Expr) -> Expr | None:
    """A rate that is a number times a square with the square left out (sec²u →
    sec u, −csc²u → −csc u); None for any other rate."""
    coefficient, rest = split_coefficient(rate)
    if isinstance(rest, Pow) and rest.exp == TWO:
        return mul(Num(coefficient), rest.base)
    return None


_SQUARE = "The rate of {0} is {1}, not {2}: the square belongs to the rate, as the rule that gives it shows."


def _square_forgotten(step: Step, var: str) -> tuple[Wrong, ...]:
    """A known function whose rate is a square, tan's sec², given the rate without
    the square: sec x."""
    wrong = _unsquared(step.result)
    if wrong is None:
        return ()
    return (Wrong(wrong, _SQUARE, (step.target, step.result, wrong), why=_why(step.rule)),)


def _square_forgotten_stage(step: Step, var: str) -> tuple[Wrong, ...]:
    """A stage of a chain whose rate is a square (tan(x²)′ = 2x·sec²(x²)) with the
    square left out, the other rates kept: 2x·sec(x²)."""
    rates = _rates(step)
    values = _inner_values(step.target, var)
    wrongs: list[Wrong] = []
    for i, stage in enumerate(step.substeps[: len(values)]):
        wrong = _unsquared(rates[i]) if stage.rule in BY_NAME else None
        if wrong is not None:
            wrongs.append(Wrong(_others(rates, i, wrong), _SQUARE,
                                (_stage_at(stage, values, i), rates[i], wrong), why=_why(stage.rule)))
    return tuple(wrongs)


# -- any step -------------------------------------------------------------------


def _flipped(step: Step, var: str) -> tuple[Wrong, ...]:
    """A step's result with the opposite sign: a lost minus (d/dx cos x = sin x,
    d/dx 1/x = 1/x²) or an extra one (d/dx sin x = −cos x).  Tried on the steps
    that bring in a sign: a known function's rule, or a result written with a
    leading minus."""
    if step.rule not in BY_NAME and not _negative(step.result):
        return ()
    lost = _negative(step.result)
    flipped = Wrong(
        neg(step.result),
        _sign_slip(lost) + ": the rate of {0} is {1}, not {2}.",
        (step.target, step.result, neg(step.result)),
        extra_minus=not lost,
        why=_why(step.rule),
    )
    inside = _SIGN_INSIDE.get(step.rule) if type(step.target) is Call else None
    if inside is None:
        return (flipped,)
    right, slipped = inside(step.target.arg)
    return (
        flipped,
        Wrong(slipped, "A sign slipped inside the rate: the rate of {0} is {1}, not {2}.",
              (step.target, right, slipped), why=_why(step.rule)),
    )


# Rates whose usual form has a sign inside it, each as (that form, the form with
# the sign slipped), for the argument u: 1 − tanh²u taken as 1 + tanh²u, the
# sigmoid's σ(1 − σ) as σ(1 + σ), arctan's 1/(1 + u²) as 1/(1 − u²).
def _sigmoid_slip(u: Expr) -> tuple[Expr, Expr]:
    s = Call("sigmoid", u)
    return mul(s, add(ONE, neg(s))), mul(s, add(ONE, s))


def _one_plus_square(u: Expr) -> Expr:
    return add(ONE, Pow(u, TWO))


def _over(total: Expr, root: bool) -> Expr:
    """1/total, or 1/√total with `root`."""
    return Pow(total, Num(Fraction(-1, 2)) if root else MINUS_ONE)


def _squared_call(fn: str, plus_first: bool) -> Callable[[Expr], tuple[Expr, Expr]]:
    """1 + f(u)² and 1 − f(u)², in that order with `plus_first` (tan's 1 + tan²u),
    else the other way (tanh's 1 − tanh²u)."""
    def slip(u: Expr) -> tuple[Expr, Expr]:
        plus, minus = _one_plus_square(Call(fn, u)), one_minus_square(Call(fn, u))
        return (plus, minus) if plus_first else (minus, plus)
    return slip


_SIGN_INSIDE: dict[str, Callable[[Expr], tuple[Expr, Expr]]] = {
    "sigmoid": _sigmoid_slip,
    "tanh": _squared_call("tanh", plus_first=False),
    "coth": _squared_call("coth", plus_first=False),
    "tan": _squared_call("tan", plus_first=True),
    "cot": lambda u: (neg(_one_plus_square(Call("cot", u))), neg(one_minus_square(Call("cot", u)))),
    "atan": lambda u: (_over(_one_plus_square(u), False), _over(one_minus_square(u), False)),
    "atanh": lambda u: (_over(one_minus_square(u), False), _over(_one_plus_square(u), False)),
    "asin": lambda u: (_over(one_minus_square(u), True), _over(_one_plus_square(u), True)),
    "acos": lambda u: (neg(_over(one_minus_square(u), True)), neg(_over(_one_plus_square(u), True))),
    "asinh": lambda u: (_over(_one_plus_square(u), True), _over(one_minus_square(u), True)),
    "acosh": lambda u: (_over(square_minus_one(u), True), _over(add(Pow(u, TWO), ONE), True)),
}


def _sign_slip(lost: bool) -> str:
    return "A minus sign was lost" if lost else "The sign is wrong"


_SLIP_LIST = (
    Slip("forgot-inner", FORGOT_INNER, _forgot_inner),
    Slip("outer-at-x", OUTER_AT_WRONG_ARGUMENT, _outer_at_x),
    Slip("power-on-exponential-stage", POWER_RULE_ON_EXPONENTIAL, _power_on_exponential_stage),
    Slip("exponential-without-log-stage", EXPONENTIAL_WITHOUT_LOG, _exponential_without_log_stage),
    Slip("logarithm-without-log-stage", LOGARITHM_WITHOUT_LOG, _logarithm_without_log_stage),
    Slip("square-forgotten-stage", SQUARE_FORGOTTEN, _square_forgotten_stage),
    Slip("reciprocal-without-square", QUOTIENT_MISSING_SQUARE, _reciprocal_without_square),
    Slip("chain-sign", SIGN_ERROR, _chain_sign),
    Slip("sum-term-missing", SUM_TERM_MISSING, _sum_term_missing),
    Slip("product-of-derivatives", PRODUCT_OF_DERIVATIVES, _product_of_derivatives),
    Slip("product-term-missing", PRODUCT_TERM_MISSING, _product_term_missing),
    Slip("product-sign", SIGN_ERROR, _product_sign),
    Slip("quotient-reversed", QUOTIENT_REVERSED, _quotient_reversed),
    Slip("quotient-missing-square", QUOTIENT_MISSING_SQUARE, _quotient_missing_square),
    Slip("quotient-sign", SIGN_ERROR, _quotient_sign),
    Slip("quotient-of-derivatives", QUOTIENT_OF_DERIVATIVES, _quotient_of_derivatives),
    Slip("quotient-numerator-only", QUOTIENT_MISSING_SQUARE, _quotient_numerator_only),
    Slip("constant-kept", CONSTANT_KEPT, _constant_kept),
    Slip("power-on-exponential", POWER_RULE_ON_EXPONENTIAL, _power_on_exponential),
    Slip("power-on-general-power", POWER_RULE_ON_EXPONENTIAL, _power_on_general_power),
    Slip("exponential-on-general-power", EXPONENTIAL_RULE_ON_POWER, _exponential_on_general_power),
    Slip("exponential-without-log", EXPONENTIAL_WITHOUT_LOG, _exponential_without_log),
    Slip("logarithm-without-log", LOGARITHM_WITHOUT_LOG, _logarithm_without_log),
    Slip("square-forgotten", SQUARE_FORGOTTEN, _square_forgotten),
    Slip("power-rule-misapplied", POWER_RULE_MISAPPLIED, _power_rule_misapplied),
    Slip("power-stage-misapplied", POWER_RULE_MISAPPLIED, _power_stage_misapplied),
    Slip("flipped-sign", SIGN_ERROR, _flipped),
)
SLIPS: dict[str, Slip] = {slip.name: slip for slip in _SLIP_LIST}

_CHAIN_SLIPS = (
    "forgot-inner", "outer-at-x", "power-on-exponential-stage", "exponential-without-log-stage",
    "logarithm-without-log-stage", "square-forgotten-stage", "reciprocal-without-square",
    "power-stage-misapplied", "chain-sign",
)

# The known functions whose rate is a square (tan's sec², coth's −csch²), read
# from the function table: the square may be left out.
_SQUARED_RATES = tuple(name for name, function in BY_NAME.items() if _unsquared(function.derivative(Sym("u"))))

# Which slips each rule admits, in the order they are tried.  Every other rule
# admits only the flipped sign.
SLIPS_BY_RULE: dict[str, tuple[str, ...]] = {
    "chain": _CHAIN_SLIPS,
    "chain-n": _CHAIN_SLIPS,
    "sum": ("sum-term-missing", "flipped-sign"),
    "product": ("product-of-derivatives", "product-sign", "product-term-missing"),
    "product-n": ("product-of-derivatives",),
    "quotient": ("quotient-reversed", "quotient-missing-square", "quotient-sign", "quotient-of-derivatives",
                 "quotient-numerator-only"),
    "exp": ("power-on-exponential",),
    "exponential": ("power-on-exponential", "exponential-without-log"),
    "general-power": ("power-on-general-power", "exponential-on-general-power"),
    "logarithm-base": ("logarithm-without-log", "flipped-sign"),
    **{name: ("square-forgotten", "flipped-sign") for name in _SQUARED_RATES},
    "power": ("power-rule-misapplied", "flipped-sign"),
    "constant": ("constant-kept",),
}

# Rules whose substeps differentiate a rewritten form the learner never wrote
# (ln y = g·ln f, ln u / ln b): no slip is looked for inside them.
_OPAQUE = frozenset({"general-power", "change-of-base"})


def _slips(rule: str) -> tuple[Slip, ...]:
    return tuple(SLIPS[name] for name in SLIPS_BY_RULE.get(rule, ("flipped-sign",)))


# ---------------------------------------------------------------------------
# Replaying the derivation with a slip
# ---------------------------------------------------------------------------


class _Replay(Deriver):
    """The engine's deriver, with the steps for chosen targets replaced by a slip.

    Everything else (the rules, the order they are chosen in, the way a parent
    builds its result from its substeps) is the engine's own, so a replayed
    derivative is what the learner gets by making that one slip and no other."""

    def __init__(
        self,
        var: str,
        limits: Limits,
        overrides: Mapping[Expr, tuple[str, int]],
        unchanged: Mapping[Expr, Step],
    ) -> None:
        super().__init__(var, limits)
        self.overrides = overrides
        # the right steps no slip reaches are reused as they are (keyed as Deriver keys them)
        self.memo.update({expr._hash: (expr, step) for expr, step in unchanged.items()})
        self.slipped: dict[Expr, Expr] = {}  # what each slip made of its step

    def __call__(self, expr: Expr) -> Step:
        step = super().__call__(expr)
        chosen = self.overrides.get(expr)
        if chosen is None:
            return step
        name, index = chosen
        variants = SLIPS[name].variants(step, self.var)
        if index >= len(variants):
            return step
        self.slipped[expr] = variants[index].result
        return step._replace(result=variants[index].result)


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A mistaken derivation: the slips (target → slip name and variant) and the
    site where the first one happens, with what the slip makes of that step when
    it is the only slip (the replay says what it makes of it among the others)."""

    mistake: str
    overrides: tuple[tuple[Expr, str, int], ...]
    site: Step
    wrong: Wrong
    also: str = ""  # a sentence on the other slips, when there are several

    @property
    def whole(self) -> bool:
        """The whole derivative negated: no step slips, so no replay is needed."""
        return not self.overrides


def _sites(root: Step, var: str) -> list[tuple[Step, int]]:
    """The steps where a slip can happen with their depth in the derivation,
    outermost first (preorder), each target once.  A chain's stages are reached
    through the chain step itself, except its innermost part when that is derived
    on its own."""
    sites: list[tuple[Step, int]] = []
    seen: set[Expr] = set()
    stack: list[tuple[Step, int, Step | None]] = [(root, 0, None)]
    while stack:
        step, depth, parent = stack.pop()
        # a step on a constant has no slip but keeping it (x³ + 5 answered 3x² + 5)
        if step.target in seen or (not step.target.has(var) and step.rule != "constant"):
            continue
        if step.rule == "constant" and _kept_cancels(step, parent):
            continue
        seen.add(step.target)
        sites.append((step, depth))
        stack.extend((child, depth + 1, step) for child in reversed(_children(step, var)))
    return sites


def _kept_cancels(constant: Step, parent: Step | None) -> bool:
    """True when keeping the constant would make the rate of the sum it stands in
    0 (the 1 of 1 − x, whose rate −1 it cancels): that slip takes away the whole
    part the sum is inside, which any answer leaving that part out matches, and
    no kept constant shows in it."""
    if parent is None or parent.rule != "sum":
        return False
    try:
        kept = simplify(add(parent.result, constant.target))[0]
    except CalcstepError:
        return False
    return is_num(kept, 0)


def _children(step: Step, var: str) -> tuple[Step, ...]:
    if step.rule in _OPAQUE:
        return ()
    if step.rule in ("chain", "chain-n"):
        derived_alone = len(step.substeps) > len(_inner_values(step.target, var))
        return step.substeps[-1:] if derived_alone else ()
    return step.substeps


def _candidates(root: Step, var: str, paired: bool = False) -> Iterator[_Candidate]:
    """Every slip, in the order they are tried: slips other than signs from the
    outside in, then each of those repeated at every step where it fits, then sign
    slips from the inside out (a sign lost at cos(x) explains a sign lost in the
    sum around it, and says more), a lost minus before an extra one; the whole
    answer negated (before sign slips repeated, which could also make it, but say
    less); the sign slips repeated.  With `paired`, two slips at once instead
    (tried after every order's single slips: one slip is the likelier story).
    The slips in _ALONE are neither repeated nor paired.  Lazily: the first
    that matches ends the search."""
    sites = _sites(root, var)
    others = [candidate for site, _ in sites for candidate in _singles(site, var, signs=False)]
    signs = [(depth, c) for site, depth in sites for c in _singles(site, var, signs=True)]
    inside_out = [c for _, c in sorted(signs, key=lambda pair: (pair[1].wrong.extra_minus, -pair[0]))]
    combinable = [c for c in others if c.mistake not in _ALONE]
    if paired:
        yield from _pairs([*combinable, *inside_out][:PAIRED])
        return
    yield from others
    yield from _everywhere(combinable)
    yield from inside_out
    yield _negated(root)
    yield from _everywhere(inside_out)


# Slips tried only alone: a term of a sum left out takes a whole part of the
# answer away, so beside another slip it would explain almost any answer with
# fewer terms (x² for x³ + sin x); and its variants are sets of terms, not one
# slip that can repeat at each sum.
_ALONE = frozenset({SUM_TERM_MISSING})


def _negated(root: Step) -> _Candidate:
    """The whole derivative with the opposite sign."""
    return _Candidate(
        SIGN_ERROR, (), root,
        Wrong(
            neg(root.result),
            "The sign is wrong throughout: your answer is minus the derivative, {0}. "
            "Check each rule that brings in a minus sign.",
            (root.result,),
        ),
    )


def _pairs(singles: list[_Candidate]) -> Iterator[_Candidate]:
    """Two slips at two different steps (product rule as g′·h′ with an inner
    derivative forgotten inside h′ …), named by the one tried first."""
    for i, first in enumerate(singles):
        for second in singles[i + 1 :]:
            if first.site.target == second.site.target:
                continue
            yield _Candidate(
                first.mistake,
                (*first.overrides, *second.overrides),
                first.site,
                first.wrong,
                also=f" There is a second slip too: {MISTAKES[second.mistake].title}.",
            )


def _singles(site: Step, var: str, signs: bool) -> Iterator[_Candidate]:
    """The slips at one step: its sign slips, or all its others."""
    for slip in _slips(site.rule):
        if (slip.mistake == SIGN_ERROR) is signs:
            for index, wrong in enumerate(slip.variants(site, var)):
                yield _Candidate(slip.mistake, ((site.target, slip.name, index),), site, wrong)


def _everywhere(candidates: list[_Candidate]) -> Iterator[_Candidate]:
    """For each mistake, the same slip at every step where it fits (the first slip
    and variant of that mistake at each step), when that is more than one step.  A
    minus lost and a minus added are not one slip repeated (a minus lost at cos x
    and one added at sin x are the sign wrong throughout, tried before this)."""
    by_slip: dict[tuple[str, bool], list[_Candidate]] = {}
    seen: set[tuple[tuple[str, bool], Expr]] = set()
    for candidate in candidates:
        slip = (candidate.mistake, candidate.wrong.extra_minus)
        if (slip, candidate.site.target) not in seen:
            seen.add((slip, candidate.site.target))
            by_slip.setdefault(slip, []).append(candidate)
    for (mistake, _), chosen in by_slip.items():
        if len(chosen) < 2:
            continue
        first = chosen[0]
        yield _Candidate(
            mistake,
            tuple(o for c in chosen for o in c.overrides),
            first.site,
            first.wrong,
            also=" The same slip is repeated at each such step.",
        )


@dataclass(frozen=True, slots=True)
class _Derivation:
    """A right derivation indexed for replays: its steps with respect to the
    variable by target, and for each target the targets whose steps use it."""

    root: Step
    var: str
    steps: Mapping[Expr, Step]
    users: Mapping[Expr, frozenset[Expr]]


def _indexed(root: Step, var: str) -> _Derivation:
    steps: dict[Expr, Step] = {}
    users: dict[Expr, set[Expr]] = {}
    seen: set[int] = set()
    stack = [root]
    while stack:
        step = stack.pop()
        if id(step) in seen:
            continue
        seen.add(id(step))
        if step.var == var:
            steps.setdefault(step.target, step)
        for sub_step in step.substeps:
            users.setdefault(sub_step.target, set()).add(step.target)
            stack.append(sub_step)
    frozen = {target: frozenset(found) for target, found in users.items()}
    return _Derivation(root, var, steps, frozen)


def _unchanged(derivation: _Derivation, targets: Iterable[Expr]) -> dict[Expr, Step]:
    """The right steps that use no step for `targets`, directly or through
    others: a replay takes them as they are."""
    affected: set[Expr] = set()
    stack = list(targets)
    while stack:
        target = stack.pop()
        if target not in affected:
            affected.add(target)
            stack.extend(derivation.users.get(target, ()))
    kept = dict(derivation.steps)
    for target in affected:
        kept.pop(target, None)
    return kept


def _replayed(
    candidate: _Candidate, derivation: _Derivation, limits: Limits
) -> tuple[Expr, Expr]:
    """The whole derivative as the candidate's slips make it (raw, unsimplified),
    and what they made of the first slip's step."""
    if candidate.whole:
        return candidate.wrong.result, candidate.wrong.result
    overrides = {t: (name, index) for t, name, index in candidate.overrides}
    unchanged = _unchanged(derivation, overrides)
    replay = _Replay(derivation.var, limits, overrides, unchanged)
    target = derivation.root.target
    result = run_deep(target.depth, replay, target).result
    return result, replay.slipped.get(candidate.site.target, candidate.wrong.result)


# ---------------------------------------------------------------------------
# The checker
# ---------------------------------------------------------------------------


def _read(text: str, what: str, functions: frozenset[str], limits: Limits) -> Parsed:
    """Parse `text`, saying in the error which argument it was."""
    try:
        return parse(text, functions=functions, limits=limits)
    except ParseError as error:
        raise _relabelled(error, what) from None


def _relabelled(error: ParseError, what: str) -> ParseError:
    hint = error.hint
    if what == "the answer" and error.text[error.position : error.position + 1] == "=":
        hint = "write only the derivative, without 'dy/dx =' before it"
    return ParseError(f"{what} is not an expression: {error.message}", error.text, error.position,
                      length=error.length, hint=hint)


def _differentiate(
    text: str, wrt: str | None, order: int, functions: frozenset[str], limits: Limits
) -> DiffReport:
    try:
        return differentiate(text, wrt=wrt, order=order, functions=functions, limits=limits)
    except ParseError as error:
        raise _relabelled(error, "the function to differentiate") from None


def _symbolic_difference(answer: Expr, right: Expr, limits: Limits) -> Expr | None:
    """simplify(answer − right), or None when simplifying fails."""
    try:
        return simplify(sub(answer, right), limits)[0]
    except CalcstepError:
        return None


def _point_note(template: str, env: Env) -> Note:
    """A note about a point: `template` with {point} standing for "x = 0.7"."""
    names = sorted(env)
    point = ", ".join(f"{{{i}}} = {env[name]:g}" for i, name in enumerate(names))
    return Note(template.replace("{point}", point), tuple(Sym(name) for name in names))


def _domain_notes(comparison: _Comparison, sample: _Sample) -> tuple[Note, ...]:
    """Where the answer has a value and the derivative not, or the reverse."""
    notes = []
    if comparison.undefined:
        notes.append(
            _point_note(
                "your answer has no value at {point}, where the derivative has one; "
                "the two are compared only where both have values",
                comparison.undefined[0],
            )
        )
    extra = next((env for env in sample.outside if _value(sample.answer, env) is not None), None)
    if extra is not None:
        notes.append(
            _point_note(
                "your answer has a value at {point}, where the derivative does not exist; "
                "the two are compared only where both have values",
                extra,
            )
        )
    return tuple(notes)


def _diagnose(
    diff: DiffReport,
    answer: Expr,
    points: Sequence[Env],
    witness: Witness | None,
    limits: Limits,
) -> Diagnosis:
    """Which slip, replayed through the derivation, gives the answer: another
    order's derivative first, then for a higher order slips in the last order,
    then slips in an earlier order (whose mistaken result the later orders
    differentiate right); one slip in any order before two slips at once."""
    needed = min(MATCH_POINTS, len(points))
    # an answer that is exactly another order's derivative (2x·e^(x²) for the second
    # of e^(x²)) was differentiated the wrong number of times, whatever slip might
    # also happen to give it
    # an earlier derivative (the first, where the second was asked for): stopped short
    other = _other_order(diff, answer, points, needed, witness, limits, range(1, diff.order)) if needed else None
    if other is not None:
        return other
    # the function itself, not differentiated at all, is a likelier story than two
    # slips that happen to give it back at once (the softmax eᵃ/(eᵃ + eᵇ) by a
    # quotient of rates and a constant kept); one slip that gives it back is the
    # likelier still, as an exponential's own rate makes it: 2ˣ for 2ˣ, x²eˣ for
    # x²eˣ (the product rule's other term left out), eˣ + 5 for eˣ + 5
    itself = _other_order(diff, answer, points, needed, witness, limits, (0,)) if needed else None
    # one slip in any order first, then two at once: the likelier story first
    passes = [(paired, derivation) for paired in (False, True) for derivation in reversed(diff.derivations)]
    for paired, derivation in (passes if needed else ()):
        if paired and itself is not None:
            return itself
        later = diff.order - derivation.order  # orders still to take after this one
        indexed = _indexed(derivation.steps, diff.var)
        spent = 0  # nodes replayed and compared
        for candidate in islice(_candidates(derivation.steps, diff.var, paired), MAX_CANDIDATES):
            if spent > REPLAY_BUDGET:
                break
            try:
                wrong, at_site = _replayed(candidate, indexed, limits)
                spent += derivation.target.size + wrong.size
                if later:
                    start = simplify(wrong, limits)[0]
                    wrong = derive_orders(start, diff.var, later, limits)[-1].result
            except CalcstepError:
                continue
            if _gives(wrong, answer, points, needed, witness):
                return _named(candidate, at_site, derivation, witness)
    # one differentiation too many, or an antiderivative: said when no slip gives it
    if needed:
        late = itself or _other_order(diff, answer, points, needed, witness, limits, (diff.order + 1,)) or (
            _antiderivative(diff, answer, points, needed, witness, limits)
        )
        if late is not None:
            return late
    which = _which(diff.order)
    message = Note(
        f"Your answer is not the {which} of {{0}}, and it is none of the classic mistakes "
        f"calcstep recognises. The {which} is {{1}}: compare your working with its steps "
        "(calcstep diff shows them) to find where they part.",
        (diff.expr, diff.result),
    )
    return Diagnosis(None, message, None, witness)


def _gives(candidate: Expr, answer: Expr, points: Sequence[Env], needed: int, witness: Witness | None) -> bool:
    """True when `candidate` (a mistaken derivation's result) is the answer: equal at
    the sample points, and where the answer departs from the right derivative."""
    concrete = _concrete(candidate)
    comparison = _compare(answer, concrete, points)
    return comparison.witness is None and comparison.agreed >= needed and _explains(concrete, answer, witness)


def _other_order(
    diff: DiffReport,
    answer: Expr,
    points: Sequence[Env],
    needed: int,
    witness: Witness | None,
    limits: Limits,
    orders: Iterable[int],
) -> Diagnosis | None:
    """The answer as the k-th derivative for one of `orders` (0: the function
    itself; below the order asked: differentiation stopped short; the order + 1:
    one too many), said as such; None when it is none of them."""
    for k in orders:
        candidate = _kth_derivative(diff, k, limits)
        if candidate is not None and _gives(candidate, answer, points, needed, witness):
            return Diagnosis(WRONG_ORDER, _order_message(k, diff), None, witness)
    return None


def _kth_derivative(diff: DiffReport, k: int, limits: Limits) -> Expr | None:
    """The k-th derivative of the function, for k from 0 to the order + 1 (None
    where the one past the order cannot be taken)."""
    if k == 0:
        return diff.expr
    if k <= diff.order:
        return diff.derivations[k - 1].result
    with suppress(CalcstepError):
        return derive_orders(diff.result, diff.var, 1, limits)[0].result
    return None


def _antiderivative(
    diff: DiffReport, answer: Expr, points: Sequence[Env], needed: int, witness: Witness | None, limits: Limits
) -> Diagnosis | None:
    """The answer as an antiderivative of the function (integrated, not
    differentiated), said as such; None when it is not one.  Tried after the
    slips: cos x + x·sin x for x·cos x is a sign slipped, whatever it integrates to."""
    with suppress(CalcstepError):
        if _gives(derive_orders(answer, diff.var, 1, limits)[0].result, diff.expr, points, needed, None):
            message = Note(
                "Your answer is an antiderivative of {0}: differentiating it gives {0} back. "
                f"The {_which(diff.order)} goes the other way: it is {{1}}.",
                (diff.expr, diff.result),
            )
            return Diagnosis(WRONG_ORDER, message, None, witness)
    return None


def _order_message(k: int, diff: DiffReport) -> Note:
    """What the answer is (the k-th derivative: k is below the order asked for, or
    one above it), and what was asked for."""
    asked = _which(diff.order)
    if k == 0:
        return Note(f"Your answer is {{0}} itself, not its {asked}, which is {{1}}.", (diff.expr, diff.result))
    short = diff.order - k
    done = ("that is one differentiation too many" if short < 0
            else "differentiate once more" if short == 1 else f"differentiate {short} more times")
    return Note(f"Your answer is the {_ordinal(k)} derivative of {{0}}, not the {asked}, which is {{1}}: {done}.",
                (diff.expr, diff.result))


def _which(order: int) -> str:
    """The derivative of that order, in words: "derivative", "2nd derivative"."""
    return "derivative" if order == 1 else f"{_ordinal(order)} derivative"


def _explains(slipped: Expr, answer: Expr, witness: Witness | None) -> bool:
    """True when a slipped derivation agrees with the answer where the answer
    departs from the right one, too: a slip that agrees with it only at the
    sample points (forgetting an inner rate of 1, against an answer off only past
    x = 100) does not explain it."""
    if witness is None or witness.yours is None:
        return True
    comparison = _compare(answer, slipped, [dict(witness.point)])
    return comparison.witness is None and comparison.agreed == 1


def _ordinal(n: int) -> str:
    """2nd, 3rd, 11th, 21st …"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _as_typed(site: Step) -> frozenset[Expr]:
    """The parts of the input a step and its substeps work on: their targets, and
    a chain's inner values (what its names stand for)."""
    found: set[Expr] = set()
    pending = [site]
    while pending:
        step = pending.pop()
        found.add(step.target)
        found.update(value for _, value in step.given)
        pending.extend(step.substeps)
    return frozenset(found)


def _named(candidate: _Candidate, yours: Expr, derivation: Derivation, witness: Witness | None) -> Diagnosis:
    """The diagnosis for the slip that explains the answer, `yours` being what the
    slips made of its step in `derivation`.  The message explains the first slip on
    its own (with the right parts around it), and names the others.  A step whose
    expression stands behind a constant factor (x·cos(x²) in 2x·cos(x²)) is shown
    with that factor, as the learner's working has it, and the message says so."""
    site, wrong = candidate.site, candidate.wrong
    message = wrong.message(_as_typed(site))
    holders = _constant_factors_around(derivation.steps, site)
    if not holders:
        step = WrongStep(site.rule, site.target, site.var, _tidy(site.result), _tidy(yours), derivation.order)
    else:
        factor = mul(*(given_part(holder, "c") for holder in holders))
        whole = holders[-1]
        step = WrongStep(site.rule, whole.target, site.var, _tidy(whole.result), _tidy(mul(factor, yours)),
                         derivation.order, _tidy(factor))
        message = _with_factor_aside(message, step, site.target)
    message = message._replace(text=message.text + escape_braces(candidate.also))
    return Diagnosis(candidate.mistake, message, step, witness, wrong.why)


def _constant_factors_around(root: Step, site: Step) -> tuple[Step, ...]:
    """The constant-multiple steps that hold `site` directly (3·f′ around f′, for
    3x²·eˣ), innermost first: () when the site's parent is another rule.  The
    site is found as an object, first in preorder, as the slips found it."""
    parents: dict[int, Step] = {}
    stack = [root]
    while stack and stack[-1] is not site:
        step = stack.pop()
        for child in reversed(step.substeps):
            if id(child) not in parents and child is not root:
                parents[id(child)] = step
                stack.append(child)
    holders: list[Step] = []
    parent = parents.get(id(site))
    while parent is not None and parent.rule == "constant-multiple" and parent.var == site.var:
        holders.append(parent)
        parent = parents.get(id(parent))
    return tuple(holders)


def _with_factor_aside(message: Note, step: WrongStep, inner: Expr) -> Note:
    """The message followed by a sentence on the constant factor the rule set aside
    (a factor −1 is a minus sign, and said so)."""
    at = len(message.args)
    if step.factor == MINUS_ONE:
        text = (f"{message.text} The minus sign in front of {{{at + 1}}} waits meanwhile: the rule "
                f"works on {{{at + 2}}}, and its result is negated.")
    else:
        text = (f"{message.text} The constant factor {{{at}}} of {{{at + 1}}} waits in front meanwhile: "
                f"the rule works on {{{at + 2}}}, and its result is multiplied by {{{at}}}.")
    return Note(text, (*message.args, step.factor, step.target, inner), message.position, message.meant)


def check_answer(
    expr_text: str,
    answer_text: str,
    *,
    wrt: str | None = None,
    order: int = 1,
    functions: Iterable[str] = DEFAULT_ABSTRACT,
    limits: Limits = DEFAULT_LIMITS,
) -> CheckReport:
    """Is `answer_text` the `order`-th derivative of `expr_text` with respect to
    `wrt` (default: the variable `calcstep diff` would choose)?  The verdict and,
    when it is no, the diagnosis.

    Raises ParseError when either text is not an expression (the message says
    which), UsageError for an order below 1, and the engine's other errors
    (UsageError, LimitError …) as `differentiate` does."""
    if order < 1:
        raise UsageError("an answer can only be checked for order 1 or more")
    functions = frozenset(functions)
    diff = _differentiate(expr_text, wrt, order, functions, limits)
    parsed = _read(answer_text, "the answer", functions, limits)
    try:
        check_constants(parsed.expr, parsed)  # ln(0) as an answer is no function to compare
        refused = fixed_part_without_value(parsed, Simplifier(limits))  # nor is ln(x − x)
        if refused is not None:
            raise refused
    except DomainError as error:
        raise DomainError(f"the answer has no value anywhere: {error.message}", where=error.where,
                          hint="an answer is compared where it has a value; check it for a typo") from None
    readings = _reading_notes(diff, parsed)
    difference = _symbolic_difference(parsed.expr, diff.result, limits)
    sample = _sample(diff, parsed.expr)
    # equal by the rewrites (0.0 too: 1.0 − 1 is a decimal zero, and zero)
    equal = isinstance(difference, Num) and difference.value == 0
    if not equal and not sample.points:
        raise DomainError(
            "cannot check: the function and its derivative have no value at any point tried",
            hint=f"points from {WIDE[0]:g} to {WIDE[1]:,g} in size, of either sign, were tried; "
            "check that the expression is defined somewhere there",
        )
    comparison = _compare(sample.answer, sample.right, sample.points)
    notes = _domain_notes(comparison, sample)
    if equal:  # the points only say where the domains differ
        return CheckReport(diff, parsed, True, Method.SIMPLIFY, 0, None, notes, readings)
    proven = isinstance(difference, Num) and difference.value != 0  # a nonzero number
    witness = _wrong_at(difference, diff, sample, comparison)
    if witness is None:
        return CheckReport(diff, parsed, True, Method.POINTS, comparison.agreed, None, notes, readings)
    witness = replace(witness, stand_ins=_stand_ins(diff.expr, parsed.expr), gap=_hidden_gap(witness, difference))
    method = Method.SIMPLIFY if proven and comparison.witness is None else Method.POINTS
    diagnosis = (
        _near_miss(diff, parsed.expr, witness, limits)
        or _rounded(sample, parsed.expr, answer_text, witness)
        or _as_meant(diff, answer_text, parsed, functions, witness, limits)
        or _by_another_variable(diff, parsed.expr, wrt is not None, functions, witness, limits)
    )
    if diagnosis is not None and diagnosis.mistake == WRONG_VARIABLE and wrt is not None:
        # by the variable asked for, σ(wx + b)·(1 − σ(wx + b)) for ∂/∂w is the inner
        # rate x forgotten, the lesson's slip, though it is also ∂/∂b: both are said
        slip = _diagnose(diff, sample.answer, sample.points, witness, limits)
        if slip.mistake == FORGOT_INNER:
            diagnosis = _also_by(slip, diagnosis)
    if diagnosis is not None and diagnosis.mistake == READ_OTHERWISE:
        # right as probably meant, and as written maybe a slip of its own: 1/2 x^(1/2)
        # for √x is 1/(2√x) bracketed, and as it reads the power rule's exponent not
        # lowered; the learner is told both
        slip = _diagnose(diff, sample.answer, sample.points, witness, limits)
        if slip.mistake is not None:
            diagnosis = _also_as_written(diagnosis, slip)
    if diagnosis is not None:  # it says what the note on the answer's variables would
        readings = _reading_notes(diff, parsed, variables=False)
    else:
        diagnosis = _off_by_constant(_diagnose(diff, sample.answer, sample.points, witness, limits), diff, difference)
    compared = comparison.agreed + (comparison.witness is not None)
    return CheckReport(diff, parsed, False, method, compared, diagnosis, notes, readings)


def _wrong_at(difference: Expr | None, diff: DiffReport, sample: _Sample, comparison: _Comparison) -> Witness | None:
    """The point that shows an answer is not the derivative, or None when it is: a
    point where the two differ or only the derivative has a value, the first one
    compared when the difference is a nonzero number, or a point where the
    difference itself is clearly not 0."""
    proven = isinstance(difference, Num) and difference.value != 0
    witness = _decisive_witness(comparison, proven, sample)
    return witness if witness is not None else _difference_witness(difference, diff, sample)


def _hidden_gap(witness: Witness, difference: Expr | None) -> float | None:
    """answer − derivative at the witness point, from their simplified difference,
    when the two values there are the same float (2x + 10⁻³⁰ and 2x are both 1.4 at
    0.7): only the gap itself shows them apart.  None when the values differ, or
    the difference has no nonzero value there."""
    if witness.yours is None or witness.yours != witness.correct or difference is None:
        return None
    gap = _value(_concrete(difference), dict(witness.point))
    return gap if gap is not None and math.isfinite(gap) and gap != 0 else None


def _off_by_constant(diagnosis: Diagnosis, diff: DiffReport, difference: Expr | None) -> Diagnosis:
    """A diagnosis of no known mistake, for an answer that is the derivative plus a
    number, said as such: it tells the learner where to look (3x² + 1 for x³)."""
    if diagnosis.mistake is not None or not isinstance(difference, Num) or difference.value == 0:
        return diagnosis
    return replace(diagnosis, mistake=OFF_BY_CONSTANT, message=Note(
        "Your answer is the derivative, {0}, plus the constant {1}: a term crept in "
        "that is no part of the rate (a constant term's rate is 0). Check each term "
        "of your working.", (diff.result, difference)))


def _foreign_names(diff: DiffReport, answer: Expr) -> tuple[list[str], list[str]]:
    """The answer's names the function does not have: those it adds as a constant
    of integration (2x + C), and the others (2t for d/dx x²)."""
    foreign = sorted(answer.free_vars - diff.expr.free_vars - {diff.var}, key=name_key)
    added = [name for name in foreign if _integration_constant(answer, name)]
    return added, [name for name in foreign if name not in added]


def _reading_notes(diff: DiffReport, answer: Parsed, variables: bool = True) -> tuple[Note, ...]:
    """How the two inputs were read, where the reading could surprise; and, with
    `variables`, a variable of the answer that the function does not have (2t for
    d/dx x²), or a constant of integration added to it (2x + C)."""
    added, others = _foreign_names(diff, answer.expr) if variables else ([], [])
    stray = (
        (Note(f"your answer uses {', '.join(others)}, which {{0}} does not: check the variable's name",
              (diff.expr,)),)
        if others else ()
    )
    constants = tuple(
        Note("your answer adds {0}, but a derivative has no constant of integration "
             "(+ C belongs to an antiderivative)", (Sym(name),))
        for name in added
    )
    return (
        *diff.notes,
        *(Note("in your answer, " + note.text, note.args, note.position) for note in answer.notes),
        *constants,
        *stray,
    )


def _near_miss(diff: DiffReport, answer: Expr, witness: Witness | None, limits: Limits) -> Diagnosis | None:
    """An answer that is the derivative once a slip of writing is undone: a constant
    of integration dropped (2x + C for x²), or its one variable the function does
    not have read as the variable differentiated by (2t for d/dx x²)."""
    added, others = _foreign_names(diff, answer)
    if added:
        # the terms in C alone go, a number stays: 3x² + 5 + C is 3x² + 5 without it
        without = add(*(term for term in answer.terms  # type: ignore[attr-defined]
                        if not (term.free_vars and term.free_vars <= set(added))))
        if _is_derivative(diff, without, limits):
            return Diagnosis(CONSTANT_OF_INTEGRATION, Note(
                "Your answer adds {0}, a constant of integration: + C belongs to an "
                "antiderivative, and a derivative has none. Without it, your answer {1} "
                "is the derivative.", (Sym(added[0]), without)), None, witness)
        return None
    if len(others) == 1 and diff.var not in answer.free_vars:
        read = substitute(answer, {Sym(others[0]): Sym(diff.var)})
        if _is_derivative(diff, read, limits):
            return Diagnosis(OTHER_VARIABLE, Note(
                "Your answer is written in {0}, but {1} is a function of {2}: with {0} read "
                "as {2}, your answer {3} is the derivative.",
                (Sym(others[0]), diff.expr, Sym(diff.var), read)), None, witness)
    return None


# An answer with a decimal that is within this relative distance of the derivative
# at every point is taken for a rounded constant (0.6931 for ln 2 is 1.1e-5 off).
_ROUNDED_WITHIN = 1e-3


def _rounded(sample: _Sample, answer: Expr, text: str, witness: Witness | None) -> Diagnosis | None:
    """An answer with a decimal in it that is the derivative to within a rounding
    at every sample point: 0.6931·2ˣ for d/dx 2ˣ, whose exact rate is ln(2)·2ˣ.  The
    decimal is looked for in the text too: 1/(0.6931x) is read as 10000/(6931x),
    1/0.6931 having no decimal form."""
    if not any(type(node) is Num and node.decimal for node in walk(answer)) and not _A_DECIMAL.search(text):
        return None
    # only a derivative with a constant that has no exact decimal (ln 2, π, √3, e)
    # can have been rounded: 2.0001x for 2x is another number, not a rounding
    if not any(not node.free_vars and type(node) is not Num for node in walk(sample.right)):
        return None
    close = 0
    for env in sample.points:
        right, yours = _value(sample.right, env), _value(sample.answer, env)
        if right is None or yours is None or math.isinf(right) or math.isinf(yours):
            continue
        if abs(yours - right) > _ROUNDED_WITHIN * max(abs(right), 1e-12):
            return None
        close += 1
    if close < min(MATCH_POINTS, len(sample.points)):
        return None
    return Diagnosis(ROUNDED, Note(
        "Your answer is the derivative, {0}, but for a number rounded to a decimal: it is "
        "off by less than 0.1% everywhere. A derivative is exact: write the constant as "
        "it is (ln(2), π, √3), not its decimal.", (sample.right,)), None, witness)


# A number written with a decimal point, digits on both sides of it.
_A_DECIMAL = re.compile(r"[0-9]\.[0-9]")


def _as_meant(
    diff: DiffReport, text: str, answer: Parsed, functions: frozenset[str], witness: Witness | None, limits: Limits
) -> Diagnosis | None:
    """An answer whose reading was noted as possibly not what was meant, and that
    is the derivative as meant: 1/2sqrt(x), read as (1/2)·√x, for d/dx √x, whose
    rate 1/(2√x) it is with the divisor in brackets."""
    readings = [note.meant for note in answer.notes if note.meant is not None]
    for start, end, written in [*readings, *_divisors_bracketed(text), *_bare_arguments_bracketed(text)]:
        fixed = text[:start] + written + text[end:]
        try:
            other = parse(fixed, functions=functions, limits=limits).expr
        except CalcstepError:
            continue
        if _is_derivative(diff, other, limits):
            return Diagnosis(READ_OTHERWISE, Note(
                "Your answer reads as {0}, which is not the derivative. If you meant {1}, that is "
                f"right: write {escape_braces(fixed.strip())}, with the brackets.",
                (answer.expr, other)), None, witness)
    return None


def _divisors_bracketed(text: str) -> list[tuple[int, int, str]]:
    """The readings of `text` with a divisor that runs on past a + or − in
    brackets, as (start, end, text): 2x/x^2+1 may mean 2x/(x^2+1), whose divisor
    the slash takes alone.  Each slash's divisor runs to the end of the brackets
    it stands in."""
    readings = []
    for slash, char in enumerate(text):
        if char != "/":
            continue
        end = _bracket_level_end(text, slash + 1)
        divisor = text[slash + 1 : end].strip()
        if any(sign in divisor[1:] for sign in "+-−") and not divisor.startswith("("):
            readings.append((slash, end, f"/({divisor})"))
    return readings


def _bare_arguments_bracketed(text: str) -> list[tuple[int, int, str]]:
    """The readings of `text` with a function written without brackets taking all
    that follows it, past a + or −, as its argument: sqrt x^2+1 may mean
    sqrt(x^2+1), whose argument the bare name takes only up to the +."""
    readings = []
    for found in _bare_function_pattern().finditer(text):
        end = _bracket_level_end(text, found.end())
        argument = text[found.end() : end].strip()
        if any(sign in argument[1:] for sign in "+-−"):
            readings.append((found.start(), end, f"{found.group(1)}({argument})"))
    return readings


@lru_cache(maxsize=1)
def _bare_function_pattern() -> re.Pattern[str]:
    """A function's name followed by spaces and no bracket: sin x, sqrt x^2."""
    names = "|".join(sorted(map(re.escape, function_spellings()), key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z_])({names})\s+(?=[^\s(])")


def _bracket_level_end(text: str, start: int) -> int:
    """Where the bracket level that `start` stands in closes (or the text's end)."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] in "([":
            depth += 1
        elif text[index] in ")]":
            if depth == 0:
                return index
            depth -= 1
    return len(text)


def _by_another_variable(
    diff: DiffReport, answer: Expr, asked: bool, functions: frozenset[str], witness: Witness | None, limits: Limits
) -> Diagnosis | None:
    """An answer that is the derivative with respect to another of the function's
    variables: ∂/∂w of sigmoid(wx + b) checked against d/dx, the variable calcstep
    chose (or the one asked for with --wrt)."""
    for other in sorted(diff.expr.free_vars - {diff.var}, key=name_key):
        try:
            report = differentiate(diff.input, wrt=other, order=diff.order, functions=functions, limits=limits,
                                   steps=False)
        except CalcstepError:
            continue
        if _is_derivative(report, answer, limits):
            return Diagnosis(WRONG_VARIABLE, Note(
                f"Your answer is the derivative with respect to {{0}}, not {{1}}: {_why_not_by(diff, asked)}"
                f" To check your answer as the rate by {{0}}, give --wrt {other}.",
                (Sym(other), Sym(diff.var), diff.expr)), None, witness)
    return None


def _why_not_by(diff: DiffReport, asked: bool) -> str:
    """Why the rate by the variable {1} is the one checked, said of the function
    {2}: one of its variables, asked for or chosen; or, asked for and none of its
    variables (check x^2 2x --wrt y), a variable it does not depend on, so the rate
    checked is 0."""
    if diff.var not in diff.expr.free_vars:
        return "{2} does not depend on {1}, so its derivative with respect to {1} is 0."
    chosen = "asked for" if asked else "calcstep takes when x is among them"
    return f"{{2}} has the variables {', '.join(sorted(diff.expr.free_vars, key=name_key))}, and {{1}} is the one {chosen}."


def _also_by(slip: Diagnosis, other: Diagnosis) -> Diagnosis:
    """The forgotten inner rate `slip`, saying too that the answer is the rate by
    the other variable `other` names (its note's first expression)."""
    message = slip.message
    variable = other.message.args[0]
    at = len(message.args)
    text = (f"{message.text} Your answer is also the derivative with respect to {{{at}}}: if that is "
            f"the rate you meant, give --wrt {to_text(variable)}.")
    return replace(slip, message=Note(text, (*message.args, variable), message.position, message.meant))


def _also_as_written(meant: Diagnosis, slip: Diagnosis) -> Diagnosis:
    """The answer right as `meant` says it was probably meant, saying too which
    classic `slip` gives it as it reads.  It stays a slip of writing, with no step
    of the derivation to point at: the slip's message says what that step gives."""
    first, then = meant.message, slip.message
    text = f"{first.text} As it reads, it is also a classic slip. {_placeholders_shifted(then.text, len(first.args))}"
    return replace(meant, message=Note(text, (*first.args, *then.args), first.position, first.meant))


def _placeholders_shifted(template: str, by: int) -> str:
    """`template` (a Note's text) with each placeholder {k} renumbered {k + by}, so
    that it can follow another note's text whose `by` arguments come first;
    escaped braces stay escaped."""
    pieces = []
    for literal, field_name, spec, conversion in Formatter().parse(template):
        pieces.append(literal.replace("{", "{{").replace("}", "}}"))
        if field_name is not None:
            pieces.append("{" + str(int(field_name) + by) + (f"!{conversion}" if conversion else "")
                          + (f":{spec}" if spec else "") + "}")
    return "".join(pieces)


def _is_derivative(diff: DiffReport, answer: Expr, limits: Limits) -> bool:
    """True when `answer` is the derivative `diff` found, judged as the verdict is:
    equal by the rewrites, or no point shows it wrong."""
    difference = _symbolic_difference(answer, diff.result, limits)
    if isinstance(difference, Num):
        return difference.value == 0
    sample = _sample(diff, answer)
    if not sample.points:
        return False
    return _wrong_at(difference, diff, sample, _compare(sample.answer, sample.right, sample.points)) is None


def _integration_constant(answer: Expr, name: str) -> bool:
    """True when `name` is C or c and `answer` adds it (or takes it away) as a
    term of its own, as an antiderivative is written: 2x + C."""
    if name not in ("C", "c") or type(answer) is not Add:
        return False
    alone = Sym(name)
    return any(term == alone or term == neg(alone) for term in answer.terms)


@dataclass(frozen=True, slots=True)
class _Sample:
    """The answer and the derivative with abstract functions made concrete, and
    the points to compare them at (see `_ground`)."""

    answer: Expr
    right: Expr
    points: tuple[Env, ...]
    outside: tuple[Env, ...]


def _sample(diff: DiffReport, answer: Expr) -> _Sample:
    """Where to compare: points seeded from the inputs, in the domain of the
    function being differentiated and of its derivative."""
    function, right = diff.expr, diff.result
    names = sorted(function.free_vars | right.free_vars | answer.free_vars | {diff.var}, key=name_key)
    seed = _seed(to_text(diff.expr), to_text(answer), diff.var, str(diff.order))
    concrete_right = _concrete(right)
    points, outside = _ground(_concrete(function), concrete_right, names, seed)
    return _Sample(_concrete(answer), concrete_right, points, outside)


# Points far out, tried for the difference alone: an answer that is off only past
# the usual sample (2x + relu(x − 25) for x²) is still off.
FAR = (31.7, 127.3, 1013.9)


def _difference_witness(difference: Expr, diff: DiffReport, sample: _Sample) -> Witness | None:
    """A point where answer − derivative, simplified and evaluated by itself, is
    clearly not 0, though the two values agreed to rounding: the difference keeps
    only what differs (3x² + 10⁻⁷·sin x against 3x² leaves 10⁻⁷·sin x, which is all
    of its own size, where the two values differ by one part in 10⁸).  It is
    measured against its own top-level terms, so a zero the rewrites did not
    recognise (sin 2x − 2 sin x cos x) stays a rounding-sized 0.  Tried at the
    sample points and at a few far ones where the function has a value."""
    concrete = _concrete(difference)
    names = sorted({name for env in sample.points[:1] for name in env} or {diff.var})
    far = [
        {name: sign * size * (1 + 0.1 * index) for index, name in enumerate(names)}
        for size in FAR
        for sign in (1, -1)
    ]
    function = _concrete(diff.expr)
    pieces = _piece_points(concrete, names, sample.points[0]) if sample.points else []
    for env in (*sample.points, *far, *pieces):
        gap = _value(concrete, env)
        if gap is None or not math.isfinite(gap) or gap == 0:
            continue
        size = _magnitude(concrete, env)
        if size is None or abs(gap) <= LOOSE * size:
            continue  # rounding, or no size to judge by
        base = _value(function, env)
        right = _value(sample.right, env)
        if base is None or right is None or not math.isfinite(base) or not math.isfinite(right):
            continue  # off where the function or its derivative has no value: not a difference
        return _witness(env, _value(sample.answer, env), right)
    return None


# Where a piecewise function's argument is looked at for crossing its corner: 0,
# every quarter up to ±10, and ±10^k for k from −3 to 15 in eighth steps.
_SCAN = tuple(sorted({
    *(quarter / 4 for quarter in range(-40, 41)),
    *(sign * 10 ** (k / 8) for k in range(-24, 121) for sign in (1, -1)),
}))
_BISECTIONS = 60
_GOLDEN = (5**0.5 - 1) / 2


def _piece_points(difference: Expr, names: Sequence[str], base: Env) -> list[Env]:
    """A point inside each piece of a piecewise difference, along each variable in
    turn (the others as at `base`).

    A difference made of analytic functions that is 0 at the sample points is 0
    wherever it is defined (an analytic function that is 0 on an interval is 0
    on the whole interval where it is defined).  With |u|, sign, relu or
    heaviside in it, it is analytic only between the places where such a u
    crosses its corner: a piece the sample missed (heaviside(x − 10⁶) beyond 10⁶,
    relu(1 − (x − 25)²) between 24 and 26) is given a point of its own, between
    two crossings or past the last, found by scanning u for a change of sign."""
    arguments = [
        (node.arg, evaluate(corner_point(node.fn), {}))
        for node in walk(difference)
        if isinstance(node, Call) and BY_NAME[node.fn].corner is not None
    ]
    points: list[Env] = []
    for name in names if arguments else ():
        crossings = sorted({root for u, corner in arguments for root in _crossings(u, corner, name, base)})
        if not crossings:
            continue
        inside = [(a + b) / 2 for a, b in pairwise(crossings)]
        first, last = crossings[0], crossings[-1]
        beyond = [first - max(1.0, abs(first)), last + max(1.0, abs(last))]
        points += [{**base, name: t} for t in (*inside, *beyond)]
    return points


def _crossings(u: Expr, corner: float, name: str, base: Env) -> list[float]:
    """Where u − corner changes sign along `name` (the other variables as at
    `base`): between two scanned values of opposite sign, found by bisection;
    and where the scan only comes near 0 and turns back (1 − (x − 25)² between
    the scanned 23.7 and 27.4), on both sides of the turn, if it crosses."""

    def side(t: float) -> float | None:
        value = _value(u, {**base, name: t})
        return None if value is None or not math.isfinite(value) else value - corner

    scanned = [(t, side(t)) for t in _SCAN]
    turns = [
        turn
        for (a, va), (_, vb), (c, vc) in zip(scanned, scanned[1:], scanned[2:], strict=False)
        if va is not None and vb is not None and vc is not None and vb != 0
        and (va < 0) == (vb < 0) == (vc < 0) and abs(vb) < abs(va) and abs(vb) < abs(vc)
        and (turn := _turn(side, a, c, vb < 0)) is not None
    ]
    points = sorted([*scanned, *turns])
    found = [t for t, value in points if value == 0]
    for (a, va), (b, vb) in pairwise(points):
        if va is not None and vb is not None and va != 0 and vb != 0 and (va < 0) != (vb < 0):
            found.append(_bisect(side, a, va, b))
    return found


def _turn(side: Callable[[float], float | None], low: float, high: float, below: bool) -> tuple[float, float] | None:
    """Where u − corner comes nearest 0 between `low` and `high` (its largest value
    when it is `below` 0 there, else its smallest), by golden-section search; that
    place and value when it reaches or passes 0, else None."""
    sign = 1.0 if below else -1.0  # searched for the largest of sign·value

    def height(t: float) -> float:
        value = side(t)
        return -math.inf if value is None else sign * value

    a, b = low, high
    c, d = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
    for _ in range(_BISECTIONS):
        if height(c) > height(d):
            b = d
        else:
            a = c
        c, d = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
    t = (a + b) / 2
    value = side(t)
    return (t, value) if value is not None and sign * value >= 0 else None


def _bisect(side: Callable[[float], float | None], low: float, low_side: float, high: float) -> float:
    """A place where u − corner changes sign between `low` and `high`."""
    for _ in range(_BISECTIONS):
        middle = (low + high) / 2
        middle_side = side(middle)
        if middle_side is None or middle_side == 0:
            return middle
        if (middle_side < 0) == (low_side < 0):
            low, low_side = middle, middle_side
        else:
            high = middle
    return (low + high) / 2


def _magnitude(expr: Expr, env: Env) -> float | None:
    """How large `expr` is before any cancellation inside it, at env: a sum's
    largest term, a product's factors' sizes multiplied, a whole power's base's
    size to that power; else its value's size.  (sin 2x − 2 sin x cos x is 0 up
    to rounding of terms of size 1; (ln x + 1)·(e^(x ln x) − xˣ) up to rounding
    of terms of size xˣ·ln x.)  None where a part has no finite value."""
    if isinstance(expr, Add):
        sizes = [_magnitude(term, env) for term in expr.terms]
        return None if None in sizes else max(sizes)  # type: ignore[type-var]
    if isinstance(expr, Mul):
        total = 1.0
        for factor in expr.factors:
            size = _magnitude(factor, env)
            if size is None:
                return None
            total *= size
        return total if math.isfinite(total) else None
    if isinstance(expr, Pow) and isinstance(expr.exp, Num) and isinstance(expr.exp.value, int) and expr.exp.value > 0:
        size = _magnitude(expr.base, env)
        try:
            return None if size is None else size ** expr.exp.value
        except OverflowError:
            return None
    value = _value(expr, env)
    return abs(value) if value is not None and math.isfinite(value) else None


def _decisive_witness(comparison: _Comparison, proven: bool, sample: _Sample) -> Witness | None:
    """The point that shows the answer wrong, or None when it is right: a point
    where the two differ; else, when the answer has no value at any point where
    the derivative has one, such a point; else, when the difference simplified
    to a nonzero number, the first point compared."""
    if comparison.witness is not None:
        return comparison.witness
    if comparison.agreed == 0:
        env = comparison.undefined[0] if comparison.undefined else sample.points[0]
        correct = _value(sample.right, env)
        assert correct is not None  # a ground point: the derivative has a value there
        return _witness(env, _value(sample.answer, env), correct)
    return comparison.first if proven else None
