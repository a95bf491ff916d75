"""Every error calcstep reports to a person, and how it is shown.

Each error says what went wrong in words, and a hint for the usual slips.  A
`ParseError` also carries the input and the place, so it can be shown with a caret
under it; so does any other error whose place is known (ln(0) in x + ln(0)).  The
command line maps all of them to exit status 2 (bad input), never to a traceback.
"""

from __future__ import annotations

from typing import NamedTuple


class Place(NamedTuple):
    """Where in `text` an error is: the 0-based character offset `position`, and
    how many characters to underline there (`length`)."""

    text: str
    position: int
    length: int = 1

    @property
    def line(self) -> int:
        """1-based line of the position."""
        return self.text.count("\n", 0, self.position) + 1

    @property
    def column(self) -> int:
        """1-based column of the position within its line."""
        return self.position - (self.text.rfind("\n", 0, self.position) + 1) + 1

    def to_dict(self) -> dict:
        return {"offset": self.position, "line": self.line, "column": self.column}

    def marked(self, ascii: bool = False) -> list[str]:
        """The line holding the place (as typed; where cut, marked … or, in ASCII,
        ...), and a line with a caret under the place."""
        start = self.text.rfind("\n", 0, self.position) + 1
        end = self.text.find("\n", self.position)
        line = self.text[start : end if end != -1 else len(self.text)]
        if not line.isprintable():  # a control character (a stray line break, NUL) would garble the terminal
            line = "".join(char if char == "\t" or char.isprintable() or invisible(char) else "?" if ascii else "\ufffd"
                           for char in line)
        shown, offset = _window(line, self.position - start, width=76, cut="..." if ascii else "…")
        underline = min(self.length, max(1, len(shown) - offset))
        return [f"  {shown}", "  " + _pad(shown[:offset]) + "^" * underline]


def place(text: str, position: int, length: int = 1) -> Place:
    """A `Place`, its position kept within the text and its length at least 1."""
    return Place(text, max(0, min(position, len(text))), max(1, length))


class CalcstepError(Exception):
    """Base class of every error meant for the user.  `where` is the place in the
    input it concerns, when that is known (always, for a ParseError)."""

    kind = "error"

    def __init__(self, message: str, *, hint: str | None = None, where: Place | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.where = where

    def to_dict(self) -> dict:
        """The error as the JSON `error` object."""
        position = self.where.to_dict() if self.where is not None else None
        return {"kind": self.kind, "message": self.message, "position": position, "hint": self.hint}

    def render(self, ascii: bool = False) -> str:
        """The message; the input's line with a caret under the place, when there is
        one; and the hint on a line of its own.  The message and hint are in plain
        ASCII with `ascii`; the input's line is shown as typed."""
        where = self.where
        lines = [spelled(f"error: {self.message}", ascii)]
        if where is not None:
            if "\n" in where.text:  # several lines: say which
                lines[0] += f" (line {where.line}, column {where.column})"
            lines.extend(where.marked(ascii))
        if self.hint:
            lines.append(spelled(f"hint: {self.hint}", ascii))
        return "\n".join(lines)


class ParseError(CalcstepError):
    """The input is not an expression calcstep can read: always with its place."""

    kind = "syntax"
    where: Place

    def __init__(
        self,
        message: str,
        text: str,
        position: int,
        *,
        length: int = 1,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, where=place(text, position, length))

    # the place's parts, read by callers that restate the error (check's answer)
    @property
    def text(self) -> str:
        return self.where.text

    @property
    def position(self) -> int:
        return self.where.position

    @property
    def length(self) -> int:
        return self.where.length


class LimitError(CalcstepError):
    """The input or the work it asks for is beyond a configured limit."""

    kind = "limit"


class DomainError(CalcstepError):
    """A value is undefined or not real: ln(0), 1/0, the derivative of |x| at 0."""

    kind = "domain"


class TooLargeError(DomainError):
    """A value exists but is too large for a decimal (floating-point) number: 10^400."""


class AtZeroError(DomainError):
    """A float that is exactly 0.0 where no 0 may be (1/0.0, ln(0.0)).  It may be
    a true 0, or rounding of a value that is not 0 (1 − σ(37) is 0.0 in floating
    point): where the exact value is known to exist, it is the latter."""


class AbstractValueError(DomainError):
    """An abstract function such as f has no numeric value."""


class DerivationError(CalcstepError):
    """No differentiation rule applies to a part of the expression."""

    kind = "derivation"


class UsageError(CalcstepError):
    """The command was asked for something inconsistent, such as an unknown variable."""

    kind = "usage"


def _pad(prefix: str) -> str:
    """Spaces as wide as `prefix` is on a terminal, keeping tabs, so the caret
    lines up."""
    if prefix.isascii():
        return "".join("\t" if ch == "\t" else " " for ch in prefix)
    return "".join(_blank(ch) for ch in prefix)


def invisible(char: str) -> bool:
    """True for a character that takes no room and does no harm on a terminal (an
    invisible times, a zero-width space, a combining accent)."""
    import unicodedata  # only for a line that is not plain

    return unicodedata.category(char) in ("Mn", "Me", "Cf")


def _blank(char: str) -> str:
    """What stands under `char` on the caret's line: a tab under a tab, two
    spaces under a wide character (ｘ, 的), nothing under an invisible one (an
    invisible times, a zero-width space, a combining accent), else a space."""
    import unicodedata  # only for a line that is not ASCII

    if char == "\t":
        return char
    if invisible(char):
        return ""
    return "  " if unicodedata.east_asian_width(char) in ("W", "F") else " "


def shortened(text: str, width: int) -> str:
    """`text`, cut to `width` characters with … where it is longer (for a message)."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _window(line: str, column: int, width: int, cut: str = "…") -> tuple[str, int]:
    """A slice of a long line around `column`, marked with `cut` where cut (over
    the characters it replaces, so the caret stays in place), and the column's
    offset within that slice."""
    if len(line) <= width:
        return line, column
    half = width // 2
    start = max(0, min(column - half, len(line) - width))
    end = start + width
    shown = line[start:end]
    offset = column - start
    if start > 0:
        shown = cut + shown[len(cut) :]
    if end < len(line):
        shown = shown[: -len(cut)] + cut
    return shown, offset


def spelled(text: str, ascii: bool) -> str:
    """`text` as it is, or in plain ASCII (calcstep.lessons.to_ascii, loaded only then)."""
    if not ascii:
        return text
    from calcstep.lessons import to_ascii

    return to_ascii(text)
