r"""LaTeX: the derivation as an amsmath `align*` block to paste into notes.

    % calcstep: d/dx sin(x^2) -- needs \usepackage{amsmath}
    \begin{align*}
      \frac{d}{dx} f\left(g\left(x\right)\right) &= f'\left(g\left(x\right)\right) g'\left(x\right) && \text{chain rule} \\
      u &= x^{2} && \text{1. chain rule: inner function; outer function } \sin\left(u\right) \\
      \frac{d}{du} \sin\left(u\right) &= \cos\left(u\right) = \cos\left(x^{2}\right) && \text{1.1 outer rate, sin rule},\ \text{at } u = x^{2} \\
      …
      \frac{d}{dx} \sin\left(x^{2}\right) &= \cos\left(x^{2}\right) \cdot 2 x^{1} && \text{1. chain rule: product of the rates} \\
      x^{1} &\to x && \text{simplify: power of 1 or 0} \\
      …
      \frac{d}{dx} \sin\left(x^{2}\right) &= \boxed{2 x \cos\left(x^{2}\right)} && \text{result}
    \end{align*}

One row per line of the plain layout, aligned at its = (or at the → of a
simplification), the step's number and rule named in `\text{}` on the right.  A
step's pieces come before the row that combines them, so the chain rule reads as
the lesson has it: name the inner function u, the outer rate at u, the inner rate,
their product.  Sentences (--explain, notes) go between rows with `\intertext`.

Only amsmath and the LaTeX kernel are used; text is escaped, and characters that
pdflatex cannot set without extra packages are spelled as macros.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

from calcstep.engine import DiffReport, PointValue
from calcstep.expr import Expr, Sym
from calcstep.functions import GREEK
from calcstep.printer import to_latex, to_pretty, to_text
from calcstep.render import RenderOptions
from calcstep.render.common import (
    CANONICAL,
    LATEX,
    Spelling,
    d_of,
    explanation,
    inner_point,
    joined_in_blocks,
    note_text,
    role,
    same_number,
    shown_evaluated,
    shown_given,
    shown_result,
    shown_rewrites,
    step_letters,
    structural,
    title,
    visits,
)
from calcstep.rules import renamed_formula
from calcstep.steps import Derivation, Step

# Mathematics inside a sentence is marked with these two characters (which no
# text calcstep writes contains), so a sentence can be escaped as text around it.
_OPEN, _CLOSE = "\x02", "\x03"
MARKED = Spelling(lambda e: f"{_OPEN}{to_latex(e)}{_CLOSE}", LATEX.derivative, LATEX.arrow, LATEX.approx)
_MARKED_MATH = re.compile(f"{_OPEN}(.*?){_CLOSE}", re.DOTALL)

# Text-mode spellings of the characters LaTeX treats specially, and of the
# non-ASCII characters calcstep's sentences and echoed input may hold.
_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "·": r"$\cdot$",
    "×": r"$\times$",
    "÷": r"$\div$",
    "−": "-",
    "′": "'",
    "″": "''",
    "→": r"$\to$",
    "≈": r"$\approx$",
    "±": r"$\pm$",
    "√": r"$\surd$",
    "∞": r"$\infty$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "π": r"$\pi$",
    "ⁿ": r"\textsuperscript{n}",
    "⁻": r"\textsuperscript{-}",
    **{digit: rf"\textsuperscript{{{i}}}" for i, digit in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")},
    **{digit: rf"\textsubscript{{{i}}}" for i, digit in enumerate("₀₁₂₃₄₅₆₇₈₉")},
    # Greek letters; "omicron" has no macro: it is the Latin o
    **{letter: ("o" if name == "omicron" else rf"$\{name}$") for name, letter in GREEK.items()},
}


def render(report: DiffReport, options: RenderOptions = RenderOptions()) -> str:
    """The report as a LaTeX fragment: a comment naming it, how the input was read,
    then one `align*` per order, the last ending with the boxed result and values."""
    return "".join(parts(report, options))


def parts(report: DiffReport, options: RenderOptions = RenderOptions()) -> Iterator[str]:
    """The report as pieces of text to be written one after the other (`render`
    joined), a few hundred lines in each: a derivation of thousands of steps is
    never held whole."""
    head = [_comment(report)]
    head += [f"Note: {text_with_math(note_text(note, MARKED))}" for note in report.notes]
    yield from joined_in_blocks(chain(head, chain.from_iterable(_environments(report, options))))


def _environments(report: DiffReport, options: RenderOptions) -> Iterator[Iterator[str]]:
    """Each order's align* as source lines, the last ending with the result and
    values (an align* of the result alone without steps)."""
    derivations = report.derivations if options.steps else ()
    for derivation in derivations:
        items = _derivation_items(derivation, options.explain)
        if derivation is derivations[-1]:
            items = chain(items, _result_items(report))
        yield _environment(items, _order_heading(derivation, report) if report.order > 1 else None)
    if not derivations:
        yield _environment(_result_items(report), None)


# ---------------------------------------------------------------------------
# Items: the rows of an align*, and sentences between them
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    r"""`lhs &rhs && label`: `rhs` starts with its relation (= or \to).  `width`
    estimates how wide lhs and rhs are set, in characters (see `_WIDE`)."""

    lhs: str
    rhs: str
    label: str = ""
    width: int = 0


@dataclass(frozen=True, slots=True)
class _Words:
    """A sentence (LaTeX text) set between rows."""

    text: str


_Item = _Row | _Words

# Rows wider than this many characters (about half a page of mathematics, leaving
# room for the label) are set on two lines.
_WIDE = 50


def _environment(items: Iterable[_Item], heading: str | None) -> Iterator[str]:
    r"""The items as an align* environment, line by line.  \intertext may only
    stand between rows, so sentences before the first row or after the last become
    paragraphs: a row is written once the next row shows it is not the last."""
    if heading:
        yield heading
    row: _Row | None = None  # the last row met, not yet written
    words: list[str] = []  # the sentences met after it (or before the first row)
    for item in items:
        if isinstance(item, _Words):
            words.append(item.text)
            continue
        if row is None:
            yield from words
            yield r"\begin{align*}"
        else:
            yield from _row_lines(row, last_row=False)
            for text in words:
                yield rf"  \intertext{{{text}}}"
        row, words = item, []
    if row is not None:
        yield from _row_lines(row, last_row=True)
        yield r"\end{align*}"
    yield from words


def _row_lines(row: _Row, last_row: bool) -> list[str]:
    """A row as source lines.  A wide row sets its left side and label on one line
    and its right side on the next, so that it is less likely to run off the page."""
    end = "" if last_row else r" \\"
    label = f" && {row.label}" if row.label else ""
    if row.width > _WIDE:
        return [f"  {row.lhs} &{label} \\\\", f"    &{row.rhs}{end}"]
    return [f"  {row.lhs} &{row.rhs}{label}{end}"]


def _derivation_items(derivation: Derivation, explain: bool) -> Iterator[_Item]:
    """The steps of one order, then its simplification."""
    yield from _step_items(derivation.steps, explain)
    for step in shown_rewrites(derivation.simplification, LATEX):
        yield _Row(
            to_latex(step.target),
            rf"\to {to_latex(step.result)}",
            _label(f"simplify: {title(step)}"),
            _width(step.target, step.result) + 3,
        )


def _result_items(report: DiffReport) -> list[_Item]:
    """The final result, boxed, and the values at the points asked for."""
    heading = d_of(report.expr, report.var, LATEX, report.order)
    width = _width(report.expr, report.result) + len(report.var) + 8
    rows: list[_Item] = [_Row(heading, rf"= \boxed{{{to_latex(report.result)}}}", _label("result"), width)]
    rows += [_value_row(heading, value) for value in report.values]
    return rows


def _order_heading(derivation: Derivation, report: DiffReport) -> str:
    return rf"\textbf{{Order {derivation.order}:}} ${d_of(derivation.target, report.var, LATEX)}$"


def _comment(report: DiffReport) -> str:
    """A comment naming the derivative, in calcstep's canonical text.  A TeX
    comment is not wholly inert: ^^ followed by a character is read as another
    character (^^M ends the line), so a ^^ is split."""
    operator = CANONICAL.derivative(report.var, report.order)
    text = f"{operator} {to_text(report.expr)}".replace("^^", "^ ^")
    return f"% calcstep: {text} -- needs \\usepackage{{amsmath}}"


# ---------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------


def _step_items(root: Step, explain: bool) -> Iterator[_Item]:
    """Each step: its general formula (the first time the rule is used), what its
    letters stand for, why and notes, its substeps, then the row of its result."""
    shown: set[str] = set()
    for visit in visits(root, _unindented):
        step, parent = visit.step, visit.parent
        name = _name(step, visit.number, parent, visit.index)
        if visit.closing:
            yield _instance_row(step, name, parent)
            continue
        if structural(step) and step.rule not in shown:
            shown.add(step.rule)
            yield _formula_row(step)
        if not step.substeps:
            yield _instance_row(step, name, parent)
            yield from _sentences(step, explain)
        else:
            # the sentences follow the step's first row of its own, before its substeps
            yield from _binding_rows(step, name)
            yield from _sentences(step, explain)


def _unindented(indent: str, number: str) -> str:
    """Rows of an align* are not indented by their depth: their labels number them."""
    return indent


def _name(step: Step, number: str, parent: Step | None, index: int) -> str:
    """1.1 outer rate, sin rule"""
    part = role(step, parent, index)
    return f"{number} {part}, {title(step)}" if part else f"{number} {title(step)}"


def _formula_row(step: Step) -> _Row:
    lhs, rhs, written_in = renamed_formula(step.rule, step_letters(step), step.var or "x")
    return _Row(d_of(lhs, written_in, LATEX), f"= {to_latex(rhs)}", _label(title(step)), _width(lhs, rhs) + 6)


def _binding_rows(step: Step, name: str) -> list[_Item]:
    """The chain rule names its inner function u first, as the lesson does; other
    rules with substeps say what g and h are before deriving them."""
    bound = bindings(step)
    if not bound:
        return []
    (first, value), rest = bound[0], bound[1:]
    rhs = "".join([f"= {value}", *(rf",\quad {n} = {v}" for n, v in rest)])
    outer = dict(step.given).get("outer")
    if step.rule == "chain" and outer is not None:  # the chain rule always names it
        label = _label(f"{name}: inner function; outer function", to_latex(outer))
    elif step.rule == "chain-n":
        label = _label(f"{name}: inner functions")
    else:
        label = _label(name)
    return [_Row(first, rhs, label)]


def bindings(step: Step) -> list[tuple[str, str]]:
    """(name, value) for each letter of the rule's formula that the step binds, as
    `common.given` lists them: not the chain rule's outer function (named on its
    own), nor the count n of a rule for n parts."""
    return [(to_latex(Sym(name)), to_latex(value)) for name, value in shown_given(step)]


def _instance_row(step: Step, name: str, parent: Step | None) -> _Row:
    r"""d/dx target = result; for a chain stage also "= its value at the inner
    function"; the letters a leaf rule uses go in its label (\text{power rule, with} n = 2)."""
    lhs, results = d_of(step.target, step.var, LATEX), [shown_result(step)]
    if step.rule in ("chain", "chain-n"):
        name += ": product of the rates"
    label = _label(name)
    bound = bindings(step) if structural(step) and not step.substeps else []
    if bound:
        label = _label(f"{name}, with", r",\ ".join(f"{n} = {v}" for n, v in bound))
    evaluated = shown_evaluated(step)
    if evaluated is not None:
        results.append(evaluated)
        label += r",\ " + _at_inner(step, parent)
    rhs = "".join(f" = {to_latex(result)}" for result in results)[1:]
    return _Row(lhs, rhs, label, _width(step.target, *results) + len(step.var) + 5)


