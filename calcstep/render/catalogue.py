"""`calcstep rules`: every differentiation rule, with its formula and why it holds.

Without a name, a table of all rules (name, formula, one-line why); with one, the
rule explained as a lesson: its formula in a box, its picture, and why it holds.
Each layout exists as plain text (`render`), as a Rich renderable for the
terminal (`render_rich`), as JSON-ready data (`to_dict`) and as Markdown
(`markdown`).  The words and pictures come from `calcstep.lessons`; the titles
and formulas from the rule catalogue.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from calcstep.functions import SPELLINGS
from calcstep.lessons import LESSONS, Lesson, ascii_art, to_ascii
from calcstep.render.common import (
    CANONICAL,
    LATEX,
    Spelling,
    rule_formula,
    spelling_for,
)
from calcstep.rules import RULES, Rule

if TYPE_CHECKING:
    from rich.box import Box
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult

WIDTH = 80  # the page the plain layout is written for
INDENT = "  "


# ---------------------------------------------------------------------------
# Finding rules and their lessons
# ---------------------------------------------------------------------------


def _key(name: str) -> str:
    """A name as looked up: lower case, runs of spaces, dashes and underscores as one dash."""
    return re.sub(r"[\s_\-]+", "-", name.strip().lower())


def _names(rule: Rule) -> set[str]:
    title = _key(rule.title)
    return {rule.id, title, title.removesuffix("-rule")}


def _short_title(rule: Rule) -> str:
    """A rule's title without the words in brackets that tell it from its
    neighbours: "general power rule" for "general power rule (logarithmic
    differentiation)", as a person says it."""
    return _key(re.sub(r"\s*\(.*\)\s*$", "", rule.title))


def find(name: str) -> Rule | None:
    """The rule called `name`: its id, its title ("chain rule", "Product Rule",
    "general power"), its title without the words in brackets ("general power
    rule", "logarithm rule") where no other rule has that name, or a spelling of
    its function ("arcsin", "log"), in any case."""
    wanted = _key(name)
    if wanted in RULES:
        return RULES[wanted]
    for rule in RULES.values():
        if wanted in _names(rule):
            return rule
    # after every full name: "product rule" is the product rule, not the product
    # rule (n factors)
    for rule in RULES.values():
        if wanted == _short_title(rule):
            return rule
    function = SPELLINGS.get(name.strip()) or SPELLINGS.get(wanted)
    return RULES.get(function) if function else None


def closest(name: str) -> str | None:
    """The rule id nearest to a misspelt `name` ("chian" → chain), if one is close."""
    import difflib

    found = difflib.get_close_matches(_key(name), list(RULES), n=1, cutoff=0.75)
    return found[0] if found else None


def lesson_of(rule: Rule) -> Lesson:
    """The lesson of a rule (every rule has one: the lessons' tests hold to it)."""
    return LESSONS[rule.id]


def formula_text(rule: Rule, spell: Spelling) -> str:
    """The rule's formula in a spelling: d/dx f(g(x)) = f′(g(x))·g′(x)."""
    return rule_formula(rule.id, spell)


def _by_family() -> list[tuple[str, list[Rule]]]:
    """The rules grouped by family, families in order of first appearance."""
    groups: dict[str, list[Rule]] = {}
    for rule in RULES.values():
        groups.setdefault(rule.family, []).append(rule)
    return list(groups.items())


def _one(name: str) -> Rule:
    rule = find(name)
    if rule is None:
        raise KeyError(f"no rule called {name!r}")
    return rule


# ---------------------------------------------------------------------------
# Plain text
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Words:
    """The text of a lesson in Unicode or in ASCII."""

    ascii: bool

    @property
    def spell(self) -> Spelling:
        return spelling_for(self.ascii)

    def text(self, words: str) -> str:
        return to_ascii(words) if self.ascii else words

    def picture(self, picture: str) -> str:
        return ascii_art(picture) if self.ascii else picture


# a space beside an operator: lines are not broken there, so a formula in the
# prose stays on one line (df = f′(g)·dg, not "df =" then "f′(g)·dg")
_OPERATOR_SPACE = re.compile(r" ([=+−×/÷≈<>-]) ")
# the space in "sin x", "ln a", "cos y·y′": a word and the one-letter argument after it
_ARGUMENT_SPACE = re.compile(r"(?<=[A-Za-z]) (?=[a-z](?![A-Za-z]))")
_NO_BREAK = "\u00a0"


