"""The simplifier: a named, ordered table of sound rewrites, applied bottom-up to a
fixpoint, each application recorded as a step.

Every node is simplified after its children.  Then the rewrites listed for its
type are tried in order; the first that changes the node is recorded (its name,
the node before, the node after) and the new node is simplified in turn.  A
node no rewrite changes is in normal form.  Normal forms are memoised, so a
shared subtree is simplified once and recorded once.

The rewrites are sound for real numbers wherever both sides are defined:
√(x²) becomes |x|, never x; ln(ab) is never split; x/x cancels to 1 (the usual
reading at a removable point).  Two rewrites change the shape of a sum, expanding
products of sums and taking out a common factor; each is kept only when it makes
the expression strictly smaller in operation count, so simplifying never makes a
result bigger.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from operator import is_not
from typing import Any, NamedTuple, TypeVar

from calcstep import polynomial
from calcstep.deep import run_deep
from calcstep.errors import DomainError, LimitError
from calcstep.expr import (
    LEAVES,
    MINUS_ONE,
    ONE,
    TWO,
    ZERO,
    Add,
    Apply,
    Call,
    Const,
    E,
    Expr,
    Log,
    Mul,
    Num,
    Pow,
    Rational,
    Sym,
    add,
    is_divisor,
    is_num,
    is_plain_minus_one,
    is_plain_one,
    leading_number,
    mul,
    name_key,
    neg,
    rebuild,
    rebuilt,
    split_coefficient,
    substitute,
    walk,
)
from calcstep.functions import BY_NAME, DOMAINS, EVEN, ODD, pi_multiple
from calcstep.limits import DEFAULT_LIMITS, Limits
from calcstep.steps import Step, rewrite_step

Rewriter = Callable[[Expr, "_Simplifier"], "Expr | None"]

# A chain of rewrites on one node longer than this means two rewrites undo each
# other: a bug, reported rather than looped on.
_MAX_REWRITES = 200

# How many levels of trials a simplifier's reshaping rewrites may nest (see
# `_Simplifier.trial`): the simplifier whose answer is shown reshapes at this level.
_TOP_LEVEL = 2

# A fraction within a fraction is cleared at one operation's cost only in a sum
# up to this size (fraction-out-of-sum).
_CLEARED_UP_TO = 20


class Rewrite(NamedTuple):
    """A named simplification: `apply(node, simplifier)` is the rewritten node, or None
    when the rewrite does not apply.  `example` shows it at work.  A `reshaping`
    rewrite (expanding, factoring) is kept only when it makes the node smaller,
    judged by a trial simplification that itself does no reshaping."""

    name: str
    example: str
    apply: Rewriter
    reshaping: bool = False
    # what the node must show (its `_features`) for the rewrite to have anything to
    # do; 0 for a rewrite that must always look
    needs: int = 0


# Entries a cache of the simplifier holds before it starts afresh: a sum of
# 100,000 terms would otherwise hold a key, a coefficient and a count for every
# term in each (some 60 MB), long after the rewrite that asked for them.
_CACHED_UP_TO = 20_000

# A node's places in the canonical and the textbook orders, its leading number
# and its operation count depend on the node alone: one cache of each (node hash
# → (node, value), see `_Simplifier.split`) serves every simplification and its
# trials, so the parts a batch meets again and again (x², 2x, n) are read once.
_KEYS: dict[int, tuple[Expr, tuple]] = {}
_OPS: dict[int, tuple[Expr, int]] = {}
_SPLITS: dict[int, tuple[Expr, tuple[Rational, Expr]]] = {}
_TERM_KEYS: dict[int, tuple[Expr, tuple]] = {}
_FACTOR_KEYS: dict[int, tuple[Expr, tuple]] = {}


def forget_node_facts() -> None:
    """Let go of the shared caches of keys, counts and leading numbers: each keeps
    up to `_CACHED_UP_TO` nodes alive, which after a pass over a wide sum's runs
    are that pass's last terms."""
    for cache in (_KEYS, _OPS, _SPLITS, _TERM_KEYS, _FACTOR_KEYS):
        cache.clear()


class _Simplifier:
    """One simplification run: its memo of normal forms and the steps recorded."""

    def __init__(self, limits: Limits, record: bool = True, reshape: int = _TOP_LEVEL,
                 tangents: bool = True) -> None:
        self.limits = limits
        self.record = record
        self.reshape = reshape
        # without `tangents`, a trial of a form in sines and cosines: the rewrites
        # that make tangents, secants … of them are left out (`sines_trial`)
        self.tangents = tangents
        self.candidates = _CANDIDATES if tangents else _CANDIDATES_IN_SINES
        self.steps: list[Step] = []
        # node hash → (node, its normal form), keyed as the caches below (`split`);
        # a node in normal form, the most of them, is held alone, as its own entry
        self.memo: dict[int, Expr | tuple[Expr, Expr]] = {}
        # node hash → (node, cached value): see `split`; those that depend on the
        # node alone are shared by every simplifier
        self.keys = _KEYS
        self.ops = _OPS
        self.splits = _SPLITS
        self.term_keys = _TERM_KEYS
        self.factor_keys = _FACTOR_KEYS
        self.signatures: dict[int, tuple[Expr, frozenset]] = {}
        self.factorings: dict[int, tuple[Expr, Any]] = {}
        self._trial: _Simplifier | None = None
        self._sines_trial: _Simplifier | None = None
        # for each part whose simplifying recorded steps: the part, the run (a
        # top-level call) it was met in, and where its steps are in `steps`, kept
        # across runs; a run that meets it again repeats them (see `_repeat`)
        self.spans: dict[int, tuple[Expr, int, int, int]] = {}
        self.run = 0
        self.listed_again: set[int] = set()  # ids of the steps repeated in this run
        # the functions among the last sum's or product's parts (`_calls_among`)
        self.calls_of: Expr | None = None
        self.calls: dict[str, list[Call]] = {}

    def __call__(self, expr: Expr) -> Expr:
        """The normal form of `expr`, its rewrites recorded as steps."""
        return self.normal(expr)

    def begin_run(self) -> int:
        """Start a run (a top-level call, whose steps are listed together): where
        its steps will begin in `steps` (the steps of earlier runs are kept, to be
        repeated)."""
        self.run += 1
        self.listed_again = set()
        return len(self.steps)

    def normal(self, expr: Expr) -> Expr:
        # called as self.normal, a bound method, inside the walk: calling the
        # instance itself would go through __call__, twice the cost per node
        if type(expr) in LEAVES:
            return expr  # a number or a name is in normal form: no rewrite is listed for one
        done = self.memo.get(expr._hash)  # `known`, inlined: called for every node
        if done is not None:
            if type(done) is tuple:
                if done[0] is expr or done[0] == expr:
                    if self.record and expr._hash in self.spans:
                        self._repeat(expr)
                    return done[1]
            elif done is expr or done == expr:
                return done
        start = len(self.steps)
        kids = expr.children()
        node = expr
        if kids:
            simple = tuple(map(self.normal, kids))
            if any(map(is_not, simple, kids)):
                node = rebuild(expr, simple)
        return self.settled(expr, node, start)

    def settled(self, expr: Expr, node: Expr, start: int) -> Expr:
        """The normal form of `expr`, which `node` is with its parts in normal form:
        the rewrites of the node itself, until none applies (`start`: where the
        steps of `expr` begin in `steps`)."""
        rewrites = 0  # counted, not looped over a range: most nodes take no rewrite at all
        while (rewritten := self.rewrite_once(node)) is not None:
            node = rewritten
            rewrites += 1
            if rewrites == _MAX_REWRITES:  # pragma: no cover - would be a bug in the rewrite table
                raise LimitError("simplification did not settle", hint="please report this input")
        if node._size > self.limits.max_size:
            raise LimitError(
                f"the simplified result grows past {self.limits.max_size:,} nodes",
                hint="raise the limit with --max-size",
            )
        if node is not expr:
            self.memo[expr._hash] = (expr, node)
            if len(self.steps) > start:  # steps to repeat (none are kept without `record`)
                self.spans[expr._hash] = (expr, self.run, start, len(self.steps))
        self.memo[node._hash] = node
        return node

    def _repeat(self, expr: Expr) -> None:
        """Record again the steps that simplified `expr` when an earlier run met it:
        each run's steps take its own expression to its result, though the next
        order of a derivative meets parts the last one simplified (x/x → 1 in the
        first and second derivatives of xˣ alike).  Within a run a part's steps
        are listed once, however often the part occurs."""
        part, run, start, end = self.spans[expr._hash]
        if run == self.run or (part is not expr and part != expr):
            return
        for step in self.steps[start:end]:
            if id(step) not in self.listed_again:
                self.listed_again.add(id(step))
                self.steps.append(step)

    def known(self, expr: Expr) -> Expr | None:
        """The normal form of `expr` if this run has met it, else None."""
        done = self.memo.get(expr._hash)
        if done is None:
            return None
        entry, form = done if type(done) is tuple else (done, done)
        return form if entry is expr or entry == expr else None

    def rewrite_once(self, node: Expr) -> Expr | None:
        """Apply the first rewrite that changes `node`; the new node with its new
        parts simplified, or None when `node` is in normal form."""
        kind = type(node)
        features = _FEATURES.get(kind)
        key = (kind, self.reshape > 0, features(node) if features is not None else 0)
        rewrites = self.candidates.get(key)
        if rewrites is None:
            rewrites = self.candidates[key] = _candidates(*key, self.tangents)
        for rewrite in rewrites:
            new = rewrite.apply(node, self)
            # `==` inlined as far as its quick answers go: most rewrites that apply
            # make a node of another type or hash, and a call would cost more
            if new is None or new is node or (
                type(new) is kind and new._hash == node._hash and new == node
            ):
                continue
            if self.record:
                self.steps.append(rewrite_step(rewrite.name, node, new))
            kids = new.children()
            if kids:
                simple = tuple(map(self.normal, kids))
                if any(map(is_not, simple, kids)):
                    new = rebuild(new, simple)
            return new
        return None

    def trial(self, expr: Expr) -> Expr:
        """The normal form of `expr` without recording steps, for deciding whether a
        reshaping rewrite pays off.  A trial reshapes one level less than its caller,
        so trials nest at most twice and their cost stays bounded."""
        if self._trial is None:
            self._trial = self._trial_simplifier(self.tangents)
        return self._trial(expr)

    def sines_trial(self, expr: Expr) -> Expr:
        """`trial`, for a form in sines and cosines, kept in them: without the
        rewrites that would make tangents of sin u/cos u factor by factor before
        the factors meet (the quotient table, 1/sec u = cos u)."""
        if self._sines_trial is None:
            self._sines_trial = self._trial_simplifier(False)
        return self._sines_trial(expr)

    def _trial_simplifier(self, tangents: bool) -> _Simplifier:
        """A simplifier for trials, one level of reshaping less (it shares the
        caches of keys, counts and coefficients, as every simplifier does)."""
        return _Simplifier(self.limits, record=False, reshape=self.reshape - 1, tangents=tangents)

    # The caches below are keyed by a node's stored hash, an int, and hold the node
    # beside its value: a dict keyed by the node would call its __hash__, a Python
    # method, on every lookup.  A different node with the same hash is a miss.
    # Each is written out rather than made by one shared helper: they are asked
    # tens of thousands of times a batch, and a call more each time would show.

    def split(self, expr: Expr) -> tuple[Rational, Expr]:
        """split_coefficient(expr), cached: sums ask it of every term again and again."""
        cached = self.splits.get(expr._hash)
        if cached is not None and (cached[0] is expr or cached[0] == expr):
            return cached[1]
        value = split_coefficient(expr)
        if len(self.splits) >= _CACHED_UP_TO:
            self.splits.clear()
        self.splits[expr._hash] = (expr, value)
        return value

    def signature(self, total: Add) -> frozenset:
        """_signs_aside(total), cached: a product of many sums asks it of each sum in
        every term of its derivative."""
        cached = self.signatures.get(total._hash)
        if cached is not None and (cached[0] is total or cached[0] == total):
            return cached[1]
        value = _signs_aside(total, self)
        self.signatures[total._hash] = (total, value)
        return value

    def repeated(self, total: Add) -> tuple[Rational, tuple[tuple[Expr, int], ...]] | None:
        """_repeated_factors(total), cached: a quotient's divisor is met again in
        each product the simplifier makes of it (asked seldom: the one cache here
        made by `_cached`)."""
        return _cached(self.factorings, total, _repeated_factors)

    def key(self, expr: Expr) -> tuple:
        """The node's place in the canonical order (cached)."""
        cached = self.keys.get(expr._hash)
        if cached is not None and (cached[0] is expr or cached[0] == expr):
            return cached[1]
        value = _structural_key(expr, self)
        if len(self.keys) >= _CACHED_UP_TO:
            self.keys.clear()
        self.keys[expr._hash] = (expr, value)
        return value

    def term_key(self, term: Expr) -> tuple:
        """A sum's term's place in textbook order (cached)."""
        cached = self.term_keys.get(term._hash)
        if cached is not None and (cached[0] is term or cached[0] == term):
            return cached[1]
        value = _term_key(term, self)
        if len(self.term_keys) >= _CACHED_UP_TO:
            self.term_keys.clear()
        self.term_keys[term._hash] = (term, value)
        return value

    def factor_key(self, factor: Expr) -> tuple:
        """A product's factor's place in textbook order (cached)."""
        cached = self.factor_keys.get(factor._hash)
        if cached is not None and (cached[0] is factor or cached[0] == factor):
            return cached[1]
        value = _factor_key(factor, self)
        if len(self.factor_keys) >= _CACHED_UP_TO:
            self.factor_keys.clear()
        self.factor_keys[factor._hash] = (factor, value)
        return value

    def op_count(self, expr: Expr) -> int:
        """Operations in the node as written (cached)."""
        cached = self.ops.get(expr._hash)
        if cached is not None and (cached[0] is expr or cached[0] == expr):
            return cached[1]
        value = _op_count(expr, self)
        if len(self.ops) >= _CACHED_UP_TO:
            self.ops.clear()
        self.ops[expr._hash] = (expr, value)
        return value


# ---------------------------------------------------------------------------
# Helpers: numbers, powers, signs
# ---------------------------------------------------------------------------


def _num(value: Rational, decimal: bool = False) -> Num:
    return Num(value, decimal)


def _raised(base: Expr, exponent: Rational) -> Expr:
    """base^exponent for a number exponent, written as the base alone for 1."""
    return base if exponent == 1 else Pow(base, Num(exponent))


def _power_parts(expr: Expr) -> tuple[Expr, Expr]:
    """(base, exponent) of a factor: x^3 is (x, 3), x is (x, 1)."""
    if type(expr) is Pow:
        return expr.base, expr.exp
    return expr, ONE



def _is_integer(expr: Expr) -> bool:
    return type(expr) is Num and isinstance(expr.value, int)


def _decimal(*exprs: Expr) -> bool:
    return any(type(e) is Num and e.decimal for e in exprs)


def _has_decimal(terms: Sequence[Expr]) -> bool:
    """True when a term is a decimal or starts with one (0.5x)."""
    return any(_decimal(term) or (type(term) is Mul and _decimal(term.factors[0])) for term in terms)


def _is_negative_term(expr: Expr) -> bool:
    coefficient, _ = split_coefficient(expr)
    return coefficient < 0


def is_nonnegative(expr: Expr) -> bool:
    """True when `expr` is ≥ 0 for every real value of its variables where it is
    defined (a conservative check: False means "not known")."""
    if type(expr) is Num:
        return expr.value >= 0
    if type(expr) is Const:
        return True
    if type(expr) is Call:
        return expr.fn in ("abs", "sigmoid", "softplus", "relu", "heaviside", "cosh", "sech") or (
            expr.fn == "acos"
        ) or (expr.fn == "ln" and _at_least_one(expr.arg))
    if type(expr) is Pow:
        base, exponent = expr.base, expr.exp
        if is_positive(base):
            return True
        if type(exponent) is Num:
            value = exponent.value
            if isinstance(value, int) and value % 2 == 0:
                return True
            if type(value) is Fraction and (value.denominator % 2 == 0 or value.numerator % 2 == 0):
                # an even root is ≥ 0 where it is defined, and so is an odd root of
                # an even power (x^(2/3) is ∛(x²))
                return True
        return is_nonnegative(base)
    if type(expr) is Mul:
        return all(is_nonnegative(f) for f in expr.factors)
    if type(expr) is Add:
        if all(is_nonnegative(t) for t in expr.terms):
            return True
        below = _lower_bound(expr)
        return below is not None and below[0] >= 0
    return False


# Bounded functions: (least, greatest or None where there is none, whether
# neither is reached).
_BOUNDED: dict[str, tuple[Rational, Rational | None, bool]] = {
    "sigmoid": (0, 1, True), "tanh": (-1, 1, True), "sin": (-1, 1, False), "cos": (-1, 1, False),
    "cosh": (1, None, False),  # cosh u − 1 ≥ 0 (arcosh(cosh x) asks it)
}


def _lower_bound(total: Add) -> tuple[Rational, bool] | None:
    """A bound the sum never goes below, from its numbers and its bounded terms
    (1 − σ(u) > 0, 2 − sin u ≥ 1), with whether it is never reached; None when a
    term has no known bound below."""
    bound: Rational = 0
    never_reached = False
    for term in total.terms:
        if type(term) is Num:
            bound += term.value
            continue
        coefficient, body = split_coefficient(term)
        limits = _BOUNDED.get(body.fn) if type(body) is Call else None
        if limits is not None:
            least, greatest, open_ = limits
            if coefficient < 0 and greatest is None:
                return None  # −cosh u has no bound below
            bound += coefficient * (least if coefficient > 0 else greatest)
            never_reached = never_reached or open_
        elif is_positive(term):
            never_reached = True
        elif not is_nonnegative(term):
            return None
    return bound, never_reached


def _at_least_one(expr: Expr) -> bool:
    """True for a sum of numbers adding up to 1 or more and terms that are ≥ 0
    (x² + 1): ln of it is ≥ 0 (conservative)."""
    if type(expr) is not Add:
        return type(expr) is Num and expr.value >= 1
    numbers = [term.value for term in expr.terms if type(term) is Num]
    return sum(numbers) >= 1 and all(type(term) is Num or is_nonnegative(term) for term in expr.terms)


def known_sign(expr: Expr) -> int:
    """+1 or −1 when `expr` is known, without rounding, to be positive or negative
    wherever it is defined (π/4, −2e); 0 when that is not known."""
    if is_positive(expr):
        return 1
    return -1 if is_positive(neg(expr)) else 0


def is_positive(expr: Expr) -> bool:
    """True when `expr` is > 0 wherever it is defined (conservative)."""
    if type(expr) is Num:
        return expr.value > 0
    if type(expr) is Const:
        return True
    if type(expr) is Pow:
        return is_positive(expr.base)
    if type(expr) is Call:
        return expr.fn in ("sigmoid", "softplus", "cosh", "sech")
    if type(expr) is Mul:
        return all(is_positive(f) for f in expr.factors)
    if type(expr) is Add:
        if (all(is_nonnegative(t) for t in expr.terms) and any(is_positive(t) for t in expr.terms)) or (
            _beyond_its_root(expr)
        ):
            return True
        below = _lower_bound(expr)
        return below is not None and (below[0] > 0 or (below[0] == 0 and below[1]))
    return False


def _beyond_its_root(total: Add) -> bool:
    """True for ±u + √(u² + c) with c > 0 (x + √(x² + 1), arsinh's logarithm, and
    √(x² + 1) − x): the root is more than |u|, so the sum is positive for every u."""
    if len(total.terms) != 2:
        return False
    for u, root in (total.terms, total.terms[::-1]):
        if type(root) is Pow and is_num(root.exp, Fraction(1, 2)) and type(root.base) is Add:
            rest = list(root.base.terms)
            square = next((s for s in (Pow(u, Num(2)), Pow(neg(u), Num(2))) if s in rest), None)
            if square is not None:
                rest.remove(square)
                return bool(rest) and all(is_positive(term) for term in rest)
    return False


# ---------------------------------------------------------------------------
# Sums
# ---------------------------------------------------------------------------


def _add_numbers(node: Add, s: _Simplifier) -> Expr | None:
    """3 + x + 2 → x + 5; left to collect-like-terms, which adds the numbers too,
    when other terms are alike: 1 − x + x + 1 → 2 in one step (it took two,
    through −x + x + 2)."""
    numbers = [t for t in node.terms if type(t) is Num]
    if len(numbers) < 2:
        return None
    others = [t for t in node.terms if type(t) is not Num]
    bodies = {s.split(term)[1]._hash for term in others}
    if len(bodies) < len(others):
        return None  # two terms may be alike (a shared hash): collecting adds the numbers with them
    total = sum(t.value for t in numbers)  # ints stay ints; Fraction only when needed
    return add(*others, _num(total, _decimal(*numbers)))


