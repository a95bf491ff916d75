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
Notes on how the inputs were read come next, before the diagnosis: a misreading
(2e^2x read as 2e²·x) is what a learner should see first.  Notes on where the
two have values come last.
Everything here only spells what calcstep.check computed.

`render_rich` lays the same facts out for a terminal: the verdict styled, the
right step and yours side by side in a table, notes dimmed.  Both layouts are
built from the same pieces (`_verdict_pieces`, `_mistake_pieces`,
`_witness_pieces`): text tagged with what it is, which the plain layout joins
and the terminal one styles.  Rich is imported only when `render_rich` runs, so
the plain and JSON paths do not pay for it.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from calcstep.check import MISTAKES, CheckReport, Diagnosis, Method, Witness, WrongStep
from calcstep.expr import Apply, Note, Sym
from calcstep.printer import to_pretty, to_text
from calcstep.render.common import (
    ASCII,
    CANONICAL,
    Piece,
    Spelling,
    d_of,
    joined,
    note_text,
    rule_title,
    signed,
    spelling_for,
)

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

WIDTH = 80
INDENT = "  "
_T = Sym("t")  # the variable of a stand-in function
# The symbols in the function table's one-line reasons, spelled in ASCII.
_PROSE_TO_ASCII = str.maketrans(
    {"·": "*", "−": "-", "²": "^2", "√": "sqrt", "π": "pi", "σ": "sigma", "±": "+/-", "′": "'"}
)
# Significant digits a witness value is shown with, at least and at most: more
# only when the two values would otherwise print the same (17 tell any two
# different floats apart; equal floats are told apart by their gap).
_DIGITS = (4, 17)


def render(report: CheckReport, ascii: bool = False) -> str:
    """The verdict line; the notes on how the inputs were read, which may explain
    the verdict (2e^2x read as 2e²·x), before the diagnosis; then the diagnosis
    and the other notes (no trailing newline)."""
    spell = spelling_for(ascii)
    lines = [_verdict(report, spell)]
    for note in report.readings:
        lines += _note_lines(note, spell)
    if report.diagnosis is not None:
        lines += _diagnosis_lines(report.diagnosis, spell, report.order > 1)
    for note in report.notes:
        lines += _note_lines(note, spell)
    return "\n".join(lines)


def _note_lines(note: Note, spell: Spelling) -> list[str]:
    """note: …, wrapped, its later lines indented."""
    return _wrapped(f"note: {note_text(note, spell)}", "", INDENT)


def _verdict(report: CheckReport, spell: Spelling) -> str:
    return joined(_verdict_pieces(report, spell))


def _verdict_pieces(report: CheckReport, spell: Spelling) -> list[Piece]:
    """correct: d/dx x² = 2x (how), or not correct: d/dx … = right, not yours."""
    heading = d_of(report.expr, report.var, spell, max(report.order, 1))
    derivative = spell.expr(report.derivative)
    if not report.correct:
        return [
            ("not correct", "wrong"),
            (f": {heading} = ", ""),
            (derivative, "result"),
            (", not ", ""),
            (spell.expr(report.answer.expr), "yours"),
        ]
    how = (
        "the difference simplifies to 0"
        if report.method is Method.SIMPLIFY
        else f"equal at all {report.points} points compared"
    )
    return [("correct", "correct"), (f": {heading} = ", ""), (derivative, "result"), (f" ({how})", "key")]


def _diagnosis_lines(diagnosis: Diagnosis, spell: Spelling, higher: bool) -> list[str]:
    lines = [joined(_mistake_pieces(diagnosis))]
    lines += _wrapped(note_text(diagnosis.message, spell), INDENT)
    if diagnosis.why is not None:
        lines += _wrapped(f"why: {_why(diagnosis.why, spell)}", INDENT)
    if diagnosis.step is not None:
        lines += _step_lines(diagnosis.step, spell, higher)
    if diagnosis.witness is not None:
        lines += _witness_lines(diagnosis.witness, spell)
    return lines


def _mistake_pieces(diagnosis: Diagnosis) -> list[Piece]:
    """mistake: forgot_inner_derivative (the inner derivative forgotten)"""
    if diagnosis.mistake is None:
        return [("mistake: ", "key"), ("not one of the classic mistakes calcstep knows", "")]
    title = MISTAKES[diagnosis.mistake].title
    return [("mistake: ", "key"), (diagnosis.mistake, "mistake"), (f" ({title})", "")]


