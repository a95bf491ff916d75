"""The differentiation rules: one small pure function each, and their catalogue.

Every rule function takes the expression it applies to, the variable, and `d`,
which differentiates a sub-expression with respect to the same variable (the
engine's own recursion, see calcstep.derive).  It returns the `Step` that records
the application; the formula it applies is its docstring and, as expressions,
its `Rule.formula` in the catalogue.

Rules build results with the plain constructors and do only the arithmetic the
rule itself states (the power rule's n - 1 for a number n); everything else is
left for the simplifier, which records its own steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import NamedTuple, Protocol

from calcstep.errors import CalcstepError, DomainError
from calcstep.expr import (
    MINUS_ONE,
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
    is_plain_minus_one,
    is_plain_one,
    leading_number,
    mul,
    name_key,
    neg,
    rebuild,
    substitute,
    walk,
)
from calcstep.functions import BY_NAME, FUNCTIONS
from calcstep.steps import Step


class Derive(Protocol):
    """What a rule is given to differentiate its parts with (calcstep.derive.Deriver)."""

    def __call__(self, expr: Expr) -> Step: ...

    def letters(self, rule: str, parts: tuple[Expr, ...]) -> tuple[str, ...]:
        """The letters to name `parts` by in this step of `rule` (see `LETTERS`)."""
        ...

    @property
    def taken(self) -> frozenset[str]:
        """The variables and function names of the whole expression differentiated."""
        ...


# Beyond this size the chain rule does not spell out each stage's rate at its
# inner value: a deep chain would repeat ever longer expressions (the product,
# the chain step's result, has them all).
EVALUATED_SHOWN_UP_TO = 120


# ---------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------


class Rule(NamedTuple):
    """A rule as people see it: its name, family and the formula it applies.

    `formula()` returns (f, f') with x as the variable, so every renderer can
    write the formula in its own notation.  Why the rule holds (`why`, one line)
    and the sentence that says why it applies to a step (`explain`, a template
    whose fields are `target`, `var` and the step's given names) are written in
    calcstep.lessons, read only when asked for (the lessons are long, and most
    runs never need them)."""

    id: str
    title: str
    family: str
    formula: Callable[[], tuple[Expr, Expr]]

    @property
    def why(self) -> str:
        from calcstep.lessons import SUMMARY

        return SUMMARY[self.id]

    @property
    def explain(self) -> str:
        from calcstep.lessons import EXPLAIN

        return EXPLAIN[self.id]


_x = Sym("x")


def _f(name: str, arg: Expr = _x, order: int = 0) -> Apply:
    return Apply(name, arg, order)


def _rate(f: Expr) -> Expr:
    """f'(x) for an abstract f(x)."""
    assert type(f) is Apply
    return Apply(f.fn, f.arg, f.order + 1)


def _catalogue() -> dict[str, Rule]:
    g, h, f = _f("g"), _f("h"), _f("f")
    dg, dh, df = _rate(g), _rate(h), _rate(f)
    a, b, c, n = Sym("a"), Sym("b"), Sym("c"), Sym("n")
    f1, f2, f3 = _f("f_1"), _f("f_2"), _f("f_3")
    rules = [
        Rule("constant", "constant rule", "basics", lambda: (c, ZERO)),
        Rule("variable", "identity rule", "basics", lambda: (_x, ONE)),
        Rule("constant-multiple", "constant multiple rule", "basics",
             lambda: (mul(c, f), mul(c, df))),
        Rule("sum", "sum rule", "combinations", lambda: (add(g, h), add(dg, dh))),
        Rule("product", "product rule", "combinations",
             lambda: (mul(g, h), add(mul(g, dh), mul(h, dg)))),
        Rule("product-n", "product rule (n factors)", "combinations",
             lambda: (mul(f1, f2, f3), add(mul(_rate(f1), f2, f3), mul(f1, _rate(f2), f3),
                                            mul(f1, f2, _rate(f3))))),
        Rule("quotient", "quotient rule", "combinations",
             lambda: (mul(g, Pow(h, MINUS_ONE)),
                      mul(add(mul(h, dg), neg(mul(g, dh))), Pow(h, Num(-2))))),
        Rule("power", "power rule", "powers",
             lambda: (Pow(_x, n), mul(n, Pow(_x, add(n, MINUS_ONE))))),
        Rule("chain", "chain rule", "combinations",
             lambda: (_f("f", g), mul(_f("f", g, 1), dg))),
        Rule("chain-n", "chain rule (several stages)", "combinations",
             lambda: (_f("f", _f("g", h)), mul(_f("f", _f("g", h), 1), _f("g", h, 1), dh))),
        Rule("exp", "exponential rule", "exponentials", lambda: (Pow(E, _x), Pow(E, _x))),
        Rule("exponential", "exponential rule (base a)", "exponentials",
             lambda: (Pow(a, _x), mul(Pow(a, _x), Call("ln", a)))),
        Rule("general-power", "general power rule (logarithmic differentiation)", "exponentials",
             lambda: (Pow(f, g), mul(Pow(f, g), add(mul(dg, Call("ln", f)),
                                                     mul(g, df, Pow(f, MINUS_ONE)))))),
        Rule("logarithm-base", "logarithm rule (base b)", "logarithms",
             lambda: (Log(_x, b), mul(Pow(_x, MINUS_ONE), Pow(Call("ln", b), MINUS_ONE)))),
        # log_b u = ln u / ln b, differentiated by the quotient rule; in the letters
        # its steps name (with u = …, b = …)
        Rule("change-of-base", "change of base", "logarithms",
             lambda u=_f("u"), b=_f("b"): (Log(u, b), mul(
                 add(mul(_rate(u), Pow(u, MINUS_ONE), Call("ln", b)),
                     neg(mul(_rate(b), Pow(b, MINUS_ONE), Call("ln", u)))),
                 Pow(Call("ln", b), Num(-2))))),
        Rule("abstract", "abstract function", "basics", lambda: (f, df)),
    ]
    for function in FUNCTIONS:
        rules.append(
            Rule(function.name, f"{function.name} rule", function.family,
                 lambda fn=function: (Call(fn.name, _x), fn.derivative(_x)))
        )
    return {rule.id: rule for rule in rules}


RULES: dict[str, Rule] = _catalogue()


# The letters a rule's formula names its parts by (its steps' `given` names, in
# this order), then the letters used instead when the expression already uses one
# of them for something else: f(x)·g(x) by the product rule would read "with
# g = f(x), h = g(x)", and is "with u = f(x), v = g(x)" instead.
_FUNCTION_PAIRS = (("g", "h"), ("u", "v"), ("p", "q"), ("a", "b"))
LETTERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "product": _FUNCTION_PAIRS,
    "quotient": _FUNCTION_PAIRS,
    "general-power": (("f", "g"), *_FUNCTION_PAIRS[1:]),
    # c·f, as the lesson writes it: a chain's inner value is u, and the constant
    # multiple rule is often applied to the inner function (3x² in sin(3x²))
    "constant-multiple": (("c", "f"), ("k", "g"), ("a", "h"), ("k", "v")),
}


def choose_letters(rule: str, parts: tuple[Expr, ...], taken: frozenset[str]) -> tuple[str, ...]:
    """The letters for `parts` in a step of `rule`: the rule's own, unless the
    expression uses one of them (`taken`: its variables and function names) for
    something other than the part it names here; then the first other set of
    letters the expression does not use.  g = g(x) or c = c is no clash."""
    choices = LETTERS[rule]
    own = choices[0]
    if taken.isdisjoint(own) or all(
        letter not in taken or _names_itself(part, letter) for letter, part in zip(own, parts, strict=True)
    ):
        return own
    return next((letters for letters in choices[1:] if taken.isdisjoint(letters)), own)


def _names_itself(part: Expr, letter: str) -> bool:
    """True when the part is the letter itself: the variable c, or g(…) for g."""
    return (type(part) is Sym and part.name == letter) or (
        type(part) is Apply and part.fn == letter and part.order == 0
    )


def names_used(expr: Expr) -> frozenset[str]:
    """The variables and the abstract functions' names in `expr`."""
    return expr.free_vars | {node.fn for node in walk(expr) if type(node) is Apply}


def _named(d: Derive, rule: str, *parts: Expr) -> tuple[tuple[str, Expr], ...]:
    """A step's `given`: its parts with the letters `d` chooses for them."""
    return tuple(zip(d.letters(rule, parts), parts, strict=True))


def given_part(step: Step, letter: str) -> Expr:
    """What the rule's own `letter` stands for in `step`, whichever letter the step
    names it by (the product rule's g is the step's first part, named g or u)."""
    choices = LETTERS.get(step.rule)
    if choices is not None and letter in choices[0]:
        return step.given[choices[0].index(letter)][1]
    return dict(step.given)[letter]


def renamed_letters(step: Step) -> tuple[tuple[str, str], ...]:
    """(the rule's letter, the step's letter) for each letter the step renames; ()
    when it names its parts by the rule's own letters."""
    choices = LETTERS.get(step.rule)
    if choices is None:
        return _chain_letters(step) if step.rule in _CHAIN_RULES else ()
    (g, h), ((first, _), (second, _)) = choices[0], step.given[:2]  # every rule here has two
    return () if (first, second) == (g, h) else ((g, first), (h, second))


class Formula(NamedTuple):
    """A rule's formula d/d`var` `lhs` = `rhs`, as a step shows it."""

    lhs: Expr
    rhs: Expr
    var: str


# Rules whose formula names functions no step of theirs gives a value to (a sum's
# g and h, a chain's f and g): when the step's variable is one of those letters,
# the letters give way, from this list, so that the formula can be written in it.
_UNGIVEN_FUNCTION_LETTERS = frozenset({"sum", "chain", "chain-n"})
_SPARE_LETTERS = ("p", "q", "r", "s", "a", "b")


_CHAIN_RULES = frozenset({"chain", "chain-n"})


def sum_letters(step: Step, applies_g_or_h: bool) -> tuple[tuple[str, str], ...]:
    """The sum rule's g and h renamed p and q when the sum applies an abstract
    function g or h other than as the term the formula's letter stands for: for
    h(x) + f(x), d/dx [g(x) + h(x)] would name f(x) h.  () when there is no
    clash (g(x) + h(x) itself, or no g or h at all).  Whether the sum applies a g
    or an h anywhere (`applies_g_or_h`) the caller reads off the sum's text, which
    a renderer writes anyway: walking every sum for it cost 1% of a batch."""
    if not applies_g_or_h:
        return ()
    terms = step.target.children()
    letters = ("g", "h")
    if all(i < len(terms) and _names_itself(terms[i], letter) for i, letter in enumerate(letters)):
        return ()
    taken = names_used(step.target) | {step.var}
    spare = (letter for letter in _SPARE_LETTERS if letter not in taken)
    return tuple(zip(letters, spare, strict=False))


def _chain_letters(step: Step) -> tuple[tuple[str, str], ...]:
    """A chain rule's function letters renamed when the chain's own stages are
    abstract functions of those names in other places: for h(g(f(x))) the formula
    reads d/dx p(q(r(x))), not f(g(h(x))), whose f would be the learner's h.  ()
    when there is no clash, or when each name stands where the formula has its
    letter (f(g(x)), f(x²)).  Only the stages are read, outside in, not the whole
    expression: every chain step a derivation writes asks this."""
    stages: list[str | None] = []  # each stage's abstract function, None for a known one
    node = step.target
    while type(node) is Apply or type(node) is Call:
        stages.append(node.fn if type(node) is Apply else None)
        node = node.arg
    applied = {name for name in stages if name is not None}
    if not applied:
        return ()
    letters = _function_letters(*RULES[step.rule].formula())
    if all(i < len(stages) and stages[i] == letter for i, letter in enumerate(letters) if letter in applied):
        return ()
    taken = applied | step.target.free_vars | {step.var, *letters}
    return tuple(zip(letters, (letter for letter in _SPARE_LETTERS if letter not in taken), strict=False))


def renamed_formula(rule_id: str, renames: tuple[tuple[str, str], ...] = (), var: str = "x") -> Formula:
    """The rule's formula (f, f′) with its letters renamed ((g, h) → (u, v) gives
    d/dx [u(x)·v(x)] = u(x)·v′(x) + v(x)·u′(x)) and written in the variable `var`
    (d/dw [c·f(w)] = c·f′(w) for a step by w).  When `var` is one of its letters, a
    sum's or a chain's function letters give way (d/dh [p(h) + q(h)], not
    d/dh [g(h) + h(h)]); any other letter is a step's given name (with n = 3), so the
    formula stays in x (d/dn n^n would not be the power rule)."""
    lhs, rhs = RULES[rule_id].formula()
    table = dict(renames)
    if var != "x":
        functions = _function_letters(lhs, rhs)
        if var in functions and rule_id in _UNGIVEN_FUNCTION_LETTERS:
            others = _letters_of(lhs, rhs, table) - set(functions)
            spare = [letter for letter in _SPARE_LETTERS if letter != var and letter not in others]
            table.update(zip(functions, spare, strict=False))  # more spares than letters
        if var not in _letters_of(lhs, rhs, table):
            table["x"] = var
    written_in = table.get("x", "x")
    if not table:
        return Formula(lhs, rhs, written_in)
    return Formula(_rename(lhs, table), _rename(rhs, table), written_in)


def _function_letters(lhs: Expr, rhs: Expr) -> list[str]:
    """The function letters of a formula, in alphabetical order (f, g, h)."""
    return sorted({node.fn for part in (lhs, rhs) for node in walk(part) if type(node) is Apply})


def _letters_of(lhs: Expr, rhs: Expr, table: dict[str, str]) -> set[str]:
    """The names a formula uses besides x (after `table`'s renaming)."""
    names = {table.get(name, name) for name in lhs.free_vars | rhs.free_vars}
    names |= {table.get(node.fn, node.fn) for part in (lhs, rhs) for node in walk(part) if type(node) is Apply}
    return names - {"x"}


def _rename(expr: Expr, table: dict[str, str]) -> Expr:
    if type(expr) is Sym:
        return Sym(table.get(expr.name, expr.name))
    kids = tuple(_rename(kid, table) for kid in expr.children())
    if type(expr) is Apply:
        return Apply(table.get(expr.fn, expr.fn), kids[0], expr.order)
    return rebuild(expr, kids) if kids else expr


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


def constant(expr: Expr, var: str, d: Derive) -> Step:
    """d/dx c = 0, for any c that does not depend on x."""
    others = sorted(expr.free_vars, key=name_key)
    notes: tuple[Note, ...] = ()
    if others:
        names = tuple(Sym(name) for name in others)
        placeholders = ", ".join(f"{{{i}}}" for i in range(len(names)))
        verb = "is" if len(names) == 1 else "are"
        notes = (
            Note(
                f"{placeholders} {verb} held constant with respect to {{{len(names)}}}",
                (*names, Sym(var)),
            ),
        )
    return Step("constant", expr, ZERO, var, notes=notes)


def variable(expr: Sym, var: str, d: Derive) -> Step:
    """d/dx x = 1."""
    return Step("variable", expr, ONE, var)


def constant_multiple(expr: Expr, var: str, d: Derive, c: Expr, f: Expr) -> Step:
    """d/dx (c·f) = c·f', for c constant."""
    inner = d(f)
    return Step("constant-multiple", expr, mul(c, inner.result), var, (inner,), _named(d, "constant-multiple", c, f))


def sum_rule(expr: Expr, var: str, d: Derive) -> Step:
    """d/dx (u + v + …) = u' + v' + …"""
    parts = tuple(d(term) for term in expr.children())
    return Step("sum", expr, add(*(part.result for part in parts)), var, parts)


def product(expr: Expr, var: str, d: Derive) -> Step:
    """d/dx (g·h) = g·h' + h·g' — left d-right plus right d-left.

    For n factors, (f₁f₂…fₙ)' = Σᵢ f₁…fᵢ'…fₙ."""
    factors = expr.children()
    parts = tuple(d(factor) for factor in factors)
    if len(factors) == 2:
        g, h = factors
        dg, dh = parts
        result = add(mul(g, dh.result), mul(h, dg.result))
        return Step("product", expr, result, var, parts, _named(d, "product", g, h))
    terms = []
    for i, part in enumerate(parts):
        if is_num(part.result, 0):
            continue  # a constant factor contributes no sliver
        terms.append(mul(*factors[:i], part.result, *factors[i + 1 :]))
    given = tuple((f"f_{i + 1}", factor) for i, factor in enumerate(factors))
    return Step("product-n", expr, add(*terms), var, parts, (*given, ("n", Num(len(factors)))))


def quotient(expr: Expr, var: str, d: Derive, g: Expr, h: Expr) -> Step:
    """d/dx (g/h) = (h·g' - g·h') / h²."""
    dg, dh = d(g), d(h)
    numerator = add(mul(h, dg.result), neg(mul(g, dh.result)))
    result = mul(numerator, Pow(h, Num(-2)))
    return Step("quotient", expr, result, var, (dg, dh), _named(d, "quotient", g, h))


def zeroth_power(expr: Pow, var: str, d: Derive) -> Step:
    """d/dx u⁰ = 0: u⁰ is 1 for every u (0⁰ too, by calcstep's convention), so it is
    a constant; the power rule's 0·u⁻¹·u′ would be undefined where u is 0."""
    note = Note("{0} is 1 for every value of {1}", (expr, Sym(var)))
    return Step("constant", expr, ZERO, var, notes=(note,))


def power(expr: Pow, var: str, d: Derive) -> Step:
    """d/dx xⁿ = n·x^(n-1), for any constant n."""
    n = expr.exp
    lowered = Num(n.value - 1, n.decimal) if type(n) is Num else add(n, MINUS_ONE)
    result = mul(n, Pow(expr.base, lowered))
    notes: tuple[Note, ...] = ()
    if (type(n) is Num and type(n.value) is Fraction and n.value.denominator in (2, 3)
            and abs(n.value.numerator) == 1 and not n.decimal):
        # said where the power is written as a root (√x, 1/∛x), not of x^2.5 or x^(3/2)
        notes = (Note("a root is a power: {0} is {1} to the power {2}", (expr, expr.base, n)),)
    elif type(n) is Num and n.value < 0:
        notes = (Note("a reciprocal is a negative power: {0} is {1} to the power {2}",
                      (expr, expr.base, n)),)
    return Step("power", expr, result, var, given=(("n", n),), notes=notes)


def exponential(expr: Pow, var: str, d: Derive) -> Step:
    """d/dx e^x = e^x;  d/dx a^x = a^x·ln a, for a constant a > 0."""
    base = expr.base
    if type(base) is Const and base.name == "e":
        return Step("exp", expr, expr, var)
    _check_positive_base(expr)
    return Step("exponential", expr, mul(expr, Call("ln", base)), var, given=(("a", base),))


def _check_positive_base(power: Pow) -> None:
    """a^x is a real function of x only for a constant a > 0: refuse a base whose
    value is known to be 0 or negative ((1 − π)^x), whatever its spelling.  A base
    with no decimal value (a letter held constant) is left as it is.  The error
    holds the power as its `part`, for the caller to mark where it is written."""
    from calcstep.evaluate import evaluate

    base = power.base
    try:
        value = evaluate(base, {})
    except CalcstepError:
        return
    if value <= 0:
        from calcstep.printer import to_pretty

        written = to_pretty(base)
        # 0^x: "the base is 0", not "0 is 0"; (1 − e)^x: "the base 1 − e is negative"
        what = ("is 0" if written == "0" else f"{written} is 0") if value == 0 else f"{written} is negative"
        error = DomainError(
            f"a^x needs a constant base a > 0, and here the base {what}",
            hint="a power with a base ≤ 0 is real only at some x; write it another way",
        )
        error.part = power  # type: ignore[attr-defined]
        raise error


def general_power(expr: Pow, var: str, d: Derive) -> Step:
    """d/dx f^g = f^g·(g'·ln f + g·f'/f): logarithmic differentiation.

    With y = f^g, ln y = g·ln f; differentiating, y'/y = (g·ln f)', so
    y' = f^g·(g·ln f)'."""
    f, g = expr.base, expr.exp
    log_form = mul(g, Call("ln", f))
    inner = d(log_form)
    note = Note("take logarithms: ln({0}) = {1}; then multiply the rate of {1} by {0}",
                (expr, log_form))
    return Step(
        "general-power", expr, mul(expr, inner.result), var, (inner,), _named(d, "general-power", f, g),
        (note,),
    )


def known_function(expr: Call, var: str, d: Derive) -> Step:
    """d/dx f(x) = f'(x), from the function table (sin → cos, ln → 1/x …)."""
    function = BY_NAME[expr.fn]
    notes: tuple[Note, ...] = ()
    if function.corner is not None and function.sides is not None:
        # |u| and relu turn a corner (their rate jumps); sign, heaviside and arccot
        # jump themselves, from one side's value to the other's
        jumps = function.sides(ZERO, -1) != function.sides(ZERO, 1)
        convention = f" ({function.convention})" if function.convention else ""
        notes = (
            Note(
                f"{{0}} has no derivative where its argument is {function.corner}: "
                f"{'it jumps' if jumps else 'the rate jumps'} there{convention}",
                (expr,),
            ),
        )
    return Step(function.name, expr, function.derivative(expr.arg), var, notes=notes)


def logarithm_base(expr: Log, var: str, d: Derive) -> Step:
    """d/dx log_b x = 1/(x·ln b)."""
    result = Pow(mul(expr.arg, Call("ln", expr.base)), MINUS_ONE)
    return Step("logarithm-base", expr, result, var, given=(("b", expr.base),))


def change_of_base(expr: Log, var: str, d: Derive) -> Step:
    """log_b u = ln u / ln b, then differentiate the quotient."""
    rewritten = mul(Call("ln", expr.arg), Pow(Call("ln", expr.base), MINUS_ONE))
    inner = d(rewritten)
    return Step("change-of-base", expr, inner.result, var, (inner,), (("u", expr.arg), ("b", expr.base)))


def abstract(expr: Apply, var: str, d: Derive) -> Step:
    """d/dx f(x) = f'(x): the rate of an unknown function, in prime notation."""
    return Step("abstract", expr, Apply(expr.fn, expr.arg, expr.order + 1), var, given=(("f", Sym(expr.fn)),))


# ---------------------------------------------------------------------------
# The chain rule
# ---------------------------------------------------------------------------


def layer(expr: Expr, var: str) -> tuple[Callable[[Expr], Expr], Expr] | None:
    """When `expr` is one function applied to a part that holds `var` (sin(u), u^n,
    a^u, log_b u, f(u)), that function as `outer(u)` and the part `u`; else None.

    A constant multiple or a constant shift of a composition (2·sin(…), 1 + ln(…),
    3·sin(…) + 1) is a layer too, as 2u, 1 + u, 3u + 1: otherwise each such stage would start a chain
    rule of its own inside the last one, and every level of sin(2·sin(2·…)) would
    write out the whole of the derivative below it (output growing as the cube of
    the depth, not as the depth).  A multiple or a shift of anything else (2x²,
    x² + 1) stays one inner part, derived by its own rules, as a learner would."""
    function = _function_layer(expr, var)
    if function is not None:
        return function
    # a multiple or a shift, or both (3·u + 1), of one part that holds var
    contexts: list[tuple[Callable[..., Expr], tuple[Expr, ...], tuple[Expr, ...]]] = []
    node = expr
    while type(node) is Mul or type(node) is Add:
        parts = node.children()
        varying = [index for index, part in enumerate(parts) if part.has(var)]
        if len(varying) != 1:
            return None
        index = varying[0]
        contexts.append((mul if type(node) is Mul else add, parts[:index], parts[index + 1 :]))
        node = parts[index]
    below = _function_layer(node, var) if contexts else None
    if below is None or below[1] == Sym(var):
        return None  # 2x², sin(x) + 1: one inner part, not a long composition

    def outer(u: Expr) -> Expr:
        for combine, before, after in reversed(contexts):
            u = combine(*before, u, *after)
        return u

    return outer, node


def _function_layer(expr: Expr, var: str) -> tuple[Callable[[Expr], Expr], Expr] | None:
    """`layer` for one function applied to one part."""
    if type(expr) is Call:
        return (lambda u, fn=expr.fn: Call(fn, u)), expr.arg
    if type(expr) is Apply:
        return (lambda u, fn=expr.fn, k=expr.order: Apply(fn, u, k)), expr.arg
    if type(expr) is Pow:
        base, exponent = expr.base, expr.exp
        if base.has(var) and not exponent.has(var):
            return (lambda u, n=exponent: Pow(u, n)), base
        if exponent.has(var) and not base.has(var):
            return (lambda u, a=base: Pow(a, u)), exponent
        return None
    if type(expr) is Log and not expr.base.has(var):
        return (lambda u, b=expr.base: Log(u, b)), expr.arg
    return None


def peel(expr: Expr, var: str) -> list[tuple[Callable[[Expr], Expr], Expr]]:
    """The layers of a composition from the outside in, each as `layer` gives it
    (outer function, the part it is applied to), down to the variable itself or to
    the first part that is not one function of one part:
    sin(cos(x²)) → [(sin(·), cos(x²)), (cos(·), x²), (·², x)]."""
    layers: list[tuple[Callable[[Expr], Expr], Expr]] = []
    x = Sym(var)
    node = expr
    while (found := layer(node, var)) is not None:
        layers.append(found)
        if found[1] == x:
            break
        node = found[1]
    return layers


def chain(expr: Expr, var: str, d: Derive, local: Callable[[Expr, str], Step]) -> Step:
    """d/dx f(g(x)) = f'(g(x))·g'(x); for f₁(f₂(…fₖ(x)…)) the k local rates multiply.

    The composition is taken apart from the outside in, down to the innermost part
    that is not itself one function of one part: the variable, or a sum, product…
    Each inner value gets a name (u, or u₁, u₂, … from the inside out).  Each stage's
    local rate is found by the rule for that stage alone (`local`, differentiating
    with respect to the stage's own input name) and then taken at the actual inner
    value: cos(u) with u = x² is cos(x²), never cos(x)."""
    layers = peel(expr, var)
    outers = [outer for outer, _ in layers]
    inners = [inner for _, inner in layers]
    innermost = inners[-1]
    x = Sym(var)
    names = iter(_inner_names(d.taken, len(inners) - (innermost == x)))
    stages: list[Step] = []
    rates: list[Expr] = []
    bindings: list[tuple[str, Expr]] = []
    previous = x  # what names the value fed into the current stage
    for index in range(len(outers) - 1, -1, -1):  # inside out
        actual = inners[index]
        if actual == x:
            stage = local(outers[index](x), var)
            stages.append(stage)
            rates.append(stage.result)
            continue
        name = next(names)
        if index == len(inners) - 1:
            # the innermost part: its rate is a derivation of its own
            first = d(actual)
            stages.append(first)
            rates.append(first.result)
            bindings.append((name, actual))
        else:
            bindings.append((name, outers[index + 1](previous)))
        previous = Sym(name)
        try:
            stage = local(outers[index](previous), name)
        except CalcstepError as error:
            # a refusal of the stage's part (0^u) names the part as written, its
            # inner value in place of u (0^(2x)), for the caller to mark
            if getattr(error, "part", None) is not None:
                error.part = outers[index](actual)  # type: ignore[attr-defined]
            raise
        evaluated = substitute(stage.result, {previous: actual})
        stages.append(
            Step(stage.rule, stage.target, stage.result, name, stage.substeps, stage.given,
                 stage.notes, evaluated)
        )
        rates.append(evaluated)
    result = _product_of_rates(list(reversed(rates)))
    named = _product_of_rates([stage.result for stage in reversed(stages)])
    if len(stages) <= 2:
        outer = outers[0](previous)
        return Step("chain", expr, result, var, tuple(reversed(stages)),
                    (*bindings, ("outer", outer)), named=named)
    return Step("chain-n", expr, result, var, tuple(reversed(stages)),
                (*bindings, ("n", Num(len(stages)))), named=named)


def _plain_number(expr: Expr) -> int | Fraction | None:
    """The value of sums and products of exact numbers (3·1 + 0 is 3); else None."""
    if type(expr) is Num:
        return None if expr.decimal else expr.value
    if type(expr) is Add or type(expr) is Mul:
        values = [_plain_number(part) for part in expr.children()]
        if any(value is None for value in values):
            return None
        return sum(values) if type(expr) is Add else math.prod(values)  # type: ignore[arg-type]
    return None


def _product_of_rates(rates: list[Expr]) -> Expr:
    """The local rates multiplied, outermost first, as the formula writes them.  A
    minus sign in one rate alone is moved to the front (−cos(u)·…, not
    cos(u)·(−1)·…); minus signs in several stay where they are, so that the
    product shows what its stages show, −sin(cos(x))·(−sin(x)), and the
    simplification cancels them in a step of its own."""
    parts = [_rate_parts(rate) for rate in rates]
    negatives = sum(1 for coefficient, _ in parts if coefficient.value < 0)
    factors: list[Expr] = []
    for coefficient, rest in parts:
        if negatives == 1 and coefficient.value < 0:
            coefficient = neg(coefficient)
        minus_one = is_plain_minus_one(coefficient)
        if not is_plain_one(coefficient) and (not minus_one or rest == ONE):
            factors.append(coefficient)
        if rest != ONE:
            factors.append(neg(rest) if minus_one else rest)
    product = mul(*factors)
    return neg(product) if negatives == 1 else product


def _rate_parts(rate: Expr) -> tuple[Num, Expr]:
    """A local rate as (its number, as written: 1.5 stays a decimal; the rest):
    the rate of 3u + 1, 3·1 + 0, is 3; w·1, the rate of w·u, is w."""
    value = _plain_number(rate)
    if value is not None and type(rate) is not Num:
        rate = Num(value)
    coefficient, rest = leading_number(rate)
    if type(rest) is Mul and ONE in rest.factors:
        rest = mul(*(factor for factor in rest.factors if not is_plain_one(factor)))
    return coefficient, rest


def _inner_names(taken: frozenset[str], count: int) -> list[str]:
    """Fresh names for the inner values: u alone, else u_1, u_2 …; another letter
    when u is `taken` by the expression differentiated, as a variable or as the name
    of an abstract function (u(v(x)) with --functions u,v), anywhere in it: in
    u·sin(x²) the chain's inner value is v, as u already stands for the variable u."""
    for letter in ("u", "v", "w", "s", "t", "z"):
        names = [letter] if count == 1 else [f"{letter}_{i}" for i in range(1, count + 1)]
        if not taken.intersection(names):
            return names
    return [f"u_{i}" for i in range(1, count + 1)]
