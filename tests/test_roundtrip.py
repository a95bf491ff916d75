"""The canonical text reads back as the same expression, for every expression."""

from __future__ import annotations

import json

from hypothesis import given, settings

from calcstep.expr import Add, packed, unpacked
from calcstep.parse import parse
from calcstep.printer import to_latex, to_pretty, to_text

from strategies import expressions


@settings(max_examples=400, deadline=None)
@given(expressions)
def test_canonical_text_round_trips(expr) -> None:
    text = to_text(expr)
    assert parse(text).expr == expr, text


@settings(max_examples=200, deadline=None)
@given(expressions)
def test_every_printer_handles_every_expression(expr) -> None:
    assert to_pretty(expr)
    assert to_pretty(expr, ascii=True).isascii()
    assert to_text(expr).isascii()
    latex = to_latex(expr)
    assert latex.count("{") == latex.count("}")


@settings(max_examples=200, deadline=None)
@given(expressions)
def test_canonical_text_is_its_own_json_string(expr) -> None:
    # the JSON writer relies on it to write a huge result without copying it
    text = to_text(expr)
    assert json.dumps(text, ensure_ascii=False) == f'"{text}"'


@settings(max_examples=200, deadline=None)
@given(expressions, expressions)
def test_a_wide_sums_packed_run_reads_back_the_same(expr, other) -> None:
    # a wide sum keeps its runs packed (calcstep/wide.py); read back, a run must
    # be the same expressions, printed the same, with the same cached values
    parts = (expr, other, Add((expr, other)))
    back = unpacked(packed(parts))
    assert back == parts and [to_text(part) for part in back] == [to_text(part) for part in parts]
    for part, again in zip(parts, back, strict=True):
        assert (again.size, again.depth, again.free_vars, hash(again)) == (part.size, part.depth, part.free_vars, hash(part))
