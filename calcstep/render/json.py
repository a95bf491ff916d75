"""JSON: one object per expression, for scripts.  The schema is
calcstep/schemas/diff.schema.json and the README shows it by example.

Expressions are written in canonical text (`result` parses back to the same
expression); `result_pretty` and `result_latex` are for display.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any, NamedTuple

from calcstep.engine import DiffReport, PointValue
from calcstep.errors import CalcstepError
from calcstep.expr import Expr
from calcstep.printer import to_latex, to_pretty, to_text
from calcstep.render import RenderOptions
from calcstep.render.common import CANONICAL, explanation, formula, note_text, title
from calcstep.steps import Derivation, Step

SCHEMA_VERSION = 1

# Results larger than this (in nodes) are written only once, in canonical text.
HUGE = 1_000_000

# Beyond this size a chain stage's rate at its inner value is left out (null):
# the chain step's own result holds it, and a deep chain would repeat it.
_EVALUATED_UP_TO = 120


def report_to_dict(
    report: DiffReport, options: RenderOptions = RenderOptions(), lazy: bool = False
) -> dict[str, Any]:
    """The report as the JSON object for one expression.  With `lazy`, the steps are
    made only as `json_pieces` writes them (for `json_pieces` alone, not json.dumps)."""
    orders = (
        [derivation_to_dict(d, options.explain, lazy) for d in report.derivations] if options.steps else []
    )
    last = orders[-1] if orders else None
    text = _Text if lazy else to_text
    record: dict[str, Any] = {
        "input": report.input,
        "expression": text(report.expr),
        "variable": report.var,
        "order": report.order,
        "result": text(report.result),
        # a result of millions of symbols is given once, in canonical text only
        "result_pretty": to_pretty(report.result) if report.result.size <= HUGE else None,
        "result_latex": to_latex(report.result) if report.result.size <= HUGE else None,
        "notes": [note_text(note, CANONICAL) for note in report.notes],
        # the last order's steps, the same objects as in `orders` (written twice, made once)
        "steps": last["steps"] if last else None,
        "simplification": last["simplification"] if last else [],
        "error": None,
    }
    if report.order > 1 and options.steps:
        record["orders"] = orders
    if report.values:
        record["value"] = [value_to_dict(value) for value in report.values]
    return record


def derivation_to_dict(derivation: Derivation, explain: bool = False, lazy: bool = False) -> dict[str, Any]:
    if lazy:
        return {
            "order": derivation.order,
            "expression": _Text(derivation.target),
            "steps": _Later(partial(step_to_dict, derivation.steps, explain, lazy)),
            "simplification": _Each(rewrite_to_dict, derivation.simplification),
            "result": _Text(derivation.result),
        }
    return {
        "order": derivation.order,
        "expression": to_text(derivation.target),
        "steps": step_to_dict(derivation.steps, explain),
        "simplification": [rewrite_to_dict(step) for step in derivation.simplification],
        "result": to_text(derivation.result),
    }


def step_to_dict(step: Step, explain: bool = False, lazy: bool = False) -> dict[str, Any]:
    """A step and its substeps: rule, formula, target, result, substeps, note (the
    substeps made as they are written, with `lazy`)."""
    record: dict[str, Any] = {
        "rule": step.rule,
        "title": title(step),
        "formula": formula(step, CANONICAL),
        "variable": step.var,
        "target": to_text(step.target),
        # a long chain's product is given written with its inner names (`named`)
        "result": None if step.named is not None and step.result.size > HUGE else to_text(step.result),
        "given": {name: to_text(value) for name, value in step.given},
        "substeps": (
            _Each(partial(step_to_dict, explain=explain, lazy=True), step.substeps)
            if lazy
            else [step_to_dict(sub, explain) for sub in step.substeps]
        ),
        "note": "; ".join(note_text(note, CANONICAL) for note in step.notes) or None,
    }
    if step.evaluated is not None:
        small = step.evaluated.size <= _EVALUATED_UP_TO
        record["evaluated"] = to_text(step.evaluated) if small else None
    if step.named is not None:
        record["named"] = to_text(step.named)
    if explain:
        record["explanation"] = explanation(step, CANONICAL)
    return record


def rewrite_to_dict(step: Step) -> dict[str, Any]:
    return {"rule": step.rule, "title": title(step), "target": to_text(step.target),
            "result": to_text(step.result)}


def value_to_dict(value: PointValue) -> dict[str, Any]:
    return {
        "at": {name: to_text(v) for name, v in value.point},
        "exact": to_text(value.exact) if value.exact is not None and not value.exact.free_vars else None,
        "decimal": value.decimal,
        "undefined": value.undefined,
        **({"note": value.note} if value.note else {}),
    }


def error_to_dict(text: str, error: CalcstepError) -> dict[str, Any]:
    """The JSON record for an input that failed: the input and the error."""
    return {"input": text, "error": error.to_dict()}


# A report with more steps than this is written piece by piece (see json_pieces).
PIECEWISE_ABOVE = 2000

_WHOLE = json.JSONEncoder(ensure_ascii=False).encode


class _Raw(str):
    """JSON text already written (a bracket, a comma, `"key": `)."""


class _Later(NamedTuple):
    """A value made only when the writer reaches it."""

    make: Callable[[], Any]


class _Each(NamedTuple):
    """A list whose items are made one by one as they are written: make(item)."""

    make: Callable[[Any], Any]
    items: Iterable[Any]


class _Text(NamedTuple):
    """An expression's canonical text, printed when the writer reaches it."""

    expr: Expr


