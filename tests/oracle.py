"""Independent oracles for the tests: SymPy (symbolic and via mpmath, numeric) and
central finite differences.  calcstep itself never imports SymPy; only the tests do.

`to_sympy` converts calcstep's tree to SymPy by walking it (no strings, no eval),
so the oracle sees exactly the expression calcstep worked on.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import mpmath
import sympy as sp

from calcstep.errors import CalcstepError
from calcstep.evaluate import evaluate
from calcstep.expr import Add, Apply, Call, Const, Expr, Log, Mul, Num, Pow, Sym

_SYMBOLS: dict[str, sp.Symbol] = {}


def symbol(name: str) -> sp.Symbol:
    if name not in _SYMBOLS:
        _SYMBOLS[name] = sp.Symbol(name, real=True)
    return _SYMBOLS[name]


def _real_power(base: sp.Expr, exponent: Fraction) -> sp.Expr:
    """base^(p/q) with calcstep's reading: an odd root of a negative number is real."""
    if exponent.denominator % 2 == 1 and exponent.denominator != 1:
        return sp.real_root(base, exponent.denominator) ** exponent.numerator
    return base ** sp.Rational(exponent.numerator, exponent.denominator)


_FUNCTIONS = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "sec": sp.sec, "csc": sp.csc, "cot": sp.cot,
    "asin": sp.asin, "acos": sp.acos, "atan": sp.atan, "acot": sp.acot, "asec": sp.asec,
    "acsc": sp.acsc, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "sech": sp.sech,
    "csch": sp.csch, "coth": sp.coth, "asinh": sp.asinh, "acosh": sp.acosh, "atanh": sp.atanh,
    "acoth": sp.acoth, "asech": sp.asech, "acsch": sp.acsch, "ln": sp.log, "abs": sp.Abs,
    "sign": sp.sign, "heaviside": sp.Heaviside,
    "sigmoid": lambda u: 1 / (1 + sp.exp(-u)),
    "softplus": lambda u: sp.log(1 + sp.exp(u)),
    "relu": lambda u: sp.Max(0, u),
}


def to_sympy(expr: Expr) -> sp.Expr:
    """The SymPy expression for a calcstep expression."""
    if isinstance(expr, Num):
        value = Fraction(expr.value)
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(expr, Sym):
        return symbol(expr.name)
    if isinstance(expr, Const):
        return sp.E if expr.name == "e" else sp.pi
    if isinstance(expr, Add):
        return sp.Add(*(to_sympy(t) for t in expr.terms))
    if isinstance(expr, Mul):
        return sp.Mul(*(to_sympy(f) for f in expr.factors))
    if isinstance(expr, Pow):
        base = to_sympy(expr.base)
        if isinstance(expr.exp, Num) and not isinstance(expr.exp.value, int):
            return _real_power(base, Fraction(expr.exp.value))
        return base ** to_sympy(expr.exp)
    if isinstance(expr, Call):
        return _FUNCTIONS[expr.fn](to_sympy(expr.arg))
    if isinstance(expr, Log):
        return sp.log(to_sympy(expr.arg)) / sp.log(to_sympy(expr.base))
    if isinstance(expr, Apply):
        function = sp.Function(expr.fn)
        arg = to_sympy(expr.arg)
        if expr.order == 0:
            return function(arg)
        xi = sp.Dummy("xi")
        return sp.Subs(sp.Derivative(function(xi), (xi, expr.order)), xi, arg).doit()
    raise TypeError(type(expr))


def sample_points(names, count: int, seed: int = 0, low: float = 0.3, high: float = 2.2):
    """Random points, both signs, away from 0 (where |x|, relu and friends have corners)."""
    rng = random.Random(seed)
    for _ in range(count):
        yield {name: rng.uniform(low, high) * rng.choice((1, -1)) for name in names}


def mp_value(sym_expr: sp.Expr, point: dict[str, float], digits: int = 40):
    """The real value of a SymPy expression at a point with mpmath, or None when it is
    undefined or not real there."""
    subs = {symbol(name): sp.Float(value, digits) for name, value in point.items()}
    try:
        value = sym_expr.evalf(digits, subs=subs)
    except (ValueError, TypeError, ZeroDivisionError):
        return None
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or not value.is_number:
        return None
    value = complex(value)
    if abs(value.imag) > 1e-20 * max(1.0, abs(value.real)) or not math.isfinite(value.real):
        return None
    return value.real


def calcstep_value(expr: Expr, point: dict[str, float]):
    try:
        return evaluate(expr, point)
    except CalcstepError:
        return None


def central_difference(sym_expr: sp.Expr, var: str, point: dict[str, float], order: int = 1):
    """The order-th derivative at a point by central differences in 50-digit mpmath
    arithmetic, or None where the function is not defined nearby."""
    names = sorted(point)
    args = [symbol(name) for name in names]
    fn = sp.lambdify(args, sym_expr, modules="mpmath")
    position = names.index(var)
    with mpmath.workdps(50):
        values = [mpmath.mpf(point[name]) for name in names]

        def f(t):
            moved = list(values)
            moved[position] = t
            result = fn(*moved)
            if isinstance(result, mpmath.mpc):
                if abs(result.imag) > mpmath.mpf(10) ** -30:
                    raise ValueError("not real")
                result = result.real
            return result

        try:
            return float(mpmath.diff(f, values[position], order, h=mpmath.mpf(10) ** -12))
        except (ValueError, ZeroDivisionError, TypeError):
            return None


def close(a: float, b: float, tolerance: float = 1e-7) -> bool:
    return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))
