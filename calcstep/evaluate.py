"""Numbers from expressions: the value of an expression at a point, in floating point.

Real-valued throughout: an odd root of a negative number is real ((-8)^(1/3) is
-2), an even root of one is undefined, and anything undefined (ln 0, 1/0, the
derivative of |x| at 0) raises DomainError with the reason, never NaN, infinity
or a complex number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal, getcontext, localcontext
from fractions import Fraction

from calcstep.deep import deep
from calcstep.errors import AbstractValueError, AtZeroError, DomainError, TooLargeError, UsageError
from calcstep.expr import Add, Apply, Call, Const, Expr, Log, Mul, Num, Pow, Sym
from calcstep.functions import BY_NAME, COMPLEMENTS, DOMAINS

_CONSTANTS = {"e": math.e, "pi": math.pi}
_PI = Const("pi")


def _complement(expr: Add) -> tuple[Callable[[float], float], Expr] | None:
    """For a sum 1 − f(u) whose f has a complement (functions.COMPLEMENTS), that
    complement and u; else None."""
    if len(expr.terms) != 2:
        return None
    for one, minus in (expr.terms, expr.terms[::-1]):
        if type(one) is Num and one.value == 1 and type(minus) is Mul and len(minus.factors) == 2:
            sign, call = minus.factors
            if type(sign) is Num and sign.value == -1 and type(call) is Call and call.fn in COMPLEMENTS:
                return COMPLEMENTS[call.fn], call.arg
    return None


class _Evaluator:
    def __init__(self, env: Mapping[str, float]) -> None:
        self.env = env
        self.memo: dict[Expr, float] = {}
        self.kinds: dict[type, Callable[[Expr], float]] = {
            Num: self.number,
            Sym: self.symbol,
            Const: self.constant,
            Add: self.sum,
            Mul: self.product,
            Pow: self.power,
            Call: self.call,
            Log: self.logarithm,
            Apply: self.applied,
        }

    def __call__(self, expr: Expr) -> float:
        value = self.memo.get(expr)
        if value is None:
            value = self.kinds[type(expr)](expr)
            if math.isinf(value) or math.isnan(value):
                raise TooLargeError("the value is too large to represent")
            self.memo[expr] = value
        return value

    def number(self, expr: Num) -> float:
        try:
            return float(expr.value)
        except OverflowError:
            raise TooLargeError("a number is too large for a decimal value") from None

    def symbol(self, expr: Sym) -> float:
        if expr.name not in self.env:
            raise UsageError(
                f"no value for {expr.name}",
                hint=f"give one with --at {expr.name}=…",
            )
        return self.env[expr.name]

    def constant(self, expr: Const) -> float:
        return _CONSTANTS[expr.name]

    def sum(self, expr: Add) -> float:
        complement = _complement(expr)
        if complement is not None:
            # 1 − σ(u) computed without the subtraction, so it keeps its digits where
            # σ(u) rounds to 1 (σ′(50) = σ(50)·(1 − σ(50)) is 2·10⁻²², not 0)
            rest, arg = complement
            return rest(self(arg))
        return math.fsum(self(term) for term in expr.terms)

    def product(self, expr: Mul) -> float:
        result = 1.0
        for factor in expr.factors:
            result *= self(factor)
        return result

    def power(self, expr: Pow) -> float:
        base = self(expr.base)
        exponent_expr = expr.exp
        exponent = self(exponent_expr)
        try:
            if base < 0 and not float(exponent).is_integer():
                return _odd_root(base, exponent_expr, exponent)
            if base == 0 and exponent < 0:
                raise AtZeroError("division by zero")
            return math.pow(base, exponent)
        except OverflowError:
            raise TooLargeError("the value is too large to represent") from None
        except ZeroDivisionError:
            raise AtZeroError("division by zero") from None

    def call(self, expr: Call) -> float:
        if expr.fn == "ln" and type(expr.arg) is Num:
            return _log_of_number(expr.arg.value)  # ln(10^-400), whose float is 0
        if type(expr.arg) is Add and expr.fn in _TRIG_PARTS:
            turned = _quarter_turns(expr.arg)
            if turned is not None:  # tan(π/2 − 10^-20): the π/2 taken exactly
                rest = self(turned[1])
                if abs(rest) >= _PERIODIC_UP_TO:  # as below: no decimal but noise
                    raise TooLargeError(f"{expr.fn}(…{rest:+g}) cannot be computed in floating point")
                return _trig_turned(expr.fn, turned[0], rest)
        argument = self(expr.arg)
        if abs(argument) >= _PERIODIC_UP_TO and BY_NAME[expr.fn].family == "trig":
            # beyond 2^53 a float is not even a whole number of the input, let alone
            # its place in the period: any decimal here would be noise
            raise TooLargeError(f"{expr.fn}({argument:g}) cannot be computed in floating point")
        try:
            return BY_NAME[expr.fn].evaluate(argument)
        except OverflowError:
            raise TooLargeError(f"{expr.fn}({argument:g}) is too large to represent") from None
        except (ValueError, ZeroDivisionError):
            needs = DOMAINS.get(expr.fn, "an argument inside its domain")
            kind = AtZeroError if argument == 0 else DomainError
            raise kind(f"{expr.fn}({argument:g}) is undefined: {expr.fn} needs {needs}") from None

    def logarithm(self, expr: Log) -> float:
        if type(expr.arg) is Num and type(expr.base) is Num and expr.base.value > 0 and expr.base.value != 1:
            return _log_of_number(expr.arg.value) / _log_of_number(expr.base.value)
        argument, base = self(expr.arg), self(expr.base)
        if argument <= 0 or base <= 0 or base == 1:
            raise DomainError(f"log to base {base:g} of {argument:g} is undefined")
        return math.log(argument) / math.log(base)

    def applied(self, expr: Apply) -> float:
        raise AbstractValueError(
            f"{expr.fn} is an abstract function: it has no numeric value",
            hint="replace it by a concrete function to evaluate",
        )


# The largest argument at which a float still holds a trig function's input to
# within one unit: 2^53.
_PERIODIC_UP_TO = float(2**53)


# Each trig function as sine and cosine: (numerator, denominator), "1" for none.
_TRIG_PARTS = {"sin": ("sin", "1"), "cos": ("cos", "1"), "tan": ("sin", "cos"),
               "cot": ("cos", "sin"), "sec": ("1", "cos"), "csc": ("1", "sin")}


def _quarter_turns(argument: Add) -> tuple[int, Expr] | None:
    """(k, r) for an argument k·π/2 + r, k whole (π/2 − 10^-20 is (1, −10^-20)):
    near a multiple of π/2 a trig function is near 0 or a pole, and π/2 in
    floating point is off by 6·10^-17, far more than 10^-20."""
    for index, term in enumerate(argument.terms):
        coefficient = 1 if term == _PI else (
            term.factors[0].value
            if type(term) is Mul and len(term.factors) == 2 and term.factors[1] == _PI
            and type(term.factors[0]) is Num else None
        )
        if coefficient is not None and (2 * Fraction(coefficient)).denominator == 1:
            rest = argument.terms[:index] + argument.terms[index + 1 :]
            return int(2 * coefficient), rest[0] if len(rest) == 1 else Add(rest)
    return None


def _trig_turned(fn: str, k: int, r: float) -> float:
    """fn(k·π/2 + r) from sin r and cos r, exactly turned: sin(π/2 + r) = cos r."""
    sine, cosine = math.sin(r), math.cos(r)
    turned = {0: (sine, cosine), 1: (cosine, -sine), 2: (-sine, -cosine), 3: (-cosine, sine)}[k % 4]
    parts = {"sin": turned[0], "cos": turned[1], "1": 1.0}
    top, bottom = (parts[name] for name in _TRIG_PARTS[fn])
    if bottom == 0:
        raise AtZeroError(f"{fn} is undefined here: its {_TRIG_PARTS[fn][1]} is 0")
    return top / bottom


def _log_of_number(value: int | Fraction) -> float:
    """ln of an exact positive number, from its numerator and denominator (whole
    numbers of any size), so ln(10^-400) is −921.03, where float(10^-400) is 0."""
    if value <= 0:
        raise DomainError(f"ln({value}) is undefined: ln needs a number > 0")
    fraction = Fraction(value)
    return math.log(fraction.numerator) - math.log(fraction.denominator)


def _odd_root(base: float, exponent_expr: Expr, exponent: float) -> float:
    """A negative base to a fractional power: real only for an odd root."""
    if type(exponent_expr) is Num:
        value = Fraction(exponent_expr.value)
        if value.denominator % 2 == 1:
            magnitude = math.pow(-base, float(value))
            return -magnitude if value.numerator % 2 else magnitude
    if type(exponent_expr) is Num:
        raise DomainError(
            f"({base:g})^({exponent_expr.value}) is not a real number: an even root needs a number ≥ 0"
        )
    # an exponent known only as a float (π, or y at y = 1/3) cannot be told an odd root
    raise DomainError(
        f"({base:g})^({exponent:g}) is not a real number: a number below 0 has a real power "
        "only when the exponent is whole or an odd root (1/3, 2/5)"
    )


@deep
def evaluate(expr: Expr, env: Mapping[str, float]) -> float:
    """The value of `expr` with its variables set from `env`, as a float.

    Raises DomainError where the value is undefined or not real, UsageError when a
    variable has no value."""
    try:
        return _Evaluator(env)(expr)
    except ZeroDivisionError:
        raise AtZeroError("division by zero") from None


# -- beyond floating point's range ------------------------------------------------

# Where floats overflow, the digits worked with: as many as the largest part has
# before its point, and this many more (e^1000 has 435 digits before its point,
# and √(e^1000 + 1) − e^500 cancels all of them: a fixed precision would give its
# rounding, or an exact 0, as the value).  The value stands when twice as many
# digits give it again; no more digits than `_WIDE_MOST` are spent.
_WIDE_DIGITS = 60
_WIDE_MOST = 4000
# Agreement of two precisions that makes a value: a float's own.
_WIDE_AGREE = 1e-15
# Deeper expressions are not worked out so (the walk is recursive).
_WIDE_DEPTH = 200
_PI_DIGITS = (
    "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798214"
    "80865132823066470938446095505822317253594081284811174502841027019385211055596446229489549303819644288109"
    "75665933446128475648233786783165271201909145648566923460348610454326648213393607260249141273724587006606"
    "31558817488152092096282925409171536436789259036001133053054882046652138414695194151160943305727036575959"
    "19530921861173819326117931051185480744623799627495673518857527248912279381830119491298336733624406566430"
    "86021394946395224737190702179860943702770539217176293176752384674818467669405132000568127145263560827785"
    "77134275778960917363717872146844090122495343014654958537105079227968925892354201995611212902196086403441"
    "81598136297747713099605187072113499999983729780499510597317328160963185950244594553469083026425223082533"
    "44685035261931188171010003137838752886587533208381420617177669147303598253490428755468731159562863882353"
    "78759375195778185778053217122680661300192787661119590921642019893809525720106548586327886593615338182796"
    "82303019520353018529689957736225994138912497217752834791315155748572424541506959508295331168617278558890"
    "7509838175463746493931925506040092770167113900984882401285836160356370766010471018194295559619894676783744"
)


def _wide_ln(u: Decimal) -> Decimal:
    if u <= 0:
        raise ArithmeticError("ln needs a positive argument")
    return u.ln()


def _wide_sigmoid(u: Decimal) -> Decimal:
    # 1/(1 + e^(−u)), its e^(−u) never far past the range: u ≥ 0 or not
    return 1 / (1 + (-u).exp()) if u >= 0 else u.exp() / (1 + u.exp())


def _wide_softplus(u: Decimal) -> Decimal:
    return u + _wide_ln_one_plus((-u).exp()) if u > 0 else _wide_ln_one_plus(u.exp())


def _wide_ln_one_plus(t: Decimal) -> Decimal:
    """ln(1 + t) for t ≥ 0 that keeps its digits when t is small: 1 + t rounded
    to the context's digits keeps few of t's (softplus(−123) is 3.8·10⁻⁵⁴), so a
    small t takes the series t − t²/2 + t³/3 − …"""
    return (1 + t).ln() if t > Decimal("0.01") else _alternating_series(t, t, 1)


def _alternating_series(first: Decimal, ratio: Decimal, step: int) -> Decimal:
    """first − first·ratio/(1 + step) + first·ratio²/(1 + 2·step) − …, summed
    until a term no longer changes the total: ln(1 + t) is (t, t, 1), arctan u
    is (u, u², 2)."""
    power, total, n = first, first, 1
    while True:
        power *= -ratio
        n += step
        term = power / n
        if total + term == total:
            return total
        total += term


def _wide_tanh(u: Decimal) -> Decimal:
    sign = 1 if u >= 0 else -1
    small = (-2 * abs(u)).exp()
    return sign * (1 - small) / (1 + small)


def _wide_sin(u: Decimal) -> Decimal:
    """sin u by its series, u first brought within π of 0: that takes π, and the
    arithmetic, to as many digits as u has before the point besides those the
    value needs (sin(10¹⁰⁰) takes π to 160 digits); refused past the digits of π
    held here."""
    with localcontext() as context:
        context.prec = getcontext().prec + max(u.adjusted(), 0) + 10
        pi = _wide_pi()
        turns = (u / (2 * pi)).to_integral_value()
        u -= turns * 2 * pi
    u = +u
    term, total, n = u, u, 1
    while True:
        term *= -u * u / ((n + 1) * (n + 2))
        n += 2
        if total + term == total:
            return +total
        total += term


def _wide_cos(u: Decimal) -> Decimal:
    return _wide_sin(u + _wide_pi() / 2)


def _wide_pi() -> Decimal:
    """π to the context's precision; refused past the digits of π held here."""
    if getcontext().prec >= len(_PI_DIGITS) - 2:
        raise ArithmeticError("π is not known here to that many digits")
    return +Decimal(_PI_DIGITS)


