r"""Markdown: the derivation as a nested list, for GitHub, Jupyter and notes.

    ### $\frac{d}{dx} \sin\left(x^{2}\right)$

    - **1. chain rule**
      - formula: $\frac{d}{dx} f\left(g\left(x\right)\right) = …$
      - inner function: $u = x^{2}$; outer function: $\sin\left(u\right)$
      - **1.1** *outer rate*, **sin rule**: $\frac{d}{du} \sin\left(u\right) = \cos\left(u\right)$
        - at $u = x^{2}$: $\cos\left(u\right) = \cos\left(x^{2}\right)$
      - …
      - product of the rates: $\frac{d}{dx} \sin\left(x^{2}\right) = …$

    **Simplify**
    …
    **Result**

    $$\frac{d}{dx} \sin\left(x^{2}\right) = 2 x \cos\left(x^{2}\right)$$

The layout is the terminal's: a step's pieces first (for the chain rule the
lesson's order: inner function u, outer rate at u, inner rate), then the item
that combines them.  Every line of a step is a list item, so no renderer needs
hard line breaks; mathematics is LaTeX in `$…$` (inline) and `$$…$$` (the
result), which GitHub, Jupyter and most notes applications render.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from calcstep.engine import DiffReport, PointValue
from calcstep.expr import Expr
from calcstep.printer import to_latex
from calcstep.render import RenderOptions
from calcstep.render.common import (
    LATEX,
    Visit,
    conclusion_label,
    d_of,
    explanation,
    formula,
    inner_point,
    joined_in_blocks,
    note_text,
    role,
    shown_evaluated,
    shown_result,
    shown_rewrites,
    structural,
    title,
    visits,
)
from calcstep.render.latex import MARKED, bindings, split_marked, value_math
from calcstep.steps import Derivation, Step

# Nested list items are indented by the width of "- ".
INDENT = "  "

# Characters that Markdown could read as markup (emphasis, links, HTML, tables,
# mathematics) when they stand in text; a backslash makes each literal.
_MARKUP = re.compile(r"([\\`*_\[\]<>|$~#])")


def render(report: DiffReport, options: RenderOptions = RenderOptions()) -> str:
    """The report as Markdown: a heading, how the input was read, the steps of
    each order with their simplification, then the result and its values."""
    return "".join(parts(report, options))


def parts(report: DiffReport, options: RenderOptions = RenderOptions()) -> Iterator[str]:
    """The report as pieces of text to be written one after the other (`render`
    joined), a few hundred lines in each: a derivation of thousands of steps is
    never held whole."""
    operator = d_of(report.expr, report.var, LATEX, report.order)
    blocks = [f"### {_math(operator)}"]
    blocks += [f"> **Note:** {_sentence(note_text(note, MARKED))}" for note in report.notes]
    yield "\n\n".join(blocks)
    if options.steps:
        for derivation in report.derivations:
            yield from _derivation_blocks(derivation, report, options.explain)
    yield "\n\n" + "\n\n".join(_result_blocks(report, operator))


def _derivation_blocks(derivation: Derivation, report: DiffReport, explain: bool) -> Iterator[str]:
    """One order, each block after a blank line: its heading (above order 1), its
    steps, its simplification."""
    if report.order > 1:
        yield f"\n\n#### Order {derivation.order}: {_math(d_of(derivation.target, report.var, LATEX))}"
    yield "\n\n**Steps**\n\n"
    yield from joined_in_blocks(_step_items(derivation.steps, explain))
    rewrites = shown_rewrites(derivation.simplification, LATEX)
    if rewrites:
        yield "\n\n**Simplify**\n\n" + "\n".join(_rewrite_item(step) for step in rewrites)


def _rewrite_item(step: Step) -> str:
    """- power of 1 or 0: $x^{1} \\to x$"""
    change = rf"{to_latex(step.target)} \to {to_latex(step.result)}"
    return f"- {_escape(title(step))}: {_math(change)}"


def _result_blocks(report: DiffReport, operator: str) -> list[str]:
    """The result as display mathematics (`operator` = it), then the values at the
    points asked for."""
    blocks = ["**Result**", f"$$\n{operator} = {to_latex(report.result)}\n$$"]
    if report.values:
        blocks.append("\n".join(_value_item(value) for value in report.values))
    return blocks


def _deeper(indent: str, number: str) -> str:
    """A substep is an item of the list under its parent's item."""
    return indent + INDENT


