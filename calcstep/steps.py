"""Steps as data: what the rule engine and the simplifier record, and renderers read.

A derivation is a tree of `Step`s.  Each says: by rule `rule`, the derivative with
respect to `var` of `target` is `result`, given what the rule's letters stand for
here (`given`: u = x², or g = x² and h = sin x) and the `substeps` it used.
A simplification is a flat sequence of steps whose `target` is rewritten to
`result` by the named rewrite.  Nothing here prints or computes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from calcstep.expr import Expr, Note

Spell = Callable[[Expr], str]


class Step(NamedTuple):
    """One rule application: d/d`var` `target` = `result`.

    For a simplification step `var` is empty and `result` is `target` rewritten.
    `evaluated` is set on a chain-rule stage: its local rate with the inner
    names replaced by what they stand for (cos(u) at u = x² is cos(x²)).  `named`
    is set on a chain-rule step: the product of the rates written with the inner
    names (cos(u₂)·cos(u₁)·cos(x)), which stays short however deep the chain."""

    rule: str
    target: Expr
    result: Expr
    var: str = ""
    substeps: tuple[Step, ...] = ()
    given: tuple[tuple[str, Expr], ...] = ()
    notes: tuple[Note, ...] = ()
    evaluated: Expr | None = None
    named: Expr | None = None

    def count_steps(self) -> int:
        """How many steps this tree holds, itself included (iterative)."""
        total = 0
        stack: list[Step] = [self]
        while stack:
            step = stack.pop()
            total += 1
            stack.extend(step.substeps)
        return total


# A rewrite step's fields after its rule, target and result: the defaults, in order.
_REWRITE_REST = tuple(Step._field_defaults[name] for name in Step._fields[3:])


def rewrite_step(rule: str, target: Expr, result: Expr) -> Step:
    """The simplification step `target` → `result` by rewrite `rule`: Step(rule,
    target, result), made without the named tuple's own __new__ (a Python function
    with defaults to fill), as the simplifier makes thousands in a batch."""
    return tuple.__new__(Step, (rule, target, result, *_REWRITE_REST))


class Derivation(NamedTuple):
    """One order of a derivative: d/d`var` of `target`, derived by `steps` to the raw
    `steps.result`, then simplified by `simplification` to `result`."""

    target: Expr
    var: str
    order: int
    steps: Step
    simplification: tuple[Step, ...]
    result: Expr
    notes: tuple[Note, ...] = ()

    @property
    def raw(self) -> Expr:
        """The derivative exactly as the rules produced it, before simplifying."""
        return self.steps.result
