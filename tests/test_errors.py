"""Bad input gets a message in words, the place marked, a hint, exit status 2."""

from __future__ import annotations

import json
import time

import pytest

from calcstep.engine import differentiate
from calcstep.errors import CalcstepError, DomainError, ParseError
from calcstep.parse import parse

# (input, words the message must contain, offset of the caret)
MALFORMED = [
    ("(x+1", "never closed", 0),
    ("((x)", "never closed", 0),
    ("x+1)", "unmatched ')'", 3),
    ("(x]", "does not match", 2),
    ("|x", "never closed", 0),
    ("x^", "missing operand after '^'", 1),
    ("2*", "missing operand after '*'", 1),
    ("x**", "missing operand after '^'", 1),
    ("*x", "has nothing before it", 0),
    ("2*/3", "missing operand between '*' and '/'", 2),
    ("x + * y", "missing operand between '+' and '*'", 4),
    ("(+)", "missing operand after '+'", 1),
    ("()", "empty parentheses", 0),
    ("", "empty expression", 0),
    ("   ", "empty expression", 0),
    ("2 3", "follows an operand", 2),
    ("x $ y", "unexpected character '$'", 2),
    ("x, y", "unexpected character ','", 1),
    ("sin", "'sin' needs an argument", 0),
    ("sin + 1", "'sin' needs an argument", 0),
    ("2^sin x", "needs an argument in parentheses", 2),
    ("sni(x)", "unknown function 'sni'", 0),
    ("Sin(x)", "unknown function 'Sin'", 0),
    ("foo(x)", "unknown function 'foo'", 0),
    ("2.5.3", "malformed number", 0),
    ("2½", "mixed number '2½'", 0),
    ("1/0", "division by zero", 2),  # the divisor marked
    ("x + 1/ 0", "division by zero", 7),
    ("x/(2-2+0)/0", "division by zero", 10),
    ("sin^2.5(x)", "whole number", 3),
    ("x⁽²⁾", "unexpected character '⁽'", 1),  # hinted: write x^(2)
    ("xⁿ", "unexpected character 'ⁿ'", 1),
    ("ln^-1(x)", "no inverse", 0),
    ("x = 2", "unexpected character '='", 2),
    ("f'", "needs its argument in parentheses", 1),
    ("x_", "subscript", 1),
    ("d/dx sin(x)", "is the derivative itself", 0),
    (" d²/dx² x^3", "is the derivative itself", 1),
    ("x***2", "missing operand between '**' and '*'", 3),  # the operators as typed
    ("sin^(1/2) x", "the power on a function name must be a whole number", 3),
    ("0x1F", "hexadecimal numbers are not read", 0),  # not 0·x₁·F
    # a line break is no space: x²⏎x³ is two lines, not the product x²·x³
    ("x^2\rx^3", "a line break (U+000D) inside the expression", 3),
    ("x^2\nx^3", "a line break (U+000A) inside the expression", 3),
    ("x\u2028y", "a line break (U+2028) inside the expression", 1),
    ("x\x0cy", "a line break (U+000C) inside the expression", 1),
    ("x\u0301^2", "unexpected character U+0301", 1),  # a combining accent is named, not shown on a quote
    # two names that print alike (w₁) would make a result ambiguous
    ("x*w1 + x^2*w_1", "'w1' and 'w_1' are two variables written alike, as w₁", 11),
    ("theta_2*theta2", "'theta2' and 'theta_2' are two variables written alike, as θ₂", 0),
]


@pytest.mark.parametrize(
    ("text", "hint"),
    [("d/dx sin(x)", "type sin(x) alone; --wrt x chooses the variable"),
     ("d^2/dt^2 (t^3)", "type (t^3) alone; --wrt t --order 2 chooses the variable and the order"),
     ("∂/∂w1 w1*x", "type w1*x alone; --wrt w1 chooses the variable"),
     # with the function's letter, as dy/dx is written in class
     ("dy/dx x^2", "type x^2 alone; --wrt x chooses the variable"),
     ("d^2y/dx^2 x^3", "type x^3 alone; --wrt x --order 2 chooses the variable and the order"),
     ("dy/dx", "type the expression alone; --wrt x chooses the variable")],
)
def test_the_derivative_operator_typed_before_the_expression_is_refused(text: str, hint: str) -> None:
    # read as letters, d/dx sin(x) is d·sin(x)/(d·x): a wrong derivative, given quietly
    caught = _refusal(text)
    assert caught.hint == hint