def _wide_atan(u: Decimal) -> Decimal:
    """arctan u: past 1 in size as ±π/2 − arctan(1/u); within it, the argument
    halved by arctan u = 2·arctan(u/(1 + √(1 + u²))) until it is below 1/10, where
    the series u − u³/3 + u⁵/5 − … gains a digit a term."""
    if abs(u) > 1:
        return (_wide_pi() / 2).copy_sign(u) - _wide_atan(1 / u)
    doublings = 0
    while abs(u) > Decimal("0.1"):
        u = u / (1 + (1 + u * u).sqrt())
        doublings += 1
    return _alternating_series(u, u * u, 2) * 2**doublings


def _wide_asin(u: Decimal) -> Decimal:
    if abs(u) > 1:
        raise ArithmeticError("arcsin needs an argument between −1 and 1")
    if abs(u) == 1:
        return (_wide_pi() / 2).copy_sign(u)
    return _wide_atan(u / (1 - u * u).sqrt())


def _wide_acot(u: Decimal) -> Decimal:
    # arctan(1/u), as the float arccot is: its values lie in (−π/2, π/2], π/2 at 0
    return _wide_pi() / 2 if u == 0 else _wide_atan(1 / u)


def _wide_asinh(u: Decimal) -> Decimal:
    # ln(|u| + √(u² + 1)), its sign put back: for u < 0 the sum would cancel
    return (abs(u) + (u * u + 1).sqrt()).ln().copy_sign(u)