def _collect_like_terms(node: Add, s: _Simplifier) -> Expr | None:
    bodies = [s.split(term)[1] for term in node.terms]
    if len({body._hash for body in bodies}) == len(bodies):
        return None  # no two bodies share a hash, so none are alike (most sums)
    groups: dict[Expr, list[Expr]] = {}
    for term, body in zip(node.terms, bodies, strict=True):
        groups.setdefault(body, []).append(term)
    if all(len(members) == 1 for members in groups.values()):
        return None
    terms: list[Expr] = []
    for body, members in groups.items():
        if len(members) == 1:
            terms.append(members[0])
            continue
        coefficients = [s.split(m)[0] for m in members]
        total = sum(coefficients)
        decimal = any(_decimal(m) or (type(m) is Mul and _decimal(m.factors[0])) for m in members)
        if total != 0:  # 2x² − x² is x², written without the 1 a textbook would not write
            terms.append(_num(total, decimal) if body == ONE else _scaled_decimal(total, body, decimal))
    return add(*terms)


def _drop_zero(node: Add, s: _Simplifier) -> Expr | None:
    if not any(type(t) is Num and t.value == 0 for t in node.terms):
        return None
    return add(*(t for t in node.terms if not (type(t) is Num and t.value == 0)))


def _sq(fn: str, u: Expr) -> Expr:
    return Pow(Call(fn, u), Num(2))


# Two-term identities k₁·P₁ + k₂·P₂ = C, in the argument u.  A sum holding
# t·k₁·P₁·R and t·k₂·P₂·R (same t, same rest R) becomes t·C·R.
_IDENTITIES: tuple[tuple[str, int, str | None, int, Callable[[Expr], Expr]], ...] = (
    ("sin", 1, "cos", 1, lambda u: ONE),
    ("sec", 1, None, -1, lambda u: _sq("tan", u)),
    ("tan", 1, None, 1, lambda u: _sq("sec", u)),
    ("csc", 1, None, -1, lambda u: _sq("cot", u)),
    ("cot", 1, None, 1, lambda u: _sq("csc", u)),
    ("cosh", 1, "sinh", -1, lambda u: ONE),
    ("tanh", -1, None, 1, lambda u: _sq("sech", u)),
    ("coth", 1, None, -1, lambda u: _sq("csch", u)),
    ("sech", 1, "tanh", 1, lambda u: ONE),
    ("sec", 1, "tan", -1, lambda u: ONE),  # sec²u − tan²u = 1, csc²u − cot²u = 1
    ("csc", 1, "cot", -1, lambda u: ONE),
    # 1 − sin²u = cos²u and kin: the derivative of x − tanh x is tanh²x, which keeps
    # its digits where 1 − sech²x rounds to 0
    ("sin", -1, None, 1, lambda u: _sq("cos", u)),
    ("cos", -1, None, 1, lambda u: _sq("sin", u)),
    ("sech", -1, None, 1, lambda u: _sq("tanh", u)),
    ("cosh", 1, None, -1, lambda u: _sq("sinh", u)),
    ("sinh", 1, None, 1, lambda u: _sq("cosh", u)),
)


def _pythagorean(node: Add, s: _Simplifier) -> Expr | None:
    """sin²u + cos²u = 1, 1 + tan²u = sec²u and their kin, with any common factor,
    the squares counted within higher powers: cos³u·sin u + cos u·sin³u is
    cos u·sin u·(cos²u + sin²u), that is cos u·sin u."""
    if not any(_has_squared_call(term) for term in node.terms):
        return None
    split = [s.split(term) for term in node.terms]
    powers = [_powers(body) for _, body in split]
    by_powers: dict[frozenset, int] = {}
    for index, counts in enumerate(powers):
        by_powers.setdefault(frozenset(counts.items()), index)
    for index, (coefficient, _) in enumerate(split):
        for factor, exponent in powers[index].items():
            if not (type(factor) is Call and type(exponent) is int and exponent >= 2):
                continue
            fn, u = factor.fn, factor.arg
            for first, k1, second, k2, result in _IDENTITIES:
                if fn != first:
                    continue
                rest = {base: k for base, k in powers[index].items() if base is not factor}
                if exponent > 2:
                    rest[factor] = exponent - 2  # the square taken from a higher power
                partner = dict(rest)
                if second:
                    square = Call(second, u)
                    partner[square] = partner.get(square, 0) + 2
                other = by_powers.get(frozenset(partner.items()))
                if other is None or other == index:
                    continue
                t = Fraction(coefficient) / k1
                if Fraction(split[other][0]) / k2 != t:
                    continue
                replaced = _scaled_product(t, (result(u), *(_raised(base, k) for base, k in rest.items())), s)
                kept = [term for i, term in enumerate(node.terms) if i not in (index, other)]
                return add(*kept, replaced)
    return None


_IDENTITY_FUNCTIONS = frozenset(entry[0] for entry in _IDENTITIES)


def _has_squared_call(term: Expr) -> bool:
    """A factor fn(u)ⁿ, n a whole number ≥ 2, with fn one of the identities' first
    functions (a cheap test that spares the identity search on sums that cannot
    use it)."""
    for factor in term.factors if type(term) is Mul else (term,):
        if (
            type(factor) is Pow
            and type(factor.base) is Call
            and factor.base.fn in _IDENTITY_FUNCTIONS
            and type(factor.exp) is Num
            and type(factor.exp.value) is int
            and factor.exp.value >= 2
        ):
            return True
    return False


def _factors(expr: Expr) -> tuple[Expr, ...]:
    if type(expr) is Mul:
        return expr.factors
    if type(expr) is Num and expr.value == 1:
        return ()
    return (expr,)


def _expand(node: Add, s: _Simplifier) -> Expr | None:
    """Multiply out products of sums when the collected result is smaller:
    2x(x - 1) - (x² + 1) becomes x² - 2x - 1."""
    if not any(map(_expandable, node.terms)):
        return None
    expanded = _multiplied_out(node)
    if expanded is not None and s.op_count(s.trial(expanded)) < s.op_count(node):
        return expanded
    return None


def _multiplied_out(total: Add) -> Expr | None:
    """The sum with its products of sums multiplied out and collected; None when
    that takes more than `_EXPAND_WORK` steps (too much work for what it could save),
    or is foreseen to (`_foreseen_work`) before any of it is done."""
    if _foreseen_work(total) > _EXPAND_WORK:
        return None
    budget = [_EXPAND_WORK]
    expanded = add(*(_distribute(term, budget) for term in total.terms))
    return expanded if budget[0] >= 0 else None


def _foreseen_work(total: Add) -> int:
    """About how many steps `_distribute` takes on the sum: a term with k sums to
    multiply (a power counted as often as it multiplies) grows its product by a term
    a sum, as (x + 1)(x + 2)…(x + k) does, so about k²/2 steps.  The derivative of
    (x + 1)…(x + 500) is foreseen at 62 M and not begun: the budget ran out after
    seconds of work."""
    work = 0
    for term in total.terms:
        factors = term.factors if type(term) is Mul else (term,)
        sums = 0
        for factor in factors:
            found = _sum_power(factor)
            if found is not None:
                sums += found[1]
        work += sums * sums // 2
    return work


def _expand_over_divisor(node: Mul, s: _Simplifier) -> Expr | None:
    """A numerator that is a polynomial multiplied out, when the quotient is then
    smaller: what the sum alone would not gain may be shared with the rest of the
    product, as (3x²·(a + x) − x³)/(a + x)², the quotient rule's, is
    x²·(3a + 2x)/(a + x)² once multiplied out and factored."""
    if not any(map(is_divisor, node.factors)):
        return None
    for index, factor in enumerate(node.factors):
        if (type(factor) is not Add or not factor.free_vars or not any(map(_expandable, factor.terms))
                or polynomial.slices(factor, min(factor.free_vars)) is None):
            continue
        expanded = _multiplied_out(factor)
        if expanded is None or expanded == factor:
            continue
        candidate = mul(*_with_factor(node, index, expanded))
        if s.op_count(s.trial(candidate)) < s.op_count(node):
            return candidate
    return None


def _cancel_factors(node: Mul, s: _Simplifier) -> Expr | None:
    """A factor shared by a quotient's numerator and a divisor, read as polynomials in
    the divisor's one variable, is cancelled: (x² − 1)/(x − 1) becomes x + 1, (x² + 2x + 1)/(x + 1)²
    becomes 1, 3(x + 1)²/(x² + 3x + 2)² becomes 3/(x + 2)² (the quotient rule leaves
    such quotients).  The numerator may have other variables, each of its slices
    (polynomial.slices) then sharing the factor: 2(xy² − y² + x − 1)/(x − 1)⁴ becomes
    2(y² + 1)/(x − 1)³, as a second partial derivative by x leaves it.  A divisor
    in several variables cancels when it divides the whole numerator (long
    division, polynomial.divide_out): (x² − 2xy + y²)/(x − y)² becomes 1, and
    (2x³ + 3x²y − y³)/(x + y)² becomes 2x − y; so does a sum the numerator has as
    a factor, where it divides such a divisor: −2y(x² + y²)/(x⁴ + 2x²y² + y⁴)
    becomes −2y/(x² + y²), as arctan's addition formula leaves it (other factors
    of such a divisor are not looked for).  Kept only when smaller."""
    top_factors: list[Expr] = []
    divisors: list[Pow] = []
    for factor in node.factors:
        if type(factor) is Pow and type(factor.base) is Add and _is_integer(factor.exp) and factor.exp.value < 0:
            divisors.append(factor)
        else:
            top_factors.append(factor)
    # the variable the polynomials are read in: the first divisor's that has one
    # alone (x − 1 in x), whose factors are then looked for; else any divisor's
    var = next((next(iter(d.base.free_vars)) for d in divisors if len(d.base.free_vars) == 1), None)
    if var is None:
        var = min((name for d in divisors for name in d.base.free_vars), default=None)
        if var is None:
            return None
    # factors that are no polynomial (|x² − 1/4|, sin x) stand aside, uncancelled
    aside = [factor for factor in top_factors if polynomial.slices(factor, var) is None]
    top = polynomial.slices(mul(*(f for f in top_factors if f not in aside)), var)
    if not top:
        return None  # no polynomial above the divisors, or 0
    # the numerator's factors that are sums (or powers of sums): what may also
    # divide a divisor in several variables
    sums = [total for f in top_factors if f not in aside and (total := _sum_and_power(f)[0]) is not None]
    # each divisor as (its base as written, or the polynomial left of it; its power)
    below: list[tuple[Expr | polynomial.Poly, int]] = []
    scale: Rational = 1  # what constants are left of cancelled divisors: 2x − 2 over x − 1 leaves 2
    cancelled = False
    for divisor in divisors:
        base = polynomial.from_expr(divisor.base, var)
        times = -divisor.exp.value
        if base is None or len(base) < 2:
            several = polynomial.slices(divisor.base, var) if base is None else None
            if several is not None and top:  # a divisor in other variables too: x + y
                top, left, done = _cancel_in_several(top, divisor.base, several, times, sums, var)
                cancelled = cancelled or done
                below.extend(left)
            elif times:
                below.append((divisor.base, times))
            continue
        while times:
            shared = polynomial.sliced_gcd(top, base)
            if len(shared) < 2:
                break
            # top/base^times = (top/shared)/(base^(times − 1)·(base/shared))
            top = polynomial.sliced_divide(top, shared)
            rest = polynomial.divide(base, shared)[0]
            cancelled = True
            times -= 1
            if len(rest) > 1:
                # written with whole coefficients, its constant kept below with
                # the rest: 2(2x − 1), not 4x − 2, so that it meets (2x − 1)²
                whole = _primitive(rest)
                scale *= Fraction(rest[-1]) / whole[-1]
                below.append((whole, 1))
            else:
                scale *= rest[0]  # the shared factor is monic: the base's constant stays below
        if times:
            below.append((divisor.base, times))
    if not cancelled:
        return None
    kept = [
        Pow(base if isinstance(base, Expr) else polynomial.to_expr(base, var), Num(-times))
        for base, times in below
    ]
    if scale != 1:
        top = polynomial.sliced_divide(top, (scale,))
    candidate = mul(polynomial.sliced_to_expr(top, var), *aside, *kept)
    # kept when no larger: a cancelled factor lowers the degree of both parts,
    # −(x + 1)/(x − 1)³ rather than (1 − x²)/(x − 1)⁴
    if s.op_count(s.trial(candidate)) <= s.op_count(node):
        return candidate
    return None


def _cancel_in_several(
    top: polynomial.Sliced, written: Expr, base: polynomial.Sliced, times: int,
    sums: list[Add], var: str,
) -> tuple[polynomial.Sliced, list[tuple[Expr, int]], bool]:
    """top ÷ base^times for a divisor in several variables (`written` as the input
    has it): the divisor cancelled as often as it divides the numerator; else a
    sum among the numerator's factors (`sums`) that divides the divisor, F with
    base = F·Q, cancelled as often as the numerator has it, m times, which leaves
    F^(times − m)·Q^times below.  (the numerator left, the divisors left with
    their powers, whether anything cancelled)"""
    top, done = polynomial.divide_out(top, base, var, times)
    if done == times:
        return top, [], True
    for total in sums:
        factor = polynomial.slices(total, var)  # read only now: most divisors cancel whole or not at all
        rest = polynomial.sliced_quotient(base, factor, var) if factor else None
        if not rest:
            continue
        top, taken = polynomial.divide_out(top, factor, var, times - done)
        if taken:
            left = times - done - taken
            return top, [
                *([(polynomial.sliced_to_expr(factor, var), left)] if left else []),
                (polynomial.sliced_to_expr(rest, var), times - done),
            ], True
    return top, [(written, times - done)], done > 0


def _combine_fractions(node: Add, s: _Simplifier) -> Expr | None:
    """Terms over one common divisor, when that is no larger: √u − x²/√u becomes
    (√u·√u − x²)/√u, which is 1/√u for u = x² + 1.  The quotient and chain rules
    on roots leave such fractions within fractions; a textbook clears them.  A
    sum of powers of x (the power rule's drills, 6x² + 8/x³ − 1/(2x^(3/2)))
    stays term by term."""
    if all(_is_power_product(s.split(term)[1]) for term in node.terms):
        return None  # powers of x, 1/x and √x among them, stay term by term: 3x² − 3/x⁴
    candidate = _over_common_divisor(node, s)
    if candidate is not None and s.op_count(s.trial(candidate)) <= s.op_count(node):
        return candidate
    return None


def _combine_fractions_in_product(node: Mul, s: _Simplifier) -> Expr | None:
    """A sum of fractions in a product over one common divisor, when the product is
    then no larger: (x/√u + 1)/(x + √u) becomes (x + √u)/(√u·(x + √u)), and the
    divisor it shares with the product cancels, 1/√u."""
    for index, factor in enumerate(node.factors):
        total, times = _sum_and_power(factor)
        if total is None or not _sum_features(total) & _FRACTION:
            continue
        combined = _over_common_divisor(total, s)
        if combined is None:
            continue
        candidate = mul(*_with_factor(node, index, _raised(combined, times)))
        # the answer shown (not a trial's) clears a fraction within a fraction at an
        # operation's cost, as a textbook does, in a sum the size of a learner's:
        # ((x + 1)/x − ln x)/(x + 1)² is (x + 1 − x·ln x)/(x·(x + 1)²)
        clears = (s.reshape == _TOP_LEVEL and total._size <= _CLEARED_UP_TO and type(times) is int
                  and any(is_divisor(other) for other in node.factors if other is not factor))
        if s.op_count(s.trial(candidate)) <= s.op_count(node) + clears:
            return candidate
    return None


def _over_common_divisor(node: Add, s: _Simplifier) -> Expr | None:
    """The sum written as one fraction over the least common divisor of its terms
    (each divisor to its highest power), its parts not yet simplified; None when
    no term divides by anything but a number.  A whole power of a fraction counts
    as the fraction of the powers, (x/a)² as x²/a², so that 1 + (x/a)² is
    (a² + x²)/a², as arctan's rate at x/a leaves it."""
    terms = [_fraction_powers_opened(term) for term in node.terms]
    below = _least_divisor(terms, s)
    if not below:
        return None
    split = [s.split(term) for term in terms]
    # the numbers' common denominator joins the divisor, x/(2√u) + √u over 2√u,
    # unless a number was written as a decimal (0.5x/√u + √u keeps its 0.5)
    decimal = _has_decimal(terms)
    scale = 1 if decimal else math.lcm(*(Fraction(coefficient).denominator for coefficient, _ in split))
    numerator = add(*(_numerator_over(coefficient * scale, body, below, decimal) for coefficient, body in split))
    divisors = [Pow(base, Num(-k)) for base, k in below.items()]
    return mul(Num(Fraction(1, scale)), numerator, *divisors) if scale != 1 else mul(numerator, *divisors)


def _numerator_over(coefficient: Rational, body: Expr, below: dict[Expr, Rational], decimal: bool) -> Expr:
    """A term coefficient·body of a sum over the common divisor `below` (base →
    power), as it reads above that divisor: its own divisors dropped and the rest
    of the common one multiplied in, x/(2√u) over 2√u as x, and √u as 2√u·√u."""
    kept: list[Expr] = []
    own: dict[Expr, Rational] = {}  # how often each base of the divisor divides the term
    for factor in _factors(body):
        base, exponent = _numeric_power(factor)
        if exponent < 0 and base in below:
            own[base] = own.get(base, 0) - exponent
        else:
            kept.append(factor)
    kept += [_raised(base, k - own.get(base, 0)) for base, k in below.items() if k > own.get(base, 0)]
    if coefficient != 1 or not kept:
        # no decimal 1 or −1 that no one wrote as a factor (−1.0·ln(x) is −ln(x))
        kept.insert(0, Num(coefficient, decimal and (abs(coefficient) != 1 or not kept)))
    return mul(*kept)


def _least_divisor(terms: list[Expr], s: _Simplifier) -> dict[Expr, Rational]:
    """The least common divisor of `terms`: each base other than a number that
    divides one of them, to the highest power it divides any.  Empty (no divisor
    to clear) when that takes more than `_DIVISORS_UP_TO` bases."""
    below: dict[Expr, Rational] = {}
    for term in terms:
        for base, exponent in _powers(s.split(term)[1]).items():
            if exponent < 0 and type(base) is not Num:
                below[base] = max(below.get(base, 0), -exponent)
                if len(below) > _DIVISORS_UP_TO:
                    return {}
    return below


# Fractions are brought over one divisor only when it is the product of at most
# this many different parts.  With n of them, each term's numerator is multiplied
# by up to n − 1 others: 1/(x + 1) + … + 1/(x + n) over one divisor is never the
# shorter form, and trying it multiplied out n numerators of n − 1 factors each
# (3.5 s at n = 100, 100 s at n = 2,000).  Of the 991 sums of the corpus
# and the QA set that were tried over one divisor, none kept had more than three.
_DIVISORS_UP_TO = 4


def _times_divisor(terms: list[Expr], below: dict[Expr, Rational]) -> Expr:
    """The sum of `terms`, each multiplied by the divisor `below` (base → power); a
    term 1 is the divisor itself (x², not 1·x²)."""
    common = [_raised(base, k) for base, k in below.items()]
    return add(*(mul(*common) if is_plain_one(term) else mul(term, *common) for term in terms))


def _open_fraction_powers(node: Mul, s: _Simplifier) -> Expr | None:
    """A whole power of a fraction among a product's factors written as the fraction
    of the powers, when that is no larger: the chain rule on (u/v)ⁿ leaves
    3·(x/(x + 1))²·1/(x + 1)², which is 3x²/(x + 1)⁴ once the divisors meet.  So is
    any whole power of a product one of whose factors meets a power of itself
    beside it, when that is smaller: the quotient rule on (x + 1)/((x + 1)(x − 1))
    leaves −(x + 1)²/((x − 1)(x + 1))², which is −1/(x − 1)² once (x + 1)² meets
    (x + 1)⁻²."""
    candidate = _fraction_powers_opened(node)
    if candidate is not node:
        return None if s.op_count(s.trial(candidate)) > s.op_count(node) else candidate
    candidate = _met_powers_opened(node)
    if candidate is None or s.op_count(s.trial(candidate)) >= s.op_count(node):
        return None
    return candidate


