"""The terminal: the derivation as a Rich tree, the answer set apart in a panel.

    d/dx sin(x²)
    ├── 1. chain rule
    │      formula: d/dx f(g(x)) = f′(g(x))·g′(x)
    │      inner function: u = x²; outer function: sin(u)
    │   ├── 1.1 outer rate, sin rule: d/du sin(u) = cos(u)
    │   │       at u = x²: cos(u) = cos(x²)
    │   ├── 1.2 inner rate, power rule
    │   │       …
    │   └── product of the rates: d/dx sin(x²) = cos(x²)·2x¹
    └── simplify
        …
    ╭───────────────────────────╮
    │ d/dx sin(x²) = 2x·cos(x²) │
    ╰───────────────────────────╯

The content is the plain renderer's, step for step; only the layout differs: a
step's pieces come first (for the chain rule the lesson's order: name the inner
function u, the outer rate at u, the inner rate) and the line that puts them
together last.  `render` builds a renderable and prints nothing; styles are
named, never escape codes, so the console decides about colour (NO_COLOR,
--no-color, pipes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.constrain import Constrain
from rich.measure import Measurement
from rich.panel import Panel
from rich.segment import Segment
from rich.text import Text
from rich.tree import Tree

from calcstep.engine import DiffReport
from calcstep.expr import Expr
from calcstep.render import RenderOptions
from calcstep.render.common import (
    Piece,
    Spelling,
    at_inner,
    bindings,
    conclusion_label,
    d_of,
    explanation,
    formula,
    note_text,
    role,
    shown_evaluated,
    shown_result,
    shown_rewrites,
    spelling_for,
    structural,
    substep_number,
    title,
)
from calcstep.render.plain import value_line
from calcstep.steps import Derivation, Step

# What each kind of text looks like.  Colour only hints: without it (NO_COLOR,
# --no-color) bold, dim and italic still tell the kinds apart.
STYLES = {
    "heading": "bold",
    "number": "dim",
    "rule": "bold cyan",
    "role": "magenta",
    "key": "dim",
    "formula": "dim",
    "note": "yellow",
    "why": "italic",
    "result": "bold green",
    "rewrite": "dim",
    "border": "green",
}

# Continuation lines of a wrapped line start this much further in than its first.
HANG = 4


def render(
    report: DiffReport, options: RenderOptions = RenderOptions(), *, width: int | None = None
) -> RenderableType:
    """The report as one renderable: the derivation (one tree per order) and the
    answer panel, or the panel alone with --no-steps.  `width` caps the columns
    used (None: the console's width)."""
    spell = spelling_for(options.ascii)
    parts: list[RenderableType] = []
    if options.steps:
        parts += _derivation_sections(report, spell, options.explain)
    parts.append(_answer(report, spell))
    renderable: RenderableType = Group(*parts)
    if options.ascii:
        renderable = AsciiOnly(renderable)
    return Constrain(renderable, width) if width else renderable


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def _heading(report: DiffReport, spell: Spelling) -> str:
    """d/dx sin(x²), or d²/dx² … for a higher order."""
    return d_of(report.expr, report.var, spell, report.order)


def _heading_lines(report: DiffReport, spell: Spelling) -> list[RenderableType]:
    """The heading and how the input was read."""
    lines: list[RenderableType] = [Line((Text(_heading(report, spell), STYLES["heading"]),))]
    lines += [_note(note_text(note, spell), 0) for note in report.notes]
    return lines


def _derivation_sections(report: DiffReport, spell: Spelling, explain: bool) -> list[RenderableType]:
    """One tree per order, the first one under the heading; a blank line after each."""
    if report.order == 1 and report.derivations:
        tree = derivation_tree(report.derivations[0], Group(*_heading_lines(report, spell)), spell, explain)
        return [tree, Text()]
    parts: list[RenderableType] = [*_heading_lines(report, spell), Text()]
    for derivation in report.derivations:
        label = Text.assemble(
            (f"order {derivation.order}: ", STYLES["key"]),
            (d_of(derivation.target, report.var, spell), STYLES["heading"]),
        )
        parts += [derivation_tree(derivation, label, spell, explain), Text()]
    return parts


def derivation_tree(
    derivation: Derivation, label: RenderableType, spell: Spelling, explain: bool
) -> RenderableType:
    """The steps of one order, then its simplification, as one tree, drawn for the
    width it is given (see _DerivationTree)."""
    return _DerivationTree(derivation, label, spell, explain)


@dataclass(frozen=True, slots=True)
class _DerivationTree:
    """A derivation's tree, made when it is drawn, once its width is known: each
    level of nesting takes four columns of guide lines, so a deep derivation
    (x·(x + x·(x + …)), twelve levels) would leave its deepest steps a word per
    line.  Guides stop at the depth that leaves 40 columns for the text; steps
    below it are drawn one under another there, their numbers (1.2.2.2.2.1)
    telling what contains what, as in the plain text."""

    derivation: Derivation
    label: RenderableType
    spell: Spelling
    explain: bool

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        deepest = max(2, (options.max_width - _TEXT_COLUMNS) // 4)
        tree = Tree(self.label, guide_style=STYLES["number"])
        _add_step(tree, self.derivation.steps, _Context(self.spell, self.explain, deepest=deepest), "1.", None, 0)
        rewrites = shown_rewrites(self.derivation.simplification, self.spell)
        if rewrites:
            tree.add(Group(Text("simplify", STYLES["key"]), _rewrites(rewrites, self.spell)))
        yield tree


# The columns a step's text keeps however deep it is nested (see _DerivationTree).
_TEXT_COLUMNS = 40


def _rewrites(rewrites: list[Step], spell: Spelling) -> Group:
    """The simplification in two columns: the rewrite's name, and what it changed
    (a wrapped change continues under the change, not under the names)."""
    names = [title(step) for step in rewrites]
    column = max(cell_len(name) for name in names) + 2
    return Group(
        *(
            Line(
                (
                    Text(name + " " * (column - cell_len(name)), STYLES["rewrite"]),
                    Text(f"{spell.expr(step.target)} {spell.arrow} "),
                    Text(spell.expr(step.result)),
                ),
                hang=column,
            )
            for name, step in zip(names, rewrites, strict=True)
        )
    )


def _answer(report: DiffReport, spell: Spelling) -> Panel:
    """The final result, and its values at the points asked for, set apart in a panel."""
    lines: list[RenderableType] = [
        Line(
            (
                Text(f"{_heading(report, spell)} = ", STYLES["heading"]),
                Text(spell.expr(report.result), STYLES["result"]),
            )
        )
    ]
    lines += [Line((Text(value_line(value, spell)),)) for value in report.values]
    return Panel(Group(*lines), expand=False, border_style=STYLES["border"])


# ---------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Context:
    """What every step of one derivation is drawn with; `shown` collects the rules
    whose general formula has been shown, so each is shown once."""

    spell: Spelling
    explain: bool
    shown: set[str] = field(default_factory=set)
    deepest: int = 1 << 30  # levels of guide lines drawn; deeper steps stay at this one


def _add_step(
    tree: Tree, step: Step, ctx: _Context, number: str, parent: Step | None, index: int, depth: int = 1
) -> None:
    """A step as a node: its own lines, its substeps, then (when it has substeps)
    the line that combines them.  At the deepest level drawn, the substeps and
    the combining line follow the step at its own level instead of under it."""
    node = tree.add(Group(*_step_lines(step, ctx, number, parent, index)))
    below = node if depth < ctx.deepest else tree
    for i, sub in enumerate(step.substeps):
        _add_step(below, sub, ctx, substep_number(number, i), step, i, min(depth + 1, ctx.deepest))
    if step.substeps:
        below.add(_conclusion(step, ctx.spell))


def _step_lines(step: Step, ctx: _Context, number: str, parent: Step | None, index: int) -> list[RenderableType]:
    """The step's title line and, under it, its formula, what its letters stand for,
    its instance (when nothing below needs deriving first), why and notes."""
    margin = len(number) + 1  # the lines under the title start where its name does
    head = _head(step, number, parent, index)
    lines: list[RenderableType] = []
    is_structural = structural(step)
    if is_structural or step.substeps:
        lines.append(Line((head,)))
        if is_structural and step.rule not in ctx.shown:
            ctx.shown.add(step.rule)
            lines.append(_keyed("formula: ", formula(step, ctx.spell), margin, STYLES["formula"]))
        lines += _bindings(step, ctx.spell, margin)
        if not step.substeps:
            lines.append(_equation(step, ctx.spell, margin))
    else:
        # one line: "1.2 sin rule: d/dx sin(x) = cos(x)", continued under the name
        lines.append(_equation(step, ctx.spell, 0, head + Text(": "), hang=margin + HANG))
    evaluated = shown_evaluated(step)
    if evaluated is not None:
        lines.append(_rate_at_inner(step, evaluated, parent, ctx.spell, margin))
    why = explanation(step, ctx.spell) if ctx.explain else ""
    if why:
        lines.append(_keyed("why: ", why, margin, STYLES["why"]))
    lines += [_note(note_text(note, ctx.spell), margin) for note in step.notes]
    return lines


def _head(step: Step, number: str, parent: Step | None, index: int) -> Text:
    """1.1 outer rate, sin rule"""
    head = Text(f"{number} ", STYLES["number"])
    part = role(step, parent, index)
    if part:
        head.append(f"{part}, ", STYLES["role"])
    head.append(title(step), STYLES["rule"])
    return head


def _bindings(step: Step, spell: Spelling, margin: int) -> list[RenderableType]:
    """What the rule's letters are here (`common.bindings`), as a keyed line."""
    bound = bindings(step, spell)
    return [] if bound is None else [_keyed(*bound, margin)]


def _equation(
    step: Step, spell: Spelling, margin: int, lead: Text | None = None, hang: int = HANG
) -> Line:
    """[lead] d/dx target = result, breaking after "=" first when it is too long."""
    segments = (
        *((lead,) if lead is not None else ()),
        Text(f"{d_of(step.target, step.var, spell)} = "),
        Text(spell.expr(shown_result(step))),
    )
    return Line(segments, margin=margin, hang=hang)


def _rate_at_inner(
    step: Step, evaluated: Expr, parent: Step | None, spell: Spelling, margin: int
) -> Line:
    """A chain stage's rate taken at the inner value: at u = x²: cos(u) = cos(x²)."""
    return Line(
        (
            Text(f"{at_inner(step, parent, spell)}: ", STYLES["key"]),
            Text(f"{spell.expr(step.result)} = "),
            Text(spell.expr(evaluated)),
        ),
        margin=margin,
    )


def _conclusion(step: Step, spell: Spelling) -> Line:
    """The last line of a step with substeps: its result from theirs."""
    return _equation(step, spell, 0, Text(f"{conclusion_label(step)}: ", STYLES["key"]))


def _keyed(key: str, text: str, margin: int, style: str = "") -> Line:
    """"formula: d/dx …", "with g = …": a dim key (with its punctuation), then its text."""
    return Line((Text(key, STYLES["key"]), Text(text, style)), margin=margin)


def _note(text: str, margin: int) -> Line:
    return Line((Text(f"note: {text}", STYLES["note"]),), margin=margin)


# ---------------------------------------------------------------------------
# Styled pieces (for the terminal layouts of `calcstep check` and `calcstep grad`)
# ---------------------------------------------------------------------------


def style(kind: str, kinds: Mapping[str, str]) -> str:
    """The style of a kind of piece: a layout's own table `kinds` first, then STYLES."""
    return kinds.get(kind) or STYLES.get(kind, "")


def styled(pieces: Sequence[Piece], kinds: Mapping[str, str]) -> tuple[Text, ...]:
    """The pieces as Texts, each in its kind's style (see `style`)."""
    return tuple(Text(text, style(kind, kinds)) for text, kind in pieces)


def line(
    pieces: Sequence[Piece], kinds: Mapping[str, str], margin: int = 0, hang: int = HANG
) -> Line:
    """The pieces as one logical line, wrapped as `calcstep diff` wraps (after
    spaces, then after product signs), continuation lines `hang` further in.  The
    first piece's leading spaces become margin: a wrapped line would drop them."""
    if pieces and pieces[0][0].startswith(" "):
        first, kind = pieces[0]
        indent = len(first) - len(first.lstrip(" "))
        margin += indent
        pieces = [(first[indent:], kind), *pieces[1:]]
    return Line(styled(pieces, kinds), margin=margin, hang=hang)


# ---------------------------------------------------------------------------
# Layout helpers
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """One logical line that wraps where a reader expects it to.

    It is made of segments (say "d/dx sin(x²) = " and "2x·cos(x²)").  When the
    line is too wide, a segment that does not fit moves whole to the next line if it
    fits there; otherwise it breaks at spaces, and a word still too long breaks
    after a product sign.  Every line starts `margin` columns in, continuation
    lines `hang` more, so a wrapped expression never runs back under the step's
    number.  (Rich's own wrapping breaks only at spaces and would cut a long
    product such as 2x·cos(x²)·sin(x) anywhere.)"""

    segments: tuple[Text, ...]
    margin: int = 0
    hang: int = HANG

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if self.margin + sum(segment.cell_len for segment in self.segments) <= width:
            yield Text(" " * self.margin).append_text(Text("").join(self.segments))
            return
        layout = _Layout(width, self.margin, min(self.hang, max(width // 2 - self.margin, 0)))
        for segment in self.segments:
            layout.add(segment, 0)
        yield from layout.finish()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        whole = self.margin + sum(segment.cell_len for segment in self.segments)
        words = (word for segment in self.segments for word in _ANY_BREAK.split(segment.plain))
        longest = max((cell_len(word) for word in words), default=0)
        return Measurement(min(whole, self.margin + self.hang + longest), whole)


# Where a line may break, in order of preference: after a space, then after a
# product sign (· in Unicode, * in ASCII).
_BREAKS = (re.compile(r" "), re.compile(r"[·*]"))
_ANY_BREAK = re.compile(r"[ ·*]")


class _Layout:
    """Fills lines of `width` columns, most readable break first (see `Line`)."""

    def __init__(self, width: int, margin: int, hang: int) -> None:
        self.width = width
        self.lines: list[Text] = []
        self.line = Text(" " * margin)
        self.fresh = True  # the line holds nothing but its indentation
        self.indent = " " * (margin + hang)

    def add(self, unit: Text, level: int) -> None:
        """Put `unit` on the current line, else whole on a new one, else in pieces."""
        if self._fits(self.line, unit):
            self._append(unit)
        elif not self.fresh and self._fits(Text(self.indent), _lstrip(unit)):
            self._newline()
            self._append(unit)
        elif level == len(_BREAKS):  # no break left: Rich folds what is still too long
            if not self.fresh:
                self._newline()
            self._append(unit)
        else:
            # too long for any line: start it on a new one when little room is left
            # here (say after a long rewrite name), then break it finer
            if not self.fresh and 2 * (self.width - self.line.cell_len) < self.width - len(self.indent):
                self._newline()
            for piece in _split(unit, level):
                self.add(piece, level + 1)

    def finish(self) -> list[Text]:
        self.line.rstrip()
        return [*self.lines, self.line]

    def _fits(self, line: Text, unit: Text) -> bool:
        # a trailing space may hang over the edge: it is dropped at a break
        return line.cell_len + cell_len(unit.plain.rstrip()) <= self.width

    def _append(self, unit: Text) -> None:
        self.line.append_text(_lstrip(unit) if self.fresh else unit)
        self.fresh = False

    def _newline(self) -> None:
        self.line.rstrip()
        self.lines.append(self.line)
        self.line, self.fresh = Text(self.indent), True


def _split(text: Text, level: int) -> list[Text]:
    """`text` cut after each break of the given kind."""
    offsets = [match.end() for match in _BREAKS[level].finditer(text.plain)]
    return [piece for piece in text.divide(offsets) if piece.plain]


def _lstrip(text: Text) -> Text:
    return text[len(text.plain) - len(text.plain.lstrip(" ")) :]


# The few non-ASCII characters that calcstep's own words hold ("drop · 1", a note's
# "(1/2)·x") and an echoed input may hold, one for one so that widths stay right.
_TO_ASCII = str.maketrans({"·": "*", "−": "-", "′": "'", "→": ">", "≈": "~", "…": "."})


@dataclass(frozen=True, slots=True)
class AsciiOnly:
    """Draws its renderable as on an ASCII-only terminal, for --ascii on a terminal
    that could show more: tree guides and panel borders in ASCII, and any character
    the ASCII spelling of the mathematics left in the words replaced."""

    renderable: RenderableType

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        ascii_options = options.copy()
        ascii_options.encoding = "ascii"
        for segment in console.render(self.renderable, ascii_options):
            text = segment.text.translate(_TO_ASCII)
            if not text.isascii():
                text = "".join(ch if ch.isascii() else "?" * cell_len(ch) for ch in text)
            yield Segment(text, segment.style, segment.control)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)
