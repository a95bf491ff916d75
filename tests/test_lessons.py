"""The lessons behind `calcstep rules` and `calcstep diff --explain`: one per rule,
pictures that fit an 80-column terminal in Unicode and in ASCII, explain templates
that fill from the names each rule gives its parts, and the catalogue in every
format."""

from __future__ import annotations

import io
import json
import re
from string import Formatter

import pytest
from rich.console import Console

from calcstep.derive import derive
from calcstep.expr import Sym
from calcstep.functions import FUNCTIONS
from calcstep.lessons import (
    EXPLAIN,
    LESSONS,
    PICTURE_WIDTH,
    SUMMARY,
    ascii_art,
    to_ascii,
    width,
)
from calcstep.parse import parse_expr
from calcstep.render import catalogue
from calcstep.render.common import ASCII, MATH_MARK, PRETTY, Spelling, explanation, template_formula
from calcstep.render.latex import _CLOSE, _OPEN, MARKED
from calcstep.rules import RULES
from calcstep.steps import Step

# The names each rule function gives its parts (its `given`), as far as a
# template may use them: chain-n and product-n also name u_1…, f_1…, but how many
# depends on the step, so their templates use n alone.
FIELDS = {
    "constant-multiple": {"c", "f"},
    "product": {"g", "h"},
    "product-n": {"n"},
    "quotient": {"g", "h"},
    "power": {"n"},
    "chain": {"u", "outer"},
    "chain-n": {"n"},
    "exponential": {"a"},
    "general-power": {"f", "g"},
    "logarithm-base": {"b"},
    "change-of-base": {"u", "b"},
    "abstract": {"f"},
}

# Expressions whose derivations, between them, use every rule.
SAMPLES = (
    "y", "x", "3*x^2", "x + sin(x)", "x*sin(x)", "x*sin(x)*e^x", "sin(x)/x",
    "sin(x^2)", "e^(sin(cos(x^2)))", "e^x", "2^x", "x^x", "log2(x)", "log_x(3)",
    "f(x)", "u*sin(u^2)",
    *(f"{function.name}(x)" for function in FUNCTIONS),
)

MUST_HAVE_PICTURES = {
    "sum", "product", "product-n", "chain", "chain-n", "quotient", "power", "exp", "ln",
    "sin", "cos", "abs", "relu", "sigmoid", "general-power",
}

BOX = "─━│┃┌┐└┘├┤┬┴┼▶◀►◄▼▲●○╱╲"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def _steps(step: Step):
    yield step
    for sub in step.substeps:
        yield from _steps(sub)


@pytest.fixture(scope="module")
def steps_by_rule() -> dict[str, list[Step]]:
    found: dict[str, list[Step]] = {}
    for text in SAMPLES:
        for step in _steps(derive(parse_expr(text), "x")):
            found.setdefault(step.rule, []).append(step)
    return found


# -- the lessons as data ---------------------------------------------------------


def test_every_rule_has_a_lesson() -> None:
    assert set(LESSONS) == set(RULES)
    assert set(SUMMARY) == set(EXPLAIN) == set(RULES)
    for rule_id, lesson in LESSONS.items():
        assert lesson.id == rule_id
        assert lesson.summary and "\n" not in lesson.summary
        assert len(lesson.summary) <= 59, rule_id  # one line in the table
        assert lesson.why.count(". ") >= 1, rule_id  # a few sentences
        assert set(lesson.see_also) <= set(RULES), rule_id


def test_every_required_picture_is_drawn() -> None:
    drawn = {rule_id for rule_id, lesson in LESSONS.items() if lesson.picture}
    assert drawn >= MUST_HAVE_PICTURES


@pytest.mark.parametrize("rule_id", [r for r, lesson in LESSONS.items() if lesson.picture])
def test_pictures_fit_76_columns_in_unicode_and_ascii(rule_id: str) -> None:
    picture = LESSONS[rule_id].picture
    plain = ascii_art(picture)
    assert width(picture) <= PICTURE_WIDTH
    assert width(plain) <= PICTURE_WIDTH
    assert plain.isascii(), [c for c in plain if not c.isascii()]
    assert len(plain.splitlines()) == len(picture.splitlines())


