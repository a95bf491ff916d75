"""The expression tree: immutable, hashable nodes with exact numbers.

Every node is an immutable value.  Sums and products are n-ary and never directly
contain a node of their own kind (the constructors `add` and `mul` flatten), so
`a + b + c` has one shape however it was bracketed.  Subtraction and division are
not nodes: `a - b` is `a + (-1)·b` and `a / b` is `a · b^-1`, the representation
that lets one rule table cover both.

Nodes cache what every later stage asks for (their hash, free variables, tree size
and depth), so hashing, equality checks and limit checks cost O(1) per node rather
than a walk of the subtree: that is what keeps 10,000-deep expressions cheap.

The constructors here normalise only what the notation itself implies (flattening,
a literal sign folded into a literal number, division by a literal number folded
into the coefficient).  Everything else, such as collecting terms or cancelling,
is the simplifier's job, where it is recorded as a step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import cache
from typing import Any, ClassVar, NamedTuple, Union

Rational = Union[int, Fraction]


class Expr:
    """Base class of every expression node: an immutable value.

    A node's attributes are set once, at construction, with the cached `_hash`,
    `_free`, `_size` and `_depth`; setting or deleting one afterwards raises.
    The node classes are written out by hand rather than as frozen dataclasses:
    they define their own construction (one node per number, name and small
    subexpression), equality and hash, so a dataclass would add nothing but its
    cost at start-up.  They are final (never subclassed), so the engine tests a
    node's kind with `type(node) is Pow`: a quarter of the cost of isinstance,
    on a test made a hundred thousand times in a batch.  Equal nodes that are distinct objects find a common
    representative (`_canon`) the first time they are compared.
    """

    __slots__ = ("_canon", "_depth", "_free", "_hash", "_size")
    _hash: int
    _free: frozenset[str]
    _size: int
    _depth: int
    _canon: Expr | None
    _fields: ClassVar[tuple[str, ...]] = ()  # a branch's attributes, in order

    def fields(self) -> tuple:
        """The node's defining values, in declaration order (children included)."""
        raise NotImplementedError

    def children(self) -> tuple[Expr, ...]:
        """The sub-expressions, in order."""
        return ()

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not type(self):
            return False
        assert isinstance(other, Expr)
        if self._hash != other._hash:
            return False
        mine, theirs = _representative(self), _representative(other)
        if mine is theirs:
            return True
        if mine._depth > _RECURSE_UP_TO:
            return _same_trees(mine, theirs)  # a stack of its own for deep trees
        if mine.fields() != theirs.fields():  # the children compared by this method, in turn
            return False
        # Remember the answer: from now on both have one representative, so the
        # next comparison of the two (a cache hit, again) takes one step, not a
        # walk of both trees.  Their children were linked the same way just now.
        _set(theirs, "_canon", mine)
        return True

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"expression nodes are immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"expression nodes are immutable: cannot delete {name!r}")

    def __repr__(self) -> str:
        values = ", ".join(repr(value) for value in self.fields())
        return f"{type(self).__name__}({values})"

    @property
    def free_vars(self) -> frozenset[str]:
        """Names of the variables this expression depends on."""
        return self._free

    @property
    def size(self) -> int:
        """Number of nodes, counting a shared subtree once per occurrence."""
        return self._size

    @property
    def depth(self) -> int:
        """Length of the longest path from this node to a leaf (a leaf has depth 1)."""
        return self._depth

    def has(self, var: str) -> bool:
        """True when the expression depends on the variable `var`."""
        return var in self._free

    # Arithmetic sugar, so rule formulas read like the mathematics they state.
    def __add__(self, other: Expr | Rational) -> Expr:
        return add(self, as_expr(other))

    def __radd__(self, other: Rational) -> Expr:
        return add(as_expr(other), self)

    def __sub__(self, other: Expr | Rational) -> Expr:
        return add(self, neg(as_expr(other)))

    def __rsub__(self, other: Rational) -> Expr:
        return add(as_expr(other), neg(self))

    def __mul__(self, other: Expr | Rational) -> Expr:
        return mul(self, as_expr(other))

    def __rmul__(self, other: Rational) -> Expr:
        return mul(as_expr(other), self)

    def __truediv__(self, other: Expr | Rational) -> Expr:
        return mul(self, reciprocal(as_expr(other)))

    def __rtruediv__(self, other: Rational) -> Expr:
        return mul(as_expr(other), reciprocal(self))

    def __pow__(self, other: Expr | Rational) -> Expr:
        return Pow(self, as_expr(other))

    def __neg__(self) -> Expr:
        return neg(self)


