"""The terminal (Rich), LaTeX and Markdown renderers: layout, width, colour, validity.

Rich output is checked as a person sees it: exported as text from a recording
console at 80 and 120 columns.  LaTeX is checked by a small checker (balanced
braces and delimiters, matched environments, only amsmath and kernel macros) and,
where pdflatex is installed, by compiling it.  Markdown is checked for the
structure GitHub and Jupyter need.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from calcstep.engine import DiffReport, differentiate
from calcstep.limits import Limits
from calcstep.render import RenderOptions, latex, markdown, plain
from calcstep.render import rich as rich_render

from conftest import assert_snapshot

README_EXAMPLES = ["sin(x^2)", "x^2*sin(x)", "(x+1)/(x-1)", "x^x", "f(g(h(x)))"]

# Inputs that stress the layouts: long results, several stages, notes, Unicode,
# names with subscripts, Greek letters, values that are undefined.
TRICKY = [
    "sin(cos(tan(x)))",
    "1/2x + sin(x)^2",
    "2π·x² − √x",
    "x^3*e^x*ln(x)*cos(x)*tan(x)",
    "(x^2+3x-7)^5 / (x^4 + 2x^2 + 1)^3",
    "theta^2 + w_1*x",
    "abs(x) + log_2(x) + asin(x)",
    "xy + y",
]

CORPUS = Path(__file__).parent / "data" / "public_corpus.jsonl"


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)


def _report(text: str, order: int = 1, at: tuple[str, ...] = ()) -> DiffReport:
    """The report on `text`, with its value where x is each of `at` (and any other
    variable of TRICKY is 3)."""
    others = {name: "3" for name in ("y", "theta", "w_1") if name in text}
    return differentiate(text, order=order, at=[{"x": value, **others} for value in at])


def _corpus_reports() -> list[DiffReport]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [differentiate(row["expr"], wrt=row.get("wrt"), order=row.get("order", 1)) for row in rows]


@pytest.fixture(scope="module")
def corpus() -> list[DiffReport]:
    return _corpus_reports()


# ---------------------------------------------------------------------------
# Rich
# ---------------------------------------------------------------------------


def screen(report: DiffReport, options: RenderOptions = RenderOptions(), width: int = 80) -> str:
    """What a terminal of `width` columns shows, without colour."""
    console = Console(width=width, file=io.StringIO(), color_system=None, record=True)
    console.print(rich_render.render(report, options))
    return console.export_text()


def ansi(report: DiffReport, options: RenderOptions = RenderOptions(), **console_options) -> str:
    """The bytes a terminal receives, escape codes included."""
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=True, **console_options)
    console.print(rich_render.render(report, options))
    return out.getvalue()


def widest(text: str) -> int:
    return max(cell_len(line) for line in text.splitlines())


@pytest.mark.parametrize("text", README_EXAMPLES)
def test_rich_readme_screens_at_80_columns(text: str) -> None:
    shown = screen(_report(text))
    assert "\x1b" not in shown
    assert widest(shown) <= 80
    assert_snapshot(f"rich_{_slug(text)}.txt", shown)


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("text", README_EXAMPLES + TRICKY)
def test_rich_fits_the_terminal(text: str, width: int) -> None:
    for options in (RenderOptions(), RenderOptions(explain=True)):
        assert widest(screen(_report(text, at=("2",)), options, width)) <= width


def test_rich_wraps_long_lines_with_a_hanging_indent() -> None:
    shown = screen(_report("sin(cos(tan(x)))"), width=60)
    assert widest(shown) <= 60
    lines = shown.splitlines()
    # the product line breaks after "=" and continues further in than it started
    first = next(i for i, line in enumerate(lines) if "product of the rates:" in line)
    assert lines[first].rstrip().endswith("d/dx sin(cos(tan(x))) =")
    start = lines[first].index("product")
    assert lines[first + 1].index("−cos") >= start + rich_render.HANG
    # a simplification too long for its line continues under the change, not the name
    lines = screen(_report("cos(x)^3*sin(x)^2 + cos(x)^5"), width=60).splitlines()
    name = next(i for i, line in enumerate(lines) if "collect like terms" in line)
    column = lines[name].index("collect like terms") + len("collect like terms  ")
    assert lines[name + 1][:column].strip(" │") == ""


def test_rich_breaks_a_long_product_after_a_dot_not_inside_a_name() -> None:
    shown = screen(_report("x^3*e^x*ln(x)*cos(x)*tan(x)"), width=44)
    assert widest(shown) <= 44
    for line in shown.splitlines():
        text = line.rstrip(" │")
        assert not re.search(r"(co|ta|l)$", text), line


def test_rich_chain_rule_reads_as_the_lesson() -> None:
    """Name the inner function u, the outer rate at u, the inner rate, their product."""
    shown = screen(_report("sin(x^2)"))
    order = [
        "inner function: u = x²",
        "outer rate, sin rule: d/du sin(u) = cos(u)",
        "at u = x²: cos(u) = cos(x²)",
        "inner rate, power rule",
        "product of the rates: d/dx sin(x²) =",
    ]
    positions = [shown.index(piece) for piece in order]
    assert positions == sorted(positions)


def test_rich_longer_chain_names_every_stage() -> None:
    shown = screen(_report("f(g(h(x)))"))
    assert "inner functions: u₁ = h(x), u₂ = g(u₁)" in shown
    assert shown.index("stage 3") < shown.index("stage 2") < shown.index("stage 1")
    assert "at u₂: f′(u₂) = f′(g(h(x)))" in shown


def test_rich_formula_is_shown_the_first_time_a_rule_is_used() -> None:
    shown = screen(_report("(x+1)/(x-1)"))
    assert shown.count("sum rule") == 2
    assert shown.count("formula: d/dx [g(x) + h(x)]") == 1


def test_rich_result_is_set_apart_with_values() -> None:
    shown = screen(_report("sin(x^2)", at=("2",)))
    panel = shown[shown.index("╭") :]
    assert "d/dx sin(x²) = 2x·cos(x²)" in panel
    assert "at x = 2: 4·cos(4) ≈ −2.61457448345" in panel


def test_rich_notes_on_the_reading_come_first() -> None:
    shown = screen(_report("1/2x"))
    assert shown.splitlines()[1] == "note: '1/2x' was read as (1/2)·x"


def test_rich_explain_adds_italic_sentences() -> None:
    report = _report("sin(x^2)")
    assert "why:" not in screen(report)
    assert "why: sin(x²) is a composition" in screen(report, RenderOptions(explain=True))
    assert "\x1b[3m" in ansi(report, RenderOptions(explain=True))


def test_rich_higher_order_has_one_section_per_order() -> None:
    shown = screen(_report("sin(x^2)", order=2))
    assert shown.startswith("d²/dx² sin(x²)")
    assert shown.index("order 1: d/dx sin(x²)") < shown.index("order 2: d/dx [2x·cos(x²)]")
    assert "d²/dx² sin(x²) = " in shown[shown.index("╭") :]


def test_rich_without_steps_shows_the_result_and_values_only() -> None:
    shown = screen(_report("sin(x^2)", at=("2",)), RenderOptions(steps=False))
    assert "rule" not in shown
    assert "d/dx sin(x²) = 2x·cos(x²)" in shown
    assert "at x = 2:" in shown


def test_rich_ascii_is_ascii_only() -> None:
    for text in [*README_EXAMPLES, "2π·x² − √x"]:
        shown = screen(_report(text, at=("2",)), RenderOptions(ascii=True, explain=True))
        assert shown.isascii(), shown
    assert "d/dx sin(x^2) = 2*x*cos(x^2)" in screen(_report("sin(x^2)"), RenderOptions(ascii=True))


def test_rich_width_argument_caps_the_columns() -> None:
    console = Console(width=120, file=io.StringIO(), color_system=None, record=True)
    console.print(rich_render.render(_report("sin(cos(tan(x)))"), RenderOptions(), width=60))
    assert widest(console.export_text()) <= 60


_COLOUR = re.compile(r"\x1b\[([0-9;]*)m")


def _colour_codes(output: str) -> set[str]:
    """The SGR parameters that set a colour (30-49, 90-107), ignoring bold/dim/italic."""
    found = set()
    for params in _COLOUR.findall(output):
        for param in params.split(";"):
            if param and (30 <= int(param) <= 49 or 90 <= int(param) <= 107):
                found.add(param)
    return found


def test_rich_uses_colour_on_a_colour_terminal() -> None:
    assert _colour_codes(ansi(_report("sin(x^2)"), color_system="standard"))


def test_rich_honours_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    report = _report("x^2*sin(x)", at=("2",))
    assert not _colour_codes(ansi(report, color_system="standard", no_color=True))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _colour_codes(ansi(report, color_system="standard"))


def test_rich_writes_no_escape_codes_off_a_terminal() -> None:
    out = io.StringIO()
    Console(file=out, width=80).print(rich_render.render(_report("x^x"), RenderOptions(explain=True)))
    assert "\x1b" not in out.getvalue()


def test_renderers_print_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    report = _report("sin(x^2)", at=("2",))
    rich_render.render(report, RenderOptions(explain=True))
    latex.render(report, RenderOptions(explain=True))
    markdown.render(report, RenderOptions(explain=True))
    assert capsys.readouterr() == ("", "")


def test_rich_fits_80_columns_across_the_corpus(corpus: list[DiffReport]) -> None:
    # Rich's tree costs time per nested level, so a sample of the deepest suffices
    deepest = sorted(corpus, key=lambda r: -sum(d.steps.count_steps() for d in r.derivations))[:12]
    for report in deepest:
        assert widest(screen(report)) <= 80, report.input


# ---------------------------------------------------------------------------
# LaTeX
# ---------------------------------------------------------------------------

# Macros the output may use: the LaTeX kernel's and amsmath's, nothing else.
_MACRO_NAMES = """
    begin end text intertext boxed frac left right cdot sqrt log ln exp mathrm operatorname
    to approx times div pm surd infty leq geq quad qquad emph textbf
    textbackslash textasciicircum textasciitilde textless textgreater textbar
    textsuperscript textsubscript
    sin cos tan sec csc cot arcsin arccos arctan sinh cosh tanh coth
    alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma
    tau upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
