"""Every error calcstep reports to a person, and how it is shown.

Each error says what went wrong in words; a `ParseError` also carries the input
and the place, so it can be shown with a caret under it, and a hint for the usual
slips.  The command line maps all of them to exit status 2 (bad input), never to
a traceback.
"""

from __future__ import annotations


class CalcstepError(Exception):
    """Base class of every error meant for the user."""

    kind = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict:
        """The error as the JSON `error` object."""
        return {"kind": self.kind, "message": self.message, "position": None, "hint": self.hint}

    def render(self, ascii: bool = False) -> str:
        """The message, and the hint on a line of its own (in plain ASCII with
        `ascii`)."""
        lines = [f"error: {self.message}"]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return spelled("\n".join(lines), ascii)


class ParseError(CalcstepError):
    """The input is not an expression calcstep can read.

    `position` is the 0-based character offset of the offending place and
    `length` how many characters to underline there."""

    kind = "syntax"

    def __init__(
        self,
        message: str,
        text: str,
        position: int,
        *,
        length: int = 1,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.text = text
        self.position = max(0, min(position, len(text)))
        self.length = max(1, length)

    @property
    def line(self) -> int:
        """1-based line of the position."""
        return self.text.count("\n", 0, self.position) + 1

    @property
    def column(self) -> int:
        """1-based column of the position within its line."""
        return self.position - (self.text.rfind("\n", 0, self.position) + 1) + 1

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "message": self.message,
            "position": {"offset": self.position, "line": self.line, "column": self.column},
            "hint": self.hint,
        }

    def render(self, ascii: bool = False) -> str:
        """The message, the offending line with a caret under the place, and the
        hint (the message and hint in plain ASCII with `ascii`; the line as typed)."""
        start = self.text.rfind("\n", 0, self.position) + 1
        end = self.text.find("\n", self.position)
        line = self.text[start : end if end != -1 else len(self.text)]
        column = self.position - start
        shown, offset = _window(line, column, width=76, cut="..." if ascii else "…")
        underline = min(self.length, max(1, len(shown) - offset))
        where = f" (line {self.line}, column {self.column})" if "\n" in self.text else ""
        lines = [
            spelled(f"error: {self.message}{where}", ascii),
            f"  {shown}",
            "  " + _pad(shown[:offset]) + "^" * underline,
        ]
        if self.hint:
            lines.append(spelled(f"hint: {self.hint}", ascii))
        return "\n".join(lines)


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
    """Spaces as wide as `prefix`, keeping tabs so the caret lines up."""
    return "".join("\t" if ch == "\t" else " " for ch in prefix)


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