def _why(why: str, spell: Spelling) -> str:
    """The function table's reason, in ASCII for the ASCII spelling."""
    return why if spell is not ASCII else why.translate(_PROSE_TO_ASCII)


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
    return [
        joined(_step_pieces(step, spell, higher)),
        f"{INDENT}right: {spell.expr(step.right)}",
        f"{INDENT}yours: {spell.expr(step.yours)}",
    ]


def _step_pieces(step: WrongStep, spell: Spelling, higher: bool) -> list[Piece]:
    """step: chain rule, d/dx sin(x²), with the order for a higher derivative, and
    the constant factor the rule sets aside, when there is one."""
    where = f" (order {step.order})" if higher else ""
    aside = f", the factor {spell.expr(step.factor)} set aside" if step.factor is not None else ""
    return [
        (f"step{where}: ", "key"),
        (rule_title(step.rule), "rule"),
        (f", {d_of(step.target, step.var, spell)}{aside}", ""),
    ]


def _witness_lines(witness: Witness, spell: Spelling) -> list[str]:
    """at x = 0.7: yours 0.8823, correct 1.235 (and, with abstract functions, the
    concrete ones that stood in for them, a line each)"""
    return [joined(_witness_pieces(witness, spell)), *_stand_in_lines(witness, spell)]


def _witness_pieces(witness: Witness, spell: Spelling) -> list[Piece]:
    """at x = 0.7: yours 0.8823, correct 1.235; and where the two are the same
    float, their gap: at x = 0.7: yours 1.4, correct 1.4 (yours − correct = 1e−30)"""
    yours, correct = (signed(number, spell) for number in _numbers(witness.yours, witness.correct))
    pieces = [
        (f"at {_point(witness, spell)}: ", ""),
        (f"yours {yours}", "yours"),
        (", ", ""),
        (f"correct {correct}", "result"),
    ]
    if witness.gap is not None:  # the values are the same float: their gap shows them apart
        pieces.append((signed(f" (yours - correct = {witness.gap:.{_DIGITS[0]}g})", spell), ""))
    return pieces


def _stand_in_lines(witness: Witness, spell: Spelling) -> list[str]:
    """The concrete functions that stood in for abstract ones at the witness point."""
    return [
        f"{INDENT}taking {spell.expr(Apply(name, _T))} = {spell.expr(model)}"
        for name, model in witness.stand_ins
    ]


def _point(witness: Witness, spell: Spelling) -> str:
    return ", ".join(f"{spell.expr(Sym(name))} = {signed(f'{value:g}', spell)}" for name, value in witness.point)


def _numbers(yours: float | None, correct: float) -> tuple[str, str]:
    """Both values with as few digits as tell them apart (at least 4)."""
    low, high = _DIGITS
    if yours is None:
        return "undefined", f"{correct:.{low}g}"
    if yours == correct:  # no digits tell equal floats apart (their gap is shown instead)
        return f"{yours:.{low}g}", f"{correct:.{low}g}"
    for digits in range(low, high):
        mine, right = f"{yours:.{digits}g}", f"{correct:.{digits}g}"
        if mine != right:
            return mine, right
    return f"{yours:.{high}g}", f"{correct:.{high}g}"


# ---------------------------------------------------------------------------
# The terminal (Rich)
# ---------------------------------------------------------------------------

# Styles for the kinds of piece, beside the house styles of `calcstep diff`
# (calcstep.render.rich.STYLES: results bold green, rule names bold cyan, keys
# dim).  Colour only hints: without it, bold and dim still set the verdict and
# the results apart, and the words say the rest.
_KIND_STYLES = {
    "correct": "bold green",
    "wrong": "bold red",
    "yours": "red",
    "mistake": "bold",
    "note": "dim",
}


