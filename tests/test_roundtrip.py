"""The canonical text reads back as the same expression, for every expression."""

from __future__ import annotations

import json
import pickle

from hypothesis import given, settings

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
@given(expressions)
def test_an_expression_pickles_and_reads_back_the_same(expr) -> None:
    # a wide sum keeps its runs pickled (calcstep/wide.py); read back, a run must
    # be the same expression, printed the same, with the same cached values
    back = pickle.loads(pickle.dumps(expr, pickle.HIGHEST_PROTOCOL))
    assert back == expr and to_text(back) == to_text(expr)
    assert (back.size, back.depth, back.free_vars, hash(back)) == (expr.size, expr.depth, expr.free_vars, hash(expr))