"""
KNOWN_MACROS = frozenset(_MACRO_NAMES.split())
KNOWN_SYMBOLS = frozenset("{}$&#%_, \\")
KNOWN_ENVIRONMENTS = frozenset({"align*"})


def latex_problems(source: str) -> list[str]:
    """What would stop `source` compiling with amsmath alone, or set it wrong."""
    problems = []
    body = "\n".join(re.sub(r"(?<!\\)%.*", "", line) for line in source.splitlines())
    if not body.isascii():
        problems.append("non-ASCII characters")
    for name in re.findall(r"\\([A-Za-z]+)", body):
        if name not in KNOWN_MACROS:
            problems.append(f"unknown macro \\{name}")
    for symbol in re.findall(r"\\([^A-Za-z])", body.replace("\\\\", "")):
        if symbol not in KNOWN_SYMBOLS:
            problems.append(f"unknown control symbol \\{symbol}")
    depth = 0
    for char in re.sub(r"\\[{}]", "", body.replace("\\\\", "")):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            problems.append("a } closes nothing")
            depth = 0
    if depth:
        problems.append(f"{depth} unclosed {{")
    if body.count(r"\left") != body.count(r"\right"):
        problems.append(r"\left and \right do not pair")
    environments = re.findall(r"\\(begin|end)\{([^}]*)\}", body)
    stack: list[str] = []
    for kind, name in environments:
        if name not in KNOWN_ENVIRONMENTS:
            problems.append(f"unknown environment {name}")
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            problems.append(f"\\end{{{name}}} without its \\begin")
    if stack:
        problems.append(f"unclosed environments {stack}")
    unescaped_dollars = re.sub(r"\\\$", "", body)
    if "$$" in unescaped_dollars:
        problems.append("$$ (display mathematics) in text")
    for line in unescaped_dollars.splitlines():
        if line.count("$") % 2:
            problems.append(f"odd number of $ in {line!r}")
    return problems


def test_latex_checker_catches_mistakes() -> None:
    assert latex_problems(r"\begin{align*} x &= \frac{1}{2 \end{align*}")
    assert latex_problems(r"\begin{align*} \omicron \end{align*}")
    assert latex_problems(r"\text{50% & more} \begin{equation} x \end{equation}")
    assert latex_problems(r"\left( x")
    assert not latex_problems(r"% 50% \unknown" "\n" r"\begin{align*} x &= \frac{1}{2} \\ y &\to z \end{align*}")


@pytest.mark.parametrize("text", README_EXAMPLES + TRICKY)
def test_latex_is_valid(text: str) -> None:
    for options in (RenderOptions(), RenderOptions(explain=True), RenderOptions(steps=False)):
        for order in (1, 2):
            source = latex.render(_report(text, order=order, at=("2",)), options)
            assert latex_problems(source) == [], source


def test_latex_is_valid_across_the_corpus(corpus: list[DiffReport]) -> None:
    for report in corpus:
        source = latex.render(report, RenderOptions(explain=True))
        assert latex_problems(source) == [], report.input


def test_latex_snapshot() -> None:
    assert_snapshot("latex_sin_x_2_.tex", latex.render(_report("sin(x^2)", at=("2",))) + "\n")


def test_latex_has_one_row_per_step_with_the_rule_named() -> None:
    source = latex.render(_report("x^2*sin(x)"))
    rows = source[source.index(r"\begin{align*}") : source.index(r"\end{align*}")]
    for label in [r"\text{1.1 power rule, with } n = 2", r"\text{1.2 sin rule}", r"\text{1. product rule}"]:
        assert label in rows
    assert r"\frac{d}{dx} \sin\left(x\right) &= \cos\left(x\right)" in rows
    assert r"\text{simplify: order the factors}" in rows
    assert r"&= \boxed{x^{2} \cos\left(x\right) + 2 x \sin\left(x\right)}" in rows


def test_latex_chain_rule_reads_as_the_lesson() -> None:
    source = latex.render(_report("sin(x^2)"))
    order = [
        r"u &= x^{2} && \text{1. chain rule: inner function; outer function } \sin\left(u\right)",
        r"\frac{d}{du} \sin\left(u\right) &= \cos\left(u\right) = \cos\left(x^{2}\right)"
        r" && \text{1.1 outer rate, sin rule},\ \text{at } u = x^{2}",
        r"\text{1.2 inner rate, power rule, with } n = 2",
        r"\frac{d}{dx} \sin\left(x^{2}\right) &= \cos\left(x^{2}\right) \cdot 2 x^{1}"
        r" && \text{1. chain rule: product of the rates}",
    ]
    positions = [source.index(row) for row in order]
    assert positions == sorted(positions)


def test_latex_escapes_text() -> None:
    assert latex.escape_text("50% & $5 #1 a_b {x} ^ ~ \\ | < >") == (
        r"50\% \& \$5 \#1 a\_b \{x\} \textasciicircum{} \textasciitilde{} \textbackslash{} "
        r"\textbar{} \textless{} \textgreater{}"
    )
    assert latex.escape_text("drop · 1, x² − θ") == r"drop $\cdot$ 1, x\textsuperscript{2} - $\theta$"
    assert latex.escape_text("a\u2603b") == "a?b"


def test_latex_notes_and_explanations_mix_text_and_math() -> None:
    source = latex.render(_report("1/2x"), RenderOptions(explain=True))
    assert r"Note: '1/2x' was read as ($\frac{1}{2}$)$\cdot${}$x$" in source
    assert r"\intertext{\emph{Why:} $x$ is the variable itself" in source


def test_latex_values_and_wide_rows() -> None:
    source = latex.render(_report("sin(x^2)", at=("2", "0")))
    assert r"\left.\frac{d}{dx} \sin\left(x^{2}\right)\right|_{x = 2} &= 4 \cos\left(4\right) \approx -2.61457448345" in source
    assert r"\right|_{x = 0} &= 0" in source
    wide = latex.render(_report("sin(cos(tan(x)))"))
    # a wide row puts its right side on a line of its own, aligned at its =
    assert "\n    &= -\\cos" in wide


def test_latex_order_two_has_a_block_per_order() -> None:
    source = latex.render(_report("sin(x^2)", order=2))
    assert source.count(r"\begin{align*}") == 2
    assert r"\textbf{Order 2:}" in source
    assert r"\frac{d^{2}}{dx^{2}} \sin\left(x^{2}\right) &= \boxed{" in source


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_compiles(tmp_path: Path) -> None:
    parts = [
        latex.render(_report(text, order=order, at=("2",)), options)
        for text in README_EXAMPLES + TRICKY
        for order, options in ((1, RenderOptions(explain=True)), (2, RenderOptions(steps=False)))
    ]
    document = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
    document += "\n\n".join(parts) + "\n\\end{document}\n"
    (tmp_path / "notes.tex").write_text(document, encoding="utf-8")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "notes.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:]


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------

_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<!\\)\$")


def markdown_problems(source: str) -> list[str]:
    """What GitHub or Jupyter would show wrong."""
    problems = []
    lines = source.splitlines()
    if not re.fullmatch(r"### \$.+\$", lines[0]):
        problems.append("no heading with the derivative")
    display = False
    previous_indent = 0
    for line in lines:
        if line == "$$":
            display = not display
            continue
        if display:
            problems += latex_problems(line)
            continue
        if re.sub(r"\\\$", "", line).count("$") % 2:
            problems.append(f"unbalanced $ in {line!r}")
        for math in _INLINE_MATH.findall(line):
            if math != math.strip():
                problems.append(f"space inside $…$: {math!r}")
            problems += latex_problems(f"${math}$")
        item = re.match(r"( *)- ", line)
        if item:
            indent = len(item.group(1))
            if indent % 2 or indent > previous_indent + 2:
                problems.append(f"list item badly indented: {line!r}")
            previous_indent = indent
        elif line.strip():
            previous_indent = 0
    if display:
        problems.append("unclosed $$")
    return problems


def test_markdown_checker_catches_mistakes() -> None:
    assert markdown_problems("### $x$\n\n- $ x$")
    assert markdown_problems("### $x$\n\n- a\n      - b")
    assert markdown_problems("### $x$\n\n$$\nx")
    assert not markdown_problems("### $x$\n\n- a $x^{2}$\n  - b\n\n$$\nx\n$$")


@pytest.mark.parametrize("text", README_EXAMPLES + TRICKY)
def test_markdown_is_well_formed(text: str) -> None:
    for options in (RenderOptions(), RenderOptions(explain=True), RenderOptions(steps=False)):
        for order in (1, 2):
            source = markdown.render(_report(text, order=order, at=("2",)), options)
            assert markdown_problems(source) == [], source


def test_markdown_is_well_formed_across_the_corpus(corpus: list[DiffReport]) -> None:
    for report in corpus:
        assert markdown_problems(markdown.render(report, RenderOptions(explain=True))) == [], report.input


def test_markdown_snapshot() -> None:
    assert_snapshot("markdown_sin_x_2_.md", markdown.render(_report("sin(x^2)", at=("2",))) + "\n")


def test_markdown_structure() -> None:
    source = markdown.render(_report("x^2*sin(x)", at=("2",)))
    blocks = source.split("\n\n")
    assert blocks[0] == r"### $\frac{d}{dx} \left[x^{2} \sin\left(x\right)\right]$"
    assert blocks[1] == "**Steps**"
    assert blocks[2].startswith("- **1. product rule**\n  - formula: $")
    assert "\n  - **1.2 sin rule**: $\\frac{d}{dx} \\sin\\left(x\\right) = \\cos\\left(x\\right)$" in blocks[2]
    assert blocks[3] == "**Simplify**"
    assert blocks[5] == "**Result**"
    assert blocks[6] == (
        "$$\n\\frac{d}{dx} \\left[x^{2} \\sin\\left(x\\right)\\right] = "
        "x^{2} \\cos\\left(x\\right) + 2 x \\sin\\left(x\\right)\n$$"
    )
    assert blocks[7].startswith("- at $x = 2$: $")


def test_markdown_chain_rule_reads_as_the_lesson() -> None:
    source = markdown.render(_report("sin(x^2)"))
    order = [
        r"- inner function: $u = x^{2}$; outer function: $\sin\left(u\right)$",
        r"- **1.1** *outer rate*, **sin rule**: $\frac{d}{du} \sin\left(u\right) = \cos\left(u\right)$",
        r"- at $u = x^{2}$: $\cos\left(u\right) = \cos\left(x^{2}\right)$",
        r"- **1.2** *inner rate*, **power rule**",
        r"- product of the rates: $\frac{d}{dx} \sin\left(x^{2}\right) = ",
    ]
    positions = [source.index(line) for line in order]
    assert positions == sorted(positions)


def test_markdown_escapes_text_but_not_math() -> None:
    source = markdown.render(_report("ab_1 + x"))
    # the quoted input is text (its _ escaped); the reading is mathematics
    assert r"> **Note:** 'ab\_1' was read as the product $a b_{1}$" in source
    note = markdown.render(_report("1/2x"))
    assert r"> **Note:** '1/2x' was read as ($\frac{1}{2}$)·$x$" in note


def test_markdown_without_steps_is_the_result_alone() -> None:
    source = markdown.render(_report("sin(x^2)"), RenderOptions(steps=False))
    assert "**Steps**" not in source
    assert source.endswith("$$\n\\frac{d}{dx} \\sin\\left(x^{2}\\right) = 2 x \\cos\\left(x^{2}\\right)\n$$")


def test_a_rewrite_that_reads_the_same_is_not_shown(cli) -> None:
    # (x·ln 10)⁻¹ made x⁻¹·(ln 10)⁻¹ is written 1/(x·ln(10)) either way: shown, it
    # would seem to do nothing; JSON, which writes the two apart, keeps it
    for fmt in ("plain", "markdown", "latex"):
        assert "power of a product" not in cli("diff", "log10(x)", "--format", fmt).out, fmt
    # 1/(2x) made (1/2)·x⁻¹ reads the same too: ln(2x) shows the one step that counts
    shown = cli("diff", "ln(2x)").out
    assert shown.split("simplify:\n")[1].split("\n\n")[0] == "   multiply the numbers  1/(2x)·2 → 1/x"
    record = json.loads(cli("diff", "log10(x)", "--format", "json").out)
    assert [step["rule"] for step in record["simplification"]] == ["power-of-product"]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_rich_deep_derivations_keep_room_for_their_text(width: int) -> None:
    # x·(x + x·(x + …)) nests its steps fifteen deep: guides stop where 40 columns
    # are left for the text, and the deeper steps follow at that level, numbered
    text = screen(_report("x*(x+x*(x+x*(x+x*(x+x*(x+x*(x+x*(x+x)))))))"), width=width)
    deepest = max(line.count("│   ") + line.count("├── ") + line.count("└── ") for line in text.splitlines())
    assert deepest <= max(2, (width - 40) // 4) + 1
    assert "1.2.2.2.2.2.2.2.2.2.2.2.2.2.1 identity" in text.replace("\n", " ")
    assert all(len(line) <= width for line in text.splitlines())


def test_every_rewrite_has_a_title_a_person_would_use() -> None:
    # a simplification step is shown by its title ("cancel a common factor"), so
    # each rewrite the simplifier can apply needs one, not its id with spaces
    from calcstep.render.common import REWRITE_TITLES
    from calcstep.simplify import TABLE

    names = {rewrite.name for rewrites in TABLE.values() for rewrite in rewrites}
    assert names - REWRITE_TITLES.keys() == set()


@pytest.mark.parametrize(
    ("fmt", "said"),
    [("latex", "% error in line 3, x^(: '(' is never closed"),
     ("markdown", "> **Error** in line 3, ` x^( `: '(' is never closed"),
     ("plain", "error: '(' is never closed")],
)
def test_a_failed_line_of_a_batch_document_says_which_it_was(cli, fmt: str, said: str) -> None:
    # a LaTeX or Markdown document is read apart from stderr: its error names the
    # line and the expression (plain keeps one short line per expression)
    run = cli("diff", "-", "--format", fmt, "--no-steps", stdin="x^2\n\nx^(\nx^3\n")
    assert run.code == 2
    assert said in run.out.splitlines()


def test_a_double_hyphen_in_a_latex_note_stays_two_hyphens(cli) -> None:
    # TeX sets -- as an en dash: the option --functions is written -{}-functions
    out = cli("diff", "y(x)", "--format", "latex").out
    assert "declare it with -{}-functions y" in out


@pytest.mark.parametrize("renderer", [plain, latex, markdown], ids=lambda module: module.__name__.split(".")[-1])
def test_a_long_derivation_is_written_a_piece_at_a_time(renderer) -> None:
    """A 3,000-term sum's derivation (hundreds of kilobytes in every format) comes
    out in pieces of a few hundred lines, so a 100,000-term one is never held
    whole; joined, the pieces are the report."""
    report = differentiate(" + ".join(f"x^{i}/{i}" for i in range(1, 3001)), limits=Limits(max_length=100_000))
    pieces = list(renderer.parts(report))
    whole = "".join(pieces)
    assert whole == renderer.render(report)
    # a few lines hold the whole sum (its heading, the sum rule's conclusion, the
    # simplification), the rest a term each: no piece comes near the whole
    assert len(whole) > 500_000
    assert max(len(piece) for piece in pieces) < len(whole) / 4


def test_a_function_declared_by_its_greek_letter_is_written_as_its_command() -> None:
    # --functions φ: pdflatex takes \phi, not the letter φ itself
    report = differentiate("φ(x^2)", functions=frozenset({"φ"}))
    source = latex.render(report, RenderOptions())
    assert r"2 x \phi'\left(x^{2}\right)" in source
    assert "φ" not in source.split("\n", 1)[1]  # beyond the first line, a comment echoing the input