def _met_powers_opened(node: Mul) -> Expr | None:
    """The product with each whole power of a product written as the product of the
    powers where one of its factors with a variable has the base of another factor
    of the node; None when there is none."""
    bases = [_numeric_power(factor)[0] for factor in node.factors]

    def meets(index: int, factor: Expr) -> bool:
        if type(factor) is not Pow or type(factor.base) is not Mul or not _is_integer(factor.exp):
            return False
        others = bases[:index] + bases[index + 1 :]
        # π meeting π is no reason
        return any(base.free_vars and base in others for base, _ in map(_numeric_power, factor.base.factors))

    opened = _powers_opened(node.factors, meets)
    return None if opened is None else mul(*opened)


def _clear_root_fractions(node: Mul, s: _Simplifier) -> Expr | None:
    """A root of a sum with divisors written as the root of the sum cleared of them,
    over their root: where each divisor is an even power, √(1 − 1/x²) is
    √(x² − 1)/|x| (x² ≥ 0 has the root |x|, for any x ≠ 0, which a divisor is).
    So 1/(x²·√(1 − 1/x²)), arccos's rate at 1/x, is 1/(|x|·√(x² − 1)), and
    arcsin's at y/x is −y/(|x|·√(x² − y²)).  Kept when smaller: arcsin's rate
    at x/a keeps √(1 − (x/a)²), as clearing it leaves |a|/a."""
    for index, factor in enumerate(node.factors):
        total, times = _sum_and_power(factor)
        if total is None or type(times) is not Fraction or times.denominator != 2:
            continue
        terms = [_fraction_powers_opened(term) for term in total.terms]
        below = _least_divisor(terms, s)
        if not below or any(type(k) is not int or k % 2 for k in below.values()):
            continue  # no divisor, or one whose root is not a power of |b|: √(1 − 1/x)
        cleared = _times_divisor(terms, below)
        roots = [_raised(Call("abs", base), -k * times) for base, k in below.items()]
        candidate = mul(*_with_factor(node, index, Pow(cleared, Num(times))), *roots)
        if s.op_count(s.trial(candidate)) < s.op_count(node):
            return candidate
    return None


def _fraction_powers_opened(term: Expr) -> Expr:
    """The term with each whole power of a product that divides written as the
    product of the powers: (x/a)² → x²·a⁻²; any other term as it is."""
    opened = _powers_opened(_factors(term), lambda _, factor: _is_fraction_power(factor))
    return term if opened is None else mul(*opened)


def _powers_opened(factors: Sequence[Expr], opens: Callable[[int, Expr], bool]) -> list[Expr] | None:
    """The factors with each whole power of a product that `opens` (its index, the
    factor) written as the product of the powers, (ab)ⁿ as aⁿ·bⁿ; None when none is."""
    opened: list[Expr] = []
    changed = False
    for index, factor in enumerate(factors):
        if opens(index, factor):
            opened.extend(_raised(base, k) for base, k in _product_powers(factor.base, factor.exp.value))
            changed = True
        else:
            opened.append(factor)
    return opened if changed else None


def _product_powers(product: Mul, n: Rational) -> Iterator[tuple[Expr, Rational]]:
    """(base, exponent) of each factor of productⁿ written out: (x/a)² is x² and a⁻²."""
    return ((base, k * n) for base, k in map(_numeric_power, product.factors))


def _is_fraction_power(factor: Expr) -> bool:
    """A whole power of a product with a divisor among its factors: (x/a)²."""
    return (type(factor) is Pow and type(factor.base) is Mul and _is_integer(factor.exp)
            and any(map(is_divisor, factor.base.factors)))


def _expandable(term: Expr) -> bool:
    """A term with a sum inside a product, or a small whole power of a sum."""
    kind = type(term)
    if kind is Pow:
        return _sum_power(term) is not None
    if kind is not Mul:
        return False
    for factor in term.factors:
        # a plain factor (a number, a name, x²) is passed over without a call: the
        # terms of a polynomial, asked about on every sum, have nothing else
        if type(factor) is Add or (type(factor) is Pow and type(factor.base) is Add and _sum_power(factor)):
            return True
    return False


# Whole powers of sums up to this one are multiplied out when that pays.
_BINOMIAL_UP_TO = 8
# A product is multiplied out only if it makes at most this many terms, and a sum
# only while multiplying out all its products takes at most this many steps
# (the derivative of (x + 1)…(x + 100) takes 0.5 M; of (x + 1)…(x + 300), 13 M).
_TERMS_UP_TO = 5000
_EXPAND_WORK = 1_000_000


def _sum_power(factor: Expr) -> tuple[Add, int] | None:
    """(S, n) for a factor that is a sum S, or S to a whole power n ≤ 8; else None."""
    if type(factor) is Add:
        return factor, 1
    if (
        type(factor) is Pow
        and type(factor.base) is Add
        and type(factor.exp) is Num
        and isinstance(factor.exp.value, int)
        and 2 <= factor.exp.value <= _BINOMIAL_UP_TO
    ):
        return factor.base, factor.exp.value
    return None


def _distribute(term: Expr, budget: list[int]) -> Expr:
    """A product with sum factors (or small powers of sums), multiplied out and
    collected as it goes: (x + 1)(x + 2) → x² + 3x + 2.  Collecting after each
    factor keeps the work polynomial ((x + 1)(x + 2)…(x + n) has n + 1 terms, not
    2ⁿ); a product that would still exceed `_TERMS_UP_TO` terms is kept as it is."""
    factors = term.factors if type(term) is Mul else (term,)
    decimal = _decimal(*factors)
    # each partial term: its powers (base → exponent, as a key) and its coefficient
    partial: dict[frozenset, tuple[Rational, dict[Expr, Rational]]] = {frozenset(): (1, {})}
    for factor in factors:
        found = _sum_power(factor)
        for choices in [found[0].terms] * found[1] if found else [(factor,)]:
            pieces = []
            for choice in choices:
                value, body = split_coefficient(choice)
                decimal = decimal or _decimal(choice) or (
                    type(choice) is Mul and _decimal(choice.factors[0])
                )
                scale, powers = _opened_powers(body)
                pieces.append((value * scale, powers))
            grown: dict[frozenset, tuple[Rational, dict[Expr, Rational]]] = {}
            for coefficient, powers in partial.values():
                for value, piece in pieces:
                    merged = dict(powers)
                    for base, exponent in piece.items():
                        total = merged.get(base, 0) + exponent
                        if total == 0:
                            merged.pop(base, None)
                        else:
                            merged[base] = total
                    key = frozenset(merged.items())
                    entry = grown.get(key)
                    product = coefficient * value  # integers stay integers
                    grown[key] = (product if entry is None else entry[0] + product, merged)
            partial = {key: entry for key, entry in grown.items() if entry[0] != 0}
            budget[0] -= len(grown)
            if len(partial) > _TERMS_UP_TO or budget[0] < 0:  # not worth it: keep it
                return term
    return add(*(
        _scaled_decimal(coefficient, mul(*(_raised(b, k) for b, k in powers.items())), decimal)
        for coefficient, powers in partial.values()
    ))


def _opened_powers(body: Expr) -> tuple[Rational, dict[Expr, Rational]]:
    """`_powers(body)` with each whole power of a product opened, its numbers taken
    into a scale: (xy)² counts as x²y² and (2x)³ as 8·x³, so that multiplying out
    xy²·(x + y) − (xy)² collects to xy³.  A product with a decimal in it stays
    closed, so that its number keeps the decimal form it was written in.
    (the scale, the powers)"""
    scale = Fraction(1)
    counts: dict[Expr, Rational] = {}
    for factor in _factors(body):
        base, exponent = _numeric_power(factor)
        opens = type(base) is Mul and type(exponent) is int and not _decimal(*base.factors)
        for part, total in _product_powers(base, exponent) if opens else ((base, exponent),):
            if opens and type(part) is Num and Fraction(total).denominator == 1 and part.value != 0:
                scale *= Fraction(part.value) ** int(total)  # (2x)³: the 8 joins the coefficient
            else:
                counts[part] = counts.get(part, 0) + total
    return (scale.numerator if scale.denominator == 1 else scale), counts


def _scaled_decimal(coefficient: Rational, body: Expr, decimal: bool) -> Expr:
    """coefficient·body, the coefficient a decimal when `decimal` (2.5x), but no
    1 or −1 that no one wrote as a factor (0.5x + 0.5x is x, not 1.0x)."""
    if body == ONE:
        return _num(coefficient, decimal)
    if coefficient == 1:
        return body
    return mul(_num(coefficient, decimal and coefficient != -1), body)


def _factor_common(node: Add, s: _Simplifier) -> Expr | None:
    """Take a factor every term shares out of the sum, when that is smaller:
    x·eˣ + eˣ becomes (x + 1)·eˣ."""
    split = [s.split(term) for term in node.terms]
    polynomial = all(_is_monomial(body) for _, body in split)
    if polynomial:
        # a polynomial is answered in its standard form, expanded: 3x² − 6x, not
        # x·(3x − 6), and ∂/∂x of x²y + xy² is 2xy + y², not y·(2x + y), as answer
        # keys print partial derivatives (and the next order differentiates a sum,
        # not a product to open again)
        return None
    split = _opposites_aligned(split, s)
    shared = _shared_factors([body for _, body in split])
    content = _content([c for c, _ in split])
    if shared and all(_is_monomial(f) for f in shared):
        # a product-rule result stays as the rule wrote it (x²·cos x + 2x·sin x):
        # powers of the variables alone are not taken out, and nor is a number
        # without them (2x·cos(x²) − 2x³·sin(x²), not 2(x·cos(x²) − x³·sin(x²)),
        # which leaves x in both terms); with a shared non-polynomial factor (eˣ,
        # (x + 1)³, ln x) they go out with it, so the result is factored fully:
        # x²·ln(x)·(3·ln(x) + 2), not ln(x)·(2x² + 3x²·ln(x))
        return None
    if not shared and (content == 1 or _content_saving(split, content) < 2):
        return None  # nothing to take out, or nothing gained by it
    # the shared factors and the number together first, as factoring fully takes
    # them (2x·e^(x²)·(x² + 1), not x·e^(x²)·(2x² + 2)): a tie goes to the first;
    # but decimals are left in their terms (0.5x₁ + 3.0x₁², not 0.5(x₁ + 6.0x₁²))
    options = [(1, bool(shared)), (content, bool(shared)), (content, False)] if _has_decimal(node.terms) else [
        (content, bool(shared)), (1, bool(shared)), (content, False)]
    best, best_count = None, s.op_count(node)
    for divisor, use_shared in dict.fromkeys(options):
        if divisor == 1 and not use_shared:
            continue
        taken = shared if use_shared else []
        # a divisor other than 1 divides every coefficient, all of them whole
        cofactors = [
            _scaled(coefficient if divisor == 1 else coefficient // divisor,
                    _divide_out(body, taken) if taken else body)
            for coefficient, body in split
        ]
        candidate = _scaled(divisor, mul(*taken, add(*cofactors)))
        # the candidate is already written as it will read (its parts are in normal
        # form), so its size can be counted without simplifying it first
        count = s.op_count(candidate)
        if count < best_count:
            best, best_count = candidate, count
    if best is not None and not shared:
        # only a number would go out of a sum whose products of sums multiply out
        # to one term: 2x·(x² + 1) − 2x³ is 2x at once, not 2(x·(x² + 1) − x³)
        # multiplied out after (one that multiplies out to a sum keeps its number
        # outside: 4(17 − 32x + 20x² − 4x³)); the rewrite after this one expands it
        expanded = _expand(node, s)
        if expanded is not None and type(s.trial(expanded)) is not Add:
            return None
    return best


def _content_saving(split: list[tuple[Rational, Expr]], content: int) -> int:
    """Operations saved inside the sum by dividing every coefficient by `content`:
    one for each term c·b with |c| = content whose b has a factor on top (the
    coefficient, now 1, is no longer multiplied in; signs stay as they were).
    Taking the number out costs one multiplication, so it pays only from 2.  A
    term whose b is itself a sum is not counted this way (2 is returned, so the
    candidate is built and counted): its bracket opens into the sum."""
    if any(type(body) is Add for _, body in split):
        return 2  # c·(a + b) opens into the sum once c is 1: count it by building it
    return sum(
        1
        for coefficient, body in split
        if abs(coefficient) == content and body != ONE and _has_numerator(body)
    )


def _has_numerator(body: Expr) -> bool:
    """True when a product has a factor that is not a divisor (x, x·y⁻¹; not y⁻¹)."""
    return any(not is_divisor(factor) for factor in _factors(body))


def _scaled(coefficient: Rational, body: Expr) -> Expr:
    """coefficient·body, written without a factor 1 and with a bare number alone."""
    if body == ONE:
        return _num(coefficient)
    if coefficient == 1:
        return body
    return mul(_num(coefficient), body)


def _scaled_product(coefficient: Rational, factors: Iterable[Expr], s: _Simplifier) -> Expr:
    """coefficient·f₁·f₂·…, as `_product_in_order` writes the factors."""
    return _scaled(coefficient, _product_in_order(factors, s))


def _product_in_order(factors: Iterable[Expr], s: _Simplifier) -> Expr:
    """f₁·f₂·…, in textbook order and with no factor a plain 1: a rewrite that
    only reshapes (an identity, powers combined, a factor taken out) shows no 1 it
    did not find, as sin²u + cos²u = 1 or x·x⁻¹ would otherwise leave one, and
    needs no step after it to put its factors in order."""
    kept = [factor for factor in factors if not is_plain_one(factor)]
    return mul(*_textbook_order(kept, s)) if len(kept) > 1 else mul(*kept)


def _numeric_power(factor: Expr) -> tuple[Expr, Rational]:
    """(base, k) for a factor b^k with k a number; a factor with any other exponent
    (eˣ) counts as a base of its own, to the power 1."""
    if type(factor) is Pow and type(factor.exp) is Num:
        return factor.base, factor.exp.value
    return factor, 1


def _is_power_product(expr: Expr) -> bool:
    """A product of variables to number powers (x², 1/x⁴, 1/√x), or a number."""
    return all(type(base) is Sym for base, _ in map(_numeric_power, _factors(expr)))


def _is_monomial(expr: Expr) -> bool:
    """A product of variables to whole powers, negative ones too (x²y, x/y²), or
    a number: see `_is_monomial_term` for a polynomial's term, nothing dividing,
    and `_monomial_in_order` for one already in textbook order."""
    return all(
        type(base) is Sym and isinstance(k, int) for base, k in map(_numeric_power, _factors(expr))
    )


def _powers(body: Expr) -> dict[Expr, Rational]:
    """How often each base divides `body`: x²·y·eˣ·eˣ is {x: 2, y: 1, eˣ: 2}."""
    counts: dict[Expr, Rational] = {}
    for factor in _factors(body):
        base, exponent = _numeric_power(factor)
        counts[base] = counts.get(base, 0) + exponent
    return counts


def _opposites_aligned(split: list[tuple[Rational, Expr]], s: _Simplifier) -> list[tuple[Rational, Expr]]:
    """The terms (coefficient, body) with every whole power of a sum that another
    term has negated written one way, its sign moved to the coefficient, so that
    the two are seen to be one factor: σ²·(σ − 1) + σ·(1 − σ)² is
    −σ²·(1 − σ) + σ·(1 − σ)², whose common factor is σ·(1 − σ) (σ″ is then
    σ(1 − σ)(1 − 2σ), as it is taught).  The way kept is the one met first,
    unless the other way is met raised to a higher power than the first was
    (σ‴ then keeps 1 − σ).  Sums are matched through their terms' sizes, signs
    aside, as in `_opposite_factors`."""
    ways: dict[frozenset, tuple[Add, Rational]] = {}  # a sum's signature → the way kept, its power

    def sums_in(body: Expr) -> Iterator[tuple[Expr, Add, int, frozenset]]:
        """The body's whole powers of sums: (factor, sum, power, signature).  Each
        distinct sum's signature is made once (`signature`), and none is held for
        long: the derivative of a product of n sums has n terms of n − 1 of them."""
        for factor in _factors(body):
            base, exponent = _power_parts(factor)
            if type(base) is Add and _is_integer(exponent):
                yield factor, base, exponent.value, s.signature(base)

    both_ways = False
    for _, body in split:
        for _, base, power, key in sums_in(body):
            kept = ways.get(key)
            if kept is None:
                ways[key] = (base, power)
            elif kept[0] != base:
                both_ways = True
                if power > kept[1]:
                    ways[key] = (base, power)
    if not both_ways:
        return split  # no sum is met both ways (most sums): nothing to align
    aligned: list[tuple[Rational, Expr]] = []
    changed = False
    for coefficient, body in split:
        turned: dict[Expr, Expr] = {}  # a factor → the factor written the kept way
        for factor, base, power, key in sums_in(body):
            kept = ways[key][0]
            if kept != base and Counter(kept.terms) == Counter(neg(term) for term in base.terms):
                turned[factor] = _raised(kept, power)
                coefficient = -coefficient if power % 2 else coefficient
        changed = changed or bool(turned)
        aligned.append((coefficient, mul(*(turned.get(factor, factor) for factor in _factors(body)))
                        if turned else body))
    return aligned if changed else split


def _signs_aside(total: Add, s: _Simplifier) -> frozenset:
    """What a sum and its negative share: each term's body with the size of its
    coefficient (x − 1 and 1 − x both give {(x, 1), (1, 1)})."""
    return frozenset(Counter((body, abs(value)) for value, body in map(s.split, total.terms)).items())


def _shared_factors(bodies: list[Expr]) -> list[Expr]:
    """The factors b^k common to all bodies, k the smallest exponent (numeric exponents
    of one sign only)."""
    first = _powers(bodies[0])
    for body in bodies[1:]:
        if not first:
            return []  # nothing is shared by the terms so far, so by all of them
        seen = _powers(body)
        first = {
            base: min(value, seen[base]) if value > 0 else max(value, seen[base])
            for base, value in first.items()
            if base in seen and (value > 0) == (seen[base] > 0)
        }
    return [_raised(base, value) for base, value in first.items()]


def _divide_out(body: Expr, shared: list[Expr]) -> Expr:
    """`body` with the shared factors taken out (each base once, with what is left
    of its power)."""
    taken = dict(_numeric_power(factor) for factor in shared)
    left = _powers(body)
    kept = []
    for base, exponent in left.items():
        rest = exponent - taken.get(base, 0)
        if rest != 0:
            kept.append(_raised(base, rest))
    return mul(*kept)


def _content(coefficients: list[Rational]) -> int:
    """The greatest common divisor of the coefficients; 1 when they are not all
    whole numbers."""
    if not all(isinstance(c, int) for c in coefficients):
        return 1
    return max(math.gcd(*coefficients), 1)


def _order_terms(node: Add, s: _Simplifier) -> Expr | None:
    """Textbook order: by degree, highest first; numbers last.  A sum does not open
    with a minus sign when it need not: a polynomial is led by a positive term of
    its highest degree (n − a − b + 1, 2xy − x² − y²), or else, when its lowest
    term is positive, written lowest degree first (1 − x², 2x − 3x², not −x² + 1,
    −3x² + 2x), and any other sum is led by its first positive term (cos(x) −
    x·sin(x), and the quotient rule's f′(x)·g(x) − f(x)·g′(x))."""
    terms = node.terms
    order = _ordered_already(terms, s)
    if order is None:
        keys = [s.term_key(term) for term in terms]
        order = sorted(range(len(terms)), key=keys.__getitem__)
        del keys
    first, last = terms[order[0]], terms[order[-1]]
    if s.split(first)[0] < 0:
        if _is_polynomial(node, s):
            top = s.term_key(first)[:2]  # a number's key, or the highest degree's
            lead = next((i for i in order if s.term_key(terms[i])[:2] == top and s.split(terms[i])[0] > 0), None)
            if lead is not None:
                order = [lead, *(i for i in order if i != lead)]
            elif s.split(last)[0] > 0:
                order.reverse()
        else:
            lead = next((i for i in order if s.split(node.terms[i])[0] > 0), None)
            if lead is not None:
                order = [lead, *(i for i in order if i != lead)]
    if order == list(range(len(order))):
        return None
    return Add(tuple(terms[i] for i in order))


def _ordered_already(terms: tuple[Expr, ...], s: _Simplifier) -> list[int] | None:
    """The order sorting gives `terms` by their keys, when they are in strictly
    rising or strictly falling order already (the derivative of a polynomial
    written in order is), found holding two keys at a time; else None (then they
    are sorted).  A 100,000-term sum's keys, held together to sort, took 24 MB."""
    previous = s.term_key(terms[0])
    rising: bool | None = None
    for term in terms[1:]:
        key = s.term_key(term)
        if key == previous:
            return None  # equal keys keep their order: the sort says how
        up = key > previous
        if rising is None:
            rising = up
        elif up is not rising:
            return None
        previous = key
    return list(range(len(terms))) if rising is not False else list(range(len(terms) - 1, -1, -1))


