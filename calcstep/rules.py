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

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from calcstep.expr import (
    MINUS_ONE,
    ONE,
    ZERO,
    Apply,
    Call,
    Const,
    E,
    Expr,
    Log,
    Note,
    Num,
    Pow,
    Sym,
    add,
    is_num,
    mul,
    neg,
    split_coefficient,
    substitute,
)
from calcstep.functions import BY_NAME, FUNCTIONS
from calcstep.steps import Step

Derive = Callable[[Expr], Step]

# Beyond this size the chain rule does not spell out each stage's rate at its
# inner value: a deep chain would repeat ever longer expressions (the product,
# the chain step's result, has them all).
EVALUATED_SHOWN_UP_TO = 120


# ---------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule as people see it: its name, the formula it applies, why it holds,
    and the sentence that says why it applies to a particular step.

    `formula()` returns (f, f') with x as the variable, so every renderer can
    write the formula in its own notation; `explain` is a template whose fields
    are `target`, `var` and the step's given names."""

    id: str
    title: str
    family: str
    why: str
    explain: str
    formula: Callable[[], tuple[Expr, Expr]]


_x = Sym("x")


def _f(name: str, arg: Expr = _x, order: int = 0) -> Apply:
    return Apply(name, arg, order)


def _catalogue() -> dict[str, Rule]:
    g, h, f = _f("g"), _f("h"), _f("f")
    dg, dh = _f("g", order=1), _f("h", order=1)
    a, b, c, n = Sym("a"), Sym("b"), Sym("c"), Sym("n")
    rules = [
        Rule(
            "constant", "constant rule", "basics",
            "A constant does not change, so its rate of change is 0.",
            "{target} does not depend on {var}, so it does not change when {var} does: its rate is 0.",
            lambda: (c, ZERO),
        ),
        Rule(
            "variable", "identity rule", "basics",
            "x changes exactly as fast as x: a nudge dx changes x by dx.",
            "{target} is the variable itself, which changes exactly as fast as {var}: rate 1.",
            lambda: (_x, ONE),
        ),
        Rule(
            "constant-multiple", "constant multiple rule", "basics",
            "Scaling a function by c scales every change in it, and so its rate, by c.",
            "{c} is a constant factor: it scales every change of {u}, so it waits outside "
            "while {u} is differentiated.",
            lambda: (mul(c, _f("u")), mul(c, _f("u", order=1))),
        ),
        Rule(
            "sum", "sum rule", "combinations",
            "Nudge x: each term changes by its own rate times dx, and the changes add.",
            "{target} is a sum: a nudge in {var} changes each term by its own rate, and the "
            "changes add.",
            lambda: (add(g, h), add(dg, dh)),
        ),
        Rule(
            "product", "product rule", "combinations",
            "g·h is a rectangle; a nudge grows it by the slivers g·dh and h·dg (the corner "
            "dg·dh is too small to count): left d-right plus right d-left.",
            "{target} is a product: think of a rectangle with sides {g} and {h}; a nudge grows "
            "it along both sides at once, so both slivers count.",
            lambda: (mul(g, h), add(mul(g, dh), mul(h, dg))),
        ),
        Rule(
            "product-n", "product rule (n factors)", "combinations",
            "A product of n factors grows by one sliver per factor: each factor's change times "
            "all the others.",
            "{target} is a product of {n} factors: a nudge changes each factor in turn while the "
            "others hold still, one sliver per factor.",
            lambda: (
                mul(_f("f_1"), _f("f_2"), _f("f_3")),
                add(
                    mul(_f("f_1", order=1), _f("f_2"), _f("f_3")),
                    mul(_f("f_1"), _f("f_2", order=1), _f("f_3")),
                    mul(_f("f_1"), _f("f_2"), _f("f_3", order=1)),
                ),
            ),
        ),
        Rule(
            "quotient", "quotient rule", "combinations",
            "g/h is g·h^-1; the product and chain rules give (h·g' - g·h')/h²: low d-high "
            "minus high d-low, over low squared.",
            "{target} is a quotient {g}/{h} of two changing parts: low d-high minus high d-low, "
            "over low squared.",
            lambda: (
                mul(g, Pow(h, MINUS_ONE)),
                mul(add(mul(h, dg), neg(mul(g, dh))), Pow(h, Num(-2))),
            ),
        ),
        Rule(
            "power", "power rule", "powers",
            "Grow x by dx in each of n factors of xⁿ: n slivers of size x^(n-1)·dx, so "
            "(xⁿ)' = n·x^(n-1), for any constant n.",
            "{target} is {var} raised to a constant power {n}: bring the power down as a factor "
            "and lower it by one.",
            lambda: (Pow(_x, n), mul(n, Pow(_x, add(n, MINUS_ONE)))),
        ),
        Rule(
            "chain", "chain rule", "combinations",
            "A nudge dx passes through each stage of a composition and is multiplied by that "
            "stage's local rate: d/dx f(g(x)) = f'(g(x))·g'(x).",
            "{target} is a composition: {u} is fed into {outer}, so the chain rule applies: "
            "the outer rate, taken at the inner value, times the inner rate.",
            lambda: (_f("f", g), mul(_f("f", g, 1), dg)),
        ),
        Rule(
            "chain-n", "chain rule (several stages)", "combinations",
            "Through a chain of functions the nudge is multiplied once per stage: the local "
            "rates multiply, one per stage, each taken at the value fed into it.",
            "{target} is a chain of {n} functions, each fed into the next: the nudge falls "
            "through every stage, so the local rates multiply.",
            lambda: (
                _f("f", _f("g", h)),
                mul(_f("f", _f("g", h), 1), _f("g", h, 1), dh),
            ),
        ),
        Rule(
            "exp", "exponential rule", "exponentials",
            "e is the one base whose exponential grows at exactly its own size: (e^x)' = e^x.",
            "{target} is e to the power {var}: e^x is the function whose rate equals itself.",
            lambda: (Pow(E, _x), Pow(E, _x)),
        ),
        Rule(
            "exponential", "exponential rule (base a)", "exponentials",
            "a^x = e^(x·ln a), so its rate is ln a times itself.",
            "{target} is a constant base {a} raised to {var}: since a^x = e^(x ln a), its rate "
            "is itself times ln {a}.",
            lambda: (Pow(a, _x), mul(Pow(a, _x), Call("ln", a))),
        ),
        Rule(
            "general-power", "general power rule (logarithmic differentiation)", "exponentials",
            "When both base and exponent change, write f^g = e^(g·ln f) and use the chain and "
            "product rules: (f^g)' = f^g·(g'·ln f + g·f'/f).",
            "{target} has {var} in both its base {f} and its exponent {g}: neither the power "
            "rule (constant exponent) nor the exponential rule (constant base) fits, so take "
            "logarithms: ln y = {g}·ln({f}).",
            lambda: (
                Pow(f, g),
                mul(
                    Pow(f, g),
                    add(mul(dg, Call("ln", f)), mul(g, _f("f", order=1), Pow(f, MINUS_ONE))),
                ),
            ),
        ),
        Rule(
            "logarithm-base", "logarithm rule (base b)", "logarithms",
            "log_b x = ln x / ln b, a constant multiple of ln x.",
            "{target} is a logarithm to the constant base {b}: it is ln {var} divided by the "
            "constant ln {b}.",
            lambda: (Log(_x, b), Pow(mul(_x, Call("ln", b)), MINUS_ONE)),
        ),
        Rule(
            "change-of-base", "change of base", "logarithms",
            "log_b u = ln u / ln b for any positive bases.",
            "{target} has {var} in its base, so it is rewritten as a quotient of natural "
            "logarithms.",
            lambda: (Log(g, h), mul(Call("ln", g), Pow(Call("ln", h), MINUS_ONE))),
        ),
        Rule(
            "abstract", "abstract function", "basics",
            "The rate of an unknown function f is written f'.",
            "{target} is an unspecified function of {var}: its rate is written with a prime.",
            lambda: (f, _f("f", order=1)),
        ),
    ]
    for function in FUNCTIONS:
        rules.append(
            Rule(
                function.name,
                f"{function.name} rule",
                function.family,
                function.why,
                "{target} is " + function.name + " applied to the variable itself, so its known "
                "rate applies directly.",
                (lambda fn=function: (Call(fn.name, _x), fn.derivative(_x))),
            )
        )
    return {rule.id: rule for rule in rules}


RULES: dict[str, Rule] = _catalogue()


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


def constant(expr: Expr, var: str, d: Derive) -> Step:
    """d/dx c = 0, for any c that does not depend on x."""
    others = sorted(expr.free_vars)
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


def constant_multiple(expr: Expr, var: str, d: Derive, c: Expr, u: Expr) -> Step:
    """d/dx (c·u) = c·u', for c constant."""
    inner = d(u)
    return Step("constant-multiple", expr, mul(c, inner.result), var, (inner,), (("c", c), ("u", u)))


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
        return Step("product", expr, result, var, parts, (("g", g), ("h", h)))
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
    return Step("quotient", expr, result, var, (dg, dh), (("g", g), ("h", h)))


def power(expr: Pow, var: str, d: Derive) -> Step:
    """d/dx xⁿ = n·x^(n-1), for any constant n."""
    n = expr.exp
    lowered = Num(n.value - 1, n.decimal) if isinstance(n, Num) else add(n, MINUS_ONE)
    result = mul(n, Pow(expr.base, lowered))
    notes: tuple[Note, ...] = ()
    if isinstance(n, Num) and isinstance(n.value, Fraction) and n.value.denominator in (2, 3):
        notes = (Note("a root is a power: {0} is {1} to the power {2}", (expr, expr.base, n)),)
    elif isinstance(n, Num) and n.value < 0:
        notes = (Note("a reciprocal is a negative power: {0} is {1} to the power {2}",
                      (expr, expr.base, n)),)
    return Step("power", expr, result, var, given=(("n", n),), notes=notes)


def exponential(expr: Pow, var: str, d: Derive) -> Step:
    """d/dx e^x = e^x;  d/dx a^x = a^x·ln a, for a constant a > 0."""
    base = expr.base
    if isinstance(base, Const) and base.name == "e":
        return Step("exp", expr, expr, var)
    return Step("exponential", expr, mul(expr, Call("ln", base)), var, given=(("a", base),))


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
        "general-power", expr, mul(expr, inner.result), var, (inner,), (("f", f), ("g", g)),
        (note,),
    )