_NO_VARS: frozenset[str] = frozenset()

# Construction writes past the nodes' refusal to be changed.
_set = object.__setattr__


def _representative(node: Expr) -> Expr:
    """The node standing for every node found equal to `node` so far (often itself).

    Equality links equal nodes into a chain ending at their representative; the
    chain is shortened as it is followed."""
    link = node._canon
    if link is None:
        return node
    root = link
    while root._canon is not None:
        root = root._canon
    if link is not root:
        _set(node, "_canon", root)
    return root


# Trees up to this deep are compared recursively (quicker); deeper ones with a stack.
_RECURSE_UP_TO = 100


def _same_trees(mine: Expr, theirs: Expr) -> bool:
    """Whether two nodes of one type and hash, with different representatives,
    are equal: their fields compared pair by pair, children through a stack of
    their own (a 10,000-deep tree is compared without 10,000 frames).

    The answer is remembered: equal pairs are linked to one representative, so
    the next comparison of any of them (a cache hit, again) takes one step, not a
    walk of both trees."""
    pending = [(mine, theirs)]
    equal: list[tuple[Expr, Expr]] = []
    while pending:
        left, right = pending.pop()
        if left is right:
            continue
        if type(left) is not type(right) or left._hash != right._hash:
            return False
        left, right = _representative(left), _representative(right)
        if left is right:
            continue
        for mine_value, their_value in zip(left.fields(), right.fields(), strict=True):
            if isinstance(mine_value, Expr):
                pending.append((mine_value, their_value))
            elif isinstance(mine_value, tuple):  # a sum's terms, a product's factors
                if len(mine_value) != len(their_value):
                    return False
                pending.extend(zip(mine_value, their_value, strict=True))
            elif mine_value != their_value:
                return False
        equal.append((left, right))
    for left, right in equal:
        if _representative(left) is not _representative(right):
            _set(_representative(right), "_canon", _representative(left))
    return True


# Leaves and small nodes are made once per value: `Num(2)`, x², sin(x) are the
# same object each time they are made (they recur all through a derivation and
# its steps), so the many lookups in the printers' and the simplifier's caches
# match by identity.  Larger nodes are compared through `_representative`.  The
# table is keyed by (class, field values) for a leaf and by the node's hash for a
# branch (made once, for the node itself, from its children's stored hashes),
# and bounded, for a batch of ever-new expressions and for one huge expression:
# the table holds its nodes alive (the public corpus fills 6,500 entries; a
# 100,000-term sum makes 200,000 numbers).  A node made after it is cleared
# is still equal to an older one, only slower to compare.
_SMALL_UP_TO = 12
_SHARED: dict[tuple | int, Expr] = {}
_SHARED_UP_TO = 50_000


def _share(key: tuple | int, node: Expr) -> None:
    if len(_SHARED) >= _SHARED_UP_TO:
        _SHARED.clear()
    _SHARED[key] = node


def _named_leaf(cls: type, name: str, free: frozenset[str]) -> Any:
    """The one `cls` node called `name` (a Sym or a Const)."""
    key = (cls, name)
    node = _SHARED.get(key)
    if node is None:
        node = object.__new__(cls)
        _set(node, "name", name)
        _init_leaf(node, name, free)
        _share(key, node)
    return node