def _term_key(term: Expr, s: _Simplifier) -> tuple:
    _, body = s.split(term)
    if body == ONE:
        return (1, 0, ())
    degree: Rational = 0
    exponents: list[tuple[str, Fraction]] = []
    others: list[tuple] = []
    functions = False  # a function among the factors: ln(x), arctan(x), sin(x)²
    for factor in _factors(body):
        base, exponent = _power_parts(factor)
        if type(base) is Sym and type(exponent) is Num:
            degree += exponent.value
            exponents.append((name_key(base.name), -exponent.value))
        else:
            others.append(s.key(factor))
            functions = functions or type(base) in _FUNCTION_NODES
    exponents.sort()
    # a power of one name (most terms of a polynomial in x) is its own degree: the
    # one number, not three alike (a 100,000-term sum holds all the keys at once)
    lowered = exponents[0][1] if len(exponents) == 1 else -degree
    # at one degree in the variables, a term with a function first, as the product
    # rule writes them: 2x·ln(x) + x, 3x²·ln(x) + x² (not x + 2x·ln(x)); terms
    # without a variable's power keep their order (eˣ + sec²(x), x + e + π + sinh(π))
    return (0, lowered, tuple(exponents), not (functions and degree), tuple(others))


_FUNCTION_NODES = (Call, Log, Apply)


# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------


def _zero_factor(node: Mul, s: _Simplifier) -> Expr | None:
    for factor in node.factors:
        if type(factor) is Num and factor.value == 0:
            return _num(0, factor.decimal)
    return None


def _digits(value: Rational) -> int:
    """Digits in a number's numerator (its size, for the digit limit)."""
    numerator = value if isinstance(value, int) else value.numerator
    return abs(numerator).bit_length() * 30103 // 100000 + 1


def _multiply_numbers(node: Mul, s: _Simplifier) -> Expr | None:
    numbers = [f for f in node.factors if type(f) is Num]
    if len(numbers) < 2 or sum(not is_plain_one(n) for n in numbers) < 2:
        return None  # at most one number besides factors 1: dropping them says it (drop-one)
    digits = sum(_digits(n.value) for n in numbers)
    if digits > s.limits.max_digits:
        return None  # keep the product symbolic rather than build a huge number
    product: Rational = 1
    for n in numbers:
        product *= n.value
    others = [f for f in node.factors if type(f) is not Num]
    # the rest in textbook order at once, as a textbook multiplies out
    # 10·o²·q·3·b² in one step to 30·b²·o²·q (not one step more to order it)
    if len(others) > 1:  # (one factor needs no order, nor its sort key computed and kept)
        others = _textbook_order(others, s)
    if product == 1 and others:
        # 2x/2 is x in one step, as a textbook cancels it; 0.5·2x is x too, as
        # no one wrote the 1 (a 1.0 typed stays, as any decimal typed does)
        return mul(*others)
    return mul(_num(product, _decimal(*numbers) and not (product == -1 and others)), *others)


def _combine_powers(node: Mul, s: _Simplifier) -> Expr | None:
    """uᵃ·uᵇ = uᵃ⁺ᵇ: powers of one base become one power, their exponents added.
    x·x² = x³, x·x⁻¹ = 1, eˣ·e²ˣ = e³ˣ, and x·x^(n − 1) = x^n, as the power rule's
    answers are written.  An exponent that varies with the base joins only its
    like (xˣ·xˣ = x²ˣ): xˣ/x stays, not x^(x − 1), so that xˣ can still be taken
    out of a sum, as in xˣ·((ln x + 1)² + 1/x)."""
    # each factor's (base, exponent, what it is grouped by); None for a number
    parts: list[tuple[Expr, Expr, Expr | tuple[Expr, Expr]] | None] = []
    for factor in node.factors:
        if type(factor) is Num:
            parts.append(None)
            continue
        base, exponent = _flat_power(factor)
        if base._free.isdisjoint(exponent._free):
            parts.append((base, exponent, base))
        else:  # grouped with the powers whose exponents are multiples of its own
            parts.append((base, exponent, (base, s.split(exponent)[1])))
    # equal keys have equal hashes: when no two share one (most products), there
    # is nothing to combine, found without hashing a node in Python
    keys = [part[2] for part in parts if part is not None]
    if len({hash(key) if type(key) is tuple else key._hash for key in keys}) == len(keys):
        return None
    groups: dict[Expr | tuple[Expr, Expr], tuple[Expr, list[tuple[Expr, Expr]]]] = {}
    # in the product's order: a number as it is, or a group's (base, members), the
    # members its (exponent, factor)s (a key is not kept here: 2 is both a
    # number factor and the key of 2ˣ·2^(x + 1))
    order: list[Expr | tuple[Expr, list[tuple[Expr, Expr]]]] = []
    for factor, part in zip(node.factors, parts, strict=True):
        if part is None:
            order.append(factor)
            continue
        base, exponent, key = part
        group = groups.get(key)
        if group is None:
            group = groups[key] = (base, [])
            order.append(group)
        group[1].append((exponent, factor))
    if all(len(members) == 1 for _, members in groups.values()):
        return None
    factors = []
    for item in order:
        if type(item) is not tuple:
            factors.append(item)
            continue
        base, members = item
        if len(members) > 1:
            factors.append(_exponents_added(base, [exponent for exponent, _ in members]))
        else:
            factors.append(_alone(base, *members[0]))
    # the rest in textbook order at once, as with the numbers multiplied: sin x·(−1)·sin x
    # is −sin²x in one step, not sin²x·(−1) and a step more to order it
    return _product_in_order(factors, s)


def _exponents_added(base: Expr, exponents: list[Expr]) -> Expr:
    """base to the sum of the exponents; number exponents added at once, so that
    x²·x² is x⁴ and √u·√u is u in one step, not x^(2 + 2) and then 2 + 2 → 4."""
    if all(type(exponent) is Num for exponent in exponents):
        total = sum(exponent.value for exponent in exponents)
        if total == 0:
            return ONE  # x·x⁻¹ is 1, as x/x cancels (at a removable point)
        if total == 1:
            return base
        return Pow(base, _num(total, _decimal(*exponents)))
    return Pow(base, add(*exponents))


def _opposite_factors(node: Mul, s: _Simplifier) -> Expr | None:
    """(v − u)ⁿ = (−1)ⁿ·(u − v)ⁿ for whole n, so that powers of a sum and of its
    negative meet: (σ − 1)/(1 − σ) becomes −(σ − 1)/(σ − 1), which is −1.  The
    sum turned is the one that opens with a minus in textbook order (2 − x, not
    x − 2), so every product turns the same way and like terms stay alike.

    Sums are matched through the terms' sizes, signs aside (a sum and its negative
    have the same), so a product of many sums ((x + 1)…(x + 300)) is read once."""
    seen: dict[frozenset, list[tuple[int, Add, int]]] = {}
    for index, (base, exponent) in enumerate(map(_power_parts, node.factors)):
        if type(base) is not Add or not _is_integer(exponent):
            continue
        key = s.signature(base)
        negated = None
        for earlier in seen.get(key, ()):
            negated = negated or Counter(neg(term) for term in base.terms)
            if Counter(earlier[1].terms) == negated:
                later = (index, base, exponent.value)
                turned_index, _, n = later if _opens_positive(earlier[1], s) else earlier
                kept = earlier[1] if turned_index == index else base
                # (−1)ⁿ as a whole number: (-1) ** n is a float for a negative n, and a
                # Num holding −1.0 would stand for −1 in the table of shared nodes
                power = kept if n == 1 else Pow(kept, _num(n))
                turned = (MINUS_ONE, power) if n % 2 else (power,)  # (−1)ⁿ = 1 for an even n: no factor 1
                return mul(*node.factors[:turned_index], *turned, *node.factors[turned_index + 1 :])
        seen.setdefault(key, []).append((index, base, exponent.value))
    return None


def _opens_positive(total: Add, s: _Simplifier) -> bool:
    """True when the sum's first term in textbook order has a positive coefficient
    (x − 2 and σ − 1 do; 2 − x, that is −x + 2, does not)."""
    first = min(total.terms, key=s.term_key)
    return s.split(first)[0] > 0


def _flat_power(factor: Expr) -> tuple[Expr, Expr]:
    """(base, exponent) of a factor, a whole power of a power read as one power
    ((√x)⁻¹ is x^(−1/2), so it meets x^(−1/2) beside it, and (eˣ)⁻¹ is e^(−x), so
    it meets eˣ: (bᵖ)ᵠ = bᵖᵠ for a whole q, wherever bᵖ is defined)."""
    base, exponent = _power_parts(factor)
    if not (type(base) is Pow and type(exponent) is Num and isinstance(exponent.value, int)):
        return base, exponent
    if type(base.exp) is Num:
        return base.base, _num(Fraction(base.exp.value) * exponent.value, _decimal(base.exp, exponent))
    return base.base, _times_whole(base.exp, exponent.value)


def _times_whole(exponent: Expr, k: int) -> Expr:
    """k·exponent with k multiplied into its number: 2x times −1 is −2x."""
    lead, rest = (exponent.factors[0], exponent.factors[1:]) if type(exponent) is Mul else (ONE, (exponent,))
    if type(lead) is not Num:
        lead, rest = ONE, (exponent,)
    value = lead.value * k
    return mul(*rest) if value == 1 else mul(_num(value, lead.decimal and value != -1), *rest)


def _alone(base: Expr, exponent: Expr, factor: Expr) -> Expr:
    """A factor with no other power of its base beside it: a whole power of a
    numeric power flattened ((√x)⁻¹ as x^(−1/2)), anything else as it was
    ((eˣ)⁻¹ stays; e^(−x) is no simpler)."""
    if type(exponent) is Num:
        return _rebuilt(base, exponent)
    return factor


def _rebuilt(base: Expr, exponent: Expr) -> Expr:
    return base if exponent == ONE else Pow(base, exponent)


def _abs_powers(node: Mul, s: _Simplifier) -> Expr | None:
    """uᵃ·|u|ᵇ with a whole: |u|ᵃ⁺ᵇ for even a, u·|u|ᵃ⁻¹⁺ᵇ for odd a (x²/|x| = |x|);
    and for odd a, uᵃ⁺ᵇ itself where that is a real odd root of an odd power,
    which has u's sign as uᵃ·|u|ᵇ does: x/|x|^(4/3) = x^(−1/3), so d/dx ∛(x²) is
    2/(3∛x), as d/dx x^(2/3) is."""
    parts = [_power_parts(factor) for factor in node.factors]
    plain: dict[Expr, tuple[int, Rational]] = {}
    absolute: dict[Expr, tuple[int, Expr]] = {}
    for index, (base, exponent) in enumerate(parts):
        if type(base) is Call and base.fn == "abs":
            absolute[base.arg] = (index, exponent)
        elif type(exponent) is Num and isinstance(exponent.value, int):
            plain[base] = (index, exponent.value)
    for u, (i, a) in plain.items():
        if u not in absolute:
            continue
        j, b = absolute[u]
        rest = _without(node, i, j)
        if a % 2 and type(b) is Num and not b.decimal:
            total = Fraction(a) + Fraction(b.value)
            if total.numerator % 2 and total.denominator % 2 and total.denominator > 1:
                return mul(*rest, Pow(u, Num(total)))
        if a == 1:
            continue
        # number exponents added at once: x²/|x| is |x| in one step, not |x|^(2 − 1)
        if a % 2 == 0:
            return mul(*rest, _exponents_added(Call("abs", u), [Num(a), b]))
        return mul(*rest, u, _exponents_added(Call("abs", u), [Num(a - 1), b]))
    return None


def _drop_one(node: Mul, s: _Simplifier) -> Expr | None:
    """x·1 → x.  A 1.0 typed stays, as any decimal typed does (it says the number
    was typed as a decimal); one the arithmetic makes is never written (d/dx
    0.5x² is x, where d/dx 2.5x² is 5.0x)."""
    if not any(map(is_plain_one, node.factors)):
        return None
    return mul(*(f for f in node.factors if not is_plain_one(f)))


_QUOTIENTS = {("sin", "cos"): "tan", ("cos", "sin"): "cot", ("sinh", "cosh"): "tanh",
              ("cosh", "sinh"): "coth",
              # tan u/sec u is sin u, sec u/tan u is csc u (and kin)
              ("tan", "sec"): "sin", ("cot", "csc"): "cos", ("sec", "tan"): "csc", ("csc", "cot"): "sec",
              ("tanh", "sech"): "sinh", ("coth", "csch"): "cosh", ("sech", "tanh"): "csch",
              ("csch", "coth"): "sech",
              # sin u/tan u is cos u, tan u/sin u is sec u (and kin)
              ("sin", "tan"): "cos", ("tan", "sin"): "sec", ("cos", "cot"): "sin", ("cot", "cos"): "csc",
              ("sinh", "tanh"): "cosh", ("tanh", "sinh"): "sech", ("cosh", "coth"): "sinh",
              ("coth", "cosh"): "csch"}
# The same quotients written with a reciprocal function (sin u·sec u is tan u), and
# a quotient times its divisor (tan u·cos u is sin u): fᵃ·gᵇ is hᵐ times what is
# left of f or g, m the smaller power.
_PRODUCTS = {("sin", "sec"): "tan", ("cos", "csc"): "cot", ("sinh", "sech"): "tanh", ("cosh", "csch"): "coth",
             ("tan", "cos"): "sin", ("cot", "sin"): "cos", ("tanh", "cosh"): "sinh", ("coth", "sinh"): "cosh",
             # csc u·tan u is sec u: the quotient csc u/cot u, once 1/cot u is tan u
             ("csc", "tan"): "sec", ("sec", "cot"): "csc", ("csch", "tanh"): "sech", ("sech", "coth"): "csch"}
_RECIPROCALS = {"sec": "cos", "csc": "sin", "cot": "tan", "sech": "cosh", "csch": "sinh",
                "coth": "tanh"}


def _reciprocal_function(node: Pow, s: _Simplifier) -> Expr | None:
    """1/sec u = cos u, 1/csc u = sin u, 1/cot u = tan u (hyperbolic ones alike),
    whole powers alike: a textbook writes the function a reciprocal stands for
    (the derivative of tan u/sec u is cos u, not 1/sec u)."""
    return _reciprocal_as(node, _RECIPROCALS)


def _reciprocal_as(node: Expr, names: dict[str, str]) -> Expr | None:
    """1/fⁿu as gⁿu, g = names[f], for a whole n > 0; None for any other node."""
    if type(node) is not Pow or type(node.base) is not Call or type(node.exp) is not Num:
        return None
    name, power = names.get(node.base.fn), node.exp.value
    if name is None or type(power) is not int or power >= 0:
        return None
    return _rebuilt(Call(name, node.base.arg), Num(-power))


def _trig_quotients(node: Mul, s: _Simplifier) -> Expr | None:
    """sin u/cos u = tan u (and kin), sec u·cos u = 1 (and kin), sin u·sec u =
    tan u and tan u·cos u = sin u (and kin), powers alike."""
    found: dict[tuple[str, Expr], tuple[int, Rational]] = {}
    for index, factor in enumerate(node.factors):
        base, exponent = _power_parts(factor)
        if type(base) is Call and type(exponent) is Num:
            found[(base.fn, base.arg)] = (index, exponent.value)
    for (fn, u), (i, a) in found.items():
        for (top, bottom), name in _QUOTIENTS.items():
            if fn != top or (bottom, u) not in found:
                continue
            j, b = found[(bottom, u)]
            if a > 0 and b == -a:
                rest = _without(node, i, j)
                return mul(*rest, _rebuilt(Call(name, u), Num(a)))
        for (first, second), name in _PRODUCTS.items():
            if fn != first or (second, u) not in found:
                continue
            j, b = found[(second, u)]
            if a > 0 and b > 0:  # sin³u·sec u is tan u·sin²u: the shared power goes
                m = min(a, b)
                rest = _without(node, i, j)
                left = [_rebuilt(Call(fn, u), Num(a - m))] if a > m else []
                left += [_rebuilt(Call(second, u), Num(b - m))] if b > m else []
                return mul(*rest, _rebuilt(Call(name, u), Num(m)), *left)
        reciprocal = _RECIPROCALS.get(fn)
        if reciprocal is not None and (reciprocal, u) in found:
            j, b = found[(reciprocal, u)]
            if (a > 0) == (b > 0):
                rest = _without(node, i, j)
                left = a - b
                if left > 0:
                    return mul(*rest, _rebuilt(Call(fn, u), Num(left)))
                if left < 0:
                    return mul(*rest, _rebuilt(Call(reciprocal, u), Num(-left)))
                return mul(*rest)
    return None


# Each of these functions written in sines and cosines (hyperbolic ones alike).
_SINES_AND_COSINES: dict[str, tuple[str | None, str]] = {
    "tan": ("sin", "cos"), "cot": ("cos", "sin"), "sec": (None, "cos"), "csc": (None, "sin"),
    "tanh": ("sinh", "cosh"), "coth": ("cosh", "sinh"), "sech": (None, "cosh"), "csch": (None, "sinh"),
}


def _in_sines_and_cosines(node: Expr) -> Expr | None:
    """tan u as sin u/cos u, sec u as 1/cos u (and kin); None for any other node."""
    if type(node) is not Call or node.fn not in _SINES_AND_COSINES:
        return None
    top, bottom = _SINES_AND_COSINES[node.fn]
    divisor = Pow(Call(bottom, node.arg), MINUS_ONE)
    return divisor if top is None else mul(Call(top, node.arg), divisor)


def _sines_and_cosines(node: Add, s: _Simplifier) -> Expr | None:
    """A sum with tangents, secants … in it written in sines and cosines, when that
    form comes down to fewer operations with no such function left dividing:
    sec x − sin x·tan x is (1 − sin²x)/cos x, which is cos x.  The derivative of
    tan x·cos x is that sum; a form that still divides (sec³x + sec x·tan²x is
    (1 + sin²x)/cos³x) keeps the functions a table of derivatives uses."""
    if _SINES_AND_COSINES.keys().isdisjoint(_calls_among(node, s)):
        return None  # no tan, sec … (or a power of one) among the terms
    candidate = rebuilt(node, _in_sines_and_cosines)
    simplest = s.trial(candidate)
    if s.op_count(simplest) >= s.op_count(node) or _divides_by_a_function(simplest):
        return None
    return candidate


def _divides_by_a_function(expr: Expr) -> bool:
    """True when a power of a function divides somewhere in `expr` (1/cos³x)."""
    return any(type(part) is Pow and is_divisor(part) and any(type(inner) is Call for inner in walk(part.base))
               for part in walk(expr))


def _product_in_sines_and_cosines(node: Mul, s: _Simplifier) -> Expr | None:
    """A product of a sum with tangents, secants … in it, written in sines and
    cosines, when that comes down to fewer operations with no function left
    dividing: the derivative of sin x/tan x, (sin x − sec x·tan x)/tan²x, is
    −sin x.  The simplified form is what is returned, not the product written in
    sines and cosines: simplified factor by factor, that would be taken back to
    tangents by the quotient table before its factors could meet."""
    if not _has_tangent_kin(node, s):
        return None
    simplest = rebuilt(s.sines_trial(rebuilt(node, _in_sines_and_cosines)), _reciprocal_named)
    # shorter than the product simplified as it is written (a number taken out of
    # a sum is no gain of sines and cosines), and in one kind of function
    if (s.op_count(simplest) >= s.op_count(s.trial(node)) or _divides_by_a_function(simplest)
            or _mixes_sines_and_tangents(s.trial(simplest))):
        return None
    return simplest


_SINES = frozenset({"sin", "cos", "sinh", "cosh"})

# The double-angle identities, sin 2u = 2·sin u·cos u and kin, by function: the
# expansion of f(2u) in the functions of u.
_DOUBLE_ANGLES: dict[str, Callable[[Expr], Expr]] = {
    "sin": lambda u: mul(TWO, Call("sin", u), Call("cos", u)),
    "cos": lambda u: add(Pow(Call("cos", u), TWO), neg(Pow(Call("sin", u), TWO))),
    "sinh": lambda u: mul(TWO, Call("sinh", u), Call("cosh", u)),
    "cosh": lambda u: add(Pow(Call("cosh", u), TWO), Pow(Call("sinh", u), TWO)),
}


