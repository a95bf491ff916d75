"""Expressions to text: canonical ASCII, pretty Unicode, and LaTeX.

* `to_text` writes the canonical form: ASCII, every product with an explicit `*`,
  re-parseable so that `parse(to_text(e)) == e` for every expression e.
* `to_pretty` writes for people: `2x·cos(x²)`, `√x`, `|x|`, `π`, minimal brackets,
  fractions as `a/b`; with `ascii=True` it keeps to ASCII (`2*x*cos(x^2)`).
* `to_latex` writes `2 x \\cos\\left(x^{2}\\right)`, with `\\frac` for fractions.

The three share one walk (class `_Printer`): how a product splits into numerator
and denominator, where a minus sign goes, and when brackets are needed are
decided once; each style only spells the pieces.  No printer computes anything:
what is printed is the tree as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction

from calcstep.deep import deep, deep_unary
from calcstep.expr import (
    ONE,
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
    is_plain_minus_one,
    is_plain_one,
    mul,
)
from calcstep.functions import BY_NAME, GREEK, GREEK_BY_LETTER

# How many printed pieces a printer keeps.  The cache pays off within one
# expression's steps, where each step prints its parent's parts again; past this
# many pieces it is cleared: between the reports of a batch (`trim_caches`),
# before each text written (`render`), and while writing a sum wider than an
# eighth of it (wide expressions are sums).  Clearing costs at most a walk of
# parts already printed, and is what keeps a printer's memory bounded: the terms
# of a 100,000-term sum and its derivative would otherwise be held, text and all,
# by three printers at once (240 MB).
_CACHE_LIMIT = 20_000

# A printer forgets its pieces after writing a text longer than this.  The pieces
# of a text hold its every part's text, which for a deep expression is several
# times the text itself (the factors of a 1000-deep chain's derivative,
# cos(sin(…)), each hold the one below): kept by three printers at once they
# were most of the memory a deep derivative takes.  Writing a long text again
# costs a walk proportional to the text, which its writing costs anyway.
_FORGET_PAST = 1 << 20

# Binding strength of what a piece of text is, loosest first.
SUM, PRODUCT, POWER, ATOM = 1, 2, 4, 5

_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SUBSCRIPTS = str.maketrans("0123456789aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUBSCRIPTABLE = frozenset("0123456789aehijklmnoprstuvx")

# Functions whose integer powers are written on the name: sin²(x).
_POWER_ON_NAME = frozenset(
    name for name, info in BY_NAME.items() if info.family in ("trig", "hyperbolic", "logarithm")
)


def decimal_text(value: Fraction | int) -> str | None:
    """`value` in decimal notation when it has a finite one, else None:
    1/8 → '0.125', 10^309 → '1e309', 1/3 → None."""
    fraction = Fraction(value)
    numerator, denominator = fraction.numerator, fraction.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return None
    places = max(twos, fives)
    scaled = abs(numerator) * 10**places // fraction.denominator
    sign = "-" if numerator < 0 else ""
    digits = str(scaled)
    # strip trailing zeros into an exponent
    exponent = -places
    stripped = digits.rstrip("0") or "0"
    exponent += len(digits) - len(stripped)
    digits = stripped
    if digits == "0":
        return "0.0" if places else "0"
    point = len(digits) + exponent  # position of the decimal point within digits
    if 0 < point <= 16 and exponent < 0:  # 3.0000001, however many places
        return sign + digits[:point] + "." + digits[point:]
    if exponent >= -6 and point <= 16:
        if exponent >= 0:
            return sign + digits + "0" * exponent + ".0"
        return sign + "0." + "0" * (-point) + digits
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mantissa}e{point - 1}"


# A whole number this long, ending in this many zeros or more, is written for
# people as m·10ᵏ (ln x at 10⁻⁴⁰⁰ is 10⁴⁰⁰, not a 1 and 400 zeros); canonical text
# keeps every digit, as it must read back as the same number.
_SCIENTIFIC_FROM_DIGITS = 22
_SCIENTIFIC_ZEROS = 12
_SCIENTIFIC_MANTISSA_DIGITS = 12
_SCIENTIFIC_FROM = 10 ** (_SCIENTIFIC_FROM_DIGITS - 1)


def scientific(value: int) -> tuple[int, int] | None:
    """(m, k) with value = m·10ᵏ, for a long whole number of many trailing zeros
    and a short m; else None (a number written out in full)."""
    if -_SCIENTIFIC_FROM < value < _SCIENTIFIC_FROM:
        return None  # most numbers: told without writing them out
    digits = len(str(abs(value)))
    mantissa, zeros = value, 0
    while mantissa % 10 == 0:
        mantissa //= 10
        zeros += 1
    if zeros < _SCIENTIFIC_ZEROS or digits - zeros > _SCIENTIFIC_MANTISSA_DIGITS:
        return None
    return mantissa, zeros


def _power_of_ten(value: int) -> bool:
    """True for a number written for people as 10ᵏ alone (see `scientific`)."""
    found = scientific(value)
    return found is not None and found[0] == 1


class _Printer:
    """The shared walk.  Subclasses spell numbers, names, operators and functions.

    `piece(e)` returns (text, binding) for a node, cached so that a shared subtree
    is spelled once."""

    times = "*"
    minus = "-"
    plus = " + "
    difference = " - "
    # Canonical text must read back as the same tree, so (x²)⁻¹ stays a power there
    # (1/x² reads back as x⁻²); the forms for people write it as the division it is.
    reads_back = True
    forgets_long = True

    def __init__(self) -> None:
        # for a factor written as a division, what it divides by (see `_divisor`)
        self.divisor: Callable[[Expr], Expr | None] = (
            _divisor if self.reads_back else _division
        )
        # keyed by the node's stored hash, an int: a dict keyed by the node itself
        # would call its __hash__, a Python method, on every lookup (a hundred
        # thousand a batch).  The entry holds the node, for the equality check
        # that a key by hash alone needs; a collision is a miss, written over.
        self._cache: dict[int, tuple[str, int, Expr]] = {}
        # a sum's later terms with their sign (" − 2x"), printed once per term: a
        # term recurs in the sums of a derivation, and the pretty form's minus
        # takes a new node for what follows it
        self._later: dict[int, tuple[str, Expr]] = {}  # keyed as `_cache` is
        self._kinds: dict[type, Callable[[Expr], tuple[str, int]]] = {
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

    # -- the walk ---------------------------------------------------------
    def render(self, expr: Expr) -> str:
        """The text of `expr`, written whole (not a piece of a longer text)."""
        cached = self._cache.get(expr._hash)  # `piece`, inlined, as in `at`
        if cached is not None and (cached[2] is expr or cached[2] == expr):
            return cached[0]
        return self.write(expr)

    def write(self, expr: Expr) -> str:
        """`render` for an expression not in the cache: its text made, and kept
        unless it is long (see `_FORGET_PAST`); the cache is trimmed first."""
        if len(self._cache) > _CACHE_LIMIT:  # `trim`, inlined: called for every text made
            self.forget()
        text, binding = self._kinds[type(expr)](expr)
        self._cache[expr._hash] = (text, binding, expr)
        if len(text) > _FORGET_PAST and self.forgets_long:
            self.forget()
        return text

    def trim(self) -> None:
        """Start afresh if the cache has grown past its limit."""
        if len(self._cache) > _CACHE_LIMIT:
            self.forget()

    def forget(self) -> None:
        self._cache.clear()
        self._later.clear()

    def piece(self, expr: Expr) -> tuple[str, int]:
        cached = self._cache.get(expr._hash)
        if cached is None or (cached[2] is not expr and cached[2] != expr):
            text, binding = self._kinds[type(expr)](expr)
            self._cache[expr._hash] = (text, binding, expr)
            return text, binding
        return cached[0], cached[1]

    def at(self, expr: Expr, binding: int) -> str:
        """The text of `expr`, bracketed when it binds more loosely than `binding`."""
        cached = self._cache.get(expr._hash)  # `piece`, inlined: the walk's most frequent call
        if cached is None or (cached[2] is not expr and cached[2] != expr):
            text, own = self._kinds[type(expr)](expr)
            self._cache[expr._hash] = (text, own, expr)
        else:
            text, own = cached[0], cached[1]
        return self.bracket(text) if own < binding else text

    def bracket(self, text: str) -> str:
        return f"({text})"

    # -- sums ---------------------------------------------------------------
    def sum(self, expr: Add) -> tuple[str, int]:
        terms = expr.terms
        if type(terms) is not tuple:
            # a wide sum's terms, made a run at a time when read (calcstep/wide.py):
            # its text, written once by each printer, is kept with them, as
            # reading the runs again costs a reading of the whole input
            written = terms.written  # type: ignore[attr-defined]
            if self not in written:
                written[self] = self.sum_of(terms)
            return written[self], SUM
        return self.sum_of(terms), SUM

    def sum_of(self, terms: Sequence[Expr]) -> str:
        """The text of the sum of `terms`."""
        # a sum as a first term is grad's bracketed layer, (x + y) + z (the reading
        # merges sums, so only the grouped reading for a graph has one)
        parts = [self.at(terms[0], SUM + 1 if type(terms[0]) is Add else SUM)]
        later = self._later
        wide = len(terms) > _CACHE_LIMIT // 8
        for term in terms[1:]:
            if wide and len(self._cache) > _CACHE_LIMIT:
                self.forget()  # a wide sum is not held whole, term by term, in the cache
            known = later.get(term._hash)
            if known is not None and (known[1] is term or known[1] == term):
                parts.append(known[0])
                continue
            after = self.after_minus(term)
            if after is not None:
                text = self.difference + after
            else:
                text = self.plus + self.at(term, SUM + 1)
            later[term._hash] = (text, term)
            parts.append(text)
        return "".join(parts)

    def after_minus(self, term: Expr) -> str | None:
        """For a sum's later term written after a minus sign, the text that follows
        the sign; else None.  Only forms that read back as the same term qualify
        (see `_minus_led`), and in canonical text and LaTeX such a term's own text
        is its sign "-" and then that text (-3*x, -x, -1/2*x, -(x + 1),
        -\\frac{x}{2}): the term itself is printed, not a new node without its
        sign, and a step that differentiates the term finds its text printed."""
        if not _minus_led(term):
            return None
        return self.at(term, PRODUCT)[1:]

    # -- products -----------------------------------------------------------
    def product(self, expr: Mul) -> tuple[str, int]:
        numerator, denominator = self.split_fraction(expr.factors)
        if denominator:
            return self.fraction(numerator, denominator), PRODUCT
        return self.factors(expr.factors), PRODUCT

    def split_fraction(self, factors: tuple[Expr, ...]) -> tuple[Sequence[Expr], list[Expr]]:
        """The factors before the trailing run of divisors, and the divisors written
        as positive powers; no divisors when the product is better written inline."""
        if type(factors[-1]) is not Pow:
            return factors, []  # only a power divides: most products end in something else
        divisor = self.divisor
        denominator: list[Expr] = []  # last divisor first
        cut = len(factors)
        while cut > 0 and (below := divisor(factors[cut - 1])) is not None:
            denominator.append(below)
            cut -= 1
        if not denominator:
            return factors, []  # no divisor at the end, as in most products
        numerator = list(factors[:cut])
        if len(numerator) == 1 and is_plain_one(numerator[0]):
            return factors, []
        denominator.reverse()
        return numerator, denominator

    def fraction(self, numerator: list[Expr], denominator: list[Expr]) -> str:
        if len(numerator) == 1:
            top = self.at(numerator[0], PRODUCT)
        else:
            top = self.factors(tuple(numerator)) if numerator else "1"
        bottom_expr = mul(*denominator)
        bottom = self.at(bottom_expr, POWER if len(denominator) == 1 else ATOM)
        return f"{top}/{bottom}"

    def factors(self, factors: tuple[Expr, ...]) -> str:
        first = factors[0]
        rest = factors[1:]
        if is_plain_minus_one(first) and rest and type(rest[0]) is not Num:
            return self.minus + self.factors(rest)
        parts = [self.at(first, PRODUCT)]
        for factor in rest:
            parts.append(self.at(factor, PRODUCT + 1))
        return self.times.join(parts)

    # -- powers ---------------------------------------------------------------
    def power(self, expr: Pow) -> tuple[str, int]:
        exponent = expr.exp
        if _is_root(expr):
            return self.root(expr.base, exponent.value.denominator), ATOM  # x^(1/2) or x^(1/3)
        divisor = self.divisor(expr)
        if divisor is not None:
            return f"1/{self.at(divisor, POWER)}", PRODUCT
        return self.raise_to(expr.base, exponent), POWER

    def raise_to(self, base: Expr, exponent: Expr) -> str:
        return f"{self.at(base, POWER + 1)}^{self.exponent(exponent)}"

    def exponent(self, exponent: Expr) -> str:
        text, binding = self.piece(exponent)
        # a whole number or a decimal (x^2, x^0.5) reads unbracketed; a fraction
        # would not (x^1/2 is x¹/2), nor a sign
        simple = isinstance(exponent, (Sym, Const)) or (
            type(exponent) is Num
            and (isinstance(exponent.value, int) or exponent.decimal)
            and exponent.value >= 0
        )
        return text if simple and binding >= ATOM else self.bracket(text)

    def root(self, base: Expr, index: int) -> str:
        name = "sqrt" if index == 2 else "cbrt"
        return f"{name}({self.render(base)})"

    # -- leaves ---------------------------------------------------------------
    def number(self, expr: Num) -> tuple[str, int]:
        value = expr.value
        if expr.decimal:
            text = decimal_text(value)
            if text is not None:
                return text, ATOM if not text.startswith("-") else PRODUCT
        if type(value) is Fraction:
            return f"{value.numerator}/{value.denominator}", PRODUCT
        return str(value), ATOM if value >= 0 else PRODUCT

    def symbol(self, expr: Sym) -> tuple[str, int]:
        return expr.name, ATOM

    def constant(self, expr: Const) -> tuple[str, int]:
        return expr.name, ATOM

    # -- functions ------------------------------------------------------------
    def call(self, expr: Call) -> tuple[str, int]:
        return f"{expr.fn}({self.render(expr.arg)})", ATOM

    def logarithm(self, expr: Log) -> tuple[str, int]:
        base = expr.base
        if type(base) is Num and base.value in (10, 2):
            return f"log{base.value}({self.render(expr.arg)})", ATOM
        return f"log_{self.log_base(base)}({self.render(expr.arg)})", ATOM

    def log_base(self, base: Expr) -> str:
        """A logarithm's base after log_: a name or a number as it is, anything else
        (a rule's b(x)) in brackets, so log_(b(x))(u(x)) is not read as log_b of x
        times u(x)."""
        text = self.render(base)
        return text if type(base) in (Sym, Num) else f"({text})"

    def applied(self, expr: Apply) -> tuple[str, int]:
        return f"{expr.fn}{chr(39) * expr.order}({self.render(expr.arg)})", ATOM


def _minus_carried(factors: Sequence[Expr], takes: Callable[[Expr], bool]) -> Iterator[tuple[Expr, bool]]:
    """A product's later factors, each with whether it is to be written negated:
    a plain −1 followed by a factor that is not a number (and that `takes` it) is
    written on that factor, x·(−1)·sin(x) as x·(−sin(x)), and not yielded itself."""
    index = 0
    while index < len(factors):
        factor = factors[index]
        index += 1
        if index < len(factors) and is_plain_minus_one(factor):
            following = factors[index]
            if type(following) is not Num and takes(following):
                index += 1
                yield following, True
                continue
        yield factor, False


def _divisor(expr: Expr, reads_back: bool = True) -> Expr | None:
    """For a factor b^-k that reads back as division by b^k, that b^k; else None.

    A number as the base is excluded (2^-1 stays a power until it is evaluated);
    and so, when the text must read back (`reads_back`), are a product (1/(xy)
    reads back as x^-1·y^-1, not as (xy)^-1) and a numeric power divided once
    ((x²)^-1: 1/x² reads back as x^-2).  Other powers of powers read back as
    written: x/e^(2x) and the quotient rule's 1/(x²)²."""
    if type(expr) is not Pow:
        return None
    base, exponent = expr.base, expr.exp
    if type(exponent) is not Num or exponent.value >= 0:
        return None
    positive = -exponent.value
    if type(base) is Num or (
        reads_back and (type(base) is Mul or (type(base) is Pow and type(base.exp) is Num and positive == 1))
    ):
        return None
    return base if positive == 1 else Pow(base, Num(positive, exponent.decimal))


def _division(expr: Expr) -> Expr | None:
    """`_divisor` for the forms for people, which need not read back: a plain
    function, as a partial with a keyword makes a dict on every call."""
    return _divisor(expr, False)


def _minus_led(term: Expr) -> bool:
    """True for a term written after a minus sign in a sum.

    Only forms that read back as the same term qualify: -3 (as 3), (-2)·x (as 2·x),
    (-1)·x (as x); not (-1)·2·x, which would read back as (-2)·x."""
    if type(term) is Num:
        return term.value < 0
    if type(term) is Mul and type(term.factors[0]) is Num:
        coefficient = term.factors[0]
        if coefficient.value >= 0:
            return False
        return coefficient.value != -1 or coefficient.decimal or type(term.factors[1]) is not Num
    return False


class _TextPrinter(_Printer):
    """Canonical ASCII: explicit `*`, `sqrt`, `abs`, `pi`; re-parseable."""

    forgets_long = False


class _PrettyPrinter(_Printer):
    """Unicode for people: implicit products where they read unambiguously,
    superscript powers, √, |x|, Greek letters, a true minus sign."""

    times = "·"
    minus = "−"
    difference = " − "
    reads_back = False

    def __init__(self, ascii_only: bool = False) -> None:
        super().__init__()
        self.ascii_only = ascii_only
        if ascii_only:
            self.times, self.minus, self.difference = "*", "-", " - "

    def fraction(self, numerator: list[Expr], denominator: list[Expr]) -> str:
        coefficient = numerator[0] if numerator else None
        if (type(coefficient) is Num and type(coefficient.value) is Fraction and not coefficient.decimal
                and _merges(numerator)):
            # (3/2)·x/y is written 3x/(2y): the coefficient's denominator joins the
            # rest (0.5·x/y stays 0.5x/y: a decimal is written as it was typed)
            value = coefficient.value
            top = [Num(value.numerator), *numerator[1:]]
            bottom = [Num(value.denominator), *denominator]
            return self.fraction_text(_drop_unit(top), bottom)
        for index in range(1, len(numerator)):
            if not _is_written_fraction(numerator[index]):
                continue
            value = numerator[index].value
            below = [Num(value.denominator), *denominator]
            if index == len(numerator) - 1:
                # x·(1/2)/√(x + 1), the product rule's g·h′ with h′ = 1/(2√(x + 1)),
                # is written x·1/(2√(x + 1)): h′ as its own step wrote it
                return self.factors(tuple(numerator[:-1])) + self.times + self.fraction_text(
                    [Num(value.numerator)], below)
            # 1/(x√(x + 1))·(1/2)·(3x + 2)/√(x + 1) is …·(3x + 2)/(2√(x + 1)): a
            # number's denominator inside the product joins the division
            kept = [*numerator[:index], *([Num(value.numerator)] if value.numerator != 1 else []),
                    *numerator[index + 1 :]]
            return self.fraction_text(kept, below)
        return self.fraction_text(numerator, denominator)

    def fraction_text(self, numerator: list[Expr], denominator: list[Expr]) -> str:
        if not numerator:
            top = "1"
        elif len(numerator) == 1:
            top = self.at(numerator[0], PRODUCT)
        else:
            top = self.factors(tuple(numerator))
        if len(denominator) == 1:
            bottom = self.at(denominator[0], POWER)
        else:
            bottom = self.bracket(self.factors(tuple(denominator)))
        return f"{top}/{bottom}"

    def product(self, expr: Mul) -> tuple[str, int]:
        numerator, denominator = self.split_fraction(expr.factors)
        if denominator and self.divides_after_a_fraction(expr.factors):
            # ½·(√√x)^(−1/2)·½·(√x)^(−1/2)·½·x^(−1/2), a chain's rates: written left
            # to right, 1/(2√√√x)·1/(2√√x)·1/(2√x), each number with the division
            # after it, not as one fraction whose bar takes the last rate alone
            numerator, denominator = expr.factors, []
        first = numerator[0] if numerator else None
        rational = type(first) is Num and type(first.value) is Fraction and not first.decimal
        if not denominator and rational and len(numerator) > 1 and _merges(numerator):
            value = first.value
            divisor = self.divisor(numerator[1])
            if divisor is not None and len(numerator) > 2:
                # ½·(1/√u)·u′ is 1/(2√u)·u′, not 1/√u·u′/2: the number's denominator
                # joins the division after it, and the chain rule's outer rate reads whole
                head = self.fraction_text([Num(value.numerator)], [Num(value.denominator), divisor])
                return head + self.continued(numerator[2:], None), PRODUCT
            top = _drop_unit([Num(value.numerator), *numerator[1:]])
            return self.fraction_text(top, [Num(value.denominator)]), PRODUCT
        if denominator:
            return self.fraction(numerator, denominator), PRODUCT
        return self.factors(expr.factors), PRODUCT

    def factors(self, factors: tuple[Expr, ...]) -> str:
        first = factors[0]
        rest = factors[1:]
        if is_plain_minus_one(first) and rest and type(rest[0]) is not Num:
            return self.minus + self.factors(rest)
        opening = self.divisions(factors, 0)
        if len(opening) > 1:
            # a product that opens with divisions, as the chain rule's 1/u for ln(u)
            # leaves one, is 1/(x√(x + 1))·…, not 1/x/√(x + 1)·…
            return self.fraction_text([], opening) + self.continued(factors[len(opening):], None)
        text = self.at(first, PRODUCT)
        # after a division (1/x²) the next factor is joined with a visible ·:
        # 1/x²y would read as 1/(x²y)
        return text + self.continued(rest, None if opening else first)

    def divides_after_a_fraction(self, factors: Sequence[Expr]) -> bool:
        """True when a number written as a fraction, after the first factor, is
        followed by a divisor: the number's denominator joins that division."""
        return any(
            _is_written_fraction(factors[index]) and self.divisor(factors[index + 1]) is not None
            for index in range(1, len(factors) - 1)
        )

    def divisions(self, factors: Sequence[Expr], start: int) -> list[Expr]:
        """What the run of divisors in `factors` from `start` on divides by."""
        run: list[Expr] = []
        for index in range(start, len(factors)):  # not a slice: a long product is not copied
            below = self.divisor(factors[index])
            if below is None:
                break
            run.append(below)
        return run

    def continued(self, factors: Sequence[Expr], previous: Expr | None) -> str:
        """The text of `factors` continuing a product whose last factor written was
        `previous` (None after a division): each bracketed as a later factor is
        (·(3/2)√x, ·(−2)x, never ·3/2√x), divisors written with their slash."""
        # the pieces are joined once at the end: a product of a thousand long
        # factors (a deep chain's rates) would otherwise be copied at each one
        parts: list[str] = []
        carried = list(_minus_carried(factors, lambda following: self.divisor(following) is None))
        # a factor written negated is no divisor (it is taken only when not one):
        # a run of divisions found in these stops at it
        written = [factor for factor, _ in carried]
        # w·w·w·x, not w·w·wx, and l·n·x, not lnx (ln x): once letters side by
        # side would be misread, every letter of the product is written apart.
        # Found when first asked, at a letter that would be written beside the
        # one before it: most products (2x, 3·sin(x)) never ask
        apart: bool | None = None
        first = previous
        index = 0
        while index < len(carried):
            factor, negated = carried[index]
            index += 1
            if negated:  # x·(−sin(x)), as the product rule's g·h′ is written, not x·(−1)·sin(x)
                parts += (self.times, self.bracket(self.minus + self.at(factor, PRODUCT + 1)))
                previous = factor
                continue
            if _is_written_fraction(factor):
                # x·(1/2)·(x + 1)^(−1/2)·2x (the product rule's g·h′, h′ a chain's
                # product) is written x·1/(2√(x + 1))·2x, as h′'s own step wrote
                # it: the number's denominator joins the divisions after it
                divisors = self.divisions(written, index)
                if divisors:
                    index += len(divisors)
                    value = factor.value
                    parts += (self.times, self.fraction_text([Num(value.numerator)], [Num(value.denominator), *divisors]))
                    previous = None
                    continue
            divisor = self.divisor(factor)
            if divisor is not None:  # x/y·z, as typed, not x(1/y)z
                parts += ("/", self.at(divisor, POWER))
                previous = None  # what follows a division is joined with a visible ·
                continue
            piece = self.at(factor, PRODUCT + 1)
            beside = previous is not None and self.juxtaposes(previous, factor)
            if beside and _is_letterlike(previous):
                if apart is None:
                    apart = _letters_apart(first, written)
                beside = not apart
            parts += ("" if beside else self.times, piece)
            previous = factor
        return "".join(parts)

    def after_minus(self, term: Expr) -> str | None:
        """For a sum's later term written after a minus sign, the text that follows
        the sign; else None.  Here the sign takes any negative coefficient: (−1)·2x
        is written − 2x, though its own text is −1·2x, so what follows the sign
        is printed as a node of its own."""
        negated = self.negated(term)
        if negated is None:
            return None
        text = self.at(negated, PRODUCT)
        # 0 − (−sin(x)), the sum rule's 1 − cos(x) differentiated term by term: a
        # second sign in brackets, never 0 − −sin(x)
        return self.bracket(text) if text.startswith(self.minus) else text

    def negated(self, term: Expr) -> Expr | None:
        """Any term with a negative coefficient is written after a minus sign here:
        the pretty form need not read back exactly.  A factor 1 the rules made stays
        in sight (− 3·1, which the step "drop the factor 1" then removes)."""
        if type(term) is Num:
            return Num(-term.value, term.decimal) if term.value < 0 else None
        if type(term) is not Mul or type(term.factors[0]) is not Num or term.factors[0].value >= 0:
            return None  # no negative coefficient (and no node made to find that out)
        lead = term.factors[0]  # a product opening with its negative number
        if lead.value == -1 and not lead.decimal:
            rest = mul(*term.factors[1:])
            if rest != ONE:
                return rest
        return Mul((Num(-lead.value, lead.decimal), *term.factors[1:]))

    def juxtaposes(self, left: Expr, right: Expr) -> bool:
        """True where writing the factors side by side reads unambiguously: a number
        or a letter before a letter (2x, xy, 2πx), a number before a bracket (2(x+1),
        6(2x + 1)², as a power binds first), a root (2√x) or an exponential (3eˣ)."""
        if self.ascii_only:
            return False
        if type(left) is Num:
            if left.value == 1 and (not left.decimal or not _is_letterlike(right)):
                return False  # 1·eˣ, not 1eˣ (which reads as a number in e-notation) nor 1x; 1.0x
            return (
                _is_letterlike(right)
                or type(right) is Add
                or (type(right) is Pow and type(right.base) is Add)
                or _is_root(right)
                or (type(right) is Pow and right.base == E)
                or (type(right) is Call and right.fn == "abs")
            )
        # a left factor whose exponent is written with ^ (x^y, √x) would take what
        # follows into it: x^yz reads as x^(yz), √xy as √(xy)
        closed = type(left) is not Pow or _small_int(left.exp)
        return closed and _is_letterlike(left) and _is_letterlike(right) and _letter(left) != _letter(right)

    def number(self, expr: Num) -> tuple[str, int]:
        value = expr.value
        if not expr.decimal:
            parts = (value.numerator, value.denominator) if type(value) is Fraction else (value, 1)
            if any(scientific(part) is not None for part in parts):
                return self.scientific_number(*parts)
        text, binding = super().number(expr)
        if text.startswith("-"):
            text = self.minus + text[1:]
        return text, binding

    def scientific_number(self, numerator: int, denominator: int) -> tuple[str, int]:
        """numerator/denominator with each long part of many zeros as m·10ᵏ: 10⁴⁰⁰, 1/10⁴⁰⁰, −3·10²⁵."""
        sign = self.minus if numerator < 0 else ""
        top = self.whole_number(abs(numerator))
        if denominator == 1:  # 10⁴⁰⁰ binds as the power it is written as; 3·10²⁵ as a product
            return sign + top, POWER if not sign and _power_of_ten(abs(numerator)) else PRODUCT
        bottom = self.whole_number(denominator)
        if scientific(denominator) is not None and not _power_of_ten(denominator):
            bottom = self.bracket(bottom)  # 1/(3·10²⁴): 1/3·10²⁴ reads as 10²⁴/3
        return f"{sign}{top}/{bottom}", PRODUCT

    def whole_number(self, value: int) -> str:
        """A whole number ≥ 0, long ones of many zeros as m·10ᵏ (see `scientific`)."""
        found = scientific(value)
        if found is None:
            return str(value)
        mantissa, zeros = found
        power = f"10^{zeros}" if self.ascii_only else "10" + str(zeros).translate(_SUPERSCRIPTS)
        return power if mantissa == 1 else f"{mantissa}{self.times}{power}"

    def symbol(self, expr: Sym) -> tuple[str, int]:
        return pretty_name(expr.name, self.ascii_only), ATOM

    def constant(self, expr: Const) -> tuple[str, int]:
        if expr.name == "pi" and not self.ascii_only:
            return "π", ATOM
        return expr.name, ATOM

    def raise_to(self, base: Expr, exponent: Expr) -> str:
        if type(base) is Call and base.fn in _POWER_ON_NAME and _small_int(exponent, 2):
            # sin²(x): the power written on the function's name
            return f"{display_name(base.fn)}{self.superscript(exponent)}({self.render(base.arg)})"
        base_text = self.at(base, POWER + 1)
        if _is_root(base) and not self.ascii_only:
            # √x^(−1) would read as √(x^(−1)): a √ raised is bracketed (sqrt(x)^3 is clear)
            base_text = self.bracket(base_text)
        if _small_int(exponent) and not self.ascii_only:
            return base_text + self.superscript(exponent)
        return f"{base_text}^{self.exponent(exponent)}"

    def superscript(self, exponent: Expr) -> str:
        assert type(exponent) is Num
        if self.ascii_only:
            return f"^{exponent.value}"
        return str(exponent.value).translate(_SUPERSCRIPTS)

    def root(self, base: Expr, index: int) -> str:
        if self.ascii_only:
            return super().root(base, index)
        sign = "√" if index == 2 else "∛"
        return sign + self.at(base, ATOM)

    def call(self, expr: Call) -> tuple[str, int]:
        if expr.fn == "abs" and not self.ascii_only:
            return f"|{self.render(expr.arg)}|", ATOM
        return f"{display_name(expr.fn)}({self.render(expr.arg)})", ATOM

    def logarithm(self, expr: Log) -> tuple[str, int]:
        base = expr.base
        if self.ascii_only:
            return super().logarithm(expr)
        base_text = self.render(base)
        if all(ch in _SUBSCRIPTABLE for ch in base_text):
            return f"log{base_text.translate(_SUBSCRIPTS)}({self.render(expr.arg)})", ATOM
        return f"log_{self.log_base(base)}({self.render(expr.arg)})", ATOM

    def applied(self, expr: Apply) -> tuple[str, int]:
        marks = "'" * expr.order if self.ascii_only else _primes(expr.order)
        return f"{self.function_name(expr.fn)}{marks}({self.render(expr.arg)})", ATOM

    def function_name(self, name: str) -> str:
        """An abstract function's name: f_1 as f₁, as the "with f₁ = …" line names
        it (and f₁(x) reads back as f_1(x)); other names as declared (φ(x) would
        read back as φ·x)."""
        stem, _, subscript = name.partition("_")
        if self.ascii_only or not subscript.isdigit():
            return name
        return stem + subscript.translate(_SUBSCRIPTS)


class _LatexPrinter(_Printer):
    r"""LaTeX: \frac, \sqrt, \left( \right), \cdot between numbers."""

    reads_back = False

    times = r" \cdot "
    minus = "-"

    def bracket(self, text: str) -> str:
        return rf"\left({text}\right)"

    def after_minus(self, term: Expr) -> str | None:
        r"""`_Printer.after_minus`, and a term (−1)·u whose u is written with its own
        sign: 0 - \left(-\sin x\right), not 0 + -1 \left(-\sin x\right)."""
        text = super().after_minus(term)
        if text is not None or type(term) is not Mul or not is_plain_minus_one(term.factors[0]):
            return text
        rest = self.at(mul(*term.factors[1:]), PRODUCT)
        return self.bracket(rest) if rest.startswith("-") else rest

    def fraction(self, numerator: list[Expr], denominator: list[Expr]) -> str:
        sign = ""
        top_factors = list(numerator)
        if top_factors and is_plain_minus_one(top_factors[0]) and len(top_factors) > 1:
            sign, top_factors = "-", top_factors[1:]
        elif top_factors and type(top_factors[0]) is Num and top_factors[0].value < 0:
            sign = "-"
            top_factors[0] = Num(-top_factors[0].value, top_factors[0].decimal)
        # no fraction above the bar: a divisor or a number's denominator among the
        # top factors goes below it, \frac{3 x + 2}{2 x \sqrt{x + 1} \sqrt{x + 1}},
        # not \frac{\frac{1}{x} \frac{1}{\sqrt{x + 1}} \cdot \frac{1}{2} (3 x + 2)}{…}
        if len(top_factors) > 1:
            top_factors, below = self.lifted(top_factors)
            if below:  # numbers first below the bar too: 2 \sqrt{2 x + 1}
                joined = [*below, *denominator]
                denominator = [f for f in joined if type(f) is Num] + [f for f in joined if type(f) is not Num]
        # a fraction bar groups what is above and below it: a lone factor there
        # needs no brackets of its own (\frac{x^2 + 1}{x + 1}, not \frac{(x^2 + 1)}{…})
        top = self.whole(top_factors) if top_factors else "1"
        bottom = self.whole(denominator)
        return rf"{sign}\frac{{{top}}}{{{bottom}}}"

    def lifted(self, factors: list[Expr]) -> tuple[list[Expr], list[Expr]]:
        """(the factors to write above a bar, what goes below it): each divisor's
        base and each later fraction's denominator go below, the numbers first (a
        leading fraction stays: (1/2)·1, the constant multiple rule's c·1, is
        written so until its step multiplies it out)."""
        above: list[Expr] = []
        numbers: list[Expr] = []
        below: list[Expr] = []
        for index, factor in enumerate(factors):
            divisor = self.divisor(factor)
            if divisor is not None:
                below.append(divisor)
            elif index and _is_written_fraction(factor):
                numbers.append(Num(factor.value.denominator))
                if factor.value.numerator != 1:
                    above.append(Num(factor.value.numerator))
            else:
                above.append(factor)
        return above, [*numbers, *below]

    def whole(self, factors: Sequence[Expr]) -> str:
        """Factors written above or below a fraction bar."""
        return self.piece(factors[0])[0] if len(factors) == 1 else self.factors(tuple(factors))

    def product(self, expr: Mul) -> tuple[str, int]:
        numerator, denominator = self.split_fraction(expr.factors)
        first = numerator[0] if numerator else None
        if type(first) is Num and type(first.value) is Fraction and not first.decimal and _merges(numerator):
            value = first.value
            top = _drop_unit([Num(abs(value.numerator)), *numerator[1:]])
            text = self.fraction(top, [Num(value.denominator), *denominator])
            return ("-" + text if value < 0 else text), PRODUCT
        if denominator:
            last = numerator[-1] if len(numerator) > 1 else None
            if last is not None and _is_written_fraction(last):
                # x \frac{1}{2 \sqrt{x + 1}}, the product rule's g·h′ as the pretty
                # form writes it (x·1/(2√(x + 1))), not \frac{x \cdot \frac{1}{2}}{…}
                value = last.value
                bottom = self.fraction([Num(value.numerator)], [Num(value.denominator), *denominator])
                # after a number, a visible \cdot: 5 \frac{1}{2 \sqrt{x}} would read as a mixed number
                joint = self.times if type(numerator[-2]) is Num else " "
                return f"{self.factors(tuple(numerator[:-1]))}{joint}{bottom}", PRODUCT
            return self.fraction(numerator, denominator), PRODUCT
        return self.factors(expr.factors), PRODUCT

    def factors(self, factors: tuple[Expr, ...]) -> str:
        first = factors[0]
        rest = factors[1:]
        if is_plain_minus_one(first) and rest and type(rest[0]) is not Num:
            return "-" + self.factors(rest)
        parts = [self.at(first, PRODUCT)]  # joined once (see `continued`)
        for factor, negated in _minus_carried(rest, lambda following: True):
            if negated:  # x \left(-\sin x\right), as the pretty form writes x·(−sin(x))
                parts += (r" \left(-", self.at(factor, PRODUCT + 1), r"\right)")
            else:
                parts += (r" \cdot " if type(factor) is Num else " ", self.at(factor, PRODUCT + 1))
        return "".join(parts)

    def number(self, expr: Num) -> tuple[str, int]:
        value = expr.value
        if expr.decimal:
            text = decimal_text(value)
            if text is not None:
                if "e" in text:
                    mantissa, exponent = text.split("e")
                    text = rf"{mantissa} \times 10^{{{exponent}}}"
                return text, ATOM if value >= 0 else PRODUCT
        if type(value) is Fraction:
            body = rf"\frac{{{self.whole_number(abs(value.numerator))}}}{{{self.whole_number(value.denominator)}}}"
            # a fraction raised is bracketed, \left(\frac{7}{3}\right)^{x}: raised
            # bare, the power seems the denominator's
            return ("-" + body if value < 0 else body), (POWER if value > 0 else PRODUCT)
        whole = self.whole_number(abs(value))
        if _power_of_ten(abs(value)):  # 10^{400} binds as the power it is written as
            return ("-" + whole, PRODUCT) if value < 0 else (whole, POWER)
        return ("-" + whole if value < 0 else whole), ATOM if value >= 0 and whole.isdigit() else PRODUCT

    def whole_number(self, value: int) -> str:
        """A whole number ≥ 0, long ones of many zeros as m·10ᵏ (see `scientific`)."""
        found = scientific(value)
        if found is None:
            return str(value)
        mantissa, zeros = found
        return f"10^{{{zeros}}}" if mantissa == 1 else rf"{mantissa} \cdot 10^{{{zeros}}}"

    def symbol(self, expr: Sym) -> tuple[str, int]:
        return latex_name(expr.name), ATOM

    def constant(self, expr: Const) -> tuple[str, int]:
        return (r"\pi" if expr.name == "pi" else "e"), ATOM

    def power(self, expr: Pow) -> tuple[str, int]:
        exponent = expr.exp
        if _is_root(expr):
            index = "" if exponent.value.denominator == 2 else "[3]"
            return rf"\sqrt{index}{{{self.render(expr.base)}}}", ATOM
        divisor = self.divisor(expr)
        if divisor is not None:
            return rf"\frac{{1}}{{{self.render(divisor)}}}", ATOM
        base = expr.base
        if type(base) is Call and base.fn in _POWER_ON_NAME and _small_int(exponent, 2):
            name = BY_NAME[base.fn].latex
            return rf"{name}^{{{self.render(exponent)}}}\left({self.render(base.arg)}\right)", POWER
        return rf"{self.at(base, POWER + 1)}^{{{self.render(exponent)}}}", POWER

    def call(self, expr: Call) -> tuple[str, int]:
        if expr.fn == "abs":
            return rf"\left|{self.render(expr.arg)}\right|", ATOM
        return rf"{BY_NAME[expr.fn].latex}\left({self.render(expr.arg)}\right)", ATOM

    def logarithm(self, expr: Log) -> tuple[str, int]:
        return rf"\log_{{{self.render(expr.base)}}}\left({self.render(expr.arg)}\right)", ATOM

    def applied(self, expr: Apply) -> tuple[str, int]:
        marks = "'" * expr.order if expr.order <= 3 else rf"^{{({expr.order})}}"
        return rf"{latex_name(expr.fn)}{marks}\left({self.render(expr.arg)}\right)", ATOM


def display_name(fn: str) -> str:
    """How people write a function's name: asin → arcsin, asinh → arsinh."""
    family = BY_NAME[fn].family if fn in BY_NAME else ""
    if family == "inverse trig":
        return "arc" + fn[1:]
    if family == "inverse hyperbolic":
        return "ar" + fn[1:]
    return fn


def _merges(numerator: Sequence[Expr]) -> bool:
    """True when a leading fraction can be written into the fraction of the rest
    ((1/2)·x as x/2, (1/2)·2x as 2x/2): not when a factor ±1 follows it, which would
    vanish into it ((1/2)·1, the constant multiple rule's c·1, would read 1/2, and
    the step that multiplies it out would seem to do nothing)."""
    return len(numerator) < 2 or not (is_plain_one(numerator[1]) or is_plain_minus_one(numerator[1]))


def _is_written_fraction(expr: Expr) -> bool:
    """True for a positive number written as a fraction (1/2, 3/4), not as a decimal."""
    return type(expr) is Num and type(expr.value) is Fraction and not expr.decimal and expr.value > 0


def _drop_unit(factors: list[Expr]) -> list[Expr]:
    """The factors without a leading plain 1 (1·x is written x), never empty."""
    if len(factors) > 1 and is_plain_one(factors[0]):
        return factors[1:]
    return factors


def _small_int(expr: Expr, least: int = 1) -> bool:
    return (
        type(expr) is Num
        and isinstance(expr.value, int)
        and least <= expr.value <= 99
        and not expr.decimal
    )


def _is_letterlike(expr: Expr) -> bool:
    """A single letter, constant or a power of one: what juxtaposes cleanly (x, π, x²)."""
    if type(expr) is Pow:
        return _is_letterlike(expr.base) and type(expr.base) is not Const
    if type(expr) is Sym:
        # subscripted names (w₁, n₂) are not juxtaposed: n₂n₃ reads as one name
        return len(expr.name) == 1 or expr.name in GREEK
    return type(expr) is Const and expr.name == "pi"


def _letters_apart(first: Expr | None, factors: Sequence[Expr]) -> bool:
    """True when a product's letters are to be written apart (`first`, then
    `factors`): two letter-like factors side by side share their letter (w·w), or
    letters side by side would spell a word that is read whole (l·n·x as lnx reads
    ln x, m·u as mu reads μ, p·i·x as pix reads πx)."""
    words = _words_read_whole()
    run = ""  # the plain letters written side by side so far
    before: Expr | None = None
    for factor in (factors if first is None else (first, *factors)):
        if not _is_letterlike(factor):
            run, before = "", None
            continue
        letter = _letter(factor)
        if letter == before:
            return True
        name = letter.name if type(letter) is Sym else ""
        # θ and π end a word (they are no ASCII letters); a run longer than any
        # word needs only its end kept
        run = (run + name)[-_LONGEST_WORD:] if len(name) == 1 else ""
        if any(run[-length:] in words for length in range(2, len(run) + 1)):
            return True
        before = letter
        if type(factor) is Pow:
            run = ""  # a superscript ends the word: x²y is read x², then y
    return False


_WORDS_READ_WHOLE: set[str] = set()
_LONGEST_WORD = 9  # heaviside; a test checks that no word is longer


def _words_read_whole() -> set[str]:
    """The words of two or more letters the reader takes whole out of a run of
    letters: function names (ln, sin, exp) and Greek letters spelled out (mu, pi)."""
    if not _WORDS_READ_WHOLE:
        from calcstep.functions import function_spellings

        _WORDS_READ_WHOLE.update(
            word for word in (*function_spellings(), *GREEK, "pi")
            if len(word) > 1 and word.isascii() and word.isalpha()
        )
    return _WORDS_READ_WHOLE


def _letter(expr: Expr) -> Expr:
    """The letter of a letter-like factor (x of x²): one letter twice side by side
    (xx^(x − 1)) reads as a longer name, so it is written x·x^(x − 1)."""
    return expr.base if type(expr) is Pow else expr


_ROOT_EXPONENTS = (Fraction(1, 2), Fraction(1, 3))


def _is_root(expr: Expr) -> bool:
    """A square or cube root, written with √ (a power typed as 0.5 stays ^0.5)."""
    return (
        type(expr) is Pow
        and type(expr.exp) is Num
        and type(expr.exp.value) is Fraction  # an int exponent is no root, without Fraction's slow ==
        and not expr.exp.decimal
        and expr.exp.value in _ROOT_EXPONENTS
    )


def _primes(order: int) -> str:
    if order <= 3:
        return "′" * order
    return f"⁽{str(order).translate(_SUPERSCRIPTS)}⁾"


def pretty_name(name: str, ascii_only: bool = False) -> str:
    """A variable's name for people: theta → θ, x_1 and x1 → x₁."""
    if ascii_only:
        return name
    stem, subscript = _split_subscript(name)
    stem = GREEK.get(stem, stem)
    if not subscript:
        return stem
    if all(ch in _SUBSCRIPTABLE for ch in subscript):
        return stem + subscript.translate(_SUBSCRIPTS)
    return f"{stem}_{subscript}"


def latex_name(name: str) -> str:
    """A variable's name in LaTeX: theta → \\theta, x_1 → x_{1}; a function declared
    with its Greek letter (--functions φ) as that letter's command, \\phi."""
    stem, subscript = _split_subscript(name)
    stem = GREEK_BY_LETTER.get(stem, stem)
    if stem == "omicron":  # LaTeX has no \omicron: it looks like o
        stem = "o"
    elif stem in GREEK:
        stem = "\\" + stem
    elif len(stem) > 1:
        stem = rf"\mathrm{{{stem}}}"
    return f"{stem}_{{{subscript}}}" if subscript else stem


def _split_subscript(name: str) -> tuple[str, str]:
    if "_" in name:
        stem, _, subscript = name.partition("_")
        return stem, subscript
    stem = name.rstrip("0123456789")
    return stem, name[len(stem) :]


# One printer of each kind for the whole run: their caches make printing the many
# overlapping expressions of a derivation (each step's target and result) cheap.
_TEXT = _TextPrinter()
_PRETTY = _PrettyPrinter(ascii_only=False)
_PRETTY_ASCII = _PrettyPrinter(ascii_only=True)
_LATEX = _LatexPrinter()
_TEXT_CACHE = _TEXT._cache  # cleared in place, never replaced


def forget_caches() -> None:
    """Let the printers' caches go: the pieces they hold keep the expressions they
    were printed from (a wide sum's terms, made a run at a time, are let go of)."""
    for printer in (_TEXT, _PRETTY, _PRETTY_ASCII, _LATEX):
        printer.forget()


def trim_caches() -> None:
    """Let the printers' caches go once they are large: called between the reports
    of a batch, so a long batch does not keep every expression it has printed."""
    for printer in (_TEXT, _PRETTY, _PRETTY_ASCII, _LATEX):
        printer.trim()


def to_text(expr: Expr) -> str:
    """The canonical text of `expr`: ASCII with explicit `*`, parsed back to `expr`."""
    # a derivation's steps ask for the same texts again and again (a step's target
    # is its parent's part): a text already written is returned at once
    cached = _TEXT_CACHE.get(expr._hash)
    if cached is not None and (cached[2] is expr or cached[2] == expr):
        return cached[0]
    return _write_text(expr)


# the text printer's `write` itself, with room for the expression's depth: a
# function calling it would be one call more for each text not yet written
_write_text: Callable[[Expr], str] = deep_unary(_TEXT.write)


@deep
def to_pretty(expr: Expr, ascii: bool = False) -> str:
    """`expr` written for people (`2x·cos(x²)`), or in plain ASCII with `ascii=True`."""
    return (_PRETTY_ASCII if ascii else _PRETTY).render(expr)


@deep_unary
def to_latex(expr: Expr) -> str:
    r"""`expr` in LaTeX, e.g. `2 x \cos\left(x^{2}\right)`."""
    return _LATEX.render(expr)


def format_note(note: Note, spell: Callable[[Expr], str]) -> str:
    """A note's text with its expressions spelled by `spell` (one of the printers)."""
    return note.text.format(*(spell(arg) for arg in note.args))


def escape_braces(text: str) -> str:
    """`text` as literal text in a Note template (which is str.format'ed)."""
    return text.replace("{", "{{").replace("}", "}}")