def _wrap(
    text: str, width: int, indent: str = "", hanging: str = "", *, glue: bool = True
) -> list[str]:
    """Words wrapped to `width` columns; with `glue` (for prose), never beside an
    operator, so the formulas in a sentence stay whole."""
    joined = _glued(text, width - len(hanging or indent)) if glue else text
    lines = textwrap.wrap(
        joined, width, initial_indent=indent, subsequent_indent=hanging or indent,
        break_on_hyphens=False, break_long_words=False,
    )
    return [line.replace(_NO_BREAK, " ") for line in lines]


def _glued(text: str, limit: int) -> str:
    """`text` with no-break spaces beside operators and before one-letter
    arguments; a formula too long for a line may break at its = signs, and one
    still too long anywhere."""
    glued = _ARGUMENT_SPACE.sub(_NO_BREAK, _OPERATOR_SPACE.sub(rf"{_NO_BREAK}\1{_NO_BREAK}", text))
    words = []
    for word in glued.split(" "):
        if len(word) > limit:
            word = word.replace(f"{_NO_BREAK}={_NO_BREAK}", " = ")
            word = " ".join(
                part if len(part) <= limit else part.replace(_NO_BREAK, " ")
                for part in word.split(" ")
            )
        words.append(word)
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class _Prose:
    """A paragraph for Rich, wrapped like the plain text to the width it is given."""

    text: str
    style: str = ""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text

        for line in _wrap(self.text, options.max_width):
            yield Text(line, style=self.style)


def formula_box(formula: str, ascii: bool = False, width: int = WIDTH - 2) -> list[str]:
    """The formula framed in a box no wider than `width`, long formulas wrapped."""
    lines = _wrap(formula, width - 4, hanging="    ", glue=False)
    inner = max(len(line) for line in lines)
    edge, side, corners = ("-", "|", "++++") if ascii else ("─", "│", "┌┐└┘")
    top = f"{corners[0]}{edge * (inner + 2)}{corners[1]}"
    bottom = f"{corners[2]}{edge * (inner + 2)}{corners[3]}"
    return [top, *(f"{side} {line:<{inner}} {side}" for line in lines), bottom]


def render(name: str | None = None, *, ascii: bool = False) -> str:
    """The table of rules, or one rule explained, as plain text for 80 columns."""
    words = _Words(ascii)
    if name is not None:
        return "\n".join(_lesson_lines(_one(name), words))
    return "\n".join(_table_lines(words))


def _lesson_lines(rule: Rule, words: _Words) -> list[str]:
    lesson = lesson_of(rule)
    lines = [f"{rule.title} ({rule.id}, {rule.family})", ""]
    lines += [INDENT + line for line in formula_box(formula_text(rule, words.spell), words.ascii)]
    lines += ["", *_wrap(words.text(lesson.summary), WIDTH - 2, INDENT)]
    if lesson.picture:
        lines += ["", *(INDENT + line if line else "" for line in
                        words.picture(lesson.picture).splitlines())]
    lines += ["", "Why it holds", *_wrap(words.text(lesson.why), WIDTH - 2, INDENT)]
    if lesson.see_also:
        lines += ["", f"See also: {', '.join(lesson.see_also)}"]
    return lines


def _table_lines(words: _Words) -> list[str]:
    column = max(len(rule.id) for rule in RULES.values()) + 2
    hanging = " " * (len(INDENT) + column)
    lines: list[str] = []
    for family, rules in _by_family():
        lines.append(family)
        for rule in rules:
            head = f"{INDENT}{rule.id:<{column}}"
            formula = formula_text(rule, words.spell)
            lines += _wrap(head + formula, WIDTH, hanging=hanging, glue=False)
            lines += _wrap(words.text(lesson_of(rule).summary), WIDTH, hanging, hanging)
    return lines


# ---------------------------------------------------------------------------
# Rich, for the terminal
# ---------------------------------------------------------------------------


def render_rich(name: str | None = None, ascii: bool = False) -> RenderableType:
    """The table of rules, or one rule explained, as a Rich renderable; every line
    fits 80 columns."""
    words = _Words(ascii)
    if name is not None:
        return _rich_lesson(_one(name), words)
    return _rich_table(words)


def _box(ascii: bool) -> Box:
    """The frame of a panel: rounded, or drawn in ASCII."""
    from rich import box

    return box.ASCII if ascii else box.ROUNDED