def render_rich(report: CheckReport, ascii: bool = False) -> RenderableType:
    """The verdict as a Rich renderable: the verdict line (the right derivative
    in the house's result style, a wrong answer in red), and for a wrong answer
    the mistake, the learner's message, the step where the answer departs (the
    right result beside yours, in a table) and the witness point; notes dimmed.

    Builds the renderable and prints nothing; styles are named, never escape
    codes.  Every line fits the console's width (80 columns included), and with
    `ascii` every character drawn is ASCII."""
    from rich.console import Group

    from calcstep.render.rich import AsciiOnly, line

    spell = spelling_for(ascii)
    parts: list[RenderableType] = [line(_verdict_pieces(report, spell), _KIND_STYLES)]
    parts += _rich_notes(report.readings, spell)  # a misreading, first: it may explain the rest
    if report.diagnosis is not None:
        parts += _rich_diagnosis(report.diagnosis, spell, report.order > 1, ascii)
    parts += _rich_notes(report.notes, spell)
    group = Group(*parts)
    # the spellings are ASCII already; this also draws the table's box in ASCII
    return AsciiOnly(group) if ascii else group


def _rich_notes(notes: tuple[Note, ...], spell: Spelling) -> list[RenderableType]:
    """Each note on a line of its own, dimmed, its later lines indented."""
    from calcstep.render.rich import line

    return [line([(f"note: {note_text(note, spell)}", "note")], _KIND_STYLES, hang=2) for note in notes]


def _rich_diagnosis(
    diagnosis: Diagnosis, spell: Spelling, higher: bool, ascii: bool
) -> list[RenderableType]:
    """The mistake and its message, the step table, the witness point."""
    from rich.padding import Padding

    from calcstep.render.rich import Line, line, styled

    margin = len(INDENT)
    parts: list[RenderableType] = [
        line(_mistake_pieces(diagnosis), _KIND_STYLES),
        # a Line, not `line`: the message is drawn as written, leading spaces and all
        Line(styled([(note_text(diagnosis.message, spell), "")], _KIND_STYLES), margin=margin, hang=0),
    ]
    if diagnosis.why is not None:
        why = [("why: ", "key"), (_why(diagnosis.why, spell), "why")]
        parts.append(line(why, _KIND_STYLES, margin=margin, hang=0))
    if diagnosis.step is not None:
        parts += [
            line(_step_pieces(diagnosis.step, spell, higher), _KIND_STYLES),
            Padding(_step_table(diagnosis.step, spell, ascii), (0, 0, 0, margin), expand=False),
        ]
    if diagnosis.witness is not None:
        parts.append(line(_witness_pieces(diagnosis.witness, spell), _KIND_STYLES))
        # the lines' INDENT becomes the margin (a wrapped line would drop spaces)
        stand_ins = _stand_in_lines(diagnosis.witness, spell)
        parts += [line([(text, "")], _KIND_STYLES, hang=2) for text in stand_ins]
    return parts


def _step_table(step: WrongStep, spell: Spelling, ascii: bool) -> Table:
    """The step's right result beside the answer's, in two columns."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from calcstep.render.rich import style

    table = Table(box=box.ASCII if ascii else box.ROUNDED, expand=False)
    # fold, not "…": a long expression must be shown whole, and in ASCII
    table.add_column("right", header_style=style("correct", _KIND_STYLES), overflow="fold")
    table.add_column("yours", header_style=style("wrong", _KIND_STYLES), overflow="fold")
    table.add_row(
        Text(spell.expr(step.right), style("result", _KIND_STYLES)),
        Text(spell.expr(step.yours), style("yours", _KIND_STYLES)),
    )
    return table


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
        # in the order the text shows them: how the inputs were read, then the rest
        "notes": [note_text(note, CANONICAL) for note in (*report.readings, *report.notes)],
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
    record: dict[str, Any] = {
        "rule": step.rule,
        "title": rule_title(step.rule),
        "variable": step.var,
        "order": step.order,
        "target": to_text(step.target),
        "right": to_text(step.right),
        "yours": to_text(step.yours),
    }
    if step.factor is not None:
        record["factor"] = to_text(step.factor)
    return record


def _witness_dict(witness: Witness) -> dict[str, Any]:
    record: dict[str, Any] = {
        "point": dict(witness.point),
        "yours": witness.yours,
        "correct": witness.correct,
    }
    if witness.gap is not None:
        record["difference"] = witness.gap
    if witness.stand_ins:
        record["stand_ins"] = {name: to_text(model) for name, model in witness.stand_ins}
    return record