def _wide_acosh(u: Decimal) -> Decimal:
    if u < 1:
        raise ArithmeticError("arcosh needs an argument of at least 1")
    return (u + (u * u - 1).sqrt()).ln()


def _wide_atanh(u: Decimal) -> Decimal:
    if abs(u) >= 1:
        raise ArithmeticError("artanh needs an argument strictly between −1 and 1")
    return ((1 + u) / (1 - u)).ln() / 2


def _wide_acoth(u: Decimal) -> Decimal:
    if abs(u) <= 1:
        raise ArithmeticError("arcoth needs an argument of size greater than 1")
    return ((u + 1) / (u - 1)).ln() / 2


def _wide_asech(u: Decimal) -> Decimal:
    if u <= 0:
        raise ArithmeticError("arsech needs an argument in (0, 1]")
    return _wide_acosh(1 / u)


def _wide_heaviside(u: Decimal) -> Decimal:
    if u == 0:
        raise ArithmeticError("the step function has no value at its jump")
    return Decimal(1 if u > 0 else 0)


_WIDE_FUNCTIONS: dict[str, Callable[[Decimal], Decimal]] = {
    # the periodic functions: a float of a large argument keeps few of its digits
    # (sin(e³⁰) comes out −0.057, and is −0.074)
    "sin": _wide_sin,
    "cos": _wide_cos,
    "tan": lambda u: _wide_sin(u) / _wide_cos(u),
    "sec": lambda u: 1 / _wide_cos(u),
    "csc": lambda u: 1 / _wide_sin(u),
    "cot": lambda u: _wide_cos(u) / _wide_sin(u),
    "ln": _wide_ln,  # (exp(u) is read as e^u: a power)
    "sqrt": lambda u: u.sqrt(),
    "abs": abs,
    "sigmoid": _wide_sigmoid,
    "softplus": _wide_softplus,
    "tanh": _wide_tanh,
    "cosh": lambda u: (u.exp() + (-u).exp()) / 2,
    "sinh": lambda u: (u.exp() - (-u).exp()) / 2,
    "sech": lambda u: 2 / (u.exp() + (-u).exp()),
    "csch": lambda u: 2 / (u.exp() - (-u).exp()),
    "coth": lambda u: (u.exp() + (-u).exp()) / (u.exp() - (-u).exp()),
    # the inverse functions: beside the ends of their domains (arcsin at 1) the
    # values that tell a vertical tangent from a corner are here
    "atan": _wide_atan,
    "asin": _wide_asin,
    "acos": lambda u: _wide_pi() / 2 - _wide_asin(u),
    "acot": _wide_acot,
    "asec": lambda u: _wide_pi() / 2 - _wide_asin(1 / u),
    "acsc": lambda u: _wide_asin(1 / u),
    "asinh": _wide_asinh,
    "acosh": _wide_acosh,
    "atanh": _wide_atanh,
    "acoth": _wide_acoth,
    "asech": _wide_asech,
    "acsch": lambda u: _wide_asinh(1 / u),
    # the pieces of activations and of |u|'s rate
    "sign": lambda u: Decimal((u > 0) - (u < 0)),
    "heaviside": _wide_heaviside,
    "relu": lambda u: max(u, Decimal(0)),
}