def _branch(cls: type, values: tuple, kids: tuple[Expr, ...], plain: tuple = ()) -> Any:
    """The `cls` node with these field values (in `cls._fields` order), children, and
    fields that are not expressions (`plain`: a function's name, a derivative's order)."""
    # One pass over the children gathers all the node's cached values.  The hash is
    # made of the children's hashes, read from their slots: hashing the children
    # themselves would call each one's __hash__ in Python.
    if len(kids) == 2:
        # two children, as in every power and most products: the loop below, unrolled
        # (a third of the cost, on over half the nodes made)
        first, second = kids
        code = hash((cls.__name__, plain, first._hash, second._hash))
        size = 1 + first._size + second._size
        depth = first._depth if first._depth > second._depth else second._depth
        free, more = first._free, second._free
        if more and more is not free and not more <= free:
            free = more if not free or free <= more else free | more
    else:
        parts = [cls.__name__, plain]
        free = _NO_VARS
        # the union of more than one child's names is gathered in a set and frozen
        # once: x·y₁ + x·y₂ + … + x·yₙ would otherwise copy a growing frozenset n times
        names: set[str] | None = None
        size = 1
        depth = 0
        for kid in kids:
            parts.append(kid._hash)
            size += kid._size
            if kid._depth > depth:
                depth = kid._depth
            kid_free = kid._free
            if not kid_free or kid_free is free:
                continue
            if names is not None:
                if not kid_free <= names:
                    names |= kid_free
            elif not free or free <= kid_free:
                free = kid_free
            elif not kid_free <= free:
                names = set(free)
                names |= kid_free
        if names is not None:
            free = frozenset(names)
        code = hash(tuple(parts))
    small = size <= _SMALL_UP_TO
    if small:
        node = _SHARED.get(code)
        # another node with the same hash is only a collision: this one is made anew
        if node is not None and type(node) is cls and node.fields() == values:
            return node
    node = object.__new__(cls)
    setters = _FIELD_SETTERS[cls]
    if len(setters) == 1:
        setters[0](node, values[0])  # a sum's terms, a product's factors
    elif len(setters) == 2:
        setters[0](node, values[0])  # a power's base and exponent, a function and its argument
        setters[1](node, values[1])
    else:
        for set_field, value in zip(setters, values, strict=True):
            set_field(node, value)
    _set_hash(node, code)
    _set_free(node, free)
    _set_size(node, size)
    _set_depth(node, depth + 1)
    _set_canon(node, None)
    if small:
        if len(_SHARED) >= _SHARED_UP_TO:  # `_share`, inlined: called for most nodes made
            _SHARED.clear()
        _SHARED[code] = node
    return node


def forget_shared() -> None:
    """Let go of the small nodes kept to be shared (they are made afresh when next
    met): after a pass over the runs of a wide sum, they hold the last 50,000 of
    its parts."""
    _SHARED.clear()


def _init_leaf(node: Expr, key: object, free: frozenset[str]) -> None:
    _set_hash(node, hash((type(node).__name__, key)))
    _set_free(node, free)
    _set_size(node, 1)
    _set_depth(node, 1)
    _set_canon(node, None)


class Num(Expr):
    """An exact rational number.  `decimal` remembers that the input wrote it as a
    decimal (0.5, not 1/2), so that output writes it the same way.  It is part of
    the number's identity, so that equal expressions always print alike; a number
    with no finite decimal form (1/3) is never marked decimal, and arithmetic
    compares values (0.5 + 1/2 is 1)."""

    __slots__ = ("decimal", "value")
    value: Rational
    decimal: bool

    def __new__(cls, value: Rational, decimal: bool = False) -> Num:
        # `type(v) is Fraction`, here and wherever a number's value is tested:
        # Fraction's metaclass is ABCMeta, so isinstance(an int, Fraction) runs
        # the ABC machinery in Python, a cost every number made would pay
        if type(value) is Fraction and value.denominator == 1:
            value = value.numerator
        if decimal and not _terminates(value):
            decimal = False
        key = (cls, value, decimal)
        node = _SHARED.get(key)
        if node is None:
            node = object.__new__(cls)
            _set_value(node, value)
            _set_decimal(node, decimal)
            # hash(-1) is hash(-2) in CPython (-1 is its error code): -1, the
            # coefficient of every negation, is hashed as text, or x·(−1) and
            # x·(−2) (and every pair of trees differing so) would share a hash
            _init_leaf(node, (value if value != -1 else "-1", decimal), _NO_VARS)
            _share(key, node)
        return node

    def fields(self) -> tuple:
        return (self.value, self.decimal)


def _terminates(value: Rational) -> bool:
    """True when `value` has a finite decimal form (its denominator is 2^a·5^b)."""
    if isinstance(value, int):
        return True
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


