"""JSON: one object per expression, for scripts.  The schema is
calcstep/schemas/diff.schema.json and the README shows it by example.

Expressions are written in canonical text (`result` parses back to the same
expression); `result_pretty` and `result_latex` are for display.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache, lru_cache
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from calcstep.engine import DiffReport, PointValue
from calcstep.errors import CalcstepError
from calcstep.expr import Expr
from calcstep.printer import to_latex, to_pretty, to_text
from calcstep.render import RenderOptions
from calcstep.render.common import (
    CANONICAL,
    explanation,
    note_text,
    rule_formula,
    rule_title,
    step_letters,
)
from calcstep.steps import Derivation, Step

SCHEMA_VERSION = 1

# Results larger than this (in nodes) are written only once, in canonical text.
HUGE = 1_000_000

# The last order's steps are written twice, in "steps" and in "orders": made
# once and held when the expression they differentiate is at most this size.
_HELD_UP_TO = 5_000

# Beyond this size a chain stage's rate at its inner value is left out (null):
# the chain step's own result holds it, and a deep chain would repeat it.
_EVALUATED_UP_TO = 120


def report_json(
    report: DiffReport, options: RenderOptions = RenderOptions(), job_id: str | None = None,
    line: int | None = None,
) -> Iterator[str]:
    """The report's JSON object (the schema's one line), in pieces to be joined or
    written in turn; `line`, its line of stdin in a batch, is written after the
    input, as an error's record has it.  The text is laid out as `json.dumps(…, ensure_ascii=False)`
    lays it out.  It is written directly rather than built as dicts and encoded:
    a batch spends a third of its time here, and a record of a hundred megabytes
    never exists whole.  Each step is made only when it is written, and the step
    tree is walked without the stack (a 10,000-deep chain nests its steps)."""
    derivations = report.derivations if options.steps else ()
    last = derivations[-1] if derivations else None
    result = report.result
    shown = result.size <= HUGE  # a result of millions of symbols is given once
    # a JSON job's id first, as the job gave it (JSON text already)
    opening = "{" if job_id is None else '{"id": ' + job_id + ", "
    yield opening + '"input": ' + _quote(report.input) + (
        ', "expression": ' if line is None else f', "line": {line}, "expression": ')
    yield from _text(report.expr)
    yield f', "variable": {_quote(report.var)}, "order": {report.order}, "result": '
    yield from _text(result)
    # each form its own piece: a long result's three forms are never joined
    yield ', "result_pretty": '
    yield _quote(to_pretty(result)) if shown else "null"
    yield ', "result_latex": '
    yield _quote(to_latex(result)) if shown else "null"
    yield (
        f', "notes": {_WHOLE([note_text(note, CANONICAL) for note in report.notes]) if report.notes else "[]"}'
        ', "steps": '
    )
    # the last order's steps and simplification, written here and again in
    # "orders" (made once, when small enough to hold: a huge record is written as
    # it is made)
    again = report.order > 1 and last is not None and last.target.size <= _HELD_UP_TO
    last_steps: Iterable[str] = ()
    last_rewrites: Iterable[str] = ()
    if last is None:
        yield 'null, "simplification": []'
    else:
        last_steps = _steps(last.steps, options.explain)
        last_rewrites = _rewrites(last.simplification)
        if again:
            last_steps, last_rewrites = ["".join(last_steps)], ["".join(last_rewrites)]
        yield from last_steps
        yield ', "simplification": '
        yield from last_rewrites
    yield ', "error": null'
    if report.order > 1 and derivations:
        yield ', "orders": ['
        for index, derivation in enumerate(derivations):
            if index:
                yield ", "
            if again and derivation is last:
                yield from derivation_json(derivation, options.explain, last_steps, last_rewrites)
            else:
                yield from derivation_json(derivation, options.explain)
        yield "]"
    if report.values:
        yield ', "value": ' + _WHOLE([value_to_dict(value) for value in report.values])
    yield "}"


def derivation_json(
    derivation: Derivation, explain: bool = False, steps: Iterable[str] | None = None,
    simplification: Iterable[str] | None = None,
) -> Iterator[str]:
    """One order's object: order, expression, steps, simplification, result
    (`steps` and `simplification`: their JSON, when already written)."""
    yield f'{{"order": {derivation.order}, "expression": '
    yield from _text(derivation.target)
    yield ', "steps": '
    yield from _steps(derivation.steps, explain) if steps is None else steps
    yield ', "simplification": '
    yield from _rewrites(derivation.simplification) if simplification is None else simplification
    yield ', "result": '
    yield from _text(derivation.result)
    yield "}"


def report_to_dict(report: DiffReport, options: RenderOptions = RenderOptions()) -> dict[str, Any]:
    """The report's JSON object as Python values (for callers in Python)."""
    return json.loads("".join(report_json(report, options)))


def derivation_to_dict(derivation: Derivation, explain: bool = False) -> dict[str, Any]:
    """One order's object as Python values."""
    return json.loads("".join(derivation_json(derivation, explain)))


def value_to_dict(value: PointValue) -> dict[str, Any]:
    """The derivative's value at one point: exact, decimal, or why it has none."""
    return {
        "at": {name: to_text(v) for name, v in value.point},
        "exact": to_text(value.exact) if value.exact is not None and not value.exact.free_vars else None,
        "decimal": value.decimal,
        "undefined": value.undefined,
        **({"note": value.note} if value.note else {}),
    }