def _at_inner(stage: Step, chain: Step | None) -> str:
    r"""\text{at } u = x^{2}"""
    return _label("at", inner_point(stage, chain, LATEX))


def _sentences(step: Step, explain: bool) -> list[_Item]:
    """Why the rule applies (with --explain) and the step's notes."""
    words: list[_Item] = []
    why = explanation(step, MARKED) if explain else ""
    if why:
        words.append(_Words(r"\emph{Why:} " + text_with_math(why)))
    words += [_Words(r"\emph{Note:} " + text_with_math(note_text(note, MARKED))) for note in step.notes]
    return words


def _value_row(heading: str, value: PointValue) -> _Row:
    r"""\left.\frac{d}{dx} …\right|_{x = 2} = 4 \cos(4) \approx -2.61"""
    where, amount = value_math(value)
    lhs = rf"\left.{heading}\right|_{{{where}}}"
    if value.undefined is not None:
        return _Row(lhs, "", _label(f"undefined: {value.undefined}"))
    row = amount if amount.startswith("\\approx") else f"= {amount}"
    return _Row(lhs, row, _label(value.note)) if value.note else _Row(lhs, row)


def value_math(value: PointValue) -> tuple[str, str]:
    r"""The point (x = 2) and the value there (4 \cos(4) \approx -2.61, or
    \approx -2.61 alone when there is no exact form; empty when undefined), in LaTeX.
    The exact form alone when it is the decimal (2 and 2.0)."""
    where = r",\ ".join(f"{to_latex(Sym(name))} = {to_latex(v)}" for name, v in value.point)
    if value.undefined is not None:
        return where, ""
    if value.decimal is None:  # exact, beyond floating point (2·10^400)
        return where, to_latex(value.exact) if value.exact is not None else ""
    decimal = f"{value.decimal:.12g}"
    if value.exact is None or value.exact.free_vars:
        return where, rf"\approx {_decimal(decimal)}"
    exact = to_latex(value.exact)
    if same_number(to_text(value.exact), decimal):
        return where, exact
    return where, rf"{exact} \approx {_decimal(decimal)}"


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------