@pytest.mark.parametrize("rule_id", [r for r, lesson in LESSONS.items() if lesson.picture])
def test_ascii_pictures_keep_every_edge_in_its_column(rule_id: str) -> None:
    picture = LESSONS[rule_id].picture
    for line, plain in zip(picture.splitlines(), ascii_art(picture).splitlines(), strict=True):
        for column, char in enumerate(line):
            if char in BOX:
                assert plain[column] == to_ascii(char), (rule_id, line, plain)


def test_prose_has_an_ascii_spelling() -> None:
    for lesson in LESSONS.values():
        for text in (lesson.summary, lesson.why):
            assert to_ascii(text).isascii(), [c for c in to_ascii(text) if not c.isascii()]
    assert to_ascii("cos²x + x² = 1 − σ·π") == "cos^2 x + x^2 = 1 - sigma*pi"


def test_product_picture_names_the_slivers_and_the_corner() -> None:
    picture = LESSONS["product"].picture
    for part in ("g·dh", "h·dg", "dg·dh", "corner", "sliver", "(g·h)′ = g·h′ + h·g′"):
        assert part in picture
    assert "left d-right plus right d-left" in picture
    plain = ascii_art(picture)
    assert "g*dh" in plain and "h*dg" in plain and "dg*dh" in plain


def test_chain_picture_stacks_three_number_lines_with_both_local_rates() -> None:
    lines = LESSONS["chain"].picture.splitlines()
    rows = {name: next(i for i, line in enumerate(lines) if line.startswith(name))
            for name in ("x-line", "g-line", "f-line")}
    assert rows["x-line"] < rows["g-line"] < rows["f-line"]
    text = "\n".join(lines)
    for part in ("g′(x)", "f′(g)", "dg = g′(x)·dx", "df = f′(g)·dg", "f′(g(x))·g′(x)"):
        assert part in text
    chain_n = LESSONS["chain-n"].picture
    assert all(f"{name}-line" in chain_n for name in "xhgf")


# -- the --explain templates -----------------------------------------------------


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_explain_template_formats_with_its_rules_fields(rule_id: str) -> None:
    template = EXPLAIN[rule_id]
    allowed = {"target", "var"} | FIELDS.get(rule_id, set())
    assert _fields(template) <= allowed
    assert set(LESSONS[rule_id].fields) == FIELDS.get(rule_id, set())
    text = template.format(**{name: f"<{name}>" for name in allowed})
    assert text.startswith("<target>")
    assert template.isascii()  # the same sentence serves --ascii
    assert len(re.findall(r"[.;:]\s", text + " ")) <= 3  # one sentence, two at most


def test_sample_derivations_use_every_rule(steps_by_rule) -> None:
    assert set(steps_by_rule) >= set(RULES)


@pytest.mark.parametrize("spell", [PRETTY, ASCII, MARKED], ids=["unicode", "ascii", "latex"])
def test_explain_fills_from_real_steps(steps_by_rule, spell: Spelling) -> None:
    for rule_id, steps in steps_by_rule.items():
        if rule_id not in EXPLAIN:
            continue
        for step in steps:
            sentence = explanation(step, spell)
            words = re.sub(f"{_OPEN}.*?{_CLOSE}", "", sentence, flags=re.DOTALL)  # LaTeX's own braces
            assert "{" not in words, sentence
            assert MATH_MARK not in sentence and sentence.endswith(".")
            if spell is ASCII:
                assert sentence.isascii(), sentence


@pytest.mark.parametrize("rule_id", sorted(EXPLAIN))
def test_explain_formulas_are_written_whole_in_latex(rule_id: str) -> None:
    """A formula in an explanation is one piece of mathematics: in LaTeX and
    Markdown no function name stands in prose around a formula (cos($x$))."""
    template = EXPLAIN[rule_id]
    for formula in template.split(MATH_MARK)[1::2]:
        names = _fields(formula)
        template_formula(formula, {name: Sym("x") for name in names})  # reads as a formula
    prose = "".join(template.split(MATH_MARK)[::2])
    assert not re.search(r"[a-z]+\(\{", prose), prose  # sin({var}) is written as a formula
    assert "1/{" not in prose


def test_explain_writes_a_formula_in_each_notation(steps_by_rule) -> None:
    step = next(s for s in steps_by_rule["tan"] if s.var == "x")
    assert explanation(step, PRETTY).endswith("turns that into 1/cos²(x), which is sec²(x).")
    assert explanation(step, ASCII).endswith("turns that into 1/cos^2(x), which is sec^2(x).")
    latex = explanation(step, MARKED)
    assert _OPEN + r"\frac{1}{\cos^{2}\left(x\right)}" + _CLOSE in latex