def _sines_in(expr: Expr) -> list[Call]:
    """The sines, cosines and their hyperbolic kin anywhere in `expr` (a shared
    part's once for each time it occurs)."""
    found = []
    pending = [expr]
    while pending:
        node = pending.pop()
        if type(node) is Call and node.fn in _SINES:
            found.append(node)
        pending.extend(node.children())
    return found


def _halved(angle: Expr) -> Expr | None:
    """u for an angle written 2u (2x, 2·(x + 1)), else None."""
    if type(angle) is not Mul or angle.factors[0] != TWO:
        return None
    return mul(*angle.factors[1:])


# Results up to this size are looked at whole for double angles to open.
_DOUBLE_ANGLES_UP_TO = 500


def _double_angles_opened(result: Expr, s: _Simplifier) -> Expr | None:
    """A result (a whole derivative, simplified) with sin 2u (or cos, sinh, cosh
    of 2u) beside a function of u, its double angles written in u, when that
    collapses it: (2·cos 2x·cos x + sin 2x·sin x)/cos²x, the derivative of
    sin 2x/cos x, is 2·cos x, as sin 2x/cos x is 2·sin x; else None.  The whole
    is looked at, once, not each part: a part that collapses beside a double
    angle left elsewhere (2·sinh³x/sinh²2x) would mix the two."""
    if result._size > _DOUBLE_ANGLES_UP_TO:
        return None
    calls = _sines_in(result)
    angles = {call.arg for call in calls}
    doubled = {call.arg for call in calls if _halved(call.arg) in angles}
    if not doubled:
        return None

    def opened(part: Expr) -> Expr | None:
        if type(part) is Call and part.fn in _SINES and part.arg in doubled:
            return _DOUBLE_ANGLES[part.fn](_halved(part.arg))
        return None

    candidate = rebuilt(result, opened)
    # taken only when the form collapses, to half its operations or fewer: a form
    # merely rearranged (2·cos 2x·sin x + sin 2x·cos x as 2·sin x·(2·cos²x − sin²x))
    # keeps its double angles, which read as the function was written
    simplest = s.trial(candidate)
    if 2 * s.op_count(simplest) > s.op_count(result) or any(map(opened, walk(simplest))):
        return None
    return candidate


def _mixes_sines_and_tangents(expr: Expr) -> bool:
    """True when `expr` has both sines or cosines and tangents, secants …: a form
    such as sec³t·(sin²t + 1) reads worse than the table's sec³t + sec t·tan²t,
    though it is shorter.  (Asked of the form the simplifier makes of the
    product's, which takes −sinh u·sech²u to −sech u·tanh u.)"""
    names = {node.fn for node in walk(expr) if type(node) is Call}
    return not names.isdisjoint(_SINES) and not names.isdisjoint(_SINES_AND_COSINES)


# The function a reciprocal is named for: 1/cos u is sec u (`_RECIPROCALS` turned round).
_NAMED_RECIPROCALS = {value: key for key, value in _RECIPROCALS.items()}


def _reciprocal_named(node: Expr) -> Expr | None:
    """1/cosⁿu as secⁿu (and kin) for a whole n: the function a table of
    derivatives uses, as the derivative of sec u/csc u is sec²u; None for any
    other node."""
    return _reciprocal_as(node, _NAMED_RECIPROCALS)


def _has_tangent_kin(node: Mul, s: _Simplifier) -> bool:
    """True when a tangent, secant … (or a power of one) is a factor of `node`, or
    a term of a sum that is (the sines-and-cosines rewrites look no deeper)."""
    if not _SINES_AND_COSINES.keys().isdisjoint(_calls_among(node, s)):
        return True
    for factor in node.factors:
        base = factor.base if type(factor) is Pow else factor
        if type(base) is Add and not _SINES_AND_COSINES.keys().isdisjoint(_calls_among(base, s)):
            return True
    return False


def _open_negated_sums(node: Add, s: _Simplifier) -> Expr | None:
    """n + 2 − (a + b) = n + 2 − a − b: in a polynomial, a term that is the
    negative of a polynomial is written without its bracket, its terms' signs
    turned, as a textbook removes the bracket after a minus sign.  Among
    fractions and functions the bracket is left for the reshaping rewrites to
    weigh: opened first, it changed which of them applied, and some answers grew
    (the fourth derivative of ln(x)·atan(x)/√(1 + x) from 652 to 4,448 characters).
    It comes before the terms are ordered: (x − 1) − (x + 1) is x − 1 − x − 1,
    not first reordered to x − (x + 1) − 1 and then multiplied out."""
    terms: list[Expr] = []
    for term in node.terms:
        if type(term) is Mul and len(term.factors) == 2 and is_plain_minus_one(term.factors[0]) \
                and type(term.factors[1]) is Add:
            terms.extend(map(neg, term.factors[1].terms))
        else:
            terms.append(term)
    if len(terms) == len(node.terms) or not all(_is_monomial(s.split(term)[1]) for term in terms):
        return None
    return add(*terms)


def _negate_difference(node: Mul, s: _Simplifier) -> Expr | None:
    """-(a - b) = b - a: a minus sign taken into a sum whose terms are at least half
    negative, so that fewer minus signs are left."""
    coefficient = node.factors[0]
    if type(coefficient) is not Num or coefficient.value >= 0:
        return None
    sums = [f for f in node.factors[1:] if type(f) is Add]
    if len(sums) != 1:
        return None
    total = sums[0]
    negative = sum(1 for t in total.terms if _is_negative_term(t))
    if negative * 2 < len(total.terms):
        return None
    flipped = add(*(neg(t) for t in total.terms))
    # in textbook order at once: −2(1 − 3x²) is 2(3x² − 1), not 2(−1 + 3x²) and a
    # step more to order it
    if type(flipped) is Add:
        flipped = _order_terms(flipped, s) or flipped
    rest = [flipped if f is total else f for f in node.factors[1:]]
    if is_plain_minus_one(coefficient):
        return mul(*rest)  # −(1 − x) is x − 1, not 1·(x − 1)
    return mul(_num(-coefficient.value, coefficient.decimal), *rest)