@pytest.mark.parametrize(("text", "words", "offset"), MALFORMED)
def test_malformed_input_is_located(text: str, words: str, offset: int) -> None:
    error = _refusal(text)
    assert words in error.message
    assert error.position == offset, error.render()
    shown = error.render()
    assert "^" in shown.splitlines()[2]


def _refusal(text: str) -> ParseError:
    """The ParseError that reading `text` raises (the test fails if it reads)."""
    with pytest.raises(ParseError) as caught:
        parse(text)
    return caught.value


def test_caret_sits_under_the_place() -> None:
    caught = _refusal("sin(x) + sni(x)")
    lines = caught.render().splitlines()
    assert lines[1] == "  sin(x) + sni(x)"
    assert lines[2] == "           ^^^"
    assert lines[3] == "hint: did you mean sin? (to multiply, write s*n*i*(…))"


def test_unknown_function_suggests_the_closest_name() -> None:
    for typo, meant in (("sqr(x)", "sqrt"), ("cso(x)", "cos"), ("tna(x)", "tan"), ("exo(x)", "exp")):
        caught = _refusal(typo)
        assert f"did you mean {meant}?" in (caught.hint or ""), typo


@pytest.mark.parametrize(("typed", "meant"), [("sine(x)", "sin"), ("cosine(x)", "cos"), ("x*Tangent(x^2)", "tan"),
                                             ("secant(x)", "sec"), ("arctangent(x)", "atan")])
def test_a_functions_name_spelled_out_is_refused_with_its_short_name(typed: str, meant: str) -> None:
    """sine(x) would read as sin(e·x), cosine(x) as cos(i·n·e·x): never meant."""
    caught = _refusal(typed)
    word = typed[typed.index("(") - len(typed.split("(")[0].split("*")[-1]):typed.index("(")]
    assert caught.message == f"unknown function '{word}'"
    assert caught.where is not None and caught.where.position == typed.index(word)
    assert caught.hint is not None and caught.hint.startswith(f"did you mean {meant}?")


@pytest.mark.parametrize(
    ("typed", "hint"),
    [("1,5x", "write a decimal point, not a comma: 1.5"), ("12,25*x", "write a decimal point, not a comma: 12.25"),
     ("log(x, 2)", "for the base-2 logarithm of x, write log_2(x)"),
     ("log(x^2+1,10)", "for the base-10 logarithm of x^2+1, write log_10(x^2+1)"),
     ("x, y", "calcstep reads one expression at a time; functions take one argument")],
)
def test_a_comma_is_hinted_at_by_what_it_was_meant_for(typed: str, hint: str) -> None:
    caught = _refusal(typed)
    assert caught.message == "unexpected character ','" and caught.hint == hint


@pytest.mark.parametrize(("typed", "marked"), [("0^x", "0^x"), ("x + (-2)^x", "(-2)^x"), ("0^(2x)", "0^(2x)"),
                                             ("x + 0^sin(x)", "0^sin(x)"), ("(-2)^(x^2)", "(-2)^(x^2)")])
def test_a_power_with_a_base_below_zero_is_refused_at_its_place(cli, typed: str, marked: str) -> None:
    run = cli("diff", typed)
    assert run.code == 2 and run.err.startswith("error: a^x needs a constant base a > 0")
    assert run.err.splitlines()[2] == "  " + " " * typed.index(marked) + "^" * len(marked)


def test_max_and_min_are_refused_with_how_to_write_them() -> None:
    """max(0, x) is a ReLU: declared as an abstract function it would be no use."""
    assert "write relu(x) for max(0, x)" in (_refusal("max(0, x)").hint or "")
    assert "(a + b - abs(a - b))/2 for min(a, b)" in (_refusal("min(x, 1)").hint or "")


