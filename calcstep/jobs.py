"""Batch jobs given as JSON lines, for scripts whose expressions each need their
own variable, order or points (`calcstep diff --json-input -`):

    {"expr": "x^2*y", "wrt": "y", "order": 2, "at": {"x": 1, "y": "pi/2"}}

Only `expr` is required; a field left out (or null) takes the command line's
value.  `at` is one point (name → value) or a list of points; a value is an
expression text ("pi/2") or a JSON number.  A line that is not such an object is
an error for that line alone: the batch goes on, in order.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from calcstep.errors import ParseError, UsageError

FIELDS = ("expr", "wrt", "order", "at", "id")


class Job(NamedTuple):
    """One expression to differentiate and how: by `wrt`, `order` times, and its
    value at each point of `at` (name → value text).  `id` is the job's own name
    for itself (a string or a whole number, as JSON text), written back in its
    record so a script can match answers to jobs."""

    expr: str
    wrt: str | None
    order: int
    at: tuple[dict[str, str], ...]
    id: str | None = None


def read_job(line: str, defaults: Job) -> Job:
    """The job a JSON line describes, its missing fields taken from `defaults`.

    Raises ParseError (with the place) for text that is not JSON, and UsageError
    for JSON that is not a job."""
    try:
        found = json.loads(line) if line.startswith("\ufeff") else _DECODER.decode(line)
    except json.JSONDecodeError as error:
        raise ParseError(
            f"not a JSON object: {error.msg.lower()}",
            line,
            error.pos,
            hint='write one object per line, e.g. {"expr": "x^2*y", "wrt": "y"}',
        ) from None
    if not isinstance(found, dict):
        raise UsageError(
            "a job is a JSON object, not " + _kind(found),
            hint='e.g. {"expr": "sin(x^2)"}',
        )
    job_id = _id(found.get("id"))
    try:
        unknown = [name for name in found if name not in FIELDS]  # as written: the first typo first
        if unknown:
            raise UsageError(
                f"unknown field {unknown[0]!r} in a job",
                hint="a job has the fields " + ", ".join(FIELDS),
            )
        return Job(
            expr=_expr(found.get("expr")),
            wrt=_wrt(found.get("wrt"), defaults.wrt),
            order=_order(found.get("order"), defaults.order),
            at=_points(found.get("at"), defaults.at),
            id=job_id,
        )
    except UsageError as error:
        error.job_id = job_id  # type: ignore[attr-defined]  # its record still says whose it is
        raise


def _id(value: Any) -> str | None:
    """A job's id as JSON text: a string or a whole number, written back as given."""
    if value is None:
        return None
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    given = value.text if isinstance(value, _Decimal) else _kind(value)
    raise UsageError(f'"id" must be a string or a whole number, not {given}', hint='e.g. "id": 17')


# JSON's spelling of a string with its characters kept: json.dumps(…,
# ensure_ascii=False) without the encoder that call makes each time
_quote = json.encoder.encode_basestring  # type: ignore[attr-defined]


class _Decimal(NamedTuple):
    """A JSON number with a point or an exponent, as written (0.5, 1e400)."""

    text: str


def _not_json(name: str) -> None:
    raise UsageError(f"{name} is not a JSON number", hint='write a number, or an expression text such as "pi/2"')


# A number with a point or an exponent is kept as written, to be read exactly
# (1e400 is 10^400, not a float's infinity); NaN is not JSON.  One decoder for
# every line: json.loads with these hooks would build one per line.  (A line
# opening with a byte-order mark goes to json.loads, which says what it is.)
_DECODER = json.JSONDecoder(parse_float=_Decimal, parse_constant=_not_json)


def _expr(value: Any) -> str:
    if not isinstance(value, str):
        raise UsageError(
            "a job needs \"expr\", the expression as a string"
            + ("" if value is None else f", not {_kind(value)}"),
            hint='e.g. {"expr": "sin(x^2)"}',
        )
    return value


def _wrt(value: Any, default: str | None) -> str | None:
    if value is None:
        return default
    if not isinstance(value, str):
        raise UsageError(f'"wrt" is a variable name, not {_kind(value)}', hint='e.g. "wrt": "y"')
    return value


def _order(value: Any, default: int) -> int:
    if value is None:
        return default
    # JSON true is a Python int too: refuse it by name
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        shown = value.text if isinstance(value, _Decimal) else json.dumps(value)
        raise UsageError(f'"order" is a whole number from 1 up, not {shown}', hint='e.g. "order": 2')
    return value


def _points(value: Any, default: tuple[dict[str, str], ...]) -> tuple[dict[str, str], ...]:
    if value is None:
        return default
    points = value if isinstance(value, list) else [value]
    return tuple(_point(point) for point in points)


def _point(point: Any) -> dict[str, str]:
    if not isinstance(point, dict):
        raise UsageError(
            f'"at" is a point (an object of name: value) or a list of them, not {_kind(point)}',
            hint='e.g. "at": {"x": 1, "y": "pi/2"}',
        )
    values = {}
    for name, value in point.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, _Decimal)):
            raise UsageError(f'the value of {name} in "at" is {_kind(value)}, not a number',
                             hint='write it as a number or an expression text, e.g. "pi/2"')
        values[name] = value.text if isinstance(value, _Decimal) else str(value)
    return values


def _kind(value: Any) -> str:
    """How JSON would name the type of `value`, with an article."""
    if value is None:
        return "null"
    kinds = {bool: "a boolean", str: "a string", int: "a number", _Decimal: "a number",
             list: "a list", dict: "an object"}
    return kinds.get(type(value), "a value")
