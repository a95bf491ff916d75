"""Polynomials with exact rational coefficients, for cancelling.

A polynomial is a tuple of coefficients, lowest degree first, with no trailing
zero: x² − 1 is (−1, 0, 1), 0 is ().  The simplifier reads a quotient's numerator
and divisors as polynomials to cancel a divisor that divides the numerator:
(x² − 1)/(x − 1) is x + 1.  Nothing here records a step or prints.

A numerator with other variables is read in slices (`slices`): one polynomial
in the variable for each product of the others, xy² − y² + x − 1 being
y²·(x − 1) + 1·(x − 1).  A polynomial in the variable alone divides it exactly
when it divides every slice, so the divisor (x − 1) cancels there too.  A divisor
in several variables is tried by long division of the whole numerator
(`divide_out`): x² − 2xy + y² by x − y, twice, leaves 1.
"""

from __future__ import annotations

import math
from fractions import Fraction

from calcstep.expr import Add, Expr, Mul, Num, Pow, Rational, Sym, add, mul

Poly = tuple[Rational, ...]

# Polynomials above this degree are left alone: cancelling is for the quotients
# a learner meets, and the work grows with the square of the degree.
MAX_DEGREE = 40


def _trim(coefficients: list[Rational]) -> Poly:
    while coefficients and coefficients[-1] == 0:
        coefficients.pop()
    return tuple(coefficients)


def _plus(p: Poly, q: Poly) -> Poly:
    longer, shorter = (p, q) if len(p) >= len(q) else (q, p)
    total = list(longer)
    for i, c in enumerate(shorter):
        total[i] += c
    return _trim(total)


def _times(p: Poly, q: Poly) -> Poly | None:
    if not p or not q:
        return ()
    if len(p) + len(q) - 2 > MAX_DEGREE:
        return None
    product: list[Rational] = [0] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            product[i + j] += a * b
    return _trim(product)


def from_expr(expr: Expr, var: str) -> Poly | None:
    """`expr` as a polynomial in `var`; None when it is not one (another name, a
    function, a negative or fractional power, a decimal, or a degree above MAX_DEGREE)."""
    read = slices(expr, var)
    if read is None or any(read.keys() - {()}):
        return None  # not a polynomial, or one in other names too
    return read.get((), ())


def divide(p: Poly, q: Poly) -> tuple[Poly, Poly]:
    """(quotient, remainder) of p ÷ q, q not 0: p = quotient·q + remainder, the
    remainder of lower degree than q."""
    remainder = list(p)
    quotient: list[Rational] = [0] * max(len(p) - len(q) + 1, 0)
    lead = q[-1]
    for shift in range(len(p) - len(q), -1, -1):
        c = Fraction(remainder[shift + len(q) - 1]) / lead
        quotient[shift] = c
        if c:
            for i, b in enumerate(q):
                remainder[shift + i] -= c * b
    return _trim(quotient), _trim(remainder[: len(q) - 1])


def gcd(p: Poly, q: Poly) -> Poly:
    """The greatest common divisor of p and q, monic (leading coefficient 1); () when
    both are 0.  Euclid's algorithm on whole multiples of them (a primitive remainder
    sequence): each remainder is taken of the dividend times a power of the
    divisor's lead, which keeps whole numbers whole, and divided by its content,
    which keeps them small; fractions, which Python works out slowly, come in only
    to make the last one monic."""
    p, q = _primitive(p), _primitive(q)
    while q:
        p, q = q, _primitive(_pseudo_remainder(p, q))
    if not p:
        return ()
    lead = p[-1]
    return tuple(Fraction(c, lead) for c in p)