def test_deep_brackets_end_quickly_with_a_message() -> None:
    text = "(" * 100_000 + "x" + ")" * 100_000
    started = time.perf_counter()
    caught = _refusal(text)
    assert time.perf_counter() - started < 1.0
    assert "nested more than" in caught.message


def test_huge_literal_is_refused_with_a_message() -> None:
    caught = _refusal("1" * 20_000)
    assert "digits" in caught.message
    with pytest.raises(ParseError):
        parse("x^1e99999999")


def test_long_line_is_windowed_around_the_caret() -> None:
    text = "x + " * 50 + "sni(x)" + " + x" * 50
    caught = _refusal(text)
    lines = caught.render().splitlines()
    assert len(lines[1]) <= 80
    caret = lines[2].index("^")
    assert lines[1][caret : caret + 3] == "sni"


def test_cli_reports_on_stderr_with_status_2(cli) -> None:
    run = cli("diff", "sin(x")
    assert run.code == 2
    assert run.out == ""
    assert "never closed" in run.err
    assert "Traceback" not in run.err
    assert run.err.splitlines()[1] == "  sin(x"
    assert run.err.splitlines()[2] == "     ^"


@pytest.mark.parametrize("text", [bad for bad, _, _ in MALFORMED if bad.strip()])
def test_cli_never_prints_a_traceback(cli, text: str) -> None:
    run = cli("diff", text)
    assert run.code == 2
    assert "Traceback" not in run.err + run.out
    assert run.err.startswith("error: ")


@pytest.mark.parametrize(
    ("text", "zero"),
    [("sqrt(sin(pi)*x)", "sin(π)·x"), ("sqrt(x - x) + x", "x − x"),
     # 0 once its double angle is opened
     ("sqrt(cos(2x) - cos(x)^2 + sin(x)^2)", "cos(2x) − cos²(x) + sin²(x)")],
)
def test_a_part_that_is_always_zero_is_named(cli, text: str, zero: str) -> None:
    run = cli("diff", text)
    assert run.code == 2
    assert run.err.splitlines()[0] == f"error: the derivative divides by zero: {zero} is 0 for every value of x"
    assert run.err.splitlines()[-1].startswith("hint: ")  # after the place, when it is known


@pytest.mark.parametrize(("text", "base"), [("(1-pi)^x", "1 − π"), ("ln(0.5)^x", "ln(0.5)"), ("(-2)^(x^2)", "−2")])
def test_a_power_of_a_base_below_zero_is_refused_however_written(cli, text: str, base: str) -> None:
    run = cli("diff", text)
    assert run.code == 2
    assert run.err.splitlines()[0] == f"error: a^x needs a constant base a > 0, and here the base {base} is negative"


def test_a_power_of_zero_says_its_base_is_zero(cli) -> None:
    assert cli("diff", "0^x").err.splitlines()[0] == "error: a^x needs a constant base a > 0, and here the base is 0"


def test_a_function_before_a_function_is_told_to_take_it_in_parentheses(cli) -> None:
    run = cli("diff", "ln ln x")
    assert run.code == 2 and "hint: write ln(ln x)" in run.err


def test_ascii_errors_are_ascii(cli) -> None:
    run = cli("diff", "sni(x) + 1", "--ascii")
    assert run.code == 2
    assert run.err.isascii(), run.err
    assert "(to multiply, write s*n*i*(...))" in run.err
    long_line = "x+" * 100 + "sni(x)" + "+x" * 100
    shown = cli("diff", long_line, "--ascii").err.splitlines()
    assert shown[1].startswith("  ...") and shown[1].endswith("...")
    assert shown[2].index("^") == shown[1].index("sni(")  # the caret stays under the place


def test_a_decimal_log_base_is_refused_at_its_place(cli) -> None:
    run = cli("diff", "log_0.5(x)")
    assert run.code == 2
    assert "a logarithm's base after _ is a whole number or a name" in run.err
    assert "log(x)/log(0.5)" in run.err


@pytest.mark.parametrize("base", ["0", "1"])
def test_a_log_base_of_0_or_1_is_refused(cli, base: str) -> None:
    run = cli("diff", f"log_{base}(x)")
    assert run.code == 2
    assert f"a logarithm to base {base} is undefined" in run.err