def test_chain_explanation_reads_as_the_lesson_says(steps_by_rule) -> None:
    step = next(s for s in steps_by_rule["chain"] if PRETTY.expr(s.target) == "sin(x²)")
    sentence = explanation(step, PRETTY)
    assert sentence.startswith("sin(x²) is a composition: the inner value x² is fed into")
    assert "taken at x²" in sentence


# -- the catalogue -----------------------------------------------------------------


def test_find_accepts_ids_titles_and_function_spellings() -> None:
    assert catalogue.find("chain").id == "chain"
    assert catalogue.find("Chain Rule").id == "chain"
    assert catalogue.find("product rule (n factors)").id == "product-n"
    assert catalogue.find("general power").id == "general-power"
    assert catalogue.find("constant_multiple").id == "constant-multiple"
    assert catalogue.find("arcsin").id == "asin"
    assert catalogue.find("log").id == "ln"
    assert catalogue.find("no such rule") is None
    for rule in RULES.values():
        assert catalogue.find(rule.id) is rule
        assert catalogue.find(rule.title) is rule


def test_plain_table_lists_every_rule_within_80_columns() -> None:
    for ascii in (False, True):
        text = catalogue.render(ascii=ascii)
        assert max(len(line) for line in text.splitlines()) <= 80
        for rule_id, lesson in LESSONS.items():
            assert re.search(rf"^  {re.escape(rule_id)} ", text, re.M)
            summary = to_ascii(lesson.summary) if ascii else lesson.summary
            assert summary in " ".join(text.split())
        assert text.isascii() == ascii


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_plain_lesson_fits_80_columns(rule_id: str) -> None:
    lesson = LESSONS[rule_id]
    text = catalogue.render(rule_id)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert RULES[rule_id].title in text.splitlines()[0]
    if lesson.picture:
        assert lesson.picture.splitlines()[0].strip() in text
    plain = catalogue.render(rule_id, ascii=True)
    assert plain.isascii(), [c for c in plain if not c.isascii()]
    assert max(len(line) for line in plain.splitlines()) <= 80


def _rich_text(renderable) -> str:
    console = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize("rule_id", sorted(MUST_HAVE_PICTURES | {"tan", "abstract"}))
def test_rich_lesson_fits_80_columns(rule_id: str) -> None:
    text = _rich_text(catalogue.render_rich(rule_id))
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    lesson = LESSONS[rule_id]
    for line in lesson.picture.splitlines():
        if line.strip():
            assert line.rstrip() in text  # drawn whole, never wrapped
    plain = _rich_text(catalogue.render_rich(rule_id, ascii=True))
    assert plain.isascii()


def test_rich_table_lists_every_rule_within_80_columns() -> None:
    text = _rich_text(catalogue.render_rich())
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    for rule_id in RULES:
        assert re.search(rf"^  {re.escape(rule_id)} ", text, re.M)


def test_json_lists_every_rule_with_its_lesson() -> None:
    records = json.loads(json.dumps(catalogue.to_dict()))
    assert [record["id"] for record in records] == list(RULES)
    for record in records:
        assert {"id", "title", "formula", "why", "lesson", "picture", "explain"} <= set(record)
        assert record["why"] == LESSONS[record["id"]].summary
    one = catalogue.to_dict("product")
    assert one["title"] == "product rule" and "dg·dh" in one["picture"]
    assert "dg*dh" in one["picture_ascii"]


def test_markdown_has_a_row_per_rule() -> None:
    lines = catalogue.markdown().splitlines()
    assert lines[0] == "| rule | formula | why |"
    rows = lines[2:]
    assert [re.match(r"\| `([^`]+)` \|", row).group(1) for row in rows] == list(RULES)
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 4, row  # |x| is escaped
    section = catalogue.markdown("chain")
    assert section.startswith("### chain rule") and "```text\n" in section


def test_cli_rules_prints_the_lesson(cli) -> None:
    run = cli("rules", "product")
    assert run.code == 0
    assert "dg·dh" in run.out and "Why it holds" in run.out
    records = json.loads(cli("rules", "--format", "json").out)
    assert len(records) == len(RULES)
