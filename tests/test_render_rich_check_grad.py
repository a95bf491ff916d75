"""The terminal (Rich) renderers of `calcstep check` and `calcstep grad`.

Checked as a person sees them: exported as text from a recording console at 80
columns (the key facts present, no line wider than the terminal, ASCII only with
--ascii), and through the styles of the segments where styling carries meaning
(the verdict, the results, the warnings).  The plain renderer is the reference
for what to show: every word it prints, the terminal shows too.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from functools import cache

import pytest
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.style import Style

from calcstep.check import CheckReport, check_answer
from calcstep.grad import DepthSweep, GradReport, depth_sweep, grad_report, stacked
from calcstep.printer import to_text
from calcstep.render import RenderOptions
from calcstep.render import check as check_render
from calcstep.render import grad as grad_render

WIDTH = 80

# (expression, answer): right, three classic mistakes, and a slip calcstep does not know
CORRECT = ("x^2", "2x")
FORGOT_INNER = ("sin(x^2)", "cos(x^2)")
PRODUCT = ("x^2*sin(x)", "2x*cos(x)")
QUOTIENT = ("sin(x)/x", "(sin(x) - x*cos(x))/x^2")
SIGN = ("cos(x)", "sin(x)")
UNKNOWN = ("x^3+sin(x)", "x^2")
ABSTRACT = ("f(g(x))", "f'(g(x))")
DOMAIN = ("x", "sqrt(x)^2/x")  # right, with a note on where the answer has no value
MISREAD = ("e^(2x)", "2e^2x")  # wrong, with a note on how the answer was read
CHECKS = [CORRECT, FORGOT_INNER, PRODUCT, QUOTIENT, SIGN, UNKNOWN, ABSTRACT, DOMAIN, MISREAD]

LOSS = ("(w1*x + w2 - 1)^2", ("w1", "w2"), {"x": "0.5", "w1": "0.3", "w2": "-1.2"})


@cache
def _check(case: tuple[str, str]) -> CheckReport:
    return check_answer(*case)


@cache
def _loss() -> GradReport:
    text, wrt, at = LOSS
    return grad_report(text, list(wrt), at)


@cache
def _sigmoids(depth: int = 20) -> GradReport:
    return grad_report(to_text(stacked("sigmoid", depth)), ["x"], {"x": "0.5"})


@cache
def _exploding() -> GradReport:
    return grad_report(to_text(stacked("relu", 12, weight=3)), ["x"], {"x": "0.5"})


@cache
def _sweep() -> DepthSweep:
    return depth_sweep(20)


def screen(renderable: RenderableType, width: int = WIDTH) -> str:
    """The renderable as a terminal of `width` columns shows it, without styles."""
    console = Console(width=width, file=io.StringIO(), color_system=None, record=True)
    console.print(renderable)
    return console.export_text()


def widest(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


def style_of(renderable: RenderableType, text: str) -> Style:
    """The style of the first segment that holds `text`, as a colour terminal draws it."""
    console = Console(width=WIDTH, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    for segment in console.render(renderable):
        if text in segment.text:
            return segment.style or Style()
    raise AssertionError(f"{text!r} is not shown")


def words(text: str) -> set[str]:
    """The words of a text, a marked number (0.000608↓) also without its mark."""
    found = set(text.split())
    return found | {word.rstrip("↓↑") for word in found}


def flat(text: str) -> str:
    """The text in one line, panel borders (│ … │, | … |) taken off each line."""
    lines = (line.strip().removeprefix("│").removesuffix("│") for line in text.splitlines())
    lines = (line.strip().removeprefix("| ").removesuffix(" |") for line in lines)
    return " ".join(" ".join(lines).split())


def lines_with(text: str, *parts: str) -> list[str]:
    return [line for line in text.splitlines() if all(part in line for part in parts)]


# ---------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------


def test_check_correct_answer_is_a_green_verdict_with_the_derivative() -> None:
    renderable = check_render.render_rich(_check(CORRECT))
    shown = screen(renderable)
    assert shown.splitlines()[0] == "correct: d/dx x² = 2x (the difference simplifies to 0)"
    assert "not correct" not in shown
    verdict = style_of(renderable, "correct")
    assert verdict.bold and verdict.color is not None and verdict.color.name == "green"


def test_check_forgotten_inner_derivative_sets_the_right_step_beside_yours() -> None:
    renderable = check_render.render_rich(_check(FORGOT_INNER))
    shown = screen(renderable)
    assert shown.splitlines()[0] == "not correct: d/dx sin(x²) = 2x·cos(x²), not cos(x²)"
    assert "mistake: forgot_inner_derivative (the inner derivative forgotten)" in shown
    assert "You forgot the inner derivative" in shown
    assert "step: chain rule, d/dx sin(x²)" in shown
    # one row of the table holds both results, the right one first
    assert lines_with(shown, "right", "yours")
    (row,) = lines_with(shown, "2x·cos(x²)", "│")
    assert row.index("2x·cos(x²)") < row.rindex("cos(x²)") and row.count("cos(x²)") == 2
    assert "at x = 0.7: yours 0.8823, correct 1.235" in shown
    verdict = style_of(renderable, "not correct")
    assert verdict.bold and verdict.color is not None and verdict.color.name == "red"


def test_check_product_of_derivatives_is_named_with_its_title() -> None:
    shown = screen(check_render.render_rich(_check(PRODUCT)))
    assert "mistake: product_of_derivatives (the product rule taken as the product of derivatives)" in flat(shown)
    assert "step: product rule, d/dx [x²·sin(x)]" in shown
    assert lines_with(shown, "x²·cos(x) + 2x·sin(x)", "2x·cos(x)", "│")
    assert "at x = 0.7: yours 1.071, correct 1.277" in shown


def test_check_quotient_and_sign_mistakes() -> None:
    quotient = screen(check_render.render_rich(_check(QUOTIENT)))
    assert "quotient_numerator_reversed" in quotient
    assert lines_with(quotient, "(x·cos(x) − sin(x))/x²", "(sin(x) − x·cos(x))/x²")
    sign = check_render.render_rich(_check(SIGN))
    shown = screen(sign)
    assert "sign_error (a lost or extra minus sign)" in shown
    assert "  why: The point on the unit circle moves sideways at −sin x." in shown
    assert style_of(sign, "The point on the unit circle").italic


def test_check_unrecognised_answer_is_wrong_without_a_step() -> None:
    shown = screen(check_render.render_rich(_check(UNKNOWN)))
    assert shown.startswith("not correct: d/dx [x³ + sin(x)] = 3x² + cos(x), not x²")
    assert "mistake: not one of the classic mistakes calcstep knows" in shown
    assert "step:" not in shown and "│" not in shown  # no step to compare, so no table
    assert "at x = 0.7: yours 0.49, correct 2.235" in shown


def test_check_stand_ins_and_notes() -> None:
    assert "  taking f(t) = " in screen(check_render.render_rich(_check(ABSTRACT)))
    renderable = check_render.render_rich(_check(DOMAIN))
    assert "note: your answer has no value at x = -1.3" in screen(renderable)
    assert style_of(renderable, "note: ").dim


@pytest.mark.parametrize("case", CHECKS, ids=lambda case: case[0])
def test_check_fits_80_columns_and_says_what_plain_says(case: tuple[str, str]) -> None:
    report = _check(case)
    shown = screen(check_render.render_rich(report))
    assert widest(shown) <= WIDTH, shown
    # the same facts: the plain text's words, but for the labels the table's
    # header replaces ("right:", "yours:")
    assert words(check_render.render(report)) - {"right:", "yours:"} <= words(shown)


def test_check_narrow_terminal_wraps_within_it() -> None:
    for case in (PRODUCT, QUOTIENT, ABSTRACT):
        assert widest(screen(check_render.render_rich(_check(case)), width=48)) <= 48


def test_check_ascii_is_ascii_only() -> None:
    for case in CHECKS:
        shown = screen(check_render.render_rich(_check(case), ascii=True))
        assert shown.isascii(), shown
        assert widest(shown) <= WIDTH
    shown = screen(check_render.render_rich(_check(FORGOT_INNER), ascii=True))
    assert "not correct: d/dx sin(x^2) = 2*x*cos(x^2), not cos(x^2)" in shown
    assert lines_with(shown, "2*x*cos(x^2)", "|")  # the table, drawn in ASCII


def test_check_plain_and_json_are_unchanged_by_the_terminal_renderer() -> None:
    report = _check(FORGOT_INNER)
    assert check_render.render(report).splitlines()[:3] == [
        "not correct: d/dx sin(x²) = 2x·cos(x²), not cos(x²)",
        "mistake: forgot_inner_derivative (the inner derivative forgotten)",
        "  You forgot the inner derivative: sin(x²) is a composition, so after the outer",
    ]
    assert check_render.to_dict(report)["diagnosis"]["mistake"] == "forgot_inner_derivative"


# ---------------------------------------------------------------------------
# grad
# ---------------------------------------------------------------------------


def test_grad_loss_with_two_weights() -> None:
    renderable = grad_render.render_rich(_loss())
    shown = screen(renderable)
    assert shown.startswith("gradient of (w₁·x + w₂ − 1)²\nat x = 0.5, w₁ = 0.3, w₂ = −1.2\nvalue: 4.2025")
    (header,) = lines_with(shown, "node", "operation", "value", "local rates", "∂out/∂node")
    assert header.split() == ["node", "operation", "value", "local", "rates", "∂out/∂node"]
    assert lines_with(shown, "n₃", "n₁·n₂", "0.15", "n₁: 0.5", "−4.1")
    assert lines_with(shown, "n₂: 0.3")  # a further local rate, on a line of its own
    assert "chain of local rates for w₁" in shown and "chain of local rates for w₂" in shown
    assert len(lines_with(shown, "stage", "local rate", "running product")) == 2
    assert "one path: the product −2.05 is ∂out/∂w₁" in shown
    assert lines_with(shown, "∂out/∂w₁ = −2.05", "rule engine: −2.05, agrees")
    assert lines_with(shown, "∂out/∂w₂ = −4.1", "rule engine: −4.1, agrees")
    assert "∂/∂w₁ = 2x·(w₁·x + w₂ − 1)" in shown
    assert "warnings: none" in shown
    # each weight's gradient is a result: in the graph and beside the rule engine
    result = style_of(renderable, "−2.05")
    assert result.bold and result.color is not None and result.color.name == "green"
    assert style_of(renderable, "agrees").color.name == "green"


def test_grad_twenty_sigmoids_flag_a_vanishing_gradient() -> None:
    report = _sigmoids()
    renderable = grad_render.render_rich(report)
    shown = screen(renderable)
    (warning,) = report.warnings
    assert warning.crossed_at == 5
    # the running product is marked from the stage it leaves the range for good
    rows = [line.rstrip() for line in shown.splitlines() if line.split()[:1] and line.split()[0].isdigit()]
    assert [int(row.split()[0]) for row in rows] == list(range(21))  # the chain's stages
    assert [row.endswith("↓") for row in rows] == [stage >= 5 for stage in range(21)]
    assert "↓ the running product is below 0.001 from stage 5 on" in shown
    assert "bold: the rates that shrink it most (stages 20, 19, 18)" in shown
    # the warning, in a panel
    assert lines_with(shown, "╭─ warnings")
    assert "vanishing gradient for x: |∂out/∂x| = 1.14e-13 < 0.001" in flat(shown)
    assert "falls below 0.001 at stage 5 (n₆ = sigmoid(n₅))" in flat(shown)
    assert style_of(renderable, "vanishing gradient").bold
    assert style_of(renderable, "0.000607986↓").color is not None


def chain_rows(renderable: RenderableType) -> dict[int, list[tuple[str, Style]]]:
    """The rows of the chain tables, by stage: each cell's text and style."""
    console = Console(width=WIDTH, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    rows = {}
    for line in console.render_lines(renderable, console.options, pad=False):
        cells = [(seg.text.strip(), seg.style or Style()) for seg in line if seg.text.strip()]
        if len(cells) == 5 and cells[0][0].isdigit() and cells[1][0].startswith("n"):
            rows[int(cells[0][0])] = cells
    return rows


def test_grad_stages_that_grow_the_product_most_are_bold() -> None:
    report = _exploding()
    renderable = grad_render.render_rich(report)
    shown = screen(renderable)
    (warning,) = report.warnings
    assert warning.kind == "exploding" and warning.stages == (1, 3, 5)
    assert "exploding gradient for x" in flat(shown)
    assert "bold: the rates that grow it most (stages 1, 3, 5)" in shown
    rows = chain_rows(renderable)
    assert sorted(rows) == list(range(25))
    for stage, (number, _, _, rate, product) in rows.items():
        named = stage in warning.stages
        assert bool(number[1].bold) == named and bool(rate[1].bold) == named, stage
        beyond = stage >= warning.crossed_at
        assert product[0].endswith("↑") == beyond, stage
        assert (product[1].color is not None and product[1].color.name == "red") == beyond


def test_grad_lists_a_shared_weights_paths_and_their_sum() -> None:
    report = grad_report("w*sigmoid(w*x)", ["w"], {"w": "0.5", "x": "2"})
    renderable = grad_render.render_rich(report)
    shown = screen(renderable)
    assert lines_with(shown, "path 1", "w → n₃ → n₄ → n₅", "2 · 0.196612 · 0.5 = 0.196612")
    assert lines_with(shown, "path 2", "w → n₅", "0.731059 (the chain above)")
    assert lines_with(shown, "sum", "∂out/∂w = 0.196612 + 0.731059 = 0.927671")
    assert words(grad_render.render(report)) <= words(flat(shown))
    assert style_of(renderable, "= 0.196612 + 0.731059").bold  # the sum is a result


def test_grad_a_stationary_point_is_said_beside_no_warning() -> None:
    report = grad_report("(w*x-y)^2", ["w"], {"w": "1", "x": "1", "y": "1"})
    renderable = grad_render.render_rich(report)
    shown = flat(screen(renderable))
    assert "warnings: none stationary point for w: ∂out/∂w = 0 because the output is at a minimum along w" in shown
    assert "vanishing" not in shown.replace("(that would be a vanishing gradient)", "")
    assert "╭" not in screen(renderable)  # no warning panel
    assert style_of(renderable, "stationary point for w").color.name == "green"


def test_grad_elides_a_long_chain_like_the_plain_text() -> None:
    shown = screen(grad_render.render_rich(_sigmoids(60)))
    assert lines_with(shown, "…") and widest(shown) <= WIDTH
    assert words(grad_render.render(_sigmoids(60))) <= words(flat(shown))


@pytest.mark.parametrize(
    "report", [_loss, _sigmoids, _exploding], ids=["loss", "sigmoids", "exploding"]
)
def test_grad_fits_80_columns_and_says_what_plain_says(report) -> None:
    report = report()
    shown = screen(grad_render.render_rich(report))
    assert widest(shown) <= WIDTH, shown
    assert words(grad_render.render(report)) <= words(flat(shown))


def test_grad_steps_are_drawn_as_the_diff_tree() -> None:
    report = grad_report("tanh(w2*tanh(w1*x))", ["w1"], {"w1": "0.3", "w2": "-1.2", "x": "0.5"}, steps=True)
    shown = screen(grad_render.render_rich(report, RenderOptions(steps=True)))
    assert "∂/∂w₁ step by step" in shown
    # the layers of the network are the chain's stages, named as a forward pass
    assert "inner functions: u₁ = w₁·x, u₂ = tanh(u₁), u₃ = w₂·u₂" in shown
    assert "├── 1.1 stage 4, tanh rule: d/du₃ tanh(u₃) = sech²(u₃)" in shown
    assert "sech²(w₂·tanh(w₁·x))·w₂·sech²(w₁·x)·x" in flat(shown)  # the rates multiplied
    assert widest(shown) <= WIDTH
    assert "step by step" not in screen(grad_render.render_rich(report, RenderOptions(steps=False)))


def test_grad_ascii_is_ascii_only() -> None:
    for report in (_loss(), _sigmoids(), _exploding()):
        shown = screen(grad_render.render_rich(report, RenderOptions(ascii=True)))
        assert shown.isascii(), shown
        assert widest(shown) <= WIDTH
    shown = screen(grad_render.render_rich(_sigmoids(), RenderOptions(ascii=True)))
    assert "vanishing gradient for x: |d out/d x| = 1.14e-13 < 0.001" in flat(shown)
    assert lines_with(shown, "5", "0.000607986v")


def test_grad_sweep_marks_and_styles_the_flagged_depths() -> None:
    renderable = grad_render.render_sweep_rich(_sweep())
    shown = screen(renderable)
    assert widest(shown) <= WIDTH
    assert shown.startswith("|∂hₙ/∂x| at x = 0.5 after n stacked layers")
    (header,) = [line for line in shown.splitlines() if line.startswith("depth")]
    assert header.split() == ["depth", "sigmoid", "tanh", "relu", "x+sigmoid", "x+tanh", "x+relu"]
    assert lines_with(shown, "0.00271 ", "0.454") and not lines_with(shown, "0.00271↓")
    assert lines_with(shown, "0.000608↓", "0.393")
    assert lines_with(shown, "1.02e+03↑")
    assert "sigmoid: vanishing from depth 5" in shown and "x+relu: exploding from depth 10" in shown
    assert "↓ below 0.001 (vanishing), ↑ above 1e+03 (exploding)" in shown
    assert words(grad_render.render_sweep(_sweep())) <= words(shown)
    vanishing, exploding = style_of(renderable, "0.000608↓"), style_of(renderable, "1.02e+03↑")
    assert vanishing.color is not None and exploding.color is not None
    assert vanishing.color != exploding.color
    assert style_of(renderable, "0.454").color is None


def test_grad_sweep_ascii() -> None:
    shown = screen(grad_render.render_sweep_rich(depth_sweep(12, weight=2.0), ascii=True))
    assert shown.isascii(), shown
    assert widest(shown) <= WIDTH
    assert "v below 0.001 (vanishing), ^ above 1e+03 (exploding)" in shown
    assert "With the weight w = 2 the rates are w*f' and 1 + w*f'." in shown


# ---------------------------------------------------------------------------
# both
# ---------------------------------------------------------------------------


def test_no_escape_codes_off_a_terminal_and_nothing_printed(capsys: pytest.CaptureFixture[str]) -> None:
    renderables = [
        check_render.render_rich(_check(FORGOT_INNER)),
        grad_render.render_rich(_sigmoids()),
        grad_render.render_sweep_rich(_sweep()),
    ]
    assert capsys.readouterr() == ("", "")
    for renderable in renderables:
        out = io.StringIO()
        Console(file=out, width=WIDTH).print(renderable)
        assert "\x1b" not in out.getvalue()


def test_no_colour_keeps_bold_and_the_marks() -> None:
    out = io.StringIO()
    console = Console(width=WIDTH, file=out, force_terminal=True, color_system="standard", no_color=True)
    console.print(grad_render.render_sweep_rich(_sweep()))
    console.print(check_render.render_rich(_check(FORGOT_INNER)))
    ansi = out.getvalue()
    assert "↓" in ansi and "\x1b[1m" in ansi
    assert not re.search(r"\x1b\[[0-9;]*(3[0-7]|9[0-7])[;m]", ansi)  # no foreground colour


def test_plain_paths_do_not_import_rich() -> None:
    """Rich is imported when a terminal renderer runs, not with the modules, so
    `--format plain` and `json` start as fast as before."""
    code = (
        "import sys, calcstep.render.check, calcstep.render.grad; "
        "print(any(name == 'rich' or name.startswith('rich.') for name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?")


def _numbers(text: str) -> list[str]:
    """The numbers in a text, in order."""
    return _NUMBER.findall(text)


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_a_narrow_terminal_never_cuts_a_number(width: int) -> None:
    # cut, 0.880797 read 0.88079 and the depth 10 read 1: another number, unmarked
    sweep = depth_sweep(20, x=0.5, weight=1.0)
    shown = screen(grad_render.render_sweep_rich(sweep), width)
    assert widest(shown) <= width
    for column in sweep.columns:
        assert column.label in shown.replace("\n", "") or width < 80
    table = {word.rstrip("↓↑") for word in shown.split()}
    for plain in (line.split() for line in grad_render.render_sweep(sweep).splitlines()):
        if plain and plain[0].isdigit():  # a row: the depth, then a number for each column
            assert {cell.rstrip("↓↑") for cell in plain} <= table, (width, plain)
    report = grad_report("sigmoid(w*x+b)", None, {"x": "1", "w": "2", "b": "0"})
    shown = screen(grad_render.render_rich(report), width)
    assert widest(shown) <= width
    assert {"0.880797", "0.104994", "0.209987"} <= set(_numbers(shown)), shown


@pytest.mark.parametrize("width", [40, 60, 80])
def test_a_lesson_picture_is_never_cut(width: int) -> None:
    from calcstep.render import catalogue

    shown = screen(catalogue.render_rich("chain"), width)
    assert widest(shown) <= width
    said = flat(shown)
    for phrase in ("f stretches it again, at g, not at x", "dg = g′(x)·dx", "df = f′(g)·dg"):
        assert phrase in said, (width, shown)
    if width >= 80:  # room for the frame
        assert "╭" in shown


# ---------------------------------------------------------------------------
# grad in a narrow terminal
# ---------------------------------------------------------------------------

# (expression, --wrt, --at as pairs: a case is a key of the cache)
LESSON = ("(y - tanh(w*x + b))^2", ("w",), (("x", "0.5"), ("y", "1"), ("w", "0.3"), ("b", "0.1")))
WIDE_SUM = ("sigmoid(w1*x1*x2*x3 + w2*x2 + w3*x3 + b)", ("w1",),
            (("x1", "0.5"), ("x2", "1"), ("x3", "2"), ("w1", "0.3"), ("w2", "0.1"), ("w3", "-0.2"), ("b", "0.1")))


@cache
def _narrow_case(case: tuple) -> GradReport:
    text, wrt, at = case
    return grad_report(text, list(wrt), dict(at))


def _table_text(shown: str) -> str:
    """The node table and the chain tables of a grad screen: from the graph's
    heading to the gradient's."""
    return shown[shown.index("computation graph"):shown.index("gradient (backward pass")]



def _graph_table(shown: str) -> list[str]:
    """The lines of the node table (its parts, where it is stacked): from its
    first header to its footer, without the rules under the headers."""
    lines = shown.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("node "))
    last = next(i for i, line in enumerate(lines) if line.startswith("the output is"))
    return [line for line in lines[first:last] if line.strip() and set(line.strip()) - set("─-")]