def _number_out_of_sum(node: Mul, s: _Simplifier) -> Expr | None:
    """A whole number dividing every coefficient of a sum in a product joins the
    product's own number: 12·(2x − 2x³) → 24(x − x³), and (1/2)·(2x + 4)·u^(−1/2)
    → (x + 2)·u^(−1/2), the chain rule's (2x + 4)/(2√u) as a textbook writes it.
    A product with no number of its own keeps its sum as it is (eˣ·(2x + 2))."""
    coefficient = node.factors[0]
    if type(coefficient) is not Num or coefficient.decimal:
        return None
    for index, factor in enumerate(node.factors[1:], 1):
        if type(factor) is not Add or _decimal(*(t for t in factor.terms if type(t) is Num)):
            continue
        split = [s.split(term) for term in factor.terms]
        content = _content([c for c, _ in split])
        if content > 1:
            scaled = add(*(_scaled(c // content, body) for c, body in split))
            rest = _with_factor(node, index, scaled)[1:]
            return mul(_num(coefficient.value * content), *rest)
    return None


def _multiply_out_polynomial(node: Mul, s: _Simplifier) -> Expr | None:
    """A polynomial in one variable is written expanded, and a product of powers of
    the variable with a sum whose every term holds it is such a polynomial half
    factored: o·(6o² − 116292o) → 6o³ − 116292o² (the constant multiple rule
    leaves these).  A sum with a constant term stays a factor: the chain rule's
    4x·(x² + 1) and 2(x + 1) are the textbook answers."""
    if len(node.free_vars) != 1:
        return None
    sums = [factor for factor in node.factors if type(factor) is Add]
    if len(sums) != 1:
        return None
    bodies = [s.split(term)[1] for term in sums[0].terms]
    if not all(_is_monomial(body) and body.free_vars for body in bodies):
        return None
    others = [factor for factor in node.factors if factor is not sums[0]]
    # numbers and powers of the variable above the bar: (x² + 2x)/x⁴ is a quotient,
    # for the divisor to cancel from, not a polynomial to open
    if not all(type(factor) is Num or (_is_monomial(factor) and not is_divisor(factor)) for factor in others):
        return None
    return add(*(mul(term, *others) for term in sums[0].terms))


def _fraction_out_of_sum(node: Mul, s: _Simplifier) -> Expr | None:
    """A sum in a product whose coefficients are fractions gives their common
    fraction to the product, as a textbook writes it, with whole numbers in the
    bracket: (x/2 − 1/2)/x^(3/2) → (x − 1)/(2x^(3/2)); so does a power of one
    when the fraction's power is rational: 1/(2(x²/4 + 1)) → 2/(x² + 4),
    arctan's rate at x/2, and 1/(2√(1 − x²/4)) → 1/√(4 − x²)."""
    for index, factor in enumerate(node.factors):
        total, times = _sum_and_power(factor)
        # a sum, a root of it or a divisor (1/(x²/4 + 1), √(1 − x²/4), 1/(x/2 + 1)²);
        # a higher power keeps its fractions, (4/3)·(x/3 + 2/5)³ not 4(5x + 6)³/10125
        if total is None or not -3 <= times <= 1:
            continue
        split = [s.split(term) for term in total.terms]
        if all(type(c) is int for c, _ in split) or _decimal(*(leading_number(t)[0] for t in total.terms)):
            continue  # whole coefficients, as in most sums, or decimals, which stay as typed
        if any(other is not factor and _contains(other, total) for other in node.factors):
            continue  # (x − 1/2)·|x − 1/2|: rescaled, the two would no longer meet
        coefficients = [Fraction(c) for c, _ in split]
        below = math.lcm(*(c.denominator for c in coefficients))
        common = Fraction(math.gcd(*(int(c * below) for c in coefficients)), below)
        taken = _rational_power(common, times)
        if taken is None:
            continue
        whole = add(*(_scaled(int(c / common), body) for c, (_, body) in zip(coefficients, split, strict=True)))
        rest = _with_factor(node, index, _raised(whole, times))
        decimal = False
        if type(rest[0]) is Num:  # the product's own number takes the fraction in (a decimal stays one)
            taken, decimal, rest = taken * rest[0].value, rest[0].decimal, rest[1:]
        candidate = mul(_num(taken, decimal), *rest)
        # kept when no larger where the fraction meets a number or a divisor of the
        # product (sin(x)/2 + x over √x is (2x + sin x)/(2√x)), else when smaller:
        # (17x − 3/8)·sec x is no better as (136x − 3)·sec(x)/8.  Counted as it
        # stands, its parts being in normal form and the sum's terms only rescaled,
        # unless a term's body is a sum that the whole numbers open into (x − (x + 1)/2
        # is 2x − (x + 1), that is x − 1, over 2): a bracket within a bracket gone
        # is worth a number outside it
        opens = any(type(body) is Add for _, body in split)
        divides = any(map(is_divisor, node.factors))
        meets = type(node.factors[0]) is Num or divides
        # where the fraction meets a divisor, the answer shown (not a trial's) may
        # take one operation more to clear a fraction within a fraction, in a sum
        # the size of a learner's (a large one's form steers the next order's):
        # (x + sin(x)/2)/√x is (2x + sin x)/(2√x), though 2x costs a product
        clears = divides and s.reshape == _TOP_LEVEL and total._size <= _CLEARED_UP_TO
        allowed = 1 if clears else 0 if meets or opens else -1
        if s.op_count(s.trial(candidate) if opens else candidate) <= s.op_count(node) + allowed:
            return candidate
    return None


def _contains(expr: Expr, part: Expr) -> bool:
    """True when `part` occurs in `expr` (the size test skips most subtrees)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if node._size < part._size:
            continue
        if node == part:
            return True
        stack.extend(node.children())
    return False


def _sum_and_power(factor: Expr) -> tuple[Add | None, Rational]:
    """(S, k) for a factor that is a sum S (k = 1) or a sum to a number power k;
    (None, 0) for any other factor."""
    if type(factor) is Add:
        return factor, 1
    if type(factor) is Pow and type(factor.base) is Add and type(factor.exp) is Num and not factor.exp.decimal:
        return factor.base, factor.exp.value
    return None, 0


def _rational_power(value: Fraction, exponent: Rational) -> Fraction | None:
    """value^exponent for value > 0 when it is rational (1/4 to the 1/2 is 1/2)."""
    exponent = Fraction(exponent)
    root = _exact_root(value, exponent.denominator)
    return None if root is None else root**exponent.numerator


def _factor_polynomial_in_product(node: Mul, s: _Simplifier) -> Expr | None:
    """A polynomial in a product with other functions of the variable gives out the
    power of the variable and the whole number all its terms share, as a product
    is written fully factored: (x + 1)²·(5x² + 2x) → x·(x + 1)²·(5x + 2), and
    (2x + 1)²·(6 − 4x − 2x²) → 2(2x + 1)²·(3 − 2x − x²); with several variables,
    the power of each that all terms share: (3ax² + 2x³)/(a + x)² → x²·(3a + 2x)/(a + x)².
    (Standing alone, or beside numbers and powers of the variables only, a
    polynomial stays expanded.)"""
    others = [f for f in node.factors if type(f) is not Add]
    varying = [f for f in others if f.free_vars and not _is_monomial(f)]
    # beside powers of sums only, a factored polynomial or rational function: eˣ·(x² + 2x)
    # is a product rule's term, which a sum around it may still collect
    if not varying or not all(_sum_and_power(f)[0] is not None for f in varying):
        return None
    for index, factor in enumerate(node.factors):
        if type(factor) is not Add:
            continue
        split = [s.split(term) for term in factor.terms]
        if not all(_is_monomial(body) and type(c) is int for c, body in split):
            continue  # whole coefficients only: x²/2 + x keeps its form
        powers = [_powers(body) for _, body in split]
        shared = {name: min(power.get(Sym(name), 0) for power in powers) for name in sorted(factor.free_vars, key=name_key)}
        taken = [_raised(Sym(name), k) for name, k in shared.items() if k > 0]
        content = _content([c for c, _ in split])
        if not taken and content == 1:
            continue
        rest = add(*(_scaled(c // content, _divide_out(body, taken) if taken else body) for c, body in split))
        return _scaled_product(content, (*taken, *_with_factor(node, index, rest)), s)
    return None


def _factor_repeated(node: Mul, s: _Simplifier) -> Expr | None:
    """A polynomial above a divisor written with its repeated factors as powers, as
    a textbook answer is: eˣ·(x² − 2x + 1)/(x² + 1)² → eˣ·(x − 1)²/(x² + 1)², the
    derivative of eˣ/(1 + x²).  Only a polynomial in one variable with whole
    coefficients, only in a quotient (a product rule's term stands in a sum that
    may still collect it), and only when the factored form is smaller.  Not in a
    trial: a sum tried over one divisor, 2x/(x² + 1) + 1, would otherwise be
    judged by its factored form, (x + 1)²/(x² + 1), and kept for it."""
    if s.reshape < _TOP_LEVEL:
        return None
    if not any(is_divisor(f) and type(f.base) is Add for f in node.factors):
        return None
    for index, factor in enumerate(node.factors):
        # a polynomial above the line, or one below it: 2/((x − 1)·(x² − 2x + 1))
        # is 2/(x − 1)³ once its divisor's square is seen
        total, power = (factor.base, factor.exp.value) if is_divisor(factor) else (factor, 1)
        if type(total) is not Add or len(total.free_vars) != 1 or type(power) is not int:
            continue
        repeated = s.repeated(total)
        if repeated is None:
            continue
        scale, pieces = repeated
        powers = [_raised(piece, times * power) for piece, times in pieces]
        candidate = _scaled_product(scale**power, (*powers, *_with_factor(node, index, ONE)), s)
        if s.op_count(candidate) < s.op_count(node):
            return candidate
    return None


T = TypeVar("T")


def _cached(table: dict[int, tuple[Expr, T]], expr: Expr, compute: Callable[[Expr], T]) -> T:
    """compute(expr), kept in `table` by the node's stored hash beside the node (a
    different node with the same hash is a miss, written over)."""
    cached = table.get(expr._hash)
    if cached is not None and (cached[0] is expr or cached[0] == expr):
        return cached[1]
    value = compute(expr)
    table[expr._hash] = (expr, value)
    return value


def _repeated_factors(total: Add) -> tuple[Rational, tuple[tuple[Expr, int], ...]] | None:
    """A polynomial in one variable with whole coefficients as c·a₁·a₂²·…, each aᵢ
    with whole coefficients and no common divisor: (c, ((a₁, 1), (a₂, 2), …));
    None when it is no such polynomial or no factor repeats."""
    (var,) = total.free_vars
    poly = polynomial.from_expr(total, var)
    if poly is None or not all(type(c) is int for c in poly):
        return None
    repeated = polynomial.repeated_factors(poly)
    if repeated is None:
        return None
    scale = Fraction(poly[-1])
    pieces = []
    for monic, times in repeated:
        whole = _primitive(monic)
        scale /= Fraction(whole[-1]) ** times
        pieces.append((polynomial.to_expr(whole, var), times))
    return scale, tuple(pieces)


def _primitive(p: polynomial.Poly) -> polynomial.Poly:
    """p scaled to whole coefficients with no common divisor and a positive leading
    one: x + 1/2 → 2x + 1."""
    denominators = math.lcm(*(Fraction(c).denominator for c in p))
    whole = [int(Fraction(c) * denominators) for c in p]
    divisor = math.gcd(*whole) * (1 if whole[-1] > 0 else -1)
    return tuple(c // divisor for c in whole)


def _minus_out_of_sum(node: Mul, s: _Simplifier) -> Expr | None:
    """A sum in a product whose every term is negative gives its minus sign to the
    product: (−x² − 4)/(x² − 4)² → −(x² + 4)/(x² − 4)², e^(−x)·(−cos x − sin x)
    → −e^(−x)·(cos x + sin x)."""
    for index, factor in enumerate(node.factors):
        if type(factor) is Add and all(s.split(term)[0] < 0 for term in factor.terms):
            flipped = add(*(neg(term) for term in factor.terms))
            rest = _with_factor(node, index, flipped)
            lead = rest[0]
            if type(lead) is Num:  # the product's own number takes the sign: −3·(…), not −1·3·(…)
                turned = _num(-lead.value, lead.decimal)
                return mul(*rest[1:]) if is_plain_one(turned) else mul(turned, *rest[1:])
            return mul(MINUS_ONE, *rest)
    return None


def _cancel_from_sum(node: Mul, s: _Simplifier) -> Expr | None:
    """A factor that every term of a sum shares, and that the product divides by,
    cancels: (x − 2x·ln x)/x⁴ → (1 − 2ln x)/x³, the quotient rule's leftover
    (at a removable point, as x/x is 1)."""
    divisors = [(factor.base, -factor.exp.value) for factor in node.factors if is_divisor(factor)]
    if not divisors:
        return None
    for factor in node.factors:
        if type(factor) is not Add:
            continue
        split = [s.split(term) for term in factor.terms]
        powers = [_powers(body) for _, body in split]
        for base, times in divisors:
            shared = min(power.get(base, 0) for power in powers)
            if shared <= 0:
                continue
            taken = min(shared, times)
            cancelled = [_raised(base, taken)]
            rest = add(*(_scaled(coefficient, _divide_out(body, cancelled)) for coefficient, body in split))
            below = Pow(base, Num(taken - times))  # the divisor's power that is left: b⁰ drops out
            kept = [rest if f is factor else below if is_divisor(f) and f.base == base else f for f in node.factors]
            return mul(*kept)
    return None


def _with_factor(node: Mul, index: int, factor: Expr) -> tuple[Expr, ...]:
    """The product's factors with the one at `index` replaced by `factor`."""
    return (*node.factors[:index], factor, *node.factors[index + 1 :])


def _order_factors(node: Mul, s: _Simplifier) -> Expr | None:
    """Numbers first, then letters, exponentials, functions, sums; divisors last;
    and a power rule's coefficient before its power (see `_textbook_order`)."""
    factors = node.factors
    if len(factors) == 2:  # most products: one comparison, and no sort
        first, second = factors
        # (`_is_raised_to_names`, inlined for the common case of no power at all)
        if not ((type(first) is Pow and first.exp._free and first.base._free)
                or (type(second) is Pow and second.exp._free and second.base._free)):
            return Mul((second, first)) if s.factor_key(second) < s.factor_key(first) else None
    ordered = _textbook_order(factors, s)
    return None if ordered == list(factors) else Mul(tuple(ordered))


def _is_raised_to_names(factor: Expr) -> bool:
    """A variable raised to a power with names in it: xⁿ, x^(y − 1), (x + 1)^a."""
    return type(factor) is Pow and bool(factor.exp._free) and bool(factor.base._free)


def _textbook_order(factors: tuple[Expr, ...] | list[Expr], s: _Simplifier) -> list[Expr]:
    """The factors in textbook order (`_factor_key`), except that a power rule's
    coefficient comes right after the numbers: a polynomial in the names of the
    exponents of powers such as xⁿ, sharing no name with their bases, as in
    y·x^(y − 1), (n + 1)·xⁿ and n(n − 1)·x^(n − 2) (but eˣ·(x + 3), a base with
    no names, and tˣ·ln(t), a function, keep their order)."""
    powers = [factor for factor in factors if _is_raised_to_names(factor)]
    if not powers:
        return sorted(factors, key=s.factor_key)
    keys = [s.factor_key(factor) for factor in factors]
    exponents = frozenset().union(*(power.exp._free for power in powers))
    bases = frozenset().union(*(power.base._free for power in powers))
    for index, factor in enumerate(factors):
        names = factor._free
        # (a power raised to names is never one: its base's names are among the bases)
        if (names and names <= exponents and names.isdisjoint(bases) and keys[index][0] == 0
                and _is_polynomial(factor, s)):
            # between the numbers, (0, 0, ()), and the letters, (0, 2, …); not a
            # divisor; by size, then by how far the constant is from 0, so that the
            # repeated power rule writes n(n − 1)(n − 2)
            keys[index] = (0, 0.5, factor._size, _constant_distance(factor), keys[index])
    order = sorted(range(len(factors)), key=keys.__getitem__)
    return [factors[i] for i in order]


def _constant_distance(expr: Expr) -> Rational:
    """|c| for a sum with the number c among its terms (n − 2: 2), else 0."""
    if type(expr) is Add:
        for term in expr.terms:
            if type(term) is Num:
                return abs(term.value)
    return 0


def _is_polynomial(expr: Expr, s: _Simplifier) -> bool:
    """A sum of monomials, or one: n, n − 1, a + b, n²."""
    return all(_is_monomial(s.split(term)[1]) for term in (expr.terms if type(expr) is Add else (expr,)))


_BASE_RANK = {Num: 0, Const: 1, Sym: 2, Call: 4, Apply: 5, Log: 6, Add: 7}


# Trigonometric and hyperbolic functions of one argument in a product are written
# as textbooks write them: the higher power first, as the chain rule leaves it
# (3·sin²x·cos x, −3·cos²x·sin x: the outer rate, then the inner), and at equal
# powers in this order: 2·sin x·cos x, sec x·tan x, −csc x·cot x (as the rules
# list gives their derivatives; the key was alphabetical, which wrote
# 2·cos x·sin x and −cot x·csc x).  Other functions follow them, by name.
_FUNCTION_ORDER = {name: rank for rank, name in enumerate(
    ("sin", "cos", "sec", "csc", "tan", "cot", "sinh", "cosh", "sech", "csch", "tanh", "coth"))}


def _factor_key(factor: Expr, s: _Simplifier) -> tuple:
    base, exponent = _power_parts(factor)
    divisor = type(exponent) is Num and exponent.value < 0
    if type(factor) is Num:
        return (0, 0, ())
    rank = _BASE_RANK.get(type(base), 8)
    if rank < 2 and factor._free:
        rank = 3  # an exponential (eˣ, 10^(x²)) after the letters; e and e² stay constants: eπx^(e − 1)
    if isinstance(base, (Call, Apply)):
        # trigonometric and hyperbolic functions first: the larger argument first,
        # so a chain's rates stay outermost first, as the chain rule writes them
        # (−cos(cos x)·sin x), then the higher power, then textbook order (see
        # `_FUNCTION_ORDER`); any other function by name, then the larger argument
        place = _FUNCTION_ORDER.get(base.fn)
        if place is None:
            detail: tuple = (1, base.fn, -base.size, 0, s.key(base))
        else:
            power = exponent.value if type(exponent) is Num else 1
            detail = (0, -base.size, -power, place, s.key(base))
    else:
        detail = (s.key(base),)
    return (1 if divisor else 0, rank, detail, s.key(exponent))


# ---------------------------------------------------------------------------
# Powers
# ---------------------------------------------------------------------------


def _factor_raised(factor: Expr, exponent: Expr, s: _Simplifier) -> Expr:
    """A product's factor raised to the product's power, a number's power worked out
    at once where it is exact: (2x)² is 4x² in one step, not 2²·x² and then 2² → 4."""
    raised = Pow(factor, exponent)
    if type(factor) is Num and type(exponent) is Num:
        return _evaluate_power(raised, s) or raised
    return raised


def _evaluate_power(node: Pow, s: _Simplifier) -> Expr | None:
    base, exponent = node.base, node.exp
    if not (type(base) is Num and type(exponent) is Num):
        return None
    b, e = Fraction(base.value), Fraction(exponent.value)
    decimal = _decimal(base, exponent)
    if b == 0:
        if e < 0:
            raise DomainError("division by zero")
        return None  # 0^0 and 0^positive are handled by the identities
    if e.denominator == 1:
        magnitude = abs(e.numerator) * max(
            len(str(b.numerator)), len(str(b.denominator))
        )
        if magnitude > s.limits.max_digits:
            return None  # keep a power tower symbolic
        return _num(b ** e.numerator, decimal)
    # a root of index past _RADICAL_UP_TO is rational only of ±1 (a number that is
    # a 10¹⁶-th power has more digits than any written): not looked for
    root = _exact_root(b, e.denominator) if e.denominator <= _RADICAL_UP_TO or abs(b) == 1 else None
    if root is None:
        if b < 0 and e.denominator % 2 == 0:
            raise DomainError(f"({base.value})^({exponent.value}) is not a real number")
        if b < 0:
            # an odd root of a negative number is real: (−2)^(1/3) = −∛2; raised to
            # p it keeps the sign of (−1)^p: (−3)^(2/3) = (∛(−3))² = ∛9, not −∛9
            positive = Pow(_num(-b, base.decimal), exponent)
            return neg(positive) if e.numerator % 2 else positive
        return None
    magnitude = abs(e.numerator) * max(len(str(root.numerator)), len(str(root.denominator)))
    if magnitude > s.limits.max_digits:
        return None
    return _num(root ** e.numerator, decimal)


# Radicands larger than this are not factored (trial division would take too long).
_FACTOR_UP_TO = 10**9
# Nor are roots with an exponent's numerator or denominator past this (its radicand
# raised to the numerator would run to that many digits and more).
_RADICAL_UP_TO = 1000


def _simplest_radical(node: Pow, s: _Simplifier) -> Expr | None:
    """A root of a whole number or a fraction in simplest form: √8 = 2√2,
    2^(3/2) = 2√2, 2^(−1/2) = √2/2, √(3/4) = √3/2 (a denominator made whole, as
    textbooks write it)."""
    return _in_simplest_radicals(ONE, [node], []) if _is_radical(node) else None


def _simplest_radicals(node: Mul, s: _Simplifier) -> Expr | None:
    """The number and the roots of whole numbers in a product, in simplest form:
    each prime's exponents added up (2·2^(−2/3) = 2^(1/3)), whole powers taken
    out into the number (√12 = 2√3) and the rest written as one root per index
    (√2·√3 = √6, 2^(2/3) = ∛4)."""
    first = node.factors[0]
    if type(first) is Num and not first.decimal:
        number, rest = first, node.factors[1:]
    else:
        number, rest = ONE, node.factors
    radicals = [f for f in rest if _is_radical(f)]
    if not radicals:
        return None
    return _in_simplest_radicals(number, radicals, [f for f in rest if not _is_radical(f)])


def _is_radical(factor: Expr) -> bool:
    """A positive whole number or fraction other than 1 to a fraction that is not
    whole, both exact: √2, 2^(−2/3), (3/4)^(−1/2)."""
    if type(factor) is not Pow:
        return False
    base, exponent = factor.base, factor.exp
    if (type(base) is not Num or base.decimal or type(exponent) is not Num or exponent.decimal
            or type(exponent.value) is not Fraction):
        return False
    if max(abs(exponent.value.numerator), exponent.value.denominator) > _RADICAL_UP_TO:
        # x^(1/x²) beside x = −1 + 10⁻⁸: a root of index 10¹⁶ written out would be
        # a number of 10¹⁶ digits
        return False
    value = base.value
    if type(value) is int:
        return 2 <= value <= _FACTOR_UP_TO
    return value > 0 and value.numerator <= _FACTOR_UP_TO and value.denominator <= _FACTOR_UP_TO


def _in_simplest_radicals(number: Num, radicals: list[Expr], others: Sequence[Expr]) -> Expr | None:
    """number·radicals·others with the number and the radicals (each `_is_radical`)
    in simplest form; None when they are in it already."""
    exponents: dict[int, Fraction] = {}  # each prime's exponent, over all the roots
    for radical in radicals:
        # a fraction's denominator gives its primes with the opposite sign:
        # (3/4)^(−1/2) is 3^(−1/2)·2^1, that is 2√3/3
        base = Fraction(radical.base.value)
        for whole, sign in ((base.numerator, 1), (base.denominator, -1)):
            for prime, count in (_prime_factors(whole) if whole > 1 else {}).items():
                exponents[prime] = exponents.get(prime, Fraction(0)) + sign * count * radical.exp.value
    coefficient = Fraction(number.value)
    groups: dict[int, int] = {}  # index q → the radicand of its root
    for prime, exponent in exponents.items():
        whole = exponent.numerator // exponent.denominator  # the floor: the rest is in [0, 1)
        part = exponent - whole
        coefficient *= Fraction(prime) ** whole
        if part:
            groups[part.denominator] = groups.get(part.denominator, 1) * prime**part.numerator
    if any(radicand > _FACTOR_UP_TO for radicand in groups.values()):
        # (7/5)^(−100/101) is 101st root of a 70-digit number in simplest radicals:
        # the power as written reads better
        return None
    roots = [Pow(Num(radicand), Num(Fraction(1, index))) for index, radicand in sorted(groups.items())]
    if coefficient == number.value and Counter(roots) == Counter(radicals):
        return None  # already in simplest form
    return mul(_num(coefficient), *roots, *others)


def _prime_factors(n: int) -> dict[int, int]:
    """The prime factors of n ≥ 2 with their multiplicities (trial division; n is at
    most _FACTOR_UP_TO, so at most 16,000 divisions)."""
    factors: dict[int, int] = {}
    divisor = 2
    while divisor * divisor <= n:
        while n % divisor == 0:
            factors[divisor] = factors.get(divisor, 0) + 1
            n //= divisor
        divisor += 1 if divisor == 2 else 2
    if n > 1:
        factors[n] = factors.get(n, 0) + 1
    return factors


def _exact_root(value: Fraction, index: int) -> Fraction | None:
    """The real `index`-th root of `value` when it is rational, else None."""
    if value < 0:
        if index % 2 == 0:
            return None
        root = _exact_root(-value, index)
        return -root if root is not None else None
    top = _integer_root(value.numerator, index)
    bottom = _integer_root(value.denominator, index)
    if top is None or bottom is None:
        return None
    return Fraction(top, bottom)


def _integer_root(n: int, index: int) -> int | None:
    if n < 2:
        return n
    if n.bit_length() > 20000:
        return None
    guess = round(n ** (1.0 / index)) if n.bit_length() < 1000 else _newton_root(n, index)
    for candidate in (guess - 1, guess, guess + 1):
        if candidate >= 0 and candidate**index == n:
            return candidate
    return None


def _newton_root(n: int, index: int) -> int:
    x = 1 << ((n.bit_length() + index - 1) // index)
    while True:
        y = ((index - 1) * x + n // x ** (index - 1)) // index
        if y >= x:
            return x
        x = y


def _power_identities(node: Pow, s: _Simplifier) -> Expr | None:
    base, exponent = node.base, node.exp
    if type(exponent) is Num and exponent.value == 1:
        return base
    if type(exponent) is Num and exponent.value == 0:
        return _num(1)  # x^0 = 1, and 0^0 = 1 by convention
    if type(base) is Num and base.value == 1:
        return ONE
    if type(base) is Num and base.value == 0 and type(exponent) is Num and exponent.value > 0:
        return ZERO
    if type(base) is Num and base.value == 0 and not exponent.free_vars:
        # 0 to a constant power known to be positive (0^π) is 0; to a negative one, 1/0
        sign = known_sign(exponent)
        if sign > 0:
            return ZERO
        if sign < 0:
            raise DomainError("division by zero")
    return None


def _power_of_power(node: Pow, s: _Simplifier) -> Expr | None:
    """(bᵐ)ⁿ = bᵐⁿ where that is sound: n whole, or b > 0, or m = p/q with p odd, or
    with q even (bᵐ is then real only for b ≥ 0); otherwise (p even, q odd: bᵐ ≥ 0
    whatever b's sign) (bᵐ)ⁿ = |b|ᵐⁿ, so √(x²) = |x| and √(x^(2/3)) = |x|^(1/3).

    For an odd m the two sides have one domain: under an odd root both are real
    everywhere; under an even root uᵐ ≥ 0 exactly when u ≥ 0, which is where
    u^(m·p/q) is real (m·p is odd, so the new exponent keeps an even denominator).
    So √(x³) = x^(3/2), and the derivative 3x²/(2√(x³)) becomes 3√x/2."""
    inner = node.base
    if type(inner) is not Pow:
        return None
    b, m, n = inner.base, inner.exp, node.exp
    numbers = type(m) is Num and type(n) is Num
    if _is_integer(n) or is_positive(b):
        # two numbers multiply at once: (√u)⁻² is u⁻¹, not u^(−2·(1/2)) for another step
        candidate = Pow(b, _num(m.value * n.value, _decimal(m, n)) if numbers else mul(m, n))
        # 1/e^π is not written better as e^(−π) (in a product it is the smaller
        # x/e^π): a negative power is only rewritten when that is strictly smaller
        before, after = s.op_count(node), s.op_count(s.trial(candidate))
        negative = type(n) is Num and n.value < 0
        # (√u)⁻¹ is u^(−1/2), written 1/√u; (2ˣ)⁻⁶ is 2^(−6x), as a product's powers of 2ˣ
        # combine to (only a constant power, 1/e^π, keeps its form: x/e^π is the smaller)
        flattens = numbers or bool(m.free_vars)
        return candidate if after < before or (after == before and (flattens or not negative)) else None
    if numbers:
        mv, nv = Fraction(m.value), Fraction(n.value)
        product = _num(mv * nv, _decimal(m, n))
        if mv.denominator % 2 == 0 or mv.numerator % 2 == 1:
            # under an even root bᵐ is real only for b ≥ 0, where powers multiply
            # (∛(x^(3/2)) = √x); an odd m over an odd root keeps b's sign, as b does
            # (∛(∛x)² = x^(2/9), (x³)^(1/2) = x^(3/2) where both are real)
            return Pow(b, product)
        # an even m over an odd root (x², x^(2/3)) loses b's sign: |b| keeps it lost
        return Pow(Call("abs", b), product)
    return None


def _power_of_product(node: Pow, s: _Simplifier) -> Expr | None:
    """(ab)ⁿ = aⁿbⁿ for whole n and for n = p/q with q odd (an odd root of a real
    number is real, and odd roots multiply: ∛(−x³) = ∛(−1)·∛(x³) = −x), and
    (4x)^(1/2) = 2√x for a positive factor.  A whole power of a product of
    variables is always written out, as every answer key writes it: (ax)² is
    a²x², so arctan's rate at ax is a/(a²x² + 1), and 1/(xy)² is 1/(x²y²)
    (divisors alike, or x²y²/(xy)² would never cancel).  Any other is kept only when it
    does not make the expression bigger: (2x)³ → 8x³, but (x·sin x)² stays."""
    product, n = node.base, node.exp
    if type(product) is not Mul:
        return None
    if _is_integer(n) or (type(n) is Num and n.value.denominator % 2 == 1):
        raised = [_factor_raised(f, n, s) for f in product.factors]
        # (−cos x)² is cos²x: a number raised to 1 leaves no factor 1
        candidate = mul(*(factor for factor in raised if not is_plain_one(factor)))
        if _is_integer(n) and n.value not in (0, 1) and all(
            type(base) is Sym and type(k) is int and k > 0
            for base, k in map(_numeric_power, _factors(s.split(product)[1]))
        ):
            return candidate
    else:
        positive = [f for f in product.factors if is_positive(f)]
        if not positive:
            return None
        rest = [f for f in product.factors if not is_positive(f)]
        candidate = mul(*(_factor_raised(f, n, s) for f in positive), *([Pow(mul(*rest), n)] if rest else []))
    if s.op_count(s.trial(candidate)) <= s.op_count(node):
        return candidate
    return None


def _abs_even_power(node: Pow, s: _Simplifier) -> Expr | None:
    """|u|²ᵏ = u²ᵏ."""
    base, exponent = node.base, node.exp
    if type(base) is Call and base.fn == "abs" and type(exponent) is Num:
        value = exponent.value
        if isinstance(value, int) and value % 2 == 0:
            return Pow(base.arg, exponent)
    return None


def _exp_of_log(node: Pow, s: _Simplifier) -> Expr | None:
    """e^(ln u) = u and e^(c·ln u) = u^c."""
    if node.base != E:
        return None
    exponent = node.exp
    if type(exponent) is Call and exponent.fn == "ln":
        return exponent.arg
    if type(exponent) is Mul and len(exponent.factors) == 2:
        c, log = exponent.factors
        if type(c) is Num and type(log) is Call and log.fn == "ln":
            return Pow(log.arg, c)
    return None


def _power_of_logarithm(node: Pow, s: _Simplifier) -> Expr | None:
    """b^(log_b u) = u: 2^(log₂ x) is x, so its derivative is 1."""
    exponent = node.exp
    return exponent.arg if type(exponent) is Log and exponent.base == node.base else None


# ---------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------


def _evaluate_function(node: Call, s: _Simplifier) -> Expr | None:
    function = BY_NAME[node.fn]
    arg = node.arg
    if type(arg) is Num and _faithful_float(arg.value):
        try:
            function.evaluate(float(arg.value))
        except (ValueError, ZeroDivisionError):
            needs = DOMAINS.get(node.fn, "an argument inside its domain")
            raise DomainError(
                f"{node.fn}({arg.value}) is undefined: {node.fn} needs {needs}",
                hint=f"{node.fn} is not defined at {arg.value}",
            ) from None
        except OverflowError:
            pass
    if function.sides is not None and type(arg) is not Num and not arg.free_vars:
        # relu(−π/4) is 0, |−π/4| is π/4, sign(e) is 1: a constant whose sign is
        # known without rounding picks its side, when that is no larger (arccot(e)
        # stays arccot(e), not π/2 − arctan(e))
        sign = known_sign(arg)
        side = function.sides(arg, sign) if sign else None
        if side is not None and side.size <= node.size:
            return side
    if function.special is None:
        return None
    return function.special(arg)


def _faithful_float(value: Rational) -> bool:
    """True when float(value) keeps what decides a domain: its sign, and whether it
    is 0 (10^-400 underflows to 0.0, and ln(10^-400) is defined all the same)."""
    try:
        approximation = float(value)
    except OverflowError:
        return False
    return (approximation > 0) == (value > 0) and (approximation < 0) == (value < 0)


def _symmetry(node: Call, s: _Simplifier) -> Expr | None:
    """sin(-u) = -sin(u), cos(-u) = cos(u): odd and even functions."""
    parity = BY_NAME[node.fn].parity
    if parity == 0 or not _is_negative_term(node.arg) or type(node.arg) is Num:
        return None
    flipped = Call(node.fn, neg(node.arg))
    return flipped if parity == EVEN else neg(flipped) if parity == ODD else None


# sin and cos of u + k·π/2, for k = 0, 1, 2, 3: which function of u, and its sign
_QUARTER_TURNS = {
    "sin": (("sin", 1), ("cos", 1), ("sin", -1), ("cos", -1)),
    "cos": (("cos", 1), ("sin", -1), ("cos", -1), ("sin", 1)),
    # their reciprocals turn alike, and tan and cot have period π
    "csc": (("csc", 1), ("sec", 1), ("csc", -1), ("sec", -1)),
    "sec": (("sec", 1), ("csc", -1), ("sec", -1), ("csc", 1)),
    "tan": (("tan", 1), ("cot", -1), ("tan", 1), ("cot", -1)),
    "cot": (("cot", 1), ("tan", -1), ("cot", 1), ("tan", -1)),
}


def _quarter_turns(node: Call, s: _Simplifier) -> Expr | None:
    """A whole number of quarter turns taken out of a trigonometric function's
    argument: sin(π/2 − x) = cos x, cos(x + π) = −cos x, tan(π − x) = −tan x,
    sec(x + π/2) = −csc x.  What is left of the
    argument gives its sign to the function at once (sine is odd, cosine even):
    sin(π − 1) is sin 1, where −sin(−1) would be larger than what it rewrites,
    and a number's sign is not taken out on its own (sin(−1) stays)."""
    turns = _QUARTER_TURNS.get(node.fn)
    if turns is None or type(node.arg) is not Add:
        return None
    terms = node.arg.terms
    for index, term in enumerate(terms):
        quarters = _quarter_turn_count(term)
        if quarters is not None:
            fn, sign = turns[quarters % 4]
            rest = add(*terms[:index], *terms[index + 1 :])
            if _is_negative_term(rest):
                rest = neg(rest)
                sign *= -1 if BY_NAME[fn].parity == ODD else 1
            turned = Call(fn, rest)
            return turned if sign > 0 else neg(turned)
    return None


def _quarter_turn_count(term: Expr) -> int | None:
    """k for a term k·π/2 with k a whole number other than 0 (π is 2, π/2 is 1)."""
    halves = pi_multiple(term)
    if halves is None or halves == 0 or (2 * halves).denominator != 1:
        return None
    return int(2 * halves)


def _inverse_functions(node: Call, s: _Simplifier) -> Expr | None:
    """ln(eᵘ) = u, |u| = u for u ≥ 0 (|x²| = x²), a function of its inverse is the
    argument (sin(arcsin u) = u where it is defined; arsinh(sinh u) = u and
    artanh(tanh u) = u everywhere), and arcosh(cosh u) = |u|."""
    arg = node.arg
    if node.fn == "ln" and type(arg) is Pow and arg.base == E:
        return arg.exp
    if node.fn == "abs" and is_nonnegative(arg):
        return arg
    if type(arg) is Call:
        if _UNDOES.get(node.fn) == arg.fn:
            return arg.arg
        if node.fn == "acosh" and arg.fn == "cosh":
            return Call("abs", arg.arg)
    return None


# f → g where f(g(u)) = u wherever the left side is defined (arcsin(sin u) is not u
# beyond [−π/2, π/2], so inverse trigonometric functions of their functions stay)
_UNDOES = {"sin": "asin", "cos": "acos", "tan": "atan", "cot": "acot", "sec": "asec", "csc": "acsc",
           "sinh": "asinh", "cosh": "acosh", "tanh": "atanh", "asinh": "sinh", "atanh": "tanh"}


def _function_of_inverse(node: Call, s: _Simplifier) -> Expr | None:
    """A trigonometric function of another one's inverse is algebraic: with θ =
    arcsin u, a right triangle with hypotenuse 1 and opposite side u has adjacent
    side √(1 − u²), so cos(arcsin u) = √(1 − u²) and tan(arcsin u) = u/√(1 − u²);
    arccos and arctan alike (adjacent side u; sides u and 1, hypotenuse √(u² + 1)),
    arcsec and arccsc through arccos(1/u) and arcsin(1/u), and the hyperbolic ones
    by cosh² − sinh² = 1.  Each holds wherever its left side is defined: arcsin,
    arccos and arctan take their values where the cosine, the sine and the cosine
    are at least 0, as arsinh and arcosh do for cosh and sinh."""
    arg = node.arg
    if type(arg) is not Call:
        return None
    form = _OF_INVERSE.get((node.fn, arg.fn))
    return form(arg.arg) if form is not None else None


def _over(top: Expr, bottom: Expr) -> Expr:
    """top/bottom, as the reader writes a quotient: top·bottom⁻¹."""
    return mul(top, Pow(bottom, MINUS_ONE))


def _root_1_minus(u: Expr) -> Expr:
    """√(1 − u²)."""
    return Pow(add(ONE, neg(Pow(u, Num(2)))), Num(Fraction(1, 2)))


def _root_plus_1(u: Expr) -> Expr:
    """√(u² + 1)."""
    return Pow(add(Pow(u, Num(2)), ONE), Num(Fraction(1, 2)))


def _root_minus_1(u: Expr) -> Expr:
    """√(u² − 1)."""
    return Pow(add(Pow(u, Num(2)), MINUS_ONE), Num(Fraction(1, 2)))


# (function, inverse function) → f(g(u)) written without either.  arcsec u is
# arccos(1/u) and arccsc u is arcsin(1/u), so their forms take |u| where 1/u's
# square root meets u (√(1 − 1/u²) = √(u² − 1)/|u|).  arccot is left out: its
# forms would need one value at 0 and another elsewhere.
_OF_INVERSE: dict[tuple[str, str], Callable[[Expr], Expr]] = {
    ("cos", "asin"): _root_1_minus,
    ("sec", "asin"): lambda u: Pow(_root_1_minus(u), MINUS_ONE),
    ("tan", "asin"): lambda u: _over(u, _root_1_minus(u)),
    ("cot", "asin"): lambda u: _over(_root_1_minus(u), u),
    ("csc", "asin"): lambda u: Pow(u, MINUS_ONE),
    ("sin", "acos"): _root_1_minus,
    ("csc", "acos"): lambda u: Pow(_root_1_minus(u), MINUS_ONE),
    ("tan", "acos"): lambda u: _over(_root_1_minus(u), u),
    ("cot", "acos"): lambda u: _over(u, _root_1_minus(u)),
    ("sec", "acos"): lambda u: Pow(u, MINUS_ONE),
    ("sec", "atan"): _root_plus_1,
    ("cos", "atan"): lambda u: Pow(_root_plus_1(u), MINUS_ONE),
    ("sin", "atan"): lambda u: _over(u, _root_plus_1(u)),
    ("csc", "atan"): lambda u: _over(_root_plus_1(u), u),
    ("cot", "atan"): lambda u: Pow(u, MINUS_ONE),
    ("cos", "asec"): lambda u: Pow(u, MINUS_ONE),
    ("sin", "asec"): lambda u: _over(_root_minus_1(u), Call("abs", u)),
    ("tan", "asec"): lambda u: _over(mul(u, _root_minus_1(u)), Call("abs", u)),
    ("csc", "asec"): lambda u: _over(Call("abs", u), _root_minus_1(u)),
    ("cot", "asec"): lambda u: _over(Call("abs", u), mul(u, _root_minus_1(u))),
    ("sin", "acsc"): lambda u: Pow(u, MINUS_ONE),
    ("cos", "acsc"): lambda u: _over(_root_minus_1(u), Call("abs", u)),
    ("cot", "acsc"): lambda u: _over(mul(u, _root_minus_1(u)), Call("abs", u)),
    ("sec", "acsc"): lambda u: _over(Call("abs", u), _root_minus_1(u)),
    ("tan", "acsc"): lambda u: _over(Call("abs", u), mul(u, _root_minus_1(u))),
    ("cosh", "asinh"): _root_plus_1,
    ("tanh", "asinh"): lambda u: _over(u, _root_plus_1(u)),
    ("sinh", "acosh"): _root_minus_1,
    ("tanh", "acosh"): lambda u: _over(_root_minus_1(u), u),
    ("cosh", "atanh"): lambda u: Pow(_root_1_minus(u), MINUS_ONE),
    ("sinh", "atanh"): lambda u: _over(u, _root_1_minus(u)),
    # the reciprocal functions alike: sech(artanh u) = √(1 − u²), so the derivative
    # of tanh(artanh x), sech²(artanh x)/(1 − x²), is 1
    ("sech", "asinh"): lambda u: Pow(_root_plus_1(u), MINUS_ONE),
    ("csch", "asinh"): lambda u: Pow(u, MINUS_ONE),
    ("coth", "asinh"): lambda u: _over(_root_plus_1(u), u),
    ("sech", "acosh"): lambda u: Pow(u, MINUS_ONE),
    ("csch", "acosh"): lambda u: Pow(_root_minus_1(u), MINUS_ONE),
    ("coth", "acosh"): lambda u: _over(u, _root_minus_1(u)),
    ("sech", "atanh"): _root_1_minus,
    ("csch", "atanh"): lambda u: _over(_root_1_minus(u), u),
    ("coth", "atanh"): lambda u: Pow(u, MINUS_ONE),
    ("tanh", "acoth"): lambda u: Pow(u, MINUS_ONE),
}


def _abs_of_power(node: Call, s: _Simplifier) -> Expr | None:
    """|uⁿ| = |u|ⁿ for a whole n (an even n has already made |x²| = x²): the
    absolute value then meets the powers of u beside it (x⁵/|x|³ = x·|x|), so the
    derivative of |x³| reads 3x·|x|."""
    arg = node.arg
    if node.fn != "abs" or type(arg) is not Pow or not _is_integer(arg.exp):
        return None
    return Pow(Call("abs", arg.base), arg.exp)


def _abs_of_multiple(node: Call, s: _Simplifier) -> Expr | None:
    """|c·u| = |c|·|u| for a number c, and |k·u| = k·|u| for a constant k > 0: they
    come out (|2x³| = 2|x³|, which is 2|x|³; |πx| = π|x|), so the derivative of
    |2x³| reads 6x·|x|."""
    arg = node.arg
    if node.fn != "abs" or type(arg) is not Mul:
        return None
    factors = arg.factors
    number = factors[0] if type(factors[0]) is Num else None
    rest = factors[1:] if number is not None else factors
    positive, kept = [], []
    for factor in rest:
        (positive if not factor.free_vars and is_positive(factor) else kept).append(factor)
    if number is None and not positive:
        return None
    inside = Call("abs", mul(*kept))
    size = abs(number.value) if number is not None else 1
    lead = [] if size == 1 and not (number is not None and number.decimal) else [Num(size, number.decimal)]
    return mul(*lead, *positive, inside)


def _calls_among(node: Add | Mul, s: _Simplifier) -> dict[str, list[Call]]:
    """The functions among a sum's terms or a product's factors, by name: each
    part, a product's factors, a power's base (ln(x), 2·ln(x), 1/σ²(x)).  Asked
    by the rewrites that look for a function beside another, one after the other
    of the same node: the last node's answer is kept for the next."""
    if s.calls_of is node:
        return s.calls
    found: dict[str, list[Call]] = {}
    for part in node.terms if type(node) is Add else node.factors:
        for factor in part.factors if type(part) is Mul else (part,):
            base = factor.base if type(factor) is Pow else factor
            if type(base) is Call:
                found.setdefault(base.fn, []).append(base)
    s.calls_of, s.calls = node, found
    return found


def _logarithms_of_powers(node: Add | Mul, s: _Simplifier) -> Expr | None:
    """ln(uⁿ) = n·ln(u) and ln(u·v) = ln(u) + ln(v) beside the logarithms of the
    parts: where ln(u) has a value, u > 0, and with every part positive the rules
    hold (for an even n, ln(uⁿ) is 2·ln|u| elsewhere).  The node has a value only
    where each of its parts has one, so ln(u) anywhere among its parts makes the
    rules hold all through it: 2·ln(x) − ln(x²) is 0 (the derivative of log_x(x²),
    which is 2), ln(x²)/ln(x) is 2, ln(2) + ln(x) − ln(2x) is 0, and ln(4) beside
    ln(2) is 2·ln(2)."""
    logarithms = _calls_among(node, s).get("ln", ())
    if len(logarithms) < 2:
        return None
    arguments = {log.arg for log in logarithms}
    opened = {log: form for log in logarithms if (form := _opened(log.arg, arguments)) is not None}
    return substitute(node, opened) if opened else None


def _opened(u: Expr, arguments: set[Expr]) -> Expr | None:
    """ln(u) in terms of the logarithms of `arguments` (each positive where the
    node has a value), or None: uⁿ over its base's, a product over its factors'
    (the constant ones positive), a whole number over another's it is a power of."""
    if type(u) is Pow and type(u.exp) is Num and u.base in arguments:
        return mul(u.exp, Call("ln", u.base))
    if type(u) is Mul and all(factor in arguments if factor.free_vars else is_positive(factor)
                              for factor in u.factors):
        return add(*(Call("ln", factor) for factor in u.factors))
    if type(u) is Num and type(u.value) is int and u.value > 1:
        for other in arguments:
            if type(other) is Num and type(other.value) is int and 1 < other.value < u.value:
                power = _exact_log(u.value, other.value)
                if power is not None:
                    return mul(Num(power), Call("ln", other))
    return None


def _exact_log(value: int, base: int) -> int | None:
    """k with baseᵏ = value, or None."""
    power, k = base, 1
    while power < value:
        power, k = power * base, k + 1
    return k if power == value else None


def _sigmoids_of_opposites(node: Add | Mul, s: _Simplifier) -> Expr | None:
    """σ(−u) = 1 − σ(u) beside σ(u): the logistic function is symmetric about its
    middle, so σ(x) + σ(−x) is 1 and its derivative, σ(x)·(1 − σ(x)) +
    σ(−x)·(σ(−x) − 1), is 0.  The one whose argument is written with the minus
    (−u, −wx − b) is the one rewritten."""
    return _complements_of_opposites("sigmoid", node, s)


def _steps_of_opposites(node: Add, s: _Simplifier) -> Expr | None:
    """H(−u) = 1 − H(u) beside H(u), wherever the step has a value (u ≠ 0): the
    derivative of relu(x) − relu(−x), which is x, reads H(x) + H(−x), and is 1."""
    return _complements_of_opposites("heaviside", node, s)


def _complements_of_opposites(fn: str, node: Add | Mul, s: _Simplifier) -> Expr | None:
    """f(−u) as 1 − f(u), for a function `fn` with f(−u) + f(u) = 1, where f(u)
    is beside it; the call whose argument is written with the minus is the one
    rewritten."""
    found = _calls_among(node, s).get(fn, ())
    if len(found) < 2:
        return None
    arguments = {call.arg for call in found}
    flipped = {
        call: add(ONE, neg(Call(fn, other)))
        for call in found
        if _written_negative(call.arg, s) and (other := opposite(call.arg)) in arguments
    }
    return substitute(node, flipped) if flipped else None


def opposite(u: Expr) -> Expr:
    """−u, a sum negated term by term (−wx − b is the opposite of wx + b), as the
    sign tests read sums."""
    return add(*map(neg, u.terms)) if type(u) is Add else neg(u)


def _written_negative(u: Expr, s: _Simplifier) -> bool:
    """Whether u is written with a minus first: −x, −wx − b."""
    return s.split(u.terms[0] if type(u) is Add else u)[0] < 0


def _sign_and_absolute(node: Mul, s: _Simplifier) -> Expr | None:
    """u·sgn(u) = |u| and |u|·sgn(u) = u, for every u (0 too): the derivative of
    sgn(x)·|x|, which is x, reads sgn(x)·x/|x| from the product rule, and is 1.
    (u/|u| stays: it has no value at 0, as the derivative of |u| has none there,
    where sgn(0) is 0.)"""
    place: dict[Expr, int] = {}  # each factor's first place among the factors
    for index, factor in enumerate(node.factors):
        place.setdefault(factor, index)
    for factor, index in place.items():
        if type(factor) is not Call or factor.fn != "sign":
            continue
        u = factor.arg
        for partner, result in ((u, Call("abs", u)), (Call("abs", u), u)):
            other = place.get(partner)
            if other is not None:
                return mul(*_without(node, index, other), result)
    return None


def _without(node: Mul, *indices: int) -> list[Expr]:
    return [factor for i, factor in enumerate(node.factors) if i not in indices]


def _log_identities(node: Log, s: _Simplifier) -> Expr | None:
    """log_b 1 = 0, log_b b = 1."""
    if type(node.arg) is Num and node.arg.value == 1:
        return ZERO
    if node.arg == node.base:
        return ONE
    if type(node.arg) is Num and node.arg.value <= 0:
        raise DomainError(f"the logarithm of {node.arg.value} is undefined")
    return None


# ---------------------------------------------------------------------------
# Size and order
# ---------------------------------------------------------------------------


def _op_count(expr: Expr, s: _Simplifier) -> int:
    """Operations in the written form, counted as SymPy's count_ops counts them: one
    for each +, −, ·, /, ^, function and unary minus (√ is a power and a division).
    Counted from the parts as they stand: no node is built just to be counted."""
    kind = type(expr)
    if kind is Num:
        value = expr.value
        return (value < 0) + (type(value) is Fraction)
    if kind is Sym:
        return 0
    if kind is Const:
        return 1 if expr == E else 0
    if kind is Add:
        # a term with a negative coefficient costs its own minus as a term, one
        # more than as a difference (x − 2y is one subtraction, not + and −):
        # only an all-negative sum keeps one leading minus
        terms = expr.terms
        negative = sum(1 for term in terms if s.split(term)[0] < 0)
        total = len(terms) - 1 - negative + (negative == len(terms))
        return total + sum(map(s.op_count, terms))
    if kind is Mul:
        return _mul_op_count(expr, s)
    if kind is Pow:
        base, exponent = expr.base, expr.exp
        if type(exponent) is Num and exponent.value < 0:
            return 1 + _power_op_count(base, -exponent.value, s)
        if base == E:
            return 1 + s.op_count(exponent)
        return 1 + s.op_count(base) + s.op_count(exponent)
    return 1 + sum(map(s.op_count, expr.children()))


def _power_op_count(base: Expr, magnitude: Rational, s: _Simplifier) -> int:
    """op_count of base^magnitude (magnitude > 0) without building it: base alone for
    magnitude 1, else one for the power, the base (eˣ-style bases cost nothing
    more) and one for a fractional exponent."""
    if magnitude == 1:
        return s.op_count(base)
    return 1 + (0 if base == E else s.op_count(base)) + (type(magnitude) is Fraction)


def _mul_op_count(expr: Mul, s: _Simplifier) -> int:
    """A product written as numerator/denominator: a leading minus, the
    multiplications on each side, the division, and the factors themselves.  A
    fraction coefficient p/q puts p on top (unless 1) and q below; b^-k puts b^k
    below; whole numbers cost nothing but their place."""
    total = 0
    top = top_ops = 0
    below_numbers = below_others = below_ops = 0
    for index, factor in enumerate(expr.factors):
        kind = type(factor)
        if kind is Num:
            value = factor.value
            if index == 0 and value < 0:
                total += 1
                value = -value
            if type(value) is Fraction:
                top += value.numerator != 1
                top_ops += value.numerator < 0
                below_numbers += 1
            else:
                top += value != 1
                top_ops += value < 0
        elif kind is Pow and type(factor.exp) is Num and factor.exp.value < 0:
            below_others += 1
            below_ops += _power_op_count(factor.base, -factor.exp.value, s)
        else:
            top += 1
            top_ops += s.op_count(factor)
    if below_numbers or below_others:
        total += 1
        if below_others:
            total += below_others - 1 + below_ops + below_numbers
    return total + (top - 1 + top_ops if top else 0)


def op_count(expr: Expr) -> int:
    """Operations in `expr` as written (see _op_count)."""
    return _Simplifier(DEFAULT_LIMITS, record=False).op_count(expr)


_TYPE_RANK = {Num: 0, Const: 1, Sym: 2, Pow: 3, Call: 4, Apply: 5, Log: 6, Mul: 7, Add: 8}


def _structural_key(expr: Expr, s: _Simplifier) -> tuple:
    """A total order on expressions, for canonical ordering (cached per node).  The
    size comes early, so that comparing two large expressions rarely has to look
    inside them."""
    rank = _TYPE_RANK[type(expr)]
    if type(expr) is Num:
        return (rank, expr.value)
    if isinstance(expr, (Sym, Const)):
        return (rank, name_key(expr.name))
    if type(expr) is Call:
        return (rank, expr.fn, expr.size, s.key(expr.arg))
    if type(expr) is Apply:
        return (rank, expr.fn, expr.order, expr.size, s.key(expr.arg))
    kids = expr.children()
    return (rank, expr.size, len(kids), tuple(s.key(kid) for kid in kids))


# ---------------------------------------------------------------------------
# Features: what a node shows at a glance
# ---------------------------------------------------------------------------
#
# Most rewrites find nothing to do on most nodes, and finding that out was most
# of the simplifier's time: a product was scanned by nine rewrites in turn.  One
# look at the node's parts tells which rewrites could apply (a rewrite whose
# `needs` are not all among the node's features would fail its own first test),
# and only those are tried.  Each feature is a necessary condition of the
# rewrites that need it, never a sufficient one.

_ZERO = 1  # a number 0 among the parts
_ONE = 2  # a number 1 among the parts
_NUMBERS = 4  # two numbers or more among the parts (a product's: other than a plain 1)
_SUMS = 8  # two factors or more that are sums or powers of sums
_ABS = 16  # an |u| among the factors, or a power of one
_CALLS = 32  # two factors or more that are functions, or number powers of them
_MINUS_SUM = 64  # a negative number first, and one sum among the other factors
_BASE_NUMBER = 128  # a power of a number
_EXPONENT_NUMBER = 256  # a power to a number
_BASE_POWER = 512  # a power of a power
_BASE_PRODUCT = 1024  # a power of a product (of a product: a power of one among its factors)
_BASE_ABS = 2048  # a power of |u|
_BASE_CONSTANT = 4096  # a power of e or π
_UNIT_PART = 8192  # a power to 0 or 1, or of 0 or 1
_OTHERS = 16384  # two factors or more that are not numbers
_RADICAL = 32768  # a power of a number to a number among the factors (√2, 2^(−2/3))
_SUM = 65536  # a sum, or a power of one, among the factors
_FRACTION = 131072  # a term of a sum that divides (x/√u, 1/x)
_NEGATED_SUM = 262144  # a term of a sum that is −1 times a sum
# a term of a sum other than a number times whole powers of names: a polynomial's
# sum has no function, bracket or root for the rewrites that need one to look for
_NOT_POLYNOMIAL = 524288
_PLAIN_SUM = 1048576  # a sum itself among the factors (not a power of one)
_SUM_DIVISOR = 2097152  # a power of a sum that divides, among the factors
_ROOT_OF_SUM = 4194304  # a sum to a power k/2 (√u, 1/√u) among the factors
_BASE_CALL = 8388608  # a power of a function
# a product other than a number and then powers of names in name order, no name
# twice (−8n²v³): only such a product may need its factors ordered or combined
_UNORDERED = 16777216


def _product_features(node: Mul) -> int:
    found = numbers = ones = sums = plain_sums = calls = 0
    for factor in node.factors:
        kind = type(factor)
        if kind is Num:
            numbers += 1
            value = factor.value
            if value == 0:
                found |= _ZERO
            elif value == 1:
                found |= _ONE
                if not factor.decimal:
                    ones += 1  # a plain 1 is dropped, not multiplied (drop-one)
        elif kind is Pow:
            base = factor.base
            base_kind = type(base)
            if base_kind is Num:
                found |= _RADICAL
            elif base_kind is Add:
                sums += 1
                exponent = factor.exp
                if type(exponent) is Num:
                    if exponent.value < 0:
                        found |= _SUM_DIVISOR
                    if type(exponent.value) is Fraction and exponent.value.denominator == 2:
                        found |= _ROOT_OF_SUM
            elif base_kind is Mul:
                found |= _BASE_PRODUCT
            elif base_kind is Call:
                if base.fn == "abs":
                    found |= _ABS
                if type(factor.exp) is Num:
                    calls += 1
        elif kind is Add:
            sums += 1
            plain_sums += 1
        elif kind is Call:
            calls += 1
            if factor.fn == "abs":
                found |= _ABS
    first = node.factors[0]
    if type(first) is Num and first.value < 0 and plain_sums == 1:
        found |= _MINUS_SUM
    return (
        found
        | (_SUM if sums else 0)
        | (_PLAIN_SUM if plain_sums else 0)
        | (_NUMBERS if numbers - ones >= 2 else 0)
        | (_OTHERS if len(node.factors) - numbers >= 2 else 0)
        | (_SUMS if sums >= 2 else 0)
        | (_CALLS if calls >= 2 else 0)
        # (a sum, a function, or a number 0 or 1 among the factors: no monomial)
        | (_UNORDERED if found or sums or calls or not _monomial_in_order(node.factors) else 0)
    )


def _monomial_in_order(factors: tuple[Expr, ...]) -> bool:
    """A number or none, then names and their powers to whole exponents ≥ 1 in
    name order, each name once (3x, −8n²v³): a product in textbook order
    (`_factor_key` puts the number first, then the names by `name_key`) with no
    base twice, which neither order-factors nor combine-powers changes."""
    previous = None
    for factor in factors[1:] if type(factors[0]) is Num else factors:
        if type(factor) is Sym:
            name = factor.name
        elif (type(factor) is Pow and type(factor.base) is Sym and type(factor.exp) is Num
              and type(factor.exp.value) is int and factor.exp.value >= 1):
            name = factor.base.name
        else:
            return False
        key = name_key(name)
        if previous is not None and key <= previous:
            return False
        previous = key
    return True


def _sum_features(node: Add) -> int:
    numbers = 0
    found = 0
    for term in node.terms:
        kind = type(term)
        if kind is Num:
            numbers += 1
            if term.value == 0:
                found |= _ZERO
        elif kind is Pow or kind is Mul:
            if _is_monomial_term(term):
                continue  # most terms of a polynomial: nothing divides, no bracket
            found |= _NOT_POLYNOMIAL
            # a divisor alone, or last in a product (order-factors writes divisors
            # last): tested inline, as this runs for every sum simplified
            last = term if kind is Pow else term.factors[-1]
            if type(last) is Pow and type(last.exp) is Num and (last.exp.value < 0 or _is_fraction_power(last)):
                found |= _FRACTION
            elif type(last) is Add and len(term.factors) == 2 and is_plain_minus_one(term.factors[0]):
                found |= _NEGATED_SUM
        elif kind is not Sym:
            found |= _NOT_POLYNOMIAL  # a function, a constant: no monomial
    return found | (_NUMBERS if numbers >= 2 else 0)


def _is_monomial_term(term: Pow | Mul) -> bool:
    """A power or product that is a number times powers of names to whole
    exponents ≥ 0 (−3x²y): a polynomial's term, `_is_monomial` of its body with
    nothing dividing, asked of the term itself."""
    factors = term.factors if type(term) is Mul else (term,)
    for factor in factors[1:] if type(factors[0]) is Num else factors:
        if type(factor) is not Sym and not (
            type(factor) is Pow and type(factor.base) is Sym and type(factor.exp) is Num
            and type(factor.exp.value) is int and factor.exp.value >= 0
        ):
            return False
    return True


_BASE_FEATURES = {Num: _BASE_NUMBER, Pow: _BASE_POWER, Mul: _BASE_PRODUCT, Const: _BASE_CONSTANT}


def _power_features(node: Pow) -> int:
    base, exponent = node.base, node.exp
    kind = type(base)
    found = _BASE_FEATURES.get(kind, 0)
    if kind is Call:
        found |= _BASE_CALL | (_BASE_ABS if base.fn == "abs" else 0)
    elif kind is Num and (base.value == 0 or base.value == 1):
        found |= _UNIT_PART
    if type(exponent) is Num:
        found |= _EXPONENT_NUMBER
        if exponent.value == 0 or exponent.value == 1:
            found |= _UNIT_PART
    return found


_FEATURES: dict[type, Callable[[Any], int]] = {
    Mul: _product_features,
    Add: _sum_features,
    Pow: _power_features,
}


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------

TABLE: dict[type, tuple[Rewrite, ...]] = {
    Add: (
        Rewrite("add-numbers", "2 + 3 → 5", _add_numbers, needs=_NUMBERS),
        Rewrite("collect-like-terms", "2x + 3x → 5x", _collect_like_terms),
        Rewrite("drop-zero", "x + 0 → x", _drop_zero, needs=_ZERO),
        Rewrite("pythagorean-identity", "sin²x + cos²x → 1", _pythagorean, needs=_NOT_POLYNOMIAL),
        Rewrite("logarithm-of-power", "2·ln(x) − ln(x²) → 2·ln(x) − 2·ln(x)", _logarithms_of_powers,
                needs=_NOT_POLYNOMIAL),
        Rewrite("sigmoid-symmetry", "σ(x) + σ(−x) → σ(x) + 1 − σ(x)", _sigmoids_of_opposites,
                needs=_NOT_POLYNOMIAL),
        Rewrite("step-symmetry", "H(x) + H(−x) → H(x) + 1 − H(x)", _steps_of_opposites, needs=_NOT_POLYNOMIAL),
        # a polynomial's bracket after a minus goes before its terms are ordered
        Rewrite("open-bracket", "n − (a + b) → n − a − b", _open_negated_sums, needs=_NEGATED_SUM),
        # ordering first, so the costly reshaping trials below run once per sum
        Rewrite("order-terms", "1 + x² → x² + 1", _order_terms),
        Rewrite("factor-common", "x·eˣ + eˣ → (x + 1)·eˣ", _factor_common, reshaping=True,
                needs=_NOT_POLYNOMIAL),
        Rewrite("expand", "2x(x − 1) − x² → x² − 2x", _expand, reshaping=True, needs=_NOT_POLYNOMIAL),
        Rewrite("combine-fractions", "√u − x²/√u → (u − x²)/√u", _combine_fractions, reshaping=True,
                needs=_FRACTION),
        Rewrite("sines-and-cosines", "sec x − sin x·tan x → 1/cos x − sin x·sin x/cos x",
                _sines_and_cosines, reshaping=True, needs=_NOT_POLYNOMIAL),
    ),
    Mul: (
        Rewrite("zero-product", "0·x → 0", _zero_factor, needs=_ZERO),
        Rewrite("number-out-of-sum", "3·(2x + 4) → 6(x + 2)", _number_out_of_sum, needs=_PLAIN_SUM),
        Rewrite("fraction-out-of-sum", "(x/2 − 1/2)/√x → (x − 1)/(2√x)", _fraction_out_of_sum, needs=_SUM),
        Rewrite("minus-out-of-sum", "eˣ·(−x − 1) → −eˣ·(x + 1)", _minus_out_of_sum, needs=_PLAIN_SUM),
        Rewrite("factor-polynomial", "(x + 1)²·(5x² + 2x) → x(x + 1)²·(5x + 2)", _factor_polynomial_in_product,
                needs=_PLAIN_SUM),
        Rewrite("multiply-out-polynomial", "x·(3x² − 6x) → 3x³ − 6x²", _multiply_out_polynomial, needs=_PLAIN_SUM),
        Rewrite("multiply-numbers", "2·3x → 6x", _multiply_numbers, needs=_NUMBERS),
        Rewrite("simplest-radicals", "2·2^(−2/3) → ∛2", _simplest_radicals, needs=_RADICAL),
        Rewrite("opposite-factors", "(x − 1)/(1 − x) → −(1 − x)/(1 − x)", _opposite_factors,
                needs=_SUMS),
        Rewrite("combine-powers", "x·x² → x³", _combine_powers, needs=_OTHERS | _UNORDERED),
        Rewrite("cancel-from-sum", "(x − x²)/x³ → (1 − x)/x²", _cancel_from_sum, needs=_PLAIN_SUM),
        Rewrite("cancel-factor", "(x² − 1)/(x − 1) → x + 1", _cancel_factors, reshaping=True,
                needs=_SUMS),
        Rewrite("combine-fractions", "(1 − 1/√x)/x → (√x − 1)/x^(3/2)", _combine_fractions_in_product,
                reshaping=True, needs=_SUM),
        Rewrite("multiply-out-numerator", "(3x²·(a + x) − x³)/(a + x)² → (3ax² + 2x³)/(a + x)²",
                _expand_over_divisor, reshaping=True, needs=_PLAIN_SUM),
        Rewrite("clear-root-fraction", "1/(x²·√(1 − 1/x²)) → 1/(|x|·√(x² − 1))", _clear_root_fractions,
                reshaping=True, needs=_ROOT_OF_SUM),
        Rewrite("open-fraction-power", "(x/(x + 1))²/(x + 1)² → x²/(x + 1)⁴", _open_fraction_powers,
                reshaping=True, needs=_BASE_PRODUCT),
        Rewrite("sines-and-cosines", "(sin x − sec x·tan x)/tan²x → −sin x", _product_in_sines_and_cosines,
                reshaping=True, needs=_SUM),
        Rewrite("absolute-powers", "x²/|x| → |x|", _abs_powers, needs=_ABS),
        Rewrite("sign-and-absolute", "sgn(x)·x/|x| → |x|/|x|", _sign_and_absolute, needs=_ABS),
        Rewrite("drop-one", "1·x → x", _drop_one, needs=_ONE),
        Rewrite("trig-quotient", "sin x/cos x → tan x", _trig_quotients, needs=_CALLS),
        Rewrite("logarithm-of-power", "ln(x²)/ln(x) → 2·ln(x)/ln(x)", _logarithms_of_powers, needs=_CALLS),
        Rewrite("sigmoid-symmetry", "σ(x)·σ(−x) → σ(x)·(1 − σ(x))", _sigmoids_of_opposites, needs=_CALLS),
        Rewrite("negate-difference", "−(1 − x) → x − 1", _negate_difference, needs=_MINUS_SUM),
        # last but order: a divisor that cancels is cancelled from the expanded
        # numerator first, 3(x² + 2x + 1)/(x² + 3x + 2)² → 3/(x + 2)² in one step
        Rewrite("factor-repeated", "eˣ(x² − 2x + 1)/(x² + 1)² → eˣ(x − 1)²/(x² + 1)²", _factor_repeated,
                needs=_SUM_DIVISOR),
        Rewrite("order-factors", "cos(x)·2x → 2x·cos(x)", _order_factors, needs=_UNORDERED),
    ),
    Pow: (
        Rewrite("evaluate-power", "2³ → 8", _evaluate_power, needs=_BASE_NUMBER | _EXPONENT_NUMBER),
        Rewrite("simplest-radicals", "√8 → 2√2", _simplest_radical, needs=_BASE_NUMBER | _EXPONENT_NUMBER),
        Rewrite("power-identity", "x¹ → x", _power_identities, needs=_UNIT_PART),
        Rewrite("power-of-power", "(x²)³ → x⁶", _power_of_power, needs=_BASE_POWER),
        Rewrite("power-of-product", "(2x)³ → 8x³", _power_of_product, needs=_BASE_PRODUCT),
        Rewrite("reciprocal-function", "1/sec x → cos x", _reciprocal_function,
                needs=_BASE_CALL | _EXPONENT_NUMBER),
        Rewrite("absolute-even-power", "|x|² → x²", _abs_even_power,
                needs=_BASE_ABS | _EXPONENT_NUMBER),
        Rewrite("exp-of-log", "e^(ln x) → x", _exp_of_log, needs=_BASE_CONSTANT),
        Rewrite("power-of-logarithm", "2^(log₂ x) → x", _power_of_logarithm, needs=_BASE_NUMBER),
    ),
    Call: (
        Rewrite("evaluate-function", "sin(0) → 0", _evaluate_function),
        Rewrite("quarter-turns", "sin(π/2 − x) → cos(x)", _quarter_turns),
        Rewrite("symmetry", "cos(−x) → cos(x)", _symmetry),
        Rewrite("inverse-function", "ln(eˣ) → x", _inverse_functions),
        Rewrite("function-of-inverse", "cos(arcsin x) → √(1 − x²)", _function_of_inverse),
        Rewrite("absolute-value-of-power", "|x³| → |x|³", _abs_of_power),
        Rewrite("absolute-value-of-multiple", "|2x| → 2|x|", _abs_of_multiple),
    ),
    Log: (Rewrite("logarithm-identity", "log₂(2) → 1", _log_identities),),
}


assert not LEAVES & TABLE.keys()  # a number or a name is in normal form: no rewrite is listed for one


def _candidates(kind: type, reshape: bool, features: int, tangents: bool = True) -> tuple[Rewrite, ...]:
    """The rewrites worth trying on a node of this kind with these features, in
    the table's order (the reshaping ones only when reshaping; without
    `tangents`, none that makes a tangent, secant … of sines and cosines)."""
    return tuple(
        rewrite
        for rewrite in (TABLE if reshape else _UNSHAPED).get(kind, ())
        if rewrite.needs & features == rewrite.needs and (tangents or rewrite.name not in _MAKE_TANGENTS)
    )


# (kind, reshaping, features) → the rewrites to try, filled in as met; and the
# same for a trial kept in sines and cosines
_CANDIDATES: dict[tuple[type, bool, int], tuple[Rewrite, ...]] = {}
_CANDIDATES_IN_SINES: dict[tuple[type, bool, int], tuple[Rewrite, ...]] = {}
_MAKE_TANGENTS = frozenset({"trig-quotient", "reciprocal-function"})

# The table without its reshaping rewrites, for trials that no longer reshape.
_UNSHAPED: dict[type, tuple[Rewrite, ...]] = {
    kind: tuple(rewrite for rewrite in rewrites if not rewrite.reshaping)
    for kind, rewrites in TABLE.items()
}


class Simplifier:
    """Simplifies expression after expression, remembering the normal forms it has
    found, so that successive orders of a derivative (which share most of their
    parts) are not simplified from scratch."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS, record: bool = True, angles: bool = True) -> None:
        # record false: the same results, with no steps kept (`diff --no-steps`);
        # angles false: no look for double angles, for the derivatives of a
        # function with no trigonometric or hyperbolic function in it (they have
        # none either, and the look walks every result)
        self._work = _Simplifier(limits, record)
        self._angles = angles

    def __call__(self, expr: Expr) -> tuple[Expr, tuple[Step, ...]]:
        """The simplified form of `expr` and the rewrite steps that produced it, in order.
        A part simplified by an earlier call is reused, its steps listed again."""
        return run_deep(expr.depth, self._run, expr)

    def parts(self, exprs: list[Expr]) -> tuple[list[Expr], tuple[Step, ...]]:
        """The simplified form of each of `exprs`, as the parts of one sum are
        simplified (their steps in one list, a part met twice listed once), and
        those steps in order."""
        depth = max((expr.depth for expr in exprs), default=1)
        return run_deep(depth, self._run_parts, exprs)

    def settle(self, total: Expr) -> tuple[Expr, tuple[Step, ...]]:
        """The simplified form of `total`, whose parts are each simplified already
        (`parts`), and the rewrite steps of the whole that made it: what the
        simplifier does with a sum once its terms are done."""
        return run_deep(total.depth, self._run_settle, total)

    def _run_parts(self, exprs: list[Expr]) -> tuple[list[Expr], tuple[Step, ...]]:
        start = self._work.begin_run()
        forms = [self._work(expr) for expr in exprs]
        return forms, tuple(self._work.steps[start:])

    def _run_settle(self, total: Expr) -> tuple[Expr, tuple[Step, ...]]:
        start = self._work.begin_run()
        result = self._work.settled(total, total, start)
        return result, tuple(self._work.steps[start:])

    def normal_form(self, expr: Expr) -> Expr:
        """The simplified form of `expr` alone: at once when an earlier call met it.
        Its steps, if any, are not kept (call this after the steps are taken)."""
        known = self._work.known(expr)
        if known is None:
            return self(expr)[0]
        # met as a part, it was not looked at whole: its double angles may still
        # collapse it (sin 2x − 2·sin x·cos x − 1 is −1), as a run of its own does
        self._work.begin_run()
        return self._looked_at_whole(expr, known)

    def _run(self, expr: Expr) -> tuple[Expr, tuple[Step, ...]]:
        work = self._work
        start = work.begin_run()
        result = self._looked_at_whole(expr, work(expr))
        return result, tuple(work.steps[start:])

    def _looked_at_whole(self, expr: Expr, result: Expr) -> Expr:
        """`result`, the normal form of `expr`, after a last look at the whole:
        double angles that make it collapse, opened (the step recorded)."""
        work = self._work
        opened = _double_angles_opened(result, work) if self._angles else None
        if opened is None:
            return result
        if work.record:
            work.steps.append(rewrite_step("double-angles", result, opened))
        final = work(opened)
        # the memo answers for the whole as this run did (`normal_form` asks it):
        # ln(sin 2x − 2·sin x·cos x − 1) is refused, its argument −1
        for met in (expr, result):
            work.memo[met._hash] = (met, final)
        return final


def simplify(expr: Expr, limits: Limits = DEFAULT_LIMITS) -> tuple[Expr, tuple[Step, ...]]:
    """The simplified form of `expr` and the rewrite steps that produced it, in order."""
    return Simplifier(limits)(expr)


def vanishing_part(expr: Expr, limits: Limits = DEFAULT_LIMITS) -> Expr | None:
    """The smallest part of `expr` that has variables and yet is exactly 0 for every
    value of them (x − x, sin(π)·x), or None.  When a derivative divides by zero,
    this is what it divided by."""
    return run_deep(expr.depth, _vanishing_part, expr, limits)


def _vanishing_part(expr: Expr, limits: Limits) -> Expr | None:
    # one simplifier for every part: it remembers normal forms, so the parts of
    # the whole, simplified first, are not simplified again; the whole one, with
    # its last look at double angles (cos 2x − cos²x + sin²x is 0)
    simplifier = Simplifier(limits, record=False)
    found: Expr | None = None
    stack = [expr]
    while stack:
        node = stack.pop()
        if not node.free_vars or not node.children():
            continue
        stack.extend(node.children())
        try:
            vanishes = simplifier(node)[0] == ZERO
        except (DomainError, LimitError):
            continue
        if vanishes and (found is None or node.size < found.size):
            found = node
    return found