def escape_text(text: str) -> str:
    """`text` safe in LaTeX text mode, with pdflatex's default fonts.  A character
    with no spelling here is replaced by '?' rather than risk a document that
    does not compile."""
    escaped = "".join(_TEXT_ESCAPES.get(ch, ch if ch.isascii() else "?") for ch in text)
    while "--" in escaped:  # TeX sets -- and --- as dashes: --functions is an option, as typed
        escaped = escaped.replace("--", "-{}-")
    return _separate_math(escaped)


def split_marked(marked: str) -> list[tuple[bool, str]]:
    """A sentence spelled with MARKED as (is mathematics, piece) pairs, in order."""
    pieces = _MARKED_MATH.split(marked)
    # split() alternates text and captured mathematics
    return [(i % 2 == 1, piece) for i, piece in enumerate(pieces) if piece]


def text_with_math(marked: str) -> str:
    """A sentence spelled with MARKED: its text escaped, its mathematics in $…$."""
    joined = "".join(f"${piece}$" if is_math else escape_text(piece) for is_math, piece in split_marked(marked))
    return _separate_math(joined)


def _separate_math(text: str) -> str:
    """Two inline formulas side by side ($a$$b$) would read as $$, display math:
    put an empty group between them."""
    return text.replace("$$", "${}$")


def _label(text: str, math: str = "") -> str:
    r"""A row's label: \text{1.2 power rule, with } n = 2."""
    if not math:
        return rf"\text{{{escape_text(text)}}}"
    return rf"\text{{{escape_text(text)} }} {math}"


def _width(*exprs: Expr) -> int:
    """About how many characters wide the expressions are when set: their pretty
    text's length (LaTeX's own is longer by its macros)."""
    return sum(len(to_pretty(expr)) for expr in exprs)


def _decimal(text: str) -> str:
    r"""A decimal in LaTeX: 1.5e-07 is 1.5 \times 10^{-7}."""
    mantissa, _, exponent = text.partition("e")
    if not exponent:
        return text
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"

