"""Wide sums, read, differentiated and written a run of terms at a time
(calcstep/wide.py), against the whole reading: the same record, byte for byte,
in every format.  The path is taken from tens of thousands of terms; here its
threshold and its runs are made small, so that small sums take it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from calcstep import engine, wide
from calcstep.engine import differentiate
from calcstep.errors import CalcstepError
from calcstep.render import RenderOptions, latex, markdown, plain
from calcstep.render.json import report_json

CORPUS = Path(__file__).parent / "data" / "public_corpus.jsonl"


def _sums(count: int, seed: int) -> list[str]:
    """Sums of corpus expressions in x, some bracketed (their terms join the sum)."""
    jobs = [json.loads(line) for line in CORPUS.read_text().splitlines()]
    pool = [job["expr"] for job in jobs if job["wrt"] == "x" and job["order"] == 1]
    chosen = random.Random(seed)
    return [
        " + ".join(f"({part})" if chosen.random() < 0.5 else part for part in chosen.sample(pool, chosen.randint(3, 8)))
        for _ in range(count)
    ]


RENDERERS = {
    "json": lambda report, options: "".join(report_json(report, options)),
    "plain": lambda report, options: "".join(plain.parts(report, options)),
    "latex": lambda report, options: "".join(latex.parts(report, options)),
    "markdown": lambda report, options: "".join(markdown.parts(report, options)),
}


def _written(text: str, options: RenderOptions, monkeypatch: pytest.MonkeyPatch | None = None, run: int = 0) -> dict:
    """Every format's record of d/dx text: by the whole reading, or (with
    `monkeypatch`) by runs of `run` terms."""
    if monkeypatch is not None:
        monkeypatch.setattr(engine, "WIDE_FROM", 3)
        monkeypatch.setattr(wide, "RUN_TERMS", run)
    try:
        report = differentiate(text, steps=options.steps)
        assert (type(report.expr.terms) is not tuple) == (monkeypatch is not None)  # the path asked for
        return {name: render(report, options) for name, render in RENDERERS.items()}
    finally:
        if monkeypatch is not None:
            monkeypatch.undo()


@pytest.mark.parametrize("text", _sums(12, seed=1))
@pytest.mark.parametrize(("steps", "explain"), [(True, False), (True, True), (False, False)])
def test_a_sum_in_one_run_is_written_as_the_whole_reading_writes_it(monkeypatch, text, steps, explain) -> None:
    options = RenderOptions(steps=steps, explain=explain)
    assert _written(text, options, monkeypatch, run=1000) == _written(text, options)


@pytest.mark.parametrize("text", _sums(12, seed=2))
def test_in_many_runs_only_a_part_met_in_two_runs_is_listed_twice(monkeypatch, text) -> None:
    # each run has a simplifier of its own (its memory goes with the run): a part
    # recurring in two runs has its rewrites listed in each; all else is the same
    mine = json.loads(_written(text, RenderOptions(), monkeypatch, run=2)["json"])
    whole = json.loads(_written(text, RenderOptions())["json"])
    listed = mine.pop("simplification")
    expected = whole.pop("simplification")
    assert mine == whole
    # the whole reading's list is the runs' list less some repeats: found in it in
    # order, and every rewrite left over is one the whole reading lists too
    left_over, place = [], 0
    for rewrite in listed:
        if place < len(expected) and rewrite == expected[place]:
            place += 1
        else:
            left_over.append(rewrite)
    assert place == len(expected)
    assert all(rewrite in expected for rewrite in left_over)


@pytest.mark.parametrize("text", [
    "x + x^2 + ln(0) + x^3",  # a part with no value
    "x + ln(-x^2) + x^2 + 1",  # a part with no value anywhere
    "x + sqrt(x) + sqrt(-x) + x^2",  # two parts meeting at one point
    "w1*x + w_1 + x^2 + 1",  # two names written alike
    "x + (x + 1 + x^2",  # an unclosed bracket
    "x*y + y^2 + x + 1",  # several variables, none x: by x
    "-7 + -1/3 + -7",  # no variable: one constant, its rule the constant rule
    "y + sin(y) + 2",  # by x, which it does not have
])
def test_a_wide_sum_is_refused_or_read_as_the_whole_reading_does(monkeypatch, text) -> None:
    def outcome() -> str:
        try:
            return "".join(report_json(differentiate(text)))
        except CalcstepError as error:
            return json.dumps(error.to_dict())

    whole = outcome()
    monkeypatch.setattr(engine, "WIDE_FROM", 3)
    monkeypatch.setattr(wide, "RUN_TERMS", 2)
    assert outcome() == whole


def test_notes_on_a_wide_sums_reading_keep_their_places(monkeypatch) -> None:
    # the notes of a run are read in a piece of the text: said at their places in
    # the whole, as the whole reading says them
    text = "x + sin x^2 + 2e3x + x2^2 + 1/2x + E^x + x"
    whole = "".join(report_json(differentiate(text, wrt="x")))
    monkeypatch.setattr(engine, "WIDE_FROM", 3)
    monkeypatch.setattr(wide, "RUN_TERMS", 2)
    assert "".join(report_json(differentiate(text, wrt="x"))) == whole


def test_a_wide_sum_in_a_batch_is_answered_in_its_place(cli, monkeypatch) -> None:
    lines = "\n".join(["x^2", *_sums(3, seed=3), "sin(x)"]) + "\n"
    whole = cli("diff", "-", "-f", "json", "--jobs", "1", stdin=lines).out
    monkeypatch.setattr(engine, "WIDE_FROM", 3)
    monkeypatch.setattr(wide, "RUN_TERMS", 2)
    mine = cli("diff", "-", "-f", "json", "--jobs", "1", stdin=lines).out
    assert [json.loads(line)["result"] for line in mine.splitlines()] == [
        json.loads(line)["result"] for line in whole.splitlines()
    ]
