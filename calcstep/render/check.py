"""`calcstep check`: the verdict on an answer as plain text and as a JSON object.

    not correct: d/dx sin(x²) = 2x·cos(x²), not cos(x²)
    mistake: forgot_inner_derivative (the inner derivative forgotten)
      You forgot the inner derivative: sin(x²) is a composition, so after the
      outer rate cos(x²) you must multiply by the rate of the inside, x², which
      is 2x.
    step: chain rule, d/dx sin(x²)
      right: 2x·cos(x²)
      yours: cos(x²)
    at x = 0.7: yours 0.8823, correct 1.235

The verdict comes first, so `head -1` is enough for a script that reads text.
Everything here only spells what calcstep.check computed.
"""

from __future__ import annotations

import textwrap
from typing import Any

from calcstep.check import MISTAKES, CheckReport, Diagnosis, Method, Witness, WrongStep
from calcstep.expr import Apply, Sym
from calcstep.printer import to_pretty, to_text
from calcstep.render.common import ASCII, CANONICAL, Spelling, d_of, note_text, spelling_for
from calcstep.rules import RULES

WIDTH = 80
INDENT = "  "
_T = Sym("t")  # the variable of a stand-in function
# The symbols in the function table's one-line reasons, spelled in ASCII.
_PROSE_TO_ASCII = str.maketrans(
    {"·": "*", "−": "-", "²": "^2", "√": "sqrt", "π": "pi", "σ": "sigma", "±": "+/-", "′": "'"}
)
# Significant digits a witness value is shown with, at least and at most: more
# only when the two values would otherwise print the same.
_DIGITS = (4, 15)


def render(report: CheckReport, ascii: bool = False) -> str:
    """The verdict line, then the diagnosis and notes (no trailing newline)."""
    spell = spelling_for(ascii)
    lines = [_verdict(report, spell)]
    if report.diagnosis is not None:
        lines += _diagnosis_lines(report.diagnosis, spell, report.order > 1)
    for note in report.notes:
        lines += _wrapped(f"note: {note_text(note, spell)}", "", INDENT)
    return "\n".join(lines)


def _verdict(report: CheckReport, spell: Spelling) -> str:
    heading = d_of(report.expr, report.var, spell, max(report.order, 1))
    derivative = spell.expr(report.derivative)
    if not report.correct:
        return f"not correct: {heading} = {derivative}, not {spell.expr(report.answer.expr)}"
    how = (
        "the difference simplifies to 0"
        if report.method is Method.SIMPLIFY
        else f"equal at all {report.points} points compared"
    )
    return f"correct: {heading} = {derivative} ({how})"


def _diagnosis_lines(diagnosis: Diagnosis, spell: Spelling, higher: bool) -> list[str]:
    if diagnosis.mistake is None:
        lines = ["mistake: not one of the classic mistakes calcstep knows"]
    else:
        lines = [f"mistake: {diagnosis.mistake} ({MISTAKES[diagnosis.mistake].title})"]
    lines += _wrapped(note_text(diagnosis.message, spell), INDENT)
    if diagnosis.why is not None:
        why = diagnosis.why if spell is not ASCII else diagnosis.why.translate(_PROSE_TO_ASCII)
        lines += _wrapped(f"why: {why}", INDENT)
    if diagnosis.step is not None:
        lines += _step_lines(diagnosis.step, spell, higher)
    if diagnosis.witness is not None:
        lines += _witness_lines(diagnosis.witness, spell)
    return lines


def _wrapped(text: str, indent: str, more: str | None = None) -> list[str]:
    """A paragraph in lines of at most WIDTH columns, the first indented by
    `indent` and the others by `more` (the same, by default)."""
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent if more is None else more,
        break_on_hyphens=False,
        break_long_words=False,
    )


def _step_lines(step: WrongStep, spell: Spelling, higher: bool) -> list[str]:
    """The step where the answer departs, the right result over the wrong one
    (and, for a higher derivative, in which order)."""
    where = f" (order {step.order})" if higher else ""
    return [
        f"step{where}: {_title(step.rule)}, {d_of(step.target, step.var, spell)}",
        f"{INDENT}right: {spell.expr(step.right)}",
        f"{INDENT}yours: {spell.expr(step.yours)}",
    ]


def _title(rule: str) -> str:
    known = RULES.get(rule)
    return known.title if known is not None else rule.replace("-", " ")


def _witness_lines(witness: Witness, spell: Spelling) -> list[str]:
    """at x = 0.7: yours 0.8823, correct 1.235 (and, with abstract functions, the
    concrete ones that stood in for them, a line each)"""
    yours, correct = _numbers(witness.yours, witness.correct)
    return [
        f"at {_point(witness, spell)}: yours {yours}, correct {correct}",
        *(
            f"{INDENT}taking {spell.expr(Apply(name, _T))} = {spell.expr(model)}"
            for name, model in witness.stand_ins
        ),
    ]


def _point(witness: Witness, spell: Spelling) -> str:
    return ", ".join(f"{spell.expr(Sym(name))} = {value:g}" for name, value in witness.point)


def _numbers(yours: float | None, correct: float) -> tuple[str, str]:
    """Both values with as few digits as tell them apart (at least 4)."""
    low, high = _DIGITS
    if yours is None:
        return "undefined", f"{correct:.{low}g}"
    for digits in range(low, high):
        mine, right = f"{yours:.{digits}g}", f"{correct:.{digits}g}"
        if mine != right:
            return mine, right
    return f"{yours:.{high}g}", f"{correct:.{high}g}"


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


def to_dict(report: CheckReport) -> dict[str, Any]:
    """The report as one JSON object.  Expressions are canonical text that
    calcstep parses back; `derivative_pretty` is for display."""
    return {
        "input": report.diff.input,
        "answer_input": report.answer.text,
        "expression": to_text(report.expr),
        "answer": to_text(report.answer.expr),
        "variable": report.var,
        "order": report.order,
        "correct": report.correct,
        "derivative": to_text(report.derivative),
        "derivative_pretty": to_pretty(report.derivative),
        "method": report.method.value,
        "points": report.points,
        "notes": [note_text(note, CANONICAL) for note in report.notes],
        "diagnosis": _diagnosis_dict(report.diagnosis) if report.diagnosis else None,
        "error": None,
    }


def _diagnosis_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    mistake = diagnosis.mistake
    return {
        "mistake": mistake,
        "title": MISTAKES[mistake].title if mistake is not None else None,
        "message": note_text(diagnosis.message, CANONICAL),
        "why": diagnosis.why,
        "step": _step_dict(diagnosis.step) if diagnosis.step is not None else None,
        "witness": _witness_dict(diagnosis.witness) if diagnosis.witness is not None else None,
    }


def _step_dict(step: WrongStep) -> dict[str, Any]:
    return {
        "rule": step.rule,
        "title": _title(step.rule),
        "variable": step.var,
        "order": step.order,
        "target": to_text(step.target),
        "right": to_text(step.right),
        "yours": to_text(step.yours),
    }


def _witness_dict(witness: Witness) -> dict[str, Any]:
    record: dict[str, Any] = {
        "point": dict(witness.point),
        "yours": witness.yours,
        "correct": witness.correct,
    }
    if witness.stand_ins:
        record["stand_ins"] = {name: to_text(model) for name, model in witness.stand_ins}
    return record