def known_function(expr: Call, var: str, d: Derive) -> Step:
    """d/dx f(x) = f'(x), from the function table (sin → cos, ln → 1/x …)."""
    function = BY_NAME[expr.fn]
    notes: tuple[Note, ...] = ()
    if function.corner is not None:
        notes = (
            Note(
                f"{{0}} has no derivative where its argument is {function.corner}: "
                "the rate jumps there",
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
    a^u, log_b u, f(u)), that function as `outer(u)` and the part `u`; else None."""
    if isinstance(expr, Call):
        return (lambda u, fn=expr.fn: Call(fn, u)), expr.arg
    if isinstance(expr, Apply):
        return (lambda u, fn=expr.fn, k=expr.order: Apply(fn, u, k)), expr.arg
    if isinstance(expr, Pow):
        base, exponent = expr.base, expr.exp
        if base.has(var) and not exponent.has(var):
            return (lambda u, n=exponent: Pow(u, n)), base
        if exponent.has(var) and not base.has(var):
            return (lambda u, a=base: Pow(a, u)), exponent
        return None
    if isinstance(expr, Log) and not expr.base.has(var):
        return (lambda u, b=expr.base: Log(u, b)), expr.arg
    return None


def chain(expr: Expr, var: str, d: Derive, local: Callable[[Expr, str], Step]) -> Step:
    """d/dx f(g(x)) = f'(g(x))·g'(x); for f₁(f₂(…fₖ(x)…)) the k local rates multiply.

    The composition is taken apart from the outside in, down to the innermost part
    that is not itself one function of one part: the variable, or a sum, product…
    Each inner value gets a name (u, or u₁, u₂, … from the inside out).  Each stage's
    local rate is found by the rule for that stage alone (`local`, differentiating
    with respect to the stage's own input name) and then taken at the actual inner
    value: cos(u) with u = x² is cos(x²), never cos(x)."""
    outers: list[Callable[[Expr], Expr]] = []
    inners: list[Expr] = []
    node = expr
    while True:
        found = layer(node, var)
        if found is None:
            break
        outer, inner = found
        outers.append(outer)
        inners.append(inner)
        if inner == Sym(var):
            break
        node = inner
    innermost = inners[-1]
    x = Sym(var)
    names = iter(_inner_names(expr, len(inners) - (innermost == x)))
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
        stage = local(outers[index](previous), name)
        evaluated = substitute(stage.result, {previous: actual})
        stages.append(
            Step(stage.rule, stage.target, stage.result, name, stage.substeps, stage.given,
                 stage.notes, evaluated)
        )
        rates.append(evaluated)
    result = _product_of_rates(list(reversed(rates)))
    if len(stages) <= 2:
        outer = outers[0](previous)
        return Step("chain", expr, result, var, tuple(reversed(stages)),
                    (*tuple(bindings), ("outer", outer)))
    return Step("chain-n", expr, result, var, tuple(reversed(stages)),
                (*tuple(bindings), ("n", Num(len(stages)))))


def _product_of_rates(rates: list[Expr]) -> Expr:
    """The local rates multiplied, outermost first, as the formula writes them; a
    minus sign in any rate is moved to the front (−cos(u)·…, not cos(u)·(−1)·…)."""
    negative = False
    factors: list[Expr] = []
    for rate in rates:
        coefficient, rest = split_coefficient(rate)
        if coefficient < 0:
            negative = not negative
            coefficient = -coefficient
        if coefficient != 1:
            factors.append(Num(coefficient))
        if rest != ONE:
            factors.append(rest)
    product = mul(*factors)
    return neg(product) if negative else product


def _inner_names(expr: Expr, count: int) -> list[str]:
    """Fresh names for the inner values: u alone, else u_1, u_2 …; another letter
    when u is taken by the expression itself."""
    taken = expr.free_vars
    for letter in ("u", "v", "w", "s", "t", "z"):
        names = [letter] if count == 1 else [f"{letter}_{i}" for i in range(1, count + 1)]
        if not taken.intersection(names):
            return names
    return [f"u_{i}" for i in range(1, count + 1)]
