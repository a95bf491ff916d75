"""The vocabulary: every function calcstep knows, its spellings, derivative and value.

One table (`FUNCTIONS`) holds each known one-argument function with its aliases,
LaTeX name, derivative in terms of its argument u, numeric evaluation, symmetry,
exact special values and the one-line reason its derivative is what it is.  The
parser, the rule engine, the simplifier, the evaluator and the printers all read
this table, so a function is added in exactly one place.

Spellings that are not functions of their own are listed in `REWRITTEN`: `exp`,
`sqrt` and `cbrt` are powers, `log10`, `log2` and `log_b` are logarithms to a base.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import NamedTuple

from calcstep.errors import DomainError
from calcstep.expr import (
    HALF,
    ONE,
    PI,
    TWO,
    ZERO,
    Call,
    Const,
    E,
    Expr,
    Log,
    Mul,
    Num,
    Pow,
    add,
    call,
    mul,
    neg,
    reciprocal,
    sqrt,
)

EVEN = 1
ODD = -1
NEITHER = 0


class Function(NamedTuple):
    """A known one-argument function.

    `derivative(u)` is f'(u); `evaluate(t)` is f(t) for a float t and raises
    ValueError outside the function's real domain; `special(u)` is the exact value
    f(u) for the arguments where one is known (sin(0) = 0), else None.  Why each
    derivative is what it is, is told in calcstep.lessons.
    """

    name: str
    family: str
    latex: str
    derivative: Callable[[Expr], Expr]
    evaluate: Callable[[float], float]
    aliases: tuple[str, ...] = ()
    parity: int = NEITHER
    inverse: str | None = None
    special: Callable[[Expr], Expr | None] | None = None
    corner: str | None = None  # where the derivative does not exist, said in the step
    # the function beside its corner, where its argument u has the sign σ = ±1 (|u|
    # is σ·u, relu(u) is u or 0): smooth forms, whose derivatives on each side of a
    # point tell whether the derivative exists there (engine._by_sides)
    sides: Callable[[Expr, int], Expr] | None = None
    # which of the conventions textbooks differ on calcstep follows, said with the
    # note at the corner (arccot's values lie in (−π/2, π/2] here, (0, π) in
    # others); it joins a Note's template, so it has no braces
    convention: str = ""


def _value(arg: Expr) -> Fraction | int | None:
    return arg.value if type(arg) is Num else None


def pi_multiple(arg: Expr) -> Fraction | None:
    """k when arg is k·π for a rational k (0 included), else None."""
    if type(arg) is Num:
        return Fraction(0) if arg.value == 0 else None
    if arg == PI:
        return Fraction(1)
    if type(arg) is Mul and len(arg.factors) == 2:
        first, second = arg.factors
        if type(first) is Num and second == PI:
            return Fraction(first.value)
    return None


_HALF_SQRT2 = mul(HALF, sqrt(TWO))
_HALF_SQRT3 = mul(HALF, sqrt(Num(3)))
_SIN_TABLE: dict[Fraction, Expr] = {
    Fraction(0): ZERO,
    Fraction(1, 6): HALF,
    Fraction(1, 4): _HALF_SQRT2,
    Fraction(1, 3): _HALF_SQRT3,
    Fraction(1, 2): ONE,
}


def _sin_of_pi_multiple(k: Fraction) -> Expr | None:
    """sin(kπ) exactly, for k a multiple of 1/4 or 1/6."""
    k = k % 2
    sign = 1
    if k >= 1:
        k, sign = k - 1, -1
    if k > Fraction(1, 2):
        k = 1 - k
    value = _SIN_TABLE.get(k)
    if value is None:
        return None
    return value if sign == 1 else neg(value)


def _cos_of_pi_multiple(k: Fraction) -> Expr | None:
    """cos(kπ) exactly, where sin((k + 1/2)π) is known."""
    return _sin_of_pi_multiple(k + Fraction(1, 2))


def _special_sin(arg: Expr) -> Expr | None:
    k = pi_multiple(arg)
    return None if k is None else _sin_of_pi_multiple(k)


def _special_cos(arg: Expr) -> Expr | None:
    k = pi_multiple(arg)
    return None if k is None else _cos_of_pi_multiple(k)


_SQRT3 = sqrt(Num(3))
# tan(kπ) for k in [0, 1) where it is known exactly (k = 1/2 is a pole)
_TAN_TABLE: dict[Fraction, Expr] = {
    Fraction(0): ZERO,
    Fraction(1, 6): mul(Num(Fraction(1, 3)), _SQRT3),
    Fraction(1, 4): ONE,
    Fraction(1, 3): _SQRT3,
    Fraction(2, 3): neg(_SQRT3),
    Fraction(3, 4): Num(-1),
    Fraction(5, 6): mul(Num(Fraction(-1, 3)), _SQRT3),
}


def _special_tan(arg: Expr) -> Expr | None:
    k = pi_multiple(arg)
    if k is None:
        return None
    k = k % 1
    if k == Fraction(1, 2):
        raise DomainError("tan is undefined at odd multiples of π/2 (its cosine is 0 there)")
    return _TAN_TABLE.get(k)


def _special_cot(arg: Expr) -> Expr | None:
    k = pi_multiple(arg)
    if k is None:
        return None
    k = k % 1
    if k == 0:
        raise DomainError("cot is undefined at multiples of π (its sine is 0 there)")
    return _TAN_TABLE.get((Fraction(1, 2) - k) % 1)  # cot u = tan(π/2 − u)


def _special_reciprocal(name: str, of: Callable[[Fraction], Expr | None], where: str):
    """sec or csc at a multiple of π where cos or sin is known exactly: 1/value, or
    a DomainError where the value is 0."""

    def special(arg: Expr) -> Expr | None:
        k = pi_multiple(arg)
        value = None if k is None else of(k)
        if value is None:
            return None
        if value == ZERO:
            raise DomainError(f"{name} is undefined at {where}")
        return reciprocal(value)

    return special


# The exact values of sine and tangent read backwards, each with its angle as a
# multiple of π: asin(√3/2) = π/3, atan(−1) = −π/4.  1/√2 and 1/√3 are listed as
# the simplifier writes them, beside √2/2 and √3/3 (the same numbers).
_AS_RECIPROCAL_ROOT = {_HALF_SQRT2: Pow(TWO, Num(Fraction(-1, 2))),
                       mul(Num(Fraction(1, 3)), _SQRT3): Pow(Num(3), Num(Fraction(-1, 2)))}


def _angles(values: dict[Fraction, Expr]) -> dict[Expr, Fraction]:
    angles: dict[Expr, Fraction] = {}
    for k, value in values.items():
        for form in (value, _AS_RECIPROCAL_ROOT.get(value)):
            if form is not None:
                angles[form], angles[neg(form)] = k, -k
    return angles


_ASIN_ANGLES = _angles(_SIN_TABLE)  # angles 0 to π/2, and their negatives
_ATAN_ANGLES = _angles({k: v for k, v in _TAN_TABLE.items() if k < Fraction(1, 2)})


def _pi_times(k: Fraction | None) -> Expr | None:
    if k is None:
        return None
    return ZERO if k == 0 else mul(Num(k), PI)


def _angle(angles: dict[Expr, Fraction], arg: Expr) -> Fraction | None:
    """The angle of a value in `angles`, a decimal (0.5, 1.0) read as its number."""
    if type(arg) is Num and arg.decimal:
        arg = Num(arg.value)
    return angles.get(arg)


def _special_asin(arg: Expr) -> Expr | None:
    """asin(v) = kπ where sin(kπ) = v is known exactly, k between −1/2 and 1/2."""
    return _pi_times(_angle(_ASIN_ANGLES, arg))


def _special_acos(arg: Expr) -> Expr | None:
    """acos(v) = π/2 − asin(v)."""
    k = _angle(_ASIN_ANGLES, arg)
    return None if k is None else _pi_times(Fraction(1, 2) - k)


def _special_atan(arg: Expr) -> Expr | None:
    """atan(v) = kπ where tan(kπ) = v is known exactly, k between −1/2 and 1/2."""
    return _pi_times(_angle(_ATAN_ANGLES, arg))


def _at_zero(value: Expr) -> Callable[[Expr], Expr | None]:
    return _at_numbers({0: value})


def _at_numbers(table: dict[int, Expr]) -> Callable[[Expr], Expr | None]:
    """The exact value at each whole-number argument in `table` (arcosh(1) = 0)."""
    def special(arg: Expr) -> Expr | None:
        value = _value(arg)
        return table.get(value) if type(value) is int else None

    return special


def _pi_over(k: int) -> Expr:
    return mul(Num(Fraction(1, k)), PI)


def _special_ln(arg: Expr) -> Expr | None:
    if _value(arg) == 1:
        return ZERO
    if type(arg) is Const and arg.name == "e":
        return ONE
    return None


def _special_numeric(rule: Callable[[Fraction | int], Fraction | int | None]):
    def special(arg: Expr) -> Expr | None:
        value = _value(arg)
        if value is None:
            return None
        result = rule(value)
        return None if result is None else Num(result)

    return special


def _sign(t: float) -> float:
    return (t > 0) - (t < 0)


def _heaviside(t: float) -> float:
    if t == 0:
        raise ValueError("the step function H(u) is not defined at u = 0")
    return 1.0 if t > 0 else 0.0


def _sigmoid(t: float) -> float:
    if t >= 0:
        return 1.0 / (1.0 + math.exp(-t))
    z = math.exp(t)
    return z / (1.0 + z)


def _softplus(t: float) -> float:
    return max(t, 0.0) + math.log1p(math.exp(-abs(t)))


def _sech(t: float) -> float:
    """1/cosh t, as 2e^−|t|/(1 + e^−2|t|): past |t| ≈ 710 cosh overflows, while
    sech is merely small (it underflows to 0 past 745)."""
    small = math.exp(-abs(t))
    return 2.0 * small / (1.0 + small * small)


def _csch(t: float) -> float:
    """1/sinh t, as ±2e^−|t|/(1 − e^−2|t|) (see _sech); undefined at 0."""
    if t == 0:
        raise ValueError("division by zero")
    small = math.exp(-abs(t))
    return math.copysign(2.0 * small / -math.expm1(-2.0 * abs(t)), t)  # 1 − e^−2|t|, exact near 0


def _recip(f: Callable[[float], float]) -> Callable[[float], float]:
    def g(t: float) -> float:
        value = f(t)
        if value == 0:
            raise ValueError("division by zero")
        return 1.0 / value

    return g


def _of_recip(f: Callable[[float], float]) -> Callable[[float], float]:
    def g(t: float) -> float:
        if t == 0:
            raise ValueError("division by zero")
        return f(1.0 / t)

    return g


def _acot(t: float) -> float:
    return math.pi / 2 if t == 0 else math.atan(1.0 / t)


def _u2(u: Expr) -> Expr:
    return Pow(u, TWO)


def _inv_sqrt(inner: Expr) -> Expr:
    return Pow(inner, Num(Fraction(-1, 2)))


def _one_minus_u2(u: Expr) -> Expr:
    return add(ONE, neg(_u2(u)))


def _u2_minus_one(u: Expr) -> Expr:
    return add(_u2(u), Num(-1))


def _u2_plus_one(u: Expr) -> Expr:
    return add(_u2(u), ONE)


FUNCTIONS: tuple[Function, ...] = (
    # trigonometric
    Function(
        "sin", "trig", r"\sin",
        lambda u: call("cos", u), math.sin,
        parity=ODD, inverse="asin", special=_special_sin,
    ),
    Function(
        "cos", "trig", r"\cos",
        lambda u: neg(call("sin", u)), math.cos,
        parity=EVEN, inverse="acos", special=_special_cos,
    ),
    Function(
        "tan", "trig", r"\tan",
        lambda u: Pow(call("sec", u), TWO), math.tan,
        aliases=("tg",), parity=ODD, inverse="atan", special=_special_tan,
    ),
    Function(
        "sec", "trig", r"\sec",
        lambda u: mul(call("sec", u), call("tan", u)), _recip(math.cos),
        parity=EVEN, inverse="asec",
        special=_special_reciprocal("sec", _cos_of_pi_multiple, "odd multiples of π/2 (its cosine is 0 there)"),
    ),
    Function(
        "csc", "trig", r"\csc",
        lambda u: neg(mul(call("csc", u), call("cot", u))), _recip(math.sin),
        aliases=("cosec",), parity=ODD, inverse="acsc",
        special=_special_reciprocal("csc", _sin_of_pi_multiple, "multiples of π (its sine is 0 there)"),
    ),
    Function(
        "cot", "trig", r"\cot",
        lambda u: neg(Pow(call("csc", u), TWO)), _recip(math.tan),
        aliases=("cotan", "ctg"), parity=ODD, inverse="acot", special=_special_cot,
    ),
    # inverse trigonometric
    Function(
        "asin", "inverse trig", r"\arcsin",
        lambda u: _inv_sqrt(_one_minus_u2(u)), math.asin,
        aliases=("arcsin",), parity=ODD, special=_special_asin,
    ),
    Function(
        "acos", "inverse trig", r"\arccos",
        lambda u: neg(_inv_sqrt(_one_minus_u2(u))), math.acos,
        aliases=("arccos",), special=_special_acos,
    ),
    Function(
        "atan", "inverse trig", r"\arctan",
        lambda u: Pow(_u2_plus_one(u), Num(-1)), math.atan,
        aliases=("arctan", "arctg"), parity=ODD, special=_special_atan,
    ),
    Function(
        "acot", "inverse trig", r"\operatorname{arccot}",
        lambda u: neg(Pow(_u2_plus_one(u), Num(-1))), _acot,
        aliases=("arccot", "arcctg"), parity=ODD,
        special=_at_numbers({0: _pi_over(2), 1: _pi_over(4), -1: neg(_pi_over(4))}),
        # arccot u is arctan(1/u), π/2 at 0: it jumps from −π/2 to π/2 there
        corner="0", sides=lambda u, sign: add(mul(Num(Fraction(sign, 2)), PI), neg(call("atan", u))),
        convention="here arccot(u) is arctan(1/u), between −π/2 and π/2; as π/2 − arctan(u), "
                   "between 0 and π, it has no jump and the same derivative",
    ),
    Function(
        "asec", "inverse trig", r"\operatorname{arcsec}",
        lambda u: Pow(mul(call("abs", u), sqrt(_u2_minus_one(u))), Num(-1)),
        _of_recip(math.acos),
        aliases=("arcsec",),
        special=_at_numbers({1: ZERO, -1: PI, 2: _pi_over(3), -2: mul(Num(Fraction(2, 3)), PI)}),
    ),
    Function(
        "acsc", "inverse trig", r"\operatorname{arccsc}",
        lambda u: neg(Pow(mul(call("abs", u), sqrt(_u2_minus_one(u))), Num(-1))),
        _of_recip(math.asin),
        aliases=("arccsc", "arccosec"), parity=ODD,
        special=_at_numbers({1: _pi_over(2), -1: neg(_pi_over(2)), 2: _pi_over(6), -2: neg(_pi_over(6))}),
    ),
    # hyperbolic
    Function(
        "sinh", "hyperbolic", r"\sinh",
        lambda u: call("cosh", u), math.sinh,
        parity=ODD, inverse="asinh", special=_at_zero(ZERO),
    ),
    Function(
        "cosh", "hyperbolic", r"\cosh",
        lambda u: call("sinh", u), math.cosh,
        parity=EVEN, inverse="acosh", special=_at_zero(ONE),
    ),
    Function(
        "tanh", "hyperbolic", r"\tanh",
        lambda u: Pow(call("sech", u), TWO), math.tanh,
        parity=ODD, inverse="atanh", special=_at_zero(ZERO),
    ),
    Function(
        "sech", "hyperbolic", r"\operatorname{sech}",
        lambda u: neg(mul(call("sech", u), call("tanh", u))), _sech,
        parity=EVEN, inverse="asech", special=_at_zero(ONE),
    ),
    Function(
        "csch", "hyperbolic", r"\operatorname{csch}",
        lambda u: neg(mul(call("csch", u), call("coth", u))), _csch,
        parity=ODD, inverse="acsch",
    ),
    Function(
        "coth", "hyperbolic", r"\coth",
        lambda u: neg(Pow(call("csch", u), TWO)), _recip(math.tanh),
        parity=ODD, inverse="acoth",
    ),
    # inverse hyperbolic
    Function(
        "asinh", "inverse hyperbolic", r"\operatorname{arsinh}",
        lambda u: _inv_sqrt(_u2_plus_one(u)), math.asinh,
        aliases=("arsinh", "arcsinh"), parity=ODD, special=_at_zero(ZERO),
    ),
    Function(
        "acosh", "inverse hyperbolic", r"\operatorname{arcosh}",
        lambda u: _inv_sqrt(_u2_minus_one(u)), math.acosh,
        aliases=("arcosh", "arccosh"), special=_at_numbers({1: ZERO}),
    ),
    Function(
        "atanh", "inverse hyperbolic", r"\operatorname{artanh}",
        lambda u: Pow(_one_minus_u2(u), Num(-1)), math.atanh,
        aliases=("artanh", "arctanh"), parity=ODD, special=_at_zero(ZERO),
    ),
    Function(
        "acoth", "inverse hyperbolic", r"\operatorname{arcoth}",
        lambda u: Pow(_one_minus_u2(u), Num(-1)), _of_recip(math.atanh),
        aliases=("arcoth", "arccoth"), parity=ODD,
    ),
    Function(
        "asech", "inverse hyperbolic", r"\operatorname{arsech}",
        lambda u: neg(Pow(mul(u, sqrt(_one_minus_u2(u))), Num(-1))),
        _of_recip(math.acosh),
        aliases=("arsech", "arcsech"), special=_at_numbers({1: ZERO}),
    ),
    Function(
        "acsch", "inverse hyperbolic", r"\operatorname{arcsch}",
        lambda u: neg(Pow(mul(call("abs", u), sqrt(_u2_plus_one(u))), Num(-1))),
        _of_recip(math.asinh),
        aliases=("arcsch", "arccsch"), parity=ODD,
    ),
    # logarithm
    Function(
        "ln", "logarithm", r"\ln",
        lambda u: Pow(u, Num(-1)), math.log,
        aliases=("log",), special=_special_ln,
    ),
    # pieces and activations
    Function(
        "abs", "absolute value", r"\operatorname{abs}",
        lambda u: mul(u, Pow(call("abs", u), Num(-1))), abs,
        parity=EVEN, special=_special_numeric(abs), corner="0",
        sides=lambda u, sign: u if sign > 0 else neg(u),
    ),
    Function(
        "sign", "absolute value", r"\operatorname{sgn}",
        lambda u: ZERO, _sign,
        aliases=("sgn",), parity=ODD,
        special=_special_numeric(_sign), corner="0", sides=lambda u, sign: Num(sign),
    ),
    Function(
        "sigmoid", "activation", r"\sigma",
        lambda u: mul(call("sigmoid", u), add(ONE, neg(call("sigmoid", u)))), _sigmoid,
        special=_at_zero(HALF),
    ),
    Function(
        "softplus", "activation", r"\operatorname{softplus}",
        lambda u: call("sigmoid", u), _softplus, special=_at_zero(call("ln", TWO)),
    ),
    Function(
        "relu", "activation", r"\operatorname{ReLU}",
        lambda u: call("heaviside", u), lambda t: max(t, 0.0),
        aliases=("ReLU",), special=_special_numeric(lambda v: max(v, 0)), corner="0",
        sides=lambda u, sign: u if sign > 0 else ZERO,
    ),
    Function(
        "heaviside", "activation", r"H",
        lambda u: ZERO, _heaviside,
        aliases=("step",),
        special=_special_numeric(lambda v: None if v == 0 else int(v > 0)), corner="0",
        sides=lambda u, sign: ONE if sign > 0 else ZERO,
    ),
)

BY_NAME: dict[str, Function] = {function.name: function for function in FUNCTIONS}

# Every spelling of a known function, mapped to its canonical name.
SPELLINGS: dict[str, str] = {}
for _function in FUNCTIONS:
    SPELLINGS[_function.name] = _function.name
    for _alias in _function.aliases:
        SPELLINGS[_alias] = _function.name


def _log_base(base: Expr) -> Callable[[Expr], Expr]:
    return lambda u: Log(u, base)


# Spellings that build something other than a Call: the power or logarithm they name.
REWRITTEN: dict[str, Callable[[Expr], Expr]] = {
    "exp": lambda u: Pow(E, u),
    "sqrt": sqrt,
    "cbrt": lambda u: Pow(u, Num(Fraction(1, 3))),
    "log10": _log_base(Num(10)),
    "log2": _log_base(TWO),
    "lg": _log_base(Num(10)),
}

CONSTANTS: dict[str, Expr] = {"e": E, "pi": PI, "π": PI}

# Greek letters: the ASCII name people type and the letter it prints as.
GREEK: dict[str, str] = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "omicron": "ο",
    "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
GREEK_BY_LETTER: dict[str, str] = {
    **{letter: name for name, letter in GREEK.items()},
    # the variant forms fonts and keyboards also give
    "ϑ": "theta", "ϕ": "phi", "ϵ": "epsilon",
}

# What a function needs of its argument, said when a value is outside it.
DOMAINS: dict[str, str] = {
    "ln": "a positive argument",
    "asin": "an argument between −1 and 1",
    "acos": "an argument between −1 and 1",
    "asec": "an argument of size at least 1",
    "acsc": "an argument of size at least 1",
    "acosh": "an argument of at least 1",
    "atanh": "an argument strictly between −1 and 1",
    "acoth": "an argument of size greater than 1",
    "asech": "an argument in (0, 1]",
    "heaviside": "a nonzero argument (the step has no value at its jump)",
    "csc": "an argument where sin is not 0",
    "sec": "an argument where cos is not 0",
    "cot": "an argument where tan is not 0",
    "csch": "a nonzero argument",
    "coth": "a nonzero argument",
    "acsch": "a nonzero argument",
}

# 1 − f(t) for a float t, computed without subtracting, for the functions whose
# value rounds to 1 while 1 − f(t) is still far from 0: 1 − σ(t) is σ(−t) exactly,
# and σ(50) is 1.0 in floating point though 1 − σ(50) is 2·10⁻²² (the sigmoid
# rule's σ(u)·(1 − σ(u)) meets it in every saturated unit); 1 − tanh(t) is
# 2/(e^(2t) + 1), that is 2σ(−2t) (tanh's rate 1 − tanh² meets it likewise).
COMPLEMENTS: dict[str, Callable[[float], float]] = {
    "sigmoid": lambda t: _sigmoid(-t),
    "tanh": lambda t: 2 * _sigmoid(-2 * t),
}

# The abstract functions a learner can use without declaring them, as in the lesson.
DEFAULT_ABSTRACT: frozenset[str] = frozenset({"f", "g", "h"})


def function_spellings() -> frozenset[str]:
    """Every word that names a function (known, rewritten), for the lexer."""
    return frozenset(SPELLINGS) | frozenset(REWRITTEN)


def apply_named(spelling: str, arg: Expr) -> Expr:
    """The expression a function spelling builds around `arg`: sin → Call, exp → e^u."""
    rewrite = REWRITTEN.get(spelling)
    if rewrite is not None:
        return rewrite(arg)
    return Call(SPELLINGS[spelling], arg)


def inverse_of(spelling: str) -> str | None:
    """The canonical name of the inverse function of a spelling (sin → asin), if any."""
    name = SPELLINGS.get(spelling)
    return BY_NAME[name].inverse if name else None