def _step_items(root: Step, explain: bool) -> Iterator[str]:
    """Each step as a list item with its details and substeps as items under it,
    and last, when it has substeps, the item that combines them.  A rule's
    general formula is shown the first time the rule is used."""
    shown: set[str] = set()
    for visit in visits(root, _deeper):
        inner = visit.indent + INDENT
        if visit.closing:
            yield f"{inner}- {conclusion_label(visit.step)}: {_instance(visit.step)}"
        else:
            yield from _opening_items(visit, explain, inner, shown)


def _opening_items(visit: Visit, explain: bool, inner: str, shown: set[str]) -> Iterator[str]:
    """A step's own items, before its substeps: its number and rule, the rule's
    formula the first time (`shown` remembers which were), what its letters stand
    for, its rate at the inner function, why it applies and its notes."""
    step, parent, indent = visit.step, visit.parent, visit.indent
    part = role(step, parent, visit.index)
    number = visit.number
    head = f"**{number}** *{_escape(part)}*, **{_escape(title(step))}**" if part else f"**{number} {_escape(title(step))}**"
    is_structural = structural(step)
    if is_structural or step.substeps:
        yield f"{indent}- {head}"
        if is_structural and step.rule not in shown:
            shown.add(step.rule)
            yield f"{inner}- formula: {_math(formula(step, LATEX))}"
        for line in _bindings(step):
            yield f"{inner}- {line}"
        if not step.substeps:
            yield f"{inner}- {_instance(step)}"
    else:
        yield f"{indent}- {head}: {_instance(step)}"
    evaluated = shown_evaluated(step)
    if evaluated is not None:
        yield f"{inner}- {_rate_at_inner(step, parent, evaluated)}"
    why = explanation(step, MARKED) if explain else ""
    if why:
        yield f"{inner}- *why:* {_sentence(why)}"
    for note in step.notes:
        yield f"{inner}- *note:* {_sentence(note_text(note, MARKED))}"


def _bindings(step: Step) -> list[str]:
    """What the rule's letters are here: the chain rule's inner function u first
    (and its outer function), as the lesson has it; "with g = …" for other rules."""
    bound = ", ".join(_math(f"{name} = {value}") for name, value in bindings(step))
    if not bound:
        return []
    outer = dict(step.given).get("outer")
    if step.rule == "chain" and outer is not None:
        return [f"inner function: {bound}; outer function: {_math(to_latex(outer))}"]
    if step.rule == "chain-n":
        return [f"inner functions: {bound}"]
    return [f"with {bound}"]


def _instance(step: Step) -> str:
    """$\\frac{d}{dx} target = result$"""
    return _math(f"{d_of(step.target, step.var, LATEX)} = {to_latex(shown_result(step))}")


def _rate_at_inner(step: Step, parent: Step | None, evaluated: Expr) -> str:
    """at $u = x^{2}$: $\\cos(u) = \\cos(x^{2})$"""
    point = _math(inner_point(step, parent, LATEX))
    return f"at {point}: {_math(f'{to_latex(step.result)} = {to_latex(evaluated)}')}"


def _value_item(value: PointValue) -> str:
    """- at $x = 2$: $4 \\cos(4) \\approx -2.61$"""
    where, amount = value_math(value)
    if value.undefined is not None:
        return f"- at {_math(where)}: undefined ({_escape(value.undefined)})"
    note = f" ({_escape(value.note)})" if value.note else ""
    return f"- at {_math(where)}: {_math(amount)}{note}"


# ---------------------------------------------------------------------------
# Text and mathematics
# ---------------------------------------------------------------------------


def _math(latex: str) -> str:
    """Inline mathematics.  GitHub reads $…$ as mathematics only when no space
    follows the opening $ or precedes the closing one."""
    return f"${latex.strip()}$"


def _escape(text: str) -> str:
    return _MARKUP.sub(r"\\\1", text)


def _sentence(marked: str) -> str:
    """A sentence spelled with MARKED: its text escaped, its mathematics in $…$."""
    return "".join(_math(piece) if is_math else _escape(piece) for is_math, piece in split_marked(marked))