def wide_value(expr: Expr) -> float | None:
    """The value of a constant expression as a float, worked out in decimal
    arithmetic of a range and precision floats do not have: e^1000/(e^1000 + 1) is
    ≈ 1, though e^1000 overflows a float, and sin(e³⁰) is −0.074, though a float
    of e³⁰ is off by more than 0.01.  Sums, products, powers, e, π and every
    known function are worked out so (an abstract one is not); None for any
    other part, for a value undefined there, and for a value itself
    beyond floating point."""
    if expr.depth > _WIDE_DEPTH:
        return None
    try:
        # a first look finds the largest part, whose digits before the point the
        # precision must hold besides those the value needs
        parts: dict[int, Decimal] = {}
        _wide_at(expr, _WIDE_DIGITS, parts)
        largest = max((part.adjusted() for part in parts.values() if part.is_finite() and part), default=0)
        digits = max(largest, 0) + _WIDE_DIGITS
        if 2 * digits > _WIDE_MOST:
            return None
        value, again = (float(_wide_at(expr, precision, {})) for precision in (digits, 2 * digits))
    except (ArithmeticError, LookupError, ValueError, TypeError):
        return None
    if abs(value - again) > _WIDE_AGREE * max(abs(value), abs(again)):
        return None  # cancellation beyond what these digits hold
    # 0.0 is a value past a float's range below, not 0: only a part past it above
    # brought the expression here, and an exact 0 the simplifier would have found
    return value if math.isfinite(value) and value != 0 else None