class _Rest(NamedTuple):
    """What is left of an _Each being written."""

    make: Callable[[Any], Any]
    items: Iterator[Any]
    first: bool


def json_pieces(value: Any) -> Iterator[str]:
    """`value` as the JSON text `json.dumps(value, ensure_ascii=False)` gives, in
    pieces: objects that hold substeps and lists of more than a few items are
    written part by part, everything else in one go by the C encoder.  So a record
    of a hundred megabytes never exists as one string (nor as the encoder's list
    of its parts) while it is written; and in a lazy record (`report_to_dict(…,
    lazy=True)`) each step's object exists only while it is written.  Iterative:
    a 10,000-deep chain's steps nest without using the stack."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is _Raw:
            yield item
        elif kind is _Later:
            stack.append(item.make())
        elif kind is _Text:
            text = to_text(item.expr)
            # canonical text is ASCII names, numbers and operators: no quote or
            # backslash (checked, it is quick) and no control character (names
            # are identifiers), so it is its own JSON string, with no copy made
            # of a result of hundreds of megabytes
            if '"' in text or "\\" in text:  # pragma: no cover - see above
                yield _WHOLE(text)
            else:
                yield from ('"', text, '"')
        elif kind is _Each:
            yield "["
            stack.append(_Rest(item.make, iter(item.items), True))
        elif kind is _Rest:
            following = next(item.items, _Rest)  # the class itself marks the end
            if following is _Rest:
                yield "]"
                continue
            stack += [item._replace(first=False), item.make(following)]
            if not item.first:
                stack.append(_Raw(", "))
        elif isinstance(item, dict) and (item.get("substeps") or "steps" in item):
            pending: list[Any] = [_Raw("{")]
            for index, (key, part) in enumerate(item.items()):
                pending += [_Raw((", " if index else "") + _WHOLE(key) + ": "), part]
            pending.append(_Raw("}"))
            stack.extend(reversed(pending))
        elif isinstance(item, list) and len(item) > 8:
            pending = [_Raw("[")]
            for index, part in enumerate(item):
                pending += [_Raw(", ") if index else None, part]
            pending.append(_Raw("]"))
            stack.extend(reversed([p for p in pending if p is not None]))
        else:
            yield _WHOLE(item)


def is_large(report: DiffReport) -> bool:
    """True when the report has so many steps that its JSON is best written in pieces."""
    total = 0
    for derivation in report.derivations:
        total += derivation.steps.count_steps() + len(derivation.simplification)
        if total > PIECEWISE_ABOVE:
            return True
    return False