def test_an_unexpected_token_is_said_in_a_sentence(cli) -> None:
    assert cli("parse", "x^²").err.startswith("error: a superscript power is not expected here")


@pytest.mark.parametrize(
    ("text", "marked"),
    [("ln(0)", "ln(0)"), ("x + 2*ln(0)", "ln(0)"), ("sin(x) + asin(2)*x", "asin(2)"),
     ("x^2 + sqrt(-1)", "sqrt(-1)"), ("x/(2-2)", "(2-2)"), ("x + 1/sin(pi)", "sin(pi)"),
     # the innermost part with no value, not the constant around it
     ("sin(ln(0))*x", "ln(0)"), ("x + exp(sqrt(-1))", "sqrt(-1)"), ("abs(ln(0))+x", "ln(0)"),
     ("x + -ln(0)", "ln(0)")],
)
def test_a_part_with_no_value_is_marked_where_it_was_written(cli, text: str, marked: str) -> None:
    # ln(0) is not a syntax error, but a learner still needs to see which part
    # has no value: the caret goes under it, as under a typo
    run = cli("diff", text)
    assert run.code == 2 and "Traceback" not in run.err
    _, line, carets, hint = run.err.splitlines()
    start = text.index(marked)
    assert line == "  " + text
    assert carets == "  " + " " * start + "^" * len(marked)
    assert hint == "hint: a part with no value has no derivative"


def test_a_part_with_no_value_has_its_place_in_json_and_in_a_batch(cli) -> None:
    run = cli("diff", "--format", "json", "-", stdin="x^2\nx+ln(0)\n")
    error = json.loads(run.out.splitlines()[1])["error"]
    assert error["kind"] == "domain"
    assert error["position"] == {"offset": 2, "line": 1, "column": 3}
    plain = cli("diff", "-", stdin="x^2\nx+ln(0)\n")
    assert plain.err.splitlines()[:3] == [
        "line 2: error: ln(0) is undefined: ln needs a positive argument", "  x+ln(0)", "    ^^^^^",
    ]


def test_an_answer_with_no_value_is_marked_in_the_answer(cli) -> None:
    run = cli("check", "x^2", "2x + ln(0)")
    assert run.code == 2
    assert run.err.splitlines()[1:3] == ["  2x + ln(0)", "       ^^^^^"]


@pytest.mark.parametrize("text", ["x⁽ⁿ⁺¹⁾", "x⁻ⁿ", "x⁻"])
def test_a_superscript_other_than_a_number_is_told_to_use_a_caret(text: str) -> None:
    caught = _refusal(text)
    assert caught.hint is not None and "write other powers with ^" in caught.hint


@pytest.mark.parametrize(("text", "marked"), [("x + log_1(x)", "log_1(x)"), ("x + log_0(x^2)", "log_0(x^2)")])
def test_a_logarithm_with_no_base_is_marked(cli, text: str, marked: str) -> None:
    # log₁ x divides by ln 1 = 0: the logarithm is marked where it was written
    run = cli("diff", text)
    assert run.code == 2 and "a base must be positive and not 1" in run.err
    start = text.index(marked)
    assert run.err.splitlines()[1:3] == ["  " + text, "  " + " " * start + "^" * len(marked)]


def test_a_superscript_after_a_caret_is_told_to_be_written_plainly() -> None:
    caught = _refusal("x^ⁿ")
    assert caught.hint == "after ^ write the exponent in ordinary characters, as x^n"


@pytest.mark.parametrize(
    ("text", "message"),
    [("asin(x/x)", "the derivative divides by zero: in arcsin(x/x), its argument is 1 for every value of x, "
                   "where arcsin has no rate"),
     ("x + acos(cos(x)^2 + sin(x)^2)", "in arccos(cos²(x) + sin²(x)), its argument is 1 for every value of x"),
     # relu′(0) = heaviside(0) has no value: named as asin′(1) is (it said only
     # "heaviside(0) is undefined", a function nobody wrote; found by QA)
     ("abs(x-x)", "the derivative divides by zero: in |x − x|, its argument is 0 for every value of x"),
     ("relu(x-x)", "the derivative has no value: in relu(x − x), its argument is 0 for every value of x, "
                   "where relu has no rate"),
    ],
)
def test_a_function_held_at_the_edge_of_its_domain_is_named(cli, text: str, message: str) -> None:
    # asin(x/x) is asin(1), a constant, but the chain rule meets asin′(1) = 1/√0
    # first: the bare "division by zero" said nothing of where
    run = cli("diff", text)
    assert run.code == 2 and "Traceback" not in run.err
    lines = run.err.splitlines()
    assert message in lines[0]
    start = text.index("a") if "a" in text else 0
    call = text[start:]  # the function, marked where it was written
    assert lines[1:3] == ["  " + text, "  " + " " * start + "^" * len(call)]
    assert lines[3].startswith("hint: ")