class Sym(Expr):
    """A variable, or a letter standing for an unknown constant (`n` in `x^n`)."""

    __slots__ = ("name",)
    name: str

    def __new__(cls, name: str) -> Sym:
        return _named_leaf(cls, name, frozenset((name,)))

    def fields(self) -> tuple:
        return (self.name,)


class Const(Expr):
    """A named mathematical constant with a known value: `e` or `pi`."""

    __slots__ = ("name",)
    name: str

    def __new__(cls, name: str) -> Const:
        return _named_leaf(cls, name, _NO_VARS)

    def fields(self) -> tuple:
        return (self.name,)


class Add(Expr):
    """A sum of two or more terms."""

    __slots__ = ("terms",)
    terms: tuple[Expr, ...]

    _fields = ("terms",)

    def __new__(cls, terms: tuple[Expr, ...]) -> Add:
        return _branch(cls, (terms,), terms)

    def fields(self) -> tuple:
        return (self.terms,)

    def children(self) -> tuple[Expr, ...]:
        return self.terms


class Mul(Expr):
    """A product of two or more factors; a factor with a negative exponent divides."""

    __slots__ = ("factors",)
    factors: tuple[Expr, ...]

    _fields = ("factors",)

    def __new__(cls, factors: tuple[Expr, ...]) -> Mul:
        return _branch(cls, (factors,), factors)

    def fields(self) -> tuple:
        return (self.factors,)

    def children(self) -> tuple[Expr, ...]:
        return self.factors


class Pow(Expr):
    """`base ^ exp`.  Square and cube roots are the exponents 1/2 and 1/3."""

    __slots__ = ("base", "exp")
    base: Expr
    exp: Expr

    _fields = ("base", "exp")

    def __new__(cls, base: Expr, exp: Expr) -> Pow:
        return _branch(cls, (base, exp), (base, exp))

    def fields(self) -> tuple:
        return (self.base, self.exp)

    def children(self) -> tuple[Expr, ...]:
        return (self.base, self.exp)


class Call(Expr):
    """A known one-argument function applied to an argument: `sin(u)`, `ln(u)`.
    `fn` is the canonical name from calcstep.functions."""

    __slots__ = ("arg", "fn")
    fn: str
    arg: Expr

    _fields = ("fn", "arg")

    def __new__(cls, fn: str, arg: Expr) -> Call:
        return _branch(cls, (fn, arg), (arg,), (fn,))

    def fields(self) -> tuple:
        return (self.fn, self.arg)

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)


class Log(Expr):
    """The logarithm of `arg` to a base other than e: log_b(u) = ln(u)/ln(b)."""

    __slots__ = ("arg", "base")
    arg: Expr
    base: Expr

    _fields = ("arg", "base")

    def __new__(cls, arg: Expr, base: Expr) -> Log:
        return _branch(cls, (arg, base), (arg, base))

    def fields(self) -> tuple:
        return (self.arg, self.base)

    def children(self) -> tuple[Expr, ...]:
        return (self.arg, self.base)


class Apply(Expr):
    """An abstract function such as `f(u)`, or its `order`-th derivative f'(u), f''(u)."""

    __slots__ = ("arg", "fn", "order")
    fn: str
    arg: Expr
    order: int

    _fields = ("fn", "arg", "order")

    def __new__(cls, fn: str, arg: Expr, order: int = 0) -> Apply:
        return _branch(cls, (fn, arg, order), (arg,), (fn, order))

    def fields(self) -> tuple:
        return (self.fn, self.arg, self.order)

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)


# The node types with no parts: a number, a variable, a named constant.
LEAVES: frozenset[type] = frozenset({Num, Sym, Const})

# Each slot's own setter: construction sets seven or so slots per node, and a
# slot's setter is twice as fast as object.__setattr__, which looks the slot up
# by name (the nodes' own __setattr__ refuses, to keep them immutable).
_set_hash = Expr._hash.__set__  # type: ignore[attr-defined]
_set_free = Expr._free.__set__  # type: ignore[attr-defined]
_set_size = Expr._size.__set__  # type: ignore[attr-defined]
_set_depth = Expr._depth.__set__  # type: ignore[attr-defined]
_set_canon = Expr._canon.__set__  # type: ignore[attr-defined]
_set_value = Num.value.__set__  # type: ignore[attr-defined]
_set_decimal = Num.decimal.__set__  # type: ignore[attr-defined]
_FIELD_SETTERS: dict[type, tuple[Any, ...]] = {
    cls: tuple(getattr(cls, name).__set__ for name in cls._fields) for cls in (Add, Mul, Pow, Call, Log, Apply)
}