def _primitive(p: Poly) -> Poly:
    """p scaled to whole coefficients with no common divisor (its sign kept)."""
    if not all(type(c) is int for c in p):
        scale = math.lcm(*(Fraction(c).denominator for c in p))
        p = tuple(int(c * scale) for c in p)
    content = math.gcd(*p)
    return p if content in (0, 1) else tuple(c // content for c in p)


def _pseudo_remainder(p: Poly, q: Poly) -> Poly:
    """The remainder of lead(q)ᵏ·p ÷ q, k = deg p − deg q + 1, for whole p and q
    (q not 0): whole itself."""
    remainder = list(p)
    lead = q[-1]
    for top in range(len(p) - 1, len(q) - 2, -1):
        c = remainder[top]
        remainder = [lead * r for r in remainder[:top]]
        shift = top - (len(q) - 1)
        for i, b in enumerate(q[:-1]):
            remainder[shift + i] -= c * b
    return _trim(remainder)


def to_expr(p: Poly, var: str) -> Expr:
    """The polynomial as an expression, highest degree first: 3x² − 1."""
    x = Sym(var)
    terms = []
    for degree in range(len(p) - 1, -1, -1):
        c = p[degree]
        if c == 0:
            continue
        power = Num(1) if degree == 0 else x if degree == 1 else Pow(x, Num(degree))
        terms.append(Num(c) if degree == 0 else power if c == 1 else mul(Num(c), power))
    return add(*terms)


# A polynomial in `var` and other variables, by the product of the others each
# term has: ((name, power), …) in name order, () for none → its polynomial in var.
Sliced = dict[tuple[tuple[str, int], ...], Poly]

# Numerators with more slices than this are left alone (each is divided in turn).
MAX_SLICES = 64


def _merged(m: tuple[tuple[str, int], ...], n: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    """The product of two products of powers of names."""
    powers = dict(m)
    for name, power in n:
        powers[name] = powers.get(name, 0) + power
    return tuple(sorted(powers.items()))


def _add_slice(total: Sliced, monomial: tuple[tuple[str, int], ...], poly: Poly) -> None:
    """Add monomial·poly into `total`, in place (a slice that cancels is dropped)."""
    summed = _plus(total.get(monomial, ()), poly)
    if summed:
        total[monomial] = summed
    else:
        total.pop(monomial, None)


def _sliced_times(p: Sliced, q: Sliced) -> Sliced | None:
    product: Sliced = {}
    for m, a in p.items():
        for n, b in q.items():
            times = _times(a, b)
            if times is None:
                return None
            _add_slice(product, _merged(m, n), times)
    return product if len(product) <= MAX_SLICES else None


def slices(expr: Expr, var: str) -> Sliced | None:
    """`expr` as a polynomial in `var` whose coefficients are polynomials in the
    other variables, by slice (see `Sliced`); None when it is not a polynomial,
    or is one too large to divide."""
    kind = type(expr)
    if kind is Num:
        return None if expr.decimal else ({(): (expr.value,)} if expr.value else {})
    if kind is Sym:
        return {(): (0, 1)} if expr.name == var else {((expr.name, 1),): (1,)}
    if kind is Add:
        total: Sliced = {}
        for term in expr.terms:
            part = slices(term, var)
            if part is None:
                return None
            for monomial, poly in part.items():
                _add_slice(total, monomial, poly)
        return total if len(total) <= MAX_SLICES else None
    if kind is Mul:
        product: Sliced | None = {(): (1,)}
        for factor in expr.factors:
            part = slices(factor, var)
            if part is None:
                return None
            product = _sliced_times(product, part)
            if product is None:
                return None
        return product
    if kind is Pow and type(expr.exp) is Num and type(expr.exp.value) is int and 0 <= expr.exp.value <= MAX_DEGREE:
        base = slices(expr.base, var)
        if base is None:
            return None
        power: Sliced | None = {(): (1,)}
        for _ in range(expr.exp.value):
            power = _sliced_times(power, base)
            if power is None:
                return None
        return power
    return None


def sliced_gcd(p: Sliced, q: Poly) -> Poly:
    """The greatest common divisor of q and every slice of p, monic: the largest
    polynomial in the variable alone dividing both."""
    shared = q
    for poly in p.values():
        shared = gcd(shared, poly)
        if len(shared) < 2:
            break
    return shared


def sliced_divide(p: Sliced, q: Poly) -> Sliced:
    """p ÷ q for a q that divides every slice of p (see `sliced_gcd`)."""
    return {monomial: divide(poly, q)[0] for monomial, poly in p.items()}


def sliced_to_expr(p: Sliced, var: str) -> Expr:
    """The polynomial as an expression: each slice's product of the other variables
    times its polynomial in `var`."""
    return add(*(_slice_to_expr(monomial, poly, var) for monomial, poly in p.items()))


def _slice_to_expr(monomial: tuple[tuple[str, int], ...], poly: Poly, var: str) -> Expr:
    """One slice: its product of the other variables, times its polynomial in `var`
    (a number coefficient written first, as −y, not y·(−1))."""
    others = [Sym(name) if power == 1 else Pow(Sym(name), Num(power)) for name, power in monomial]
    if len(poly) == 1:
        return mul(Num(poly[0]), *others)
    return mul(*others, to_expr(poly, var))


# A polynomial in any number of variables, term by term: each term's product of
# powers of names ((name, power), … in name order, () for a constant) → its
# coefficient.
Terms = dict[tuple[tuple[str, int], ...], Rational]

# Long division stops after this many steps: a quotient has at most this many
# terms, which the slices' limits keep far above anything that divides.
MAX_DIVISION_STEPS = 4 * MAX_SLICES * MAX_DEGREE


def flattened(p: Sliced, var: str) -> Terms:
    """The sliced polynomial `p` as terms in all its variables."""
    terms: Terms = {}
    for monomial, poly in p.items():
        for degree, c in enumerate(poly):
            if c:
                terms[_merged(monomial, ((var, degree),)) if degree else monomial] = c
    return terms


def sliced_by(terms: Terms, var: str) -> Sliced:
    """`terms` read in slices by `var`: the inverse of `flattened`."""
    grouped: dict[tuple[tuple[str, int], ...], dict[int, Rational]] = {}
    for monomial, c in terms.items():
        powers = dict(monomial)
        degree = powers.pop(var, 0)
        grouped.setdefault(tuple(sorted(powers.items())), {})[degree] = c
    return {rest: _trim([by.get(d, 0) for d in range(max(by) + 1)]) for rest, by in grouped.items()}


def exact_quotient(p: Terms, q: Terms) -> Terms | None:
    """p ÷ q when q (not 0) divides p with no remainder, else None.

    Long division by leading terms, in lexicographic order of the exponents: if
    p = q·r, then lead(p) = lead(q)·lead(r), and what is left after taking off
    lead(p)/lead(q) times q is again a multiple of q.  So the first leading term
    that lead(q) does not divide shows that q does not divide p."""
    names = sorted({name for monomial in (*p, *q) for name, _ in monomial})
    place = {name: index for index, name in enumerate(names)}

    def exponents(monomial: tuple[tuple[str, int], ...]) -> tuple[int, ...]:
        vector = [0] * len(names)
        for name, power in monomial:
            vector[place[name]] = power
        return tuple(vector)

    lead_q = max(q, key=exponents)
    lead_exponents, lead_c = exponents(lead_q), Fraction(q[lead_q])
    left, quotient = dict(p), {}
    for _ in range(MAX_DIVISION_STEPS):
        if not left:
            return quotient
        lead = max(left, key=exponents)
        shift = [a - b for a, b in zip(exponents(lead), lead_exponents, strict=True)]
        if min(shift, default=0) < 0:
            return None  # lead(q) does not divide this leading term: a remainder is left
        factor = tuple((name, power) for name, power in zip(names, shift, strict=True) if power)
        c = left[lead] / lead_c
        quotient[factor] = c
        for monomial, b in q.items():
            product = _merged(factor, monomial)
            value = left.get(product, 0) - c * b
            if value:
                left[product] = value
            else:
                left.pop(product, None)
    return None


def sliced_quotient(p: Sliced, q: Sliced, var: str) -> Sliced | None:
    """p ÷ q, both sliced by `var`, when q divides p exactly; else None."""
    quotient = exact_quotient(flattened(p, var), flattened(q, var))
    return None if quotient is None else sliced_by(quotient, var)


def divide_out(p: Sliced, base: Sliced, var: str, times: int) -> tuple[Sliced, int]:
    """p divided by `base` as many times as it divides exactly, at most `times`:
    (the quotient, how many times).  Both are read as polynomials in all their
    variables, so a divisor in several of them cancels: (x³ + y³)/(x + y)."""
    terms, divisor = flattened(p, var), flattened(base, var)
    done = 0
    while done < times and terms:
        quotient = exact_quotient(terms, divisor)
        if quotient is None:
            break
        terms, done = quotient, done + 1
    return (sliced_by(terms, var) if done else p), done


def derivative(p: Poly) -> Poly:
    """p′: (a₀, a₁, a₂, …) → (a₁, 2a₂, …)."""
    return _trim([i * c for i, c in enumerate(p)][1:])


def repeated_factors(p: Poly) -> list[tuple[Poly, int]] | None:
    """p's square-free factorization, p = c·a₁·a₂²·a₃³·…, as the factors (aᵢ, i)
    with each aᵢ monic and of degree 1 or more (Yun's algorithm: gcd(p, p′) holds
    each repeated factor once less often than p); None when no factor is repeated
    (p = c·a₁).  x² − 2x + 1 is [(x − 1, 2)], x³ − x² − x + 1 is
    [(x + 1, 1), (x − 1, 2)]."""
    if len(p) < 3:
        return None  # a constant or a line: nothing repeats
    if len(p) == 3 and p[1] * p[1] != 4 * p[0] * p[2]:
        return None  # a quadratic repeats a factor only when its discriminant b² − 4ac is 0
    slope = derivative(p)
    shared = gcd(p, slope)
    if len(shared) < 2:
        return None
    b = divide(p, shared)[0]
    d = _minus(divide(slope, shared)[0], derivative(b))
    factors: list[tuple[Poly, int]] = []
    times = 1
    while len(b) > 1:
        a = gcd(b, d)
        if len(a) > 1:
            factors.append((a, times))
        b = divide(b, a)[0]
        d = _minus(divide(d, a)[0], derivative(b))
        times += 1
    return factors


def _minus(p: Poly, q: Poly) -> Poly:
    """p − q."""
    return _plus(p, tuple(-c for c in q))
