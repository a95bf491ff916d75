"""Plain text: the derivation as numbered lines, stable and fit for grep and diff.

    d/dx sin(x²)

    1. chain rule
       formula: d/dx f(g(x)) = f′(g(x))·g′(x)
       with u = x²
       d/dx sin(x²) = cos(x²)·2x¹
       1.1 outer rate, sin rule: d/du sin(u) = cos(u); at u = x²: cos(x²)
       1.2 inner rate, power rule: d/dx x² = 2x¹
    …
    d/dx sin(x²) = 2x·cos(x²)

Steps are numbered by their place in the tree (1.2.1 is the first substep of the
second substep of the first step), so a line can be found again after a change.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from calcstep.engine import DiffReport, PointValue
from calcstep.expr import Sym
from calcstep.render import RenderOptions
from calcstep.render.common import (
    Spelling,
    Visit,
    at_inner,
    bindings,
    conclusion_label,
    d_of,
    explanation,
    formula,
    instance,
    joined_in_blocks,
    note_text,
    role,
    same_number,
    shown_evaluated,
    shown_rewrites,
    signed,
    spelling_for,
    structural,
    title,
    visits,
)
from calcstep.steps import Derivation, Step

INDENT = "   "


def render(report: DiffReport, options: RenderOptions = RenderOptions()) -> str:
    """The whole report as text (no trailing newline)."""
    return "".join(parts(report, options))


def parts(report: DiffReport, options: RenderOptions = RenderOptions()) -> Iterator[str]:
    """The report as pieces of text to be written one after the other: a huge
    result (a 10,000-deep chain's is 250 MB) is then written once, never copied
    into a bigger string."""
    spell = spelling_for(options.ascii)
    if not options.steps:
        yield spell.expr(report.result)
        for line in _values(report, spell):
            yield "\n" + line
        return
    heading = _heading(report, spell)
    yield heading + "\n"
    for note in report.notes:
        yield f"note: {note_text(note, spell)}\n"
    for derivation in report.derivations:
        above = [f"order {derivation.order}: {d_of(derivation.target, report.var, spell)}"] if report.order > 1 else []
        yield from joined_in_blocks(chain(["", *above], derivation_lines(derivation, spell, options.explain)))
        yield "\n"
    yield "\n"
    yield f"{heading} = "
    yield spell.expr(report.result)
    for line in _values(report, spell):
        yield "\n" + line


def _heading(report: DiffReport, spell: Spelling) -> str:
    return d_of(report.expr, report.var, spell, max(report.order, 1))


def derivation_lines(derivation: Derivation, spell: Spelling, explain: bool) -> Iterator[str]:
    """The numbered steps of one order, then its simplification."""
    yield from step_lines(derivation.steps, spell, explain)
    rewrites = shown_rewrites(derivation.simplification, spell)
    if rewrites:
        yield "simplify:"
        width = max(len(title(step)) for step in rewrites)
        for step in rewrites:
            yield (
                f"{INDENT}{title(step):<{width}}  {spell.expr(step.target)} {spell.arrow} "
                f"{spell.expr(step.result)}"
            )


def _deeper(indent: str, number: str) -> str:
    """A substep's lines start under the text of its parent's, past its number."""
    return indent + " " * len(number) + " "


def step_lines(root: Step, spell: Spelling, explain: bool) -> Iterator[str]:
    """Each step and, indented under it, its substeps, then the line that combines
    them, as the terminal's tree lays it out: the work before its conclusion.  A
    rule's general formula is shown the first time the rule is used."""
    shown: set[str] = set()
    for visit in visits(root, _deeper):
        body = _deeper(visit.indent, visit.number)
        if visit.closing:
            yield f"{body}{conclusion_label(visit.step)}: {instance(visit.step, spell)}"
        else:
            yield from _opening_lines(visit, spell, explain, body, shown)


def _opening_lines(visit: Visit, spell: Spelling, explain: bool, body: str, shown: set[str]) -> Iterator[str]:
    """A step's own lines, before its substeps: its number and rule, the rule's
    formula the first time (`shown` remembers which were), what its letters stand
    for, why it applies and its notes."""
    step, parent = visit.step, visit.parent
    head = f"{visit.indent}{visit.number} "
    part = role(step, parent, visit.index)
    label = f"{part}, {title(step)}" if part else title(step)
    evaluated = shown_evaluated(step)
    is_structural = structural(step)
    if is_structural or step.substeps:
        yield f"{head}{label}"
        if is_structural and step.rule not in shown:
            shown.add(step.rule)
            yield f"{body}formula: {formula(step, spell)}"
        bound = bindings(step, spell)
        if bound is not None:
            yield f"{body}{bound[0]}{bound[1]}"
        if not step.substeps:
            yield f"{body}{instance(step, spell)}"
        if evaluated is not None:
            yield f"{body}{at_inner(step, parent, spell)}: {spell.expr(evaluated)}"
    else:
        line = f"{head}{label}: {instance(step, spell)}"
        if evaluated is not None:
            line += f"; {at_inner(step, parent, spell)}: {spell.expr(evaluated)}"
        yield line
    if explain:
        why = explanation(step, spell)
        if why:
            yield f"{body}why: {why}"
    for note in step.notes:
        yield f"{body}note: {note_text(note, spell)}"


def _values(report: DiffReport, spell: Spelling) -> list[str]:
    return [value_line(value, spell) for value in report.values]


def value_line(value: PointValue, spell: Spelling) -> str:
    """at x = 2: 4·cos(4) ≈ −2.6145744835"""
    where = ", ".join(f"{spell.expr(Sym(name))} = {spell.expr(v)}" for name, v in value.point)
    if value.undefined is not None:
        return f"at {where}: undefined ({value.undefined})"
    if value.decimal is None and value.exact is not None:
        return f"at {where}: {spell.expr(value.exact)} (beyond floating point: no decimal)"
    decimal = signed(f"{value.decimal:.12g}", spell)
    if value.exact is not None and not value.exact.free_vars:
        exact = spell.expr(value.exact)
        amount = exact if same_number(exact, decimal) else f"{exact} {spell.approx} {decimal}"
    else:
        amount = f"{spell.approx} {decimal}"
    # a note says how a value was found when the formula gave none
    return f"at {where}: {amount}" + (f" ({value.note})" if value.note else "")