@pytest.mark.parametrize(
    ("text", "message", "marked"),
    [("ln(x-x-1)", "ln(x − x − 1) has no value: x − x − 1 is −1 for every value of x", "ln(x-x-1)"),
     ("x + ln(sin(x)^2 + cos(x)^2 - 2)",
      "ln(sin²(x) + cos²(x) − 2) has no value: sin²(x) + cos²(x) − 2 is −1 for every value of x",
      "ln(sin(x)^2 + cos(x)^2 - 2)"),
     # −1 once its double angle is opened: the part is judged as a whole result is
     ("x*ln(sin(2x) - 2sin(x)cos(x) - 1)",
      "ln(sin(2x) − 2·sin(x)·cos(x) − 1) has no value: sin(2x) − 2·sin(x)·cos(x) − 1 is −1 for every value of x",
      "ln(sin(2x) - 2sin(x)cos(x) - 1)"),
     ("atanh(x/x)", "artanh(x/x) has no value: x/x is 1 for every value of x", "atanh(x/x)"),
     ("asin(2*x/x)", "arcsin(2x/x) has no value: 2x/x is 2 for every value of x", "asin(2*x/x)"),
     ("ln(x - x) + x", "ln(x − x) has no value: x − x is 0 for every value of x", "ln(x - x)"),
     ("sqrt(x-x-1)*x", "√(x − x − 1) has no value: x − x − 1 is −1 for every value of x", "sqrt(x-x-1)"),
     ("x/(x-x)", "1/(x − x) has no value: x − x is 0 for every value of x", "(x-x)"),
     ("x/(2x - x - x) + sin(x)", "1/(2x − x − x) has no value: 2x − x − x is 0 for every value of x",
      "(2x - x - x)")],
)
def test_a_part_held_where_it_has_no_value_is_refused(cli, text: str, message: str, marked: str) -> None:
    # ln(x − x − 1) has no value anywhere, though its derivative 1/(x − x − 1)·0
    # simplifies to 0: it is refused, as ln(−1) is, and marked where it was written
    run = cli("diff", text)
    assert run.code == 2 and "Traceback" not in run.err
    lines = run.err.splitlines()
    assert lines[0] == f"error: {message}"
    assert lines[2] == "  " + " " * text.index(marked) + "^" * len(marked)


def test_the_part_named_is_the_part_marked_and_the_first_written() -> None:
    # e^(1/(1 − 1)) has no value because 1/(1 − 1) has none: that is named, and
    # marked; of two parts with no value, the first written is the one reported
    for text, named, marked in [("x*exp(1/(1-1))", "division by zero: 1 − 1 is 0", "(1-1)"),
                                ("x + 1/(1-1) + 1/(2-2)", "division by zero: 1 − 1 is 0", "(1-1)"),
                                ("x+ln(0)+sqrt(-1)", "ln(0) is undefined", "ln(0)")]:
        with pytest.raises(CalcstepError) as caught:
            differentiate(text)
        assert caught.value.message.startswith(named), text
        where = caught.value.where
        assert where is not None and text[where.position : where.position + where.length] == marked, text


def test_an_answer_held_where_it_has_no_value_is_refused(cli) -> None:
    # 2x + ln(x − x) has no value anywhere: no answer to compare, as 2x + ln(0) is not
    run = cli("check", "x^2", "2x+ln(x-x)")
    assert run.code == 2
    assert run.err.splitlines()[:3] == [
        "error: the answer has no value anywhere: ln(x − x) has no value: x − x is 0 for every value of x",
        "  2x+ln(x-x)", "     ^^^^^^^",
    ]