def _rich_lesson(rule: Rule, words: _Words) -> RenderableType:
    from rich.console import Group
    from rich.padding import Padding
    from rich.panel import Panel
    from rich.text import Text

    lesson = lesson_of(rule)
    parts: list[RenderableType] = [
        Text.assemble((rule.title, "bold"), (f" ({rule.id}, {rule.family})", "dim")),
        Text(),
        Padding(Panel(Text(formula_text(rule, words.spell), style="bold cyan"),
                      box=_box(words.ascii), expand=False), (0, 0, 0, 2)),
        Padding(_Prose(words.text(lesson.summary), "italic"), (1, 0, 0, 2)),
    ]
    if lesson.picture:
        parts += [Text(), _Picture(words.picture(lesson.picture), _box(words.ascii))]
    parts += [Text(), Text("Why it holds", style="bold"),
              Padding(_Prose(words.text(lesson.why)), (0, 0, 0, 2))]
    if lesson.see_also:
        parts += [Text(), Text.assemble(("See also: ", "dim"), ", ".join(lesson.see_also))]
    return Group(*parts)


class _Picture:
    """A lesson's picture in a dim frame where the terminal is wide enough for
    it; without the frame where only the picture fits; and where not even that,
    each line too long folds onto the next, so that no word of it (the key
    phrase is often at the end: "at g, not at x") is silently cut."""

    def __init__(self, picture: str, box: Box) -> None:
        self.picture = picture
        self.box = box

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.cells import cell_len
        from rich.panel import Panel
        from rich.text import Text

        widest = max((cell_len(line) for line in self.picture.splitlines()), default=0)
        if widest + _FRAME <= options.max_width:
            yield Panel(Text(self.picture, no_wrap=True), box=self.box, expand=False, border_style="dim")
        else:  # no room for the frame: the picture alone, folded where it must be
            yield Text(self.picture, no_wrap=widest <= options.max_width, overflow="fold")


_FRAME = 4  # a panel's two borders and the space inside each


def _rich_table(words: _Words) -> RenderableType:
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    parts: list[RenderableType] = []
    column = max(len(rule.id) for rule in RULES.values())
    for family, rules in _by_family():
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="cyan", no_wrap=True, min_width=column)
        grid.add_column()
        for rule in rules:
            summary = words.text(lesson_of(rule).summary)
            grid.add_row(rule.id, Text.assemble(formula_text(rule, words.spell), "\n",
                                                (summary, "dim")))
        parts += [Text(family, style="bold"), Padding(grid, (0, 0, 0, 2))]
    return Group(*parts)


# ---------------------------------------------------------------------------
# JSON and Markdown
# ---------------------------------------------------------------------------


def to_dict(name: str | None = None) -> dict[str, Any] | list[dict[str, Any]]:
    """The rules (or one rule) as JSON-ready data: id, title, family, formula
    (canonical text), function, derivative, why (one line), and the lesson:
    its sentences, its picture (Unicode and ASCII), the --explain template and
    related rules."""
    if name is not None:
        return _rule_dict(_one(name))
    return [_rule_dict(rule) for rule in RULES.values()]


def _rule_dict(rule: Rule) -> dict[str, Any]:
    lhs, rhs = rule.formula()
    lesson = lesson_of(rule)
    return {
        "id": rule.id,
        "title": rule.title,
        "family": rule.family,
        "formula": formula_text(rule, CANONICAL),
        "function": CANONICAL.expr(lhs),
        "derivative": CANONICAL.expr(rhs),
        "why": lesson.summary,
        "lesson": lesson.why,
        "picture": lesson.picture,
        "picture_ascii": ascii_art(lesson.picture),
        "explain": lesson.explain,
        "see_also": list(lesson.see_also),
    }


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", r"\|")


def markdown(name: str | None = None) -> str:
    """The rules as a Markdown table (or one rule as a short section)."""
    if name is not None:
        rule = _one(name)
        lesson = lesson_of(rule)
        parts = [f"### {rule.title}", f"$${formula_text(rule, LATEX)}$$", lesson.summary]
        if lesson.picture:
            parts.append(f"```text\n{lesson.picture}\n```")
        parts.append(lesson.why)
        if lesson.see_also:
            parts.append("See also: " + ", ".join(f"`{other}`" for other in lesson.see_also) + ".")
        return "\n\n".join(parts) + "\n"
    lines = ["| rule | formula | why |", "| --- | --- | --- |"]
    for rule in RULES.values():
        formula = _cell(formula_text(rule, LATEX))
        lines.append(f"| `{rule.id}` | ${formula}$ | {_cell(lesson_of(rule).summary)} |")
    return "\n".join(lines)