def _allowed_tokens(report: GradReport, spell) -> set[str]:
    """Every word the node table may show whole: its headers' words, node names,
    numbers, rate labels, and each operation's words and the pieces a formula may
    break into (n₃·n₄ may show as n₃· and n₄, never as n₃·n and ₄)."""
    allowed = {"node", "operation", "value", "local", "rates", spell.d_out("node"), spell.dash}
    allowed |= set(spell.d_out("node").split())
    for node in report.graph.nodes:
        allowed |= {spell.node(node.id), f"{spell.node(node.id)}:", spell.number(node.value)}
        allowed |= {spell.number(rate) for rate in node.rates if rate is not None}
        allowed |= {spell.number(node.gradient)} if node.gradient is not None else set()
        for token in spell.expr(node.formula).split():
            allowed |= {token, *(piece for piece in grad_render._BREAKS.findall(token) if piece)}
    return allowed


@pytest.mark.parametrize("width", [40, 50, 60, 80])
@pytest.mark.parametrize("case", [LESSON, WIDE_SUM], ids=["lesson", "wide-sum"])
def test_grad_tables_give_way_gracefully_in_a_narrow_terminal(case: tuple, width: int) -> None:
    # found by a review: at 50 columns the headers split ("oper / atio / n",
    # "∂out/∂nod / e") and operations broke mid-token ("n₃·n" / "₄", "tanh" / "(n₇)")
    report = _narrow_case(case)
    for ascii in (False, True):
        shown = screen(grad_render.render_rich(report, RenderOptions(ascii=ascii)), width)
        assert widest(shown) <= width, shown
        spell = grad_render._Words(ascii)
        table = _graph_table(shown)
        shown_tokens = {token for line in table for token in line.split()}
        assert shown_tokens <= _allowed_tokens(report, spell), (width, shown_tokens - _allowed_tokens(report, spell))
        told = " ".join(table)
        for header in ("operation", "value", "local rates", spell.d_out("node")):
            assert header in told or (header == "local rates" and {"local", "rates"} <= shown_tokens), (width, header)
        for node in report.graph.nodes:  # every number of every shown row, whole
            if grad_render._shown(node):
                assert {spell.node(node.id), spell.number(node.value)} <= shown_tokens
                assert node.gradient is None or spell.number(node.gradient) in shown_tokens
        chain = shown[shown.index("chain of local rates"):shown.index("gradient (backward pass")]
        assert {"stage", "operation", "local", "running"} <= set(chain.split()), chain


@pytest.mark.parametrize("width", [40, 50, 60, 80])
def test_grad_lesson_table_at_each_width(width: int) -> None:
    from conftest import assert_snapshot

    shown = screen(grad_render.render_rich(_narrow_case(LESSON)), width)
    assert_snapshot(f"grad_rich_lesson_{width}.txt", "\n".join(line.rstrip() for line in _table_text(shown).splitlines()) + "\n")


def test_grad_plain_text_is_80_columns_whatever_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # as diff's and check's: plain text is for pipes and files, where there is no terminal width
    from conftest import run_cli

    args = ("grad", LESSON[0], "--wrt", "w", "--at", "x=0.5,y=1,w=0.3,b=0.1", "--format", "plain")
    outputs = set()
    for width in (40, 50, 60, 80):
        monkeypatch.setenv("COLUMNS", str(width))
        outputs.add(run_cli(*args).out)
    (out,) = outputs
    assert widest(out) <= 80 and out == grad_render.render(_narrow_case(LESSON)) + "\n"