class Note(NamedTuple):
    """A remark about an expression or a step, such as how the input was read.

    `text` is a `str.format` template whose `{0}`, `{1}` … are the expressions in
    `args`; each renderer fills them in its own notation.  `position` is the
    character offset in the input it refers to, when it refers to one, and
    `meant` the input's other reading, when the note is about an ambiguity.
    """

    text: str
    args: tuple[Expr, ...] = ()
    position: int | None = None
    # for a reading that may not be what was meant: (start, end, text) of the
    # input and what to write there for the other reading (1/2x: "1/(2x)")
    meant: tuple[int, int, str] | None = None


# ---------------------------------------------------------------------------
# Constants and smart constructors
# ---------------------------------------------------------------------------

ZERO = Num(0)
ONE = Num(1)
TWO = Num(2)
MINUS_ONE = Num(-1)
HALF = Num(Fraction(1, 2))
E = Const("e")
PI = Const("pi")


def as_expr(value: Expr | Rational) -> Expr:
    """`value` itself when it is an expression, else the exact number it is."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        return Num(value)
    raise TypeError(f"not an expression: {value!r}")


@cache
def name_key(name: str) -> tuple[str, int, str]:
    """Where a name goes among names: by its letters, then by the number it ends
    with, as a reader counts (w₂ before w₁₀, x before x₁), then as written.  Made
    once a name: a sum's every term's sort key holds its names' keys."""
    if not name[-1].isdigit():  # most names: x, theta
        return (name, -1, name)
    letters = name.rstrip("0123456789")
    return (letters, int(name[len(letters):]), name) if letters else (name, -1, name)


def is_divisor(factor: Expr) -> bool:
    """A factor written below the fraction bar: a power with a negative number exponent."""
    return type(factor) is Pow and type(factor.exp) is Num and factor.exp.value < 0


def is_num(expr: Expr, value: Rational | None = None) -> bool:
    """True for a number node (equal to `value`, when given)."""
    return type(expr) is Num and (value is None or expr.value == value)


def is_whole_power(expr: Pow) -> bool:
    """True for uⁿ with n a whole number ≥ 0 (written exactly): defined wherever u is."""
    exponent = expr.exp
    return type(exponent) is Num and type(exponent.value) is int and exponent.value >= 0


def is_plain_one(expr: Expr) -> bool:
    """True for the number 1 written as 1 (not 1.0, which was typed as a decimal)."""
    return type(expr) is Num and expr.value == 1 and not expr.decimal


def is_plain_minus_one(expr: Expr) -> bool:
    """True for the number −1 written as −1 (not −1.0)."""
    return type(expr) is Num and expr.value == -1 and not expr.decimal


def add(*terms: Expr) -> Expr:
    """The sum of `terms`, flattened; 0 for none, the term itself for one."""
    if len(terms) == 2:  # the commonest call: two terms, tested without an iterator
        if type(terms[0]) is not Add and type(terms[1]) is not Add:
            return _branch(Add, (terms,), terms)
    elif len(terms) > 2:
        if Add not in map(type, terms):
            return _branch(Add, (terms,), terms)  # nothing to flatten, the usual case
    elif terms:
        return terms[0]  # one term, a sum already flat or none
    flat: list[Expr] = []
    for term in terms:
        if type(term) is Add:
            flat.extend(term.terms)
        else:
            flat.append(term)
    if not flat:
        return ZERO
    if len(flat) == 1:
        return flat[0]
    return Add(tuple(flat))


def mul(*factors: Expr) -> Expr:
    """The product of `factors`, flattened; 1 for none, the factor itself for one."""
    if len(factors) == 2:  # the commonest call: two factors, tested without an iterator
        if type(factors[0]) is not Mul and type(factors[1]) is not Mul:
            return _branch(Mul, (factors,), factors)
    elif len(factors) > 2:
        if Mul not in map(type, factors):
            return _branch(Mul, (factors,), factors)  # nothing to flatten, the usual case
    elif factors:
        return factors[0]  # one factor, a product already flat or none
    flat: list[Expr] = []
    for factor in factors:
        if type(factor) is Mul:
            flat.extend(factor.factors)
        else:
            flat.append(factor)
    if not flat:
        return ONE
    if len(flat) == 1:
        return flat[0]
    return Mul(tuple(flat))


