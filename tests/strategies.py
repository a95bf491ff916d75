"""Hypothesis strategies: random expression trees, built with calcstep's own
constructors so they keep the tree's invariants (flat sums and products)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from calcstep.expr import (
    Apply,
    Call,
    Const,
    Log,
    Mul,
    Num,
    Pow,
    Sym,
    add,
    mul,
    neg,
)
from calcstep.functions import BY_NAME

NAMES = ["x", "y", "t", "a", "b", "theta", "x_1", "w2", "X"]
FUNCTION_NAMES = sorted(BY_NAME)

integers = st.integers(min_value=-20, max_value=20).map(Num)
fractions = st.builds(
    lambda p, q: Num(Fraction(p, q)),
    st.integers(-9, 9),
    st.integers(2, 9),
)
decimals = st.sampled_from(["0.5", "2.5", "0.125", "1.75", "-0.5", "3e-3", "1e20"]).map(
    lambda text: Num(Fraction(text), decimal=True)
)
numbers = st.one_of(integers, fractions, decimals)
symbols = st.sampled_from(NAMES).map(Sym)
constants = st.sampled_from([Const("e"), Const("pi")])
leaves = st.one_of(numbers, symbols, constants)


def _any_tree(children):
    return st.one_of(
        st.lists(children, min_size=2, max_size=4).map(lambda ts: add(*ts)),
        st.lists(children, min_size=2, max_size=4).map(lambda fs: mul(*fs)),
        st.builds(Pow, children, children),
        st.builds(Call, st.sampled_from(FUNCTION_NAMES), children),
        st.builds(Log, children, st.sampled_from([Num(2), Num(3), Num(10), Sym("b")])),
        st.builds(Apply, st.sampled_from(["f", "g", "h"]), children, st.integers(0, 3)),
        children.map(neg),
        st.builds(lambda u, v: Mul((u, Pow(v, Num(-1)))) if not isinstance(u, Mul) and not isinstance(v, Mul) else mul(u, v), children, children),
    )


# any expression at all, for printing and reading back
expressions = st.recursive(leaves, _any_tree, max_leaves=12)


# expressions of x that SymPy and mpmath can differentiate and evaluate
_SMOOTH = ["sin", "cos", "tan", "atan", "sinh", "cosh", "tanh", "asinh", "sigmoid", "softplus"]
_var = st.sampled_from(["x", "x", "x", "y"]).map(Sym)
_small = st.integers(-4, 4).filter(lambda n: n != 0).map(Num)
_smooth_leaves = st.one_of(_var, _small, st.just(Const("pi")))


def _smooth_tree(children):
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda ts: add(*ts)),
        st.lists(children, min_size=2, max_size=3).map(lambda fs: mul(*fs)),
        st.builds(Pow, children, st.integers(-3, 4).map(Num)),
        st.builds(Call, st.sampled_from(_SMOOTH), children),
        st.builds(lambda u: Pow(Const("e"), u), children),
        st.builds(lambda u: Call("ln", add(Pow(u, Num(2)), Num(1))), children),
        st.builds(lambda u: Pow(add(Pow(u, Num(2)), Num(1)), Num(Fraction(1, 2))), children),
        st.builds(lambda u, v: mul(u, Pow(add(Pow(v, Num(2)), Num(1)), Num(-1))), children, children),
    )


smooth_expressions = st.recursive(_smooth_leaves, _smooth_tree, max_leaves=7)