@pytest.mark.parametrize("text", ["'x^2'", "‘x^2’", "“x^2”", '"x^2"', "  'x^2' "])
def test_an_expression_wrapped_in_quotes_is_told_to_drop_them(cli, text: str) -> None:
    # cmd.exe passes 'x^2' on with its quotes; read on, the first was taken for a prime
    run = cli("diff", text)
    assert run.code == 2
    lines = run.err.splitlines()
    assert lines[0] == "error: the expression is wrapped in quotes"
    assert lines[2] == "  " + " " * text.index(text.strip()[0]) + "^"
    assert lines[3] == 'hint: remove the quotes (cmd.exe keeps single quotes: there, write "x^2")'


def test_a_quote_inside_an_expression_is_told_to_go() -> None:
    caught = _refusal("x“2”")
    assert caught.position == 1
    assert caught.hint == "quotes are not part of an expression: remove them"


@pytest.mark.parametrize(("text", "number"), [("1,000", "1000"), ("2x + 12,345,678", "12345678")])
def test_a_thousands_separator_is_named(text: str, number: str) -> None:
    caught = _refusal(text)
    assert caught.hint == f"write numbers without thousands separators: {number}"


@pytest.mark.parametrize(("text", "number"), [("1,5", "1.5"), ("1,0000", "1.0000")])
def test_a_comma_that_separates_no_thousands_is_a_decimal_comma(text: str, number: str) -> None:
    caught = _refusal(text)
    assert caught.hint == f"write a decimal point, not a comma: {number}"


@pytest.mark.parametrize(
    ("text", "hint"),
    [("\\sin(x)", "LaTeX is not read: write sin(x) for \\sin(x)"),
     ("\\frac{1}{x}", "LaTeX is not read: write (a)/(b) for \\frac{a}{b}, as 1/x for \\frac{1}{x}"),
     ("2\\pi x", "LaTeX is not read: write pi for \\pi"),
     ("x \\cdot y", "LaTeX is not read: write * for \\cdot"),
     ("\\left(x\\right)", "LaTeX is not read: write ( and ) without \\left and \\right"),
     ("\\(x\\)", "LaTeX is not read: write sin(x), 1/x and e^(x^2) for \\sin(x), \\frac{1}{x} and e^{x^2}"),
     ("e^{x^2}", "use ( and ) for grouping (LaTeX is not read: e^{x^2} is e^(x^2))")],
)
def test_pasted_latex_is_told_how_to_write_it(text: str, hint: str) -> None:
    caught = _refusal(text)
    assert caught.hint == hint
    assert text[caught.position] in "\\{"


def test_the_caret_allows_for_wide_and_invisible_characters(cli) -> None:
    # a full-width letter takes two columns, an invisible operator none
    assert cli("parse", "ｘ^2 +").err.splitlines()[2] == "       ^"
    assert cli("parse", "sin\u2061(x) + (").err.splitlines()[2] == "           ^"


@pytest.mark.parametrize("separator", ["\r", "\x0b", "\x85", "\u2028"])
def test_a_batch_line_with_a_stray_line_break_is_an_error_in_its_place(cli, separator: str) -> None:
    # the lines keep their places and their count; the stray break is marked with
    # a character the terminal shows, not obeyed (a carriage return would write
    # over the line)
    run = cli("diff", "-", "--no-steps", "--format", "plain", stdin=f"x^2\nx^2{separator}x^3\nx^4\n")
    assert run.code == 2
    assert run.out.splitlines()[0] == "2x" and run.out.splitlines()[-1] == "4x³"
    assert "line 2: error: a line break" in run.err
    assert "  x^2\ufffdx^3" in run.err


def test_a_divisor_that_is_zero_is_named_as_written() -> None:
    # it said "1/(3 − 3) is undefined", a reciprocal the input never wrote
    with pytest.raises(DomainError) as caught:
        differentiate("x/(3-3) + 1")
    assert caught.value.message == "division by zero: 3 − 3 is 0"
    assert caught.value.where is not None and caught.value.where.position == 2