def neg(expr: Expr) -> Expr:
    """-expr, with the sign folded into a leading number: -(2x) is (-2)·x, -(-x) is x."""
    if type(expr) is Num:
        return Num(-expr.value, expr.decimal)
    if type(expr) is Mul and type(expr.factors[0]) is Num:
        coefficient = expr.factors[0]
        rest = expr.factors[1:]
        if coefficient.value == -1 and type(rest[0]) is not Num:
            return mul(*rest)
        return Mul((Num(-coefficient.value, coefficient.decimal), *rest))
    if type(expr) is Mul:
        return Mul((MINUS_ONE, *expr.factors))
    return Mul((MINUS_ONE, expr))


def reciprocal(expr: Expr) -> Expr:
    """1/expr written as a power: 1/x is x^-1, 1/x^2 is x^-2, 1/(2x) is (1/2)·x^-1.

    Raises ZeroDivisionError for the number 0."""
    if type(expr) is Num:
        return Num(Fraction(1) / expr.value, expr.decimal)
    if type(expr) is Pow:
        return Pow(expr.base, neg(expr.exp))
    if type(expr) is Mul:
        return mul(*(reciprocal(factor) for factor in expr.factors))
    return Pow(expr, MINUS_ONE)


def sub(left: Expr, right: Expr) -> Expr:
    """left - right."""
    return add(left, neg(right))


def call(fn: str, arg: Expr) -> Call:
    """The known function `fn` applied to `arg`."""
    return Call(fn, arg)


def sqrt(expr: Expr) -> Pow:
    """√expr, the power expr^(1/2)."""
    return Pow(expr, HALF)


def leading_number(expr: Expr) -> tuple[Num, Expr]:
    """(c, rest) with expr = c·rest and c the leading number node, as written (1.5
    stays a decimal), or 1 when there is none."""
    if type(expr) is Num:
        return expr, ONE
    if type(expr) is Mul and type(expr.factors[0]) is Num:
        return expr.factors[0], mul(*expr.factors[1:])
    return ONE, expr


def split_coefficient(expr: Expr) -> tuple[Rational, Expr]:
    """(c, rest) with expr = c·rest and c the leading number's value (1 when there is none)."""
    number, rest = leading_number(expr)
    return number.value, rest


_REBUILD = {
    Add: lambda node, kids: add(*kids),
    Mul: lambda node, kids: mul(*kids),
    Pow: lambda node, kids: Pow(kids[0], kids[1]),
    Call: lambda node, kids: Call(node.fn, kids[0]),
    Log: lambda node, kids: Log(kids[0], kids[1]),
    Apply: lambda node, kids: Apply(node.fn, kids[0], node.order),
}


def rebuild(expr: Expr, kids: tuple[Expr, ...]) -> Expr:
    """A node like `expr` with its children replaced by `kids` (same count, order)."""
    make = _REBUILD.get(type(expr))
    return make(expr, kids) if make else expr


def substitute(expr: Expr, mapping: dict[Expr, Expr]) -> Expr:
    """`expr` with every occurrence of a key of `mapping` replaced by its value.

    Iterative and memoised, so it is linear in the number of distinct nodes."""
    return rebuilt(expr, before=mapping.get)


def rebuilt(
    expr: Expr,
    before: Callable[[Expr], Expr | None] | None = None,
    after: Callable[[Expr, Expr], Expr] | None = None,
) -> Expr:
    """`expr` rebuilt from the leaves up: a node for which `before(node)` gives an
    expression is replaced by it whole (its parts are not visited); any other is
    rebuilt from its rebuilt parts, then given to `after(node, rebuilt node)`.
    Iterative and memoised: linear in the number of distinct nodes, at any depth."""
    done: dict[int, Expr] = {}
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if key in done:
            continue
        replaced = before(node) if before is not None else None
        if replaced is not None:
            done[key] = replaced
            continue
        kids = node.children()
        if not kids:
            new = node
        elif expanded:
            new_kids = tuple(done[id(kid)] for kid in kids)
            new = rebuild(node, new_kids) if any(a is not b for a, b in zip(new_kids, kids, strict=True)) else node
        else:
            stack.append((node, True))
            stack.extend((kid, False) for kid in kids if id(kid) not in done)
            continue
        done[key] = after(node, new) if after is not None else new
    return done[id(expr)]