# JSON's spelling of a string, non-ASCII kept (json.dumps with ensure_ascii=False).
# Canonical text (`to_text`) is names, numbers and operators: no quote,
# backslash or control character, so it is its own JSON string between two
# quotes (property-tested), and is written so, not passed through `_quote`: a
# record's every step writes two or three such texts, and the call and the scan
# for characters to escape cost a batch 1% (`_quote` is for any other text).
_quote: Callable[[str], str] = encode_basestring
_WHOLE = json.JSONEncoder(ensure_ascii=False).encode

# A canonical text longer than this is written without the copy quoting makes.
_LONG_TEXT = 1 << 16


def _text(expr: Expr) -> Iterator[str]:
    """An expression's canonical text as a JSON string (see `_quote`): a long one
    in three pieces, so that a result of hundreds of megabytes is not copied to
    be quoted."""
    text = to_text(expr)
    if len(text) < _LONG_TEXT:
        yield f'"{text}"'
    else:
        yield from ('"', text, '"')


def _steps(root: Step, explain: bool) -> Iterator[str]:
    """A step tree's objects, depth first, each step's own fields in one piece and
    its substeps between its opening and its closing piece (a step without
    substeps whole, in one piece)."""
    # each entry: the substeps still to write of a step open above, and what
    # closes that step; a step's substeps are read in order, one at a time (those
    # of a wide sum are made a run at a time, and never held together)
    pending: list[tuple[Iterator[Step], str]] = []
    step: Step | None = root
    while True:
        if step is not None:
            substeps = step.substeps
            if substeps:
                yield _step_opening(step)
                following = iter(substeps)
                pending.append((following, _step_closing(step, explain)))
                step = next(following)
                continue
            # most steps (a constant's, a power's): written in one piece
            yield _step_opening(step) + _step_closing(step, explain)
        if not pending:
            return
        following, closing = pending[-1]
        step = next(following, None)
        if step is None:
            pending.pop()
            yield closing
        else:
            yield ", "


def _step_opening(step: Step) -> str:
    """A step's object up to its substeps: rule, title, formula, variable, target,
    result (null for a long chain's product: its `named` form is given), given."""
    result = step.result
    shown = "null" if step.named is not None and result.size > HUGE else f'"{to_text(result)}"'
    # a step gives a name or two (most give none): added up in turn, not joined,
    # which takes a generator or a list
    given = ""
    for name, value in step.given:
        given += f'{", " if given else ""}{_quote(name)}: "{to_text(value)}"'
    return (
        f'{_rule_opening(step.rule, step_letters(step), step.var)}{to_text(step.target)}", '
        f'"result": {shown}, "given": {{{given}}}, "substeps": ['
    )


@lru_cache(maxsize=4096)  # bounded: keyed by the variable too, which a batch may vary without end
def _rule_opening(rule: str, renames: tuple[tuple[str, str], ...], var: str) -> str:
    """The fields a rule's every step with these letters in this variable shares:
    rule, title, formula (in x, whatever the step's variable: one formula per rule
    and letters, for scripts), variable, and the key and opening quote of the
    target's text."""
    return (
        f'{{"rule": {_quote(rule)}, "title": {_quote(rule_title(rule))}, '
        f'"formula": {_quote(rule_formula(rule, CANONICAL, renames))}, "variable": {_quote(var)}, "target": "'
    )


def _step_closing(step: Step, explain: bool) -> str:
    """A step's object after its substeps: note, evaluated (a chain stage's rate at
    its inner value, null when long), named (a chain's product with inner names),
    explanation (with --explain)."""
    notes = step.notes
    note = "; ".join(note_text(note, CANONICAL) for note in notes) if notes else ""
    closing = '], "note": ' + (_quote(note) if note else "null")
    evaluated = step.evaluated
    if evaluated is not None:
        closing += ', "evaluated": ' + (
            f'"{to_text(evaluated)}"' if evaluated.size <= _EVALUATED_UP_TO else "null"
        )
    if step.named is not None:
        closing += ', "named": "' + to_text(step.named) + '"'
    if explain:
        closing += ', "explanation": ' + _quote(explanation(step, CANONICAL))
    return closing + "}"


def _rewrites(steps: Sequence[Step]) -> Iterator[str]:
    """The simplification's list: rule, title, target, result of each rewrite."""
    yield "["
    for index, step in enumerate(steps):
        yield (
            f'{", " if index else ""}{_rewrite_opening(step.rule)}{to_text(step.target)}", '
            f'"result": "{to_text(step.result)}"}}'
        )
    yield "]"


@cache
def _rewrite_opening(rule: str) -> str:
    return f'{{"rule": {_quote(rule)}, "title": {_quote(rule_title(rule))}, "target": "'


def error_to_dict(
    text: str, error: CalcstepError, line: int | None = None, job_id: str | None = None
) -> dict[str, Any]:
    """The JSON record for an input that failed: its job's id (when a JSON job gave
    one), the input, its line of stdin in a batch, and the error."""
    return {
        **({"id": json.loads(job_id)} if job_id is not None else {}),
        # a byte that was not UTF-8 (read as a lone surrogate) is U+FFFD here: JSON
        # text is Unicode, and a lone surrogate is none
        "input": text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
        **({"line": line} if line is not None else {}),
        "error": error.to_dict(),
    }