def _wide_at(expr: Expr, digits: int, parts: dict[int, Decimal]) -> Decimal:
    """`expr`'s value to `digits` significant digits, each part's kept in `parts`."""
    with localcontext() as context:
        context.prec = digits
        context.Emax, context.Emin = 10**9, -(10**9)
        return _wide(expr, parts)


def _wide(expr: Expr, memo: dict[int, Decimal]) -> Decimal:
    """The value of `expr` in the current decimal context, each distinct part once
    (`memo`, by the part's identity: a shared part is worked out once)."""
    known = memo.get(id(expr))
    if known is None:
        known = memo[id(expr)] = _wide_node(expr, memo)
    return known


def _wide_node(expr: Expr, memo: dict[int, Decimal]) -> Decimal:
    kind = type(expr)
    if kind is Num:
        value = Fraction(expr.value)
        return Decimal(value.numerator) / Decimal(value.denominator)
    if kind is Const:
        return Decimal(1).exp() if expr.name == "e" else _wide_pi()
    if kind is Add:
        return sum((_wide(term, memo) for term in expr.terms), Decimal(0))
    if kind is Mul:
        product = Decimal(1)
        for factor in expr.factors:
            product *= _wide(factor, memo)
        return product
    if kind is Pow:
        base, exponent = _wide(expr.base, memo), expr.exp
        if type(exponent) is Num and type(exponent.value) is int:
            return base ** exponent.value
        if type(expr.base) is Const and expr.base.name == "e":
            return _wide(exponent, memo).exp()
        power = Fraction(exponent.value) if type(exponent) is Num else None
        if base < 0 and power is not None and power.denominator % 2:
            # an odd root of a negative number is real: (−8)^(2/3) is 4, (−8)^(1/3) is −2
            magnitude = (-base) ** _wide(exponent, memo)
            return -magnitude if power.numerator % 2 else magnitude
        if base <= 0:
            raise ArithmeticError("a real power of a number ≤ 0 is not worked out here")
        return base ** _wide(exponent, memo)
    if kind is Call:
        return _WIDE_FUNCTIONS[expr.fn](_wide(expr.arg, memo))  # LookupError for any other function
    if kind is Log:
        return _wide_ln(_wide(expr.arg, memo)) / _wide_ln(_wide(expr.base, memo))
    raise LookupError(f"no wide value for {kind.__name__}")