def walk(expr: Expr):
    """Every distinct node of `expr` once, children before parents (iterative)."""
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            yield node
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((kid, False) for kid in reversed(node.children()) if id(kid) not in seen)


# ---------------------------------------------------------------------------
# Packing: expressions as plain data
# ---------------------------------------------------------------------------


def packed(parts: Sequence[Expr]) -> bytes:
    """`parts` as compressed JSON, some 5 bytes a term: a list of nodes, each
    after its children and written once however often it is shared, a node's
    children given by their places in the list (`_ENTRY`); then the parts'
    places.  Plain data, read back by `unpacked` alone (never evaluated):
    calcstep/wide.py keeps a wide sum's runs so."""
    import json  # (json and zlib only for a wide sum: not on every command's path)
    import zlib

    places: dict[int, int] = {}
    entries: list[list[Any]] = []
    stack: list[tuple[Expr, bool]] = [(part, False) for part in reversed(parts)]
    while stack:  # after its children, without recursion: a term may be deep
        node, ready = stack.pop()
        if id(node) in places:
            continue
        kids = node.children()
        if kids and not ready:
            stack.append((node, True))
            stack.extend((kid, False) for kid in reversed(kids) if id(kid) not in places)
            continue
        places[id(node)] = len(entries)
        entries.append(_ENTRY[type(node)](node, places))
    entries.append([places[id(part)] for part in parts])
    return zlib.compress(json.dumps(entries, separators=(",", ":")).encode(), 1)


def unpacked(data: bytes) -> tuple[Expr, ...]:
    """The parts `packed` packed, made again node by node."""
    import json
    import zlib

    *entries, roots = json.loads(zlib.decompress(data))
    nodes: list[Expr] = []
    for entry in entries:
        nodes.append(_NODE[entry[0]](entry, nodes))
    return tuple(nodes[place] for place in roots)


def _number_entry(node: Num, places: dict[int, int]) -> list[Any]:
    value = Fraction(node.value)
    return ["n", value.numerator, value.denominator, node.decimal]


# Each kind of node as a JSON list: a tag, then its values, its children by place.
_ENTRY: dict[type, Callable[[Any, dict[int, int]], list[Any]]] = {
    Num: _number_entry,
    Sym: lambda node, places: ["s", node.name],
    Const: lambda node, places: ["c", node.name],
    Add: lambda node, places: ["+", *(places[id(term)] for term in node.terms)],
    Mul: lambda node, places: ["*", *(places[id(factor)] for factor in node.factors)],
    Pow: lambda node, places: ["^", places[id(node.base)], places[id(node.exp)]],
    Call: lambda node, places: ["f", node.fn, places[id(node.arg)]],
    Log: lambda node, places: ["l", places[id(node.arg)], places[id(node.base)]],
    Apply: lambda node, places: ["a", node.fn, places[id(node.arg)], node.order],
}

# And back: each tag's node, made from the entry and the nodes made before it.
_NODE: dict[str, Callable[[list[Any], list[Expr]], Expr]] = {
    "n": lambda entry, nodes: Num(Fraction(entry[1], entry[2]) if entry[2] != 1 else entry[1], entry[3]),
    "s": lambda entry, nodes: Sym(entry[1]),
    "c": lambda entry, nodes: Const(entry[1]),
    "+": lambda entry, nodes: Add(tuple(nodes[place] for place in entry[1:])),
    "*": lambda entry, nodes: Mul(tuple(nodes[place] for place in entry[1:])),
    "^": lambda entry, nodes: Pow(nodes[entry[1]], nodes[entry[2]]),
    "f": lambda entry, nodes: Call(entry[1], nodes[entry[2]]),
    "l": lambda entry, nodes: Log(nodes[entry[1]], nodes[entry[2]]),
    "a": lambda entry, nodes: Apply(entry[1], nodes[entry[2]], entry[3]),
}
