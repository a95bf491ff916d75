"""How calcstep reads what people type: input ⇒ canonical reading."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcstep.engine import differentiate
from calcstep.errors import ParseError
from calcstep.evaluate import evaluate
from calcstep.expr import Add, Mul, Num, Pow, Sym, rebuild, rebuilt, walk
from calcstep.parse import parse
from calcstep.printer import format_note, to_latex, to_pretty, to_text
from calcstep.simplify import simplify

from strategies import expressions

READINGS = [
    # numbers
    ("3", "3"),
    ("2.5", "2.5"),
    (".5", "0.5"),
    ("1e-3", "0.001"),
    ("2E3", "2000"),  # a whole number written short, not a decimal
    ("½x", "1/2*x"),  # a vulgar fraction is the number it shows
    ("¾", "3/4"),
    ("1e400", "1e400"),
    ("0.1", "0.1"),
    # names
    ("x", "x"),
    ("t", "t"),
    ("theta", "theta"),
    ("alpha", "alpha"),
    ("θ", "theta"),
    ("α", "alpha"),
    ("ϕ", "phi"),  # the variant forms of φ, θ and ε
    ("ϑ", "theta"),
    ("ϵ", "epsilon"),
    ("π", "pi"),
    ("w1", "w1"),
    ("x_1", "x_1"),
    ("w_2", "w_2"),
    ("θ1", "theta1"),
    ("e", "e"),
    ("pi", "pi"),
    # operators and precedence
    ("x + y", "x + y"),
    ("x - y", "x - y"),
    ("x*y", "x*y"),
    ("x/y", "x/y"),
    ("x^2", "x^2"),
    ("x**2", "x^2"),
    ("-x^2", "-x^2"),
    ("2^3^x", "2^(3^x)"),
    ("x^-1", "1/x"),
    ("e^-x", "e^(-x)"),
    ("2^-x^2", "2^(-x^2)"),
    ("a - b + c", "a - b + c"),
    ("-(x + 1)", "-(x + 1)"),
    ("x - y - 2z", "x - y - 2*z"),
    # implicit multiplication binds like *
    ("2x", "2*x"),
    ("3x^2", "3*x^2"),
    ("2(x+1)", "2*(x + 1)"),
    ("(x+1)(x-1)", "(x + 1)*(x - 1)"),
    ("x sin(x)", "x*sin(x)"),
    ("2 pi x", "2*pi*x"),
    ("2sin(x)", "2*sin(x)"),
    ("xy", "x*y"),
    ("1/2x", "1/2*x"),
    ("2x/3", "2/3*x"),
    ("x/(2y)", "1/2*x/y"),
    ("2πx", "2*pi*x"),
    # functions with and without parentheses
    ("sin(x)", "sin(x)"),
    ("sin x", "sin(x)"),
    ("sin 2x", "sin(2*x)"),
    ("ln x^2", "ln(x^2)"),
    ("sin x cos x", "sin(x)*cos(x)"),
    ("2 sin x cos x", "2*sin(x)*cos(x)"),
    ("sin^2 x", "sin(x)^2"),
    ("sin²(x)", "sin(x)^2"),
    ("sin^2(x) + cos^2(x)", "sin(x)^2 + cos(x)^2"),
    ("sin^-1(x)", "asin(x)"),
    ("sin^(-1)(x)", "asin(x)"),
    ("tan^-1 x", "atan(x)"),
    ("sinx", "sin(x)"),
    ("xsin(x)", "x*sin(x)"),
    ("|x|", "abs(x)"),
    ("abs(x)", "abs(x)"),
    ("|x - 1| + |x|", "abs(x - 1) + abs(x)"),
    ("x|x|", "x*abs(x)"),
    ("√x", "sqrt(x)"),
    ("√(x+1)", "sqrt(x + 1)"),
    ("∛x", "cbrt(x)"),
    ("∜x", "x^(1/4)"),
    ("sqrt(x)", "sqrt(x)"),
    ("cbrt(x)", "cbrt(x)"),
    ("exp(x)", "e^x"),
    ("[x + 1]^2", "(x + 1)^2"),
    # Unicode operators and powers
    ("x²", "x^2"),
    ("x³", "x^3"),
    ("x⁻¹", "1/x"),
    ("2·x", "2*x"),
    ("3×x", "3*x"),
    ("x − 1", "x - 1"),
    ("6÷x", "6/x"),
    # the function vocabulary
    ("tan(x) + sec(x) + csc(x) + cot(x)", "tan(x) + sec(x) + csc(x) + cot(x)"),
    ("asin(x) + acos(x) + atan(x)", "asin(x) + acos(x) + atan(x)"),
    ("acot(x) + asec(x) + acsc(x)", "acot(x) + asec(x) + acsc(x)"),
    ("arcsin(x) + arccos(x) + arctan(x)", "asin(x) + acos(x) + atan(x)"),
    ("sinh(x) + cosh(x) + tanh(x)", "sinh(x) + cosh(x) + tanh(x)"),
    ("sech(x) + csch(x) + coth(x)", "sech(x) + csch(x) + coth(x)"),
    ("asinh(x) + acosh(x) + atanh(x)", "asinh(x) + acosh(x) + atanh(x)"),
    ("arsinh(x) + arcosh(x) + artanh(x)", "asinh(x) + acosh(x) + atanh(x)"),
    ("acoth(x) + asech(x) + acsch(x)", "acoth(x) + asech(x) + acsch(x)"),
    ("ln(x)", "ln(x)"),
    ("log(x)", "ln(x)"),
    ("log10(x)", "log10(x)"),
    ("log2(x)", "log2(x)"),
    ("log_2(x)", "log2(x)"),
    ("log_3(x)", "log_3(x)"),
    ("log_b(x)", "log_b(x)"),
    ("sigmoid(x)", "sigmoid(x)"),
    ("softplus(x)", "softplus(x)"),
    ("relu(x)", "relu(x)"),
    # abstract functions, as in the lesson
    ("f(x)", "f(x)"),
    ("f(g(x))", "f(g(x))"),
    ("g(h(x))", "g(h(x))"),
    ("g(x)*h(x)", "g(x)*h(x)"),
    ("f'(x)", "f'(x)"),
    ("f''(g(x))", "f''(g(x))"),
    ("f", "f"),
    ("x(x + 1)", "x*(x + 1)"),
]


@pytest.mark.parametrize(("text", "canonical"), READINGS)
def test_reading(text: str, canonical: str) -> None:
    assert to_text(parse(text).expr) == canonical


# Text pasted from Word, Google Docs or a CJK input method: each character is read
# as the plain one it stands for
PASTED = [
    ("𝑥^2", "x^2"),  # mathematical italic, as Word's equations write letters
    ("𝑒^𝑥", "e^x"),
    ("𝐱 + 𝟐", "x + 2"),  # bold letters and digits
    ("sin(𝜃)", "sin(theta)"),
    ("ℎ(𝑥)", "h(x)"),  # the italic h lives outside the block of mathematical letters
    ("ｘ^２", "x^2"),  # full-width forms
    ("５ｘ＋１", "5*x + 1"),
    ("ｓｉｎ（ｘ）", "sin(x)"),
    ("ℯ^x", "e^x"),
    ("x∙y", "x*y"),
    ("1⁄2", "1/2"),
    ("x∕2", "1/2*x"),
    ("xˆ2", "x^2"),
    ("x ‐ 1", "x - 1"),
    ("sin\u2061(x)", "sin(x)"),  # function application
    ("f\u2061(x)", "f(x)"),
    ("2\u2062x", "2*x"),  # invisible times
    ("x\u2063y", "x*y"),
    ("x\u200b+1", "x + 1"),  # zero-width space
]


@pytest.mark.parametrize(("text", "canonical"), PASTED)
def test_pasted_characters_are_read_as_the_plain_ones(text: str, canonical: str) -> None:
    assert to_text(parse(text).expr) == canonical


def test_pasted_text_keeps_its_places() -> None:
    # one character for one: the caret sits under the place in the text as typed
    with pytest.raises(ParseError) as caught:
        parse("𝑥^2 + (")
    assert caught.value.text == "𝑥^2 + ("
    assert caught.value.position == 6
    assert parse("𝑒^2𝑥").notes[0].position == 0


def test_declared_functions_are_abstract() -> None:
    assert to_text(parse("u(v(x))", functions={"u", "v"}).expr) == "u(v(x))"
    assert to_text(parse("u(x)").expr) == "u*x"


def test_multi_letter_declared_function() -> None:
    assert to_text(parse("phi(x^2)", functions={"phi"}).expr) == "phi(x^2)"


NOTES = [
    ("1/2x", "'1/2x' was read as (1/2)·x"),
    # a bracketed sum keeps its brackets: not "(1/2)·x + 1", another expression
    ("1/2(x+1)", "'1/2(x+1)' was read as (1/2)·(x + 1)"),
    ("x/2(x+1)", "'x/2(x+1)' was read as (x/2)·(x + 1)"),
    # y(x) is how a function of x is written: read as a product, it says so
    ("x^2 + y(x)^2", "'y(x)' was read as the product yx; for a function y of x, declare it with --functions y"),
    ("u(t)", "'u(t)' was read as the product ut; for a function u of t, declare it with --functions u"),
    ("sin^-1(x)", "'sin^-1' was read as the inverse function arcsin(x), not 1/sin"),
    ("xy", "'xy' was read as the product xy"),
    ("log(x)", "'log' was read as the natural logarithm ln(x)"),
    ("sin 2x", "'sin 2x' was read as sin(2x)"),
    ("x^1/2", "'x^1/2' was read as (x¹)/2; for a fractional power write the exponent in parentheses"),
    ("x^2/3", "'x^2/3' was read as (x²)/3; for a fractional power write the exponent in parentheses"),
    ("3x^-1/2", "'3x^-1/2' was read as (3/x)/2; for a fractional power write the exponent in parentheses"),
    ("sh(x)", "'sh' was read as s times the abstract function h"),
    ("e^2x", "'e^2x' was read as e²·x, not e^(2x); for that, write the exponent in parentheses"),
    ("3e^-2x", "'e^-2x' was read as x/e², not e^(−2x); for that, write the exponent in parentheses"),
    ("2^3x", "'2^3x' was read as 2³·x, not 2^(3x); for that, write the exponent in parentheses"),
    ("cos^2 3x", "'cos^2 3x' was read as cos²(3x)"),
    ("√2x", "'√2x' was read as √2·x, not √(2x); for that, write the root's argument in parentheses"),
    ("√-2x", "'√-2x' was read as √(−2)·x, not √(−2x); for that, write the root's argument in parentheses"),
    # a variable base followed by itself: x^(2x), the logarithmic-differentiation drill
    ("x^2x", "'x^2x' was read as x²·x, not x^(2x); for that, write the exponent in parentheses"),
    ("x^-2x", "'x^-2x' was read as x/x², not x^(−2x); for that, write the exponent in parentheses"),
    # the exponent 1 before a slash is never written for its own sake
    ("e^1/x", "'e^1/x' was read as (e¹)/x; for a fractional power write the exponent in parentheses"),
    ("2^1/(x+1)", "'2^1/(x+1)' was read as (2¹)/(x + 1); for a fractional power write the exponent in parentheses"),
    # a function before one bare factor and a slash: sin(1/x) and sin(x/2) are drills
    ("sin 1/x", "'sin 1/x' was read as sin(1)/x, not sin(1/x); for that, write the function's argument in parentheses"),
    ("2 + sin x/2", "'sin x/2' was read as sin(x)/2, not sin(x/2); for that, write the function's argument in parentheses"),
    ("arctan 1/x", "'arctan 1/x' was read as arctan(1)/x, not arctan(1/x); for that, write the function's argument in parentheses"),
    # spaces around the slash, and the reading deep in a long sum: the places are
    # found by scanning from the slash, not by stripping the text on either side
    ("x^1 /  2", "'x^1 /  2' was read as (x¹)/2; for a fractional power write the exponent in parentheses"),
    ("x + sin x  / 2", "'sin x  / 2' was read as sin(x)/2, not sin(x/2); for that, write the function's argument in parentheses"),
    (" + ".join(f"x^{n}/{n}" for n in range(2, 300)) + " + e^2x + 1",
     "'e^2x' was read as e²·x, not e^(2x); for that, write the exponent in parentheses"),
    # a letter and digits, as text pasted without its superscripts reads: x2 for x²
    ("x2 + 3x", "'x2' was read as the variable x₂, not x²; for a power write x^2"),
    ("3x2", "'x2' was read as the variable x₂, not x²; for a power write x^2"),
    ("x3 - 2x2 + 1", "'x2' was read as the variable x₂, not x²; for a power write x^2"),
    # the only variable there is: e^x2 was surely e^(x²) or e^x·2, not e^(x₂)
    ("e^x2", "'x2' was read as the variable x₂, not x²; for a power write x^2"),  # (w2 alone: a weight)
    ("log2x", "'log2x' was read as log₂(x), the base-2 logarithm, not log(2x); for that, write log(2x)"),
    ("e^(x)^2", "'e^(x)^2' was read as e^(x²); for the power of e^(x), write (e^(x))^2"),
    ("e^(x)²", "'e^(x)²' was read as e^(x²); for the power of e^(x), write (e^(x))²"),
    ("E^x", "'E' was read as a variable, not the constant e; for that, write e"),
    ("Pi*x^2", "'Pi' was read as the product Pi; the constant π is written pi"),
    # a number after a closing bracket, as students write the chain rule's factor
    ("cos(x^2) 2x", "'cos(x^2) 2' was read as a product: cos(x^2)·2"),
    ("(x+1)2", "'(x+1)2' was read as a product: (x+1)·2"),
    ("|x| 2", "'|x| 2' was read as a product: |x|·2"),
    # scientific notation right before a factor: 2e − 4x may have been meant
    ("2e-4x", "'2e-4' was read as the number 0.0002 (scientific notation); for e, write 2*e"),
    # σ, as networks write the sigmoid: the note says how calcstep writes it
    ("σ(x)", "'σ(x)' was read as the product σx; for the logistic sigmoid, write sigmoid(x); "
             "for a function σ of x, declare it with --functions σ"),
    # the declaration named is the one that reads the letter as typed as a function
    ("sigma(x)", "'sigma(x)' was read as the product σx; for the logistic sigmoid, write sigmoid(x); "
                 "for a function sigma of x, declare it with --functions sigma"),
    ("sigma(w*x + b)", "'sigma(' was read as sigma times the bracket after it; "
                       "for the logistic sigmoid, write sigmoid(…)"),
]


def test_the_declaration_a_note_names_reads_the_letter_as_a_function() -> None:
    for typed in ("σ", "sigma"):
        read = parse(f"{typed}(x)", functions=frozenset({typed}))
        assert to_pretty(read.expr) == f"{typed}(x)" and not read.notes


def test_a_reading_is_noted_once_however_often_it_occurs() -> None:
    # σ(x)·(1 − σ(x)) has the same reading twice: one note says it
    assert len(parse("σ(x)*(1 - σ(x))").notes) == 1


@pytest.mark.parametrize(
    ("text", "pretty"),
    [("2*-x", "−2x"), ("2*(-x)", "−2x"), ("2(-x)", "−2x"), ("-2*-x", "2x"), ("x*-x", "−x·x"),
     ("3*-sin(x)", "−3·sin(x)"), ("1/2*-x", "−x/2"), ("-x*-x", "x·x"), ("(x+1)*-x", "−(x + 1)·x")],
)
def test_a_negated_factor_gives_its_sign_to_the_product(text: str, pretty: str) -> None:
    # 2*-x was read as 2·(−1)·x, echoed so, and its steps said c = 2·(−1)
    assert to_pretty(parse(text).expr) == pretty


def test_an_inverse_written_with_a_bare_argument_has_one_note() -> None:
    notes = [format_note(n, to_pretty) for n in parse("sin^-1 x^2").notes]
    assert notes == ["'sin^-1' was read as the inverse function arcsin(x²), not 1/sin"]


@pytest.mark.parametrize(("text", "note"), NOTES)
def test_surprising_readings_are_noted(text: str, note: str) -> None:
    notes = [format_note(n, to_pretty) for n in parse(text).notes]
    assert note in notes


def test_unsurprising_readings_have_no_notes() -> None:
    # a power divided by its own exponent, or one in brackets, is plainly not x^(n/m)
    for text in ("sin(x^2)", "2x + 1", "x/2", "sin(x)cos(x)", "sqrt(x)", "x^3/3", "(x^2)/2", "sin(x)^2/2",
                 "x^(-1/2)/2", "x + x^2/2 + x^3/3", "tg(x)", "ctg(x)", "arctg(x)", "x^2y", "e^(2x)",
                 "e^2 x", "√2 x", "√(2)x", "√2·x", "√x", "x(x + 1)", "a(x - 1)", "y (x)", "pi(x)",
                 "x^2/x", "x^2sin(x)", "ln x/x", "sin(x)/2", "sin x + sin(x)/2",
                 "w1*x1 + b", "x1 + x2", "2*x_1", "theta2*x", "log2(x)", "log10(x)", "log_2 x", "sigmoid(w2)", "w2*2.5",
                 "(e^x)^2", "e^(x^2)", "E*x", "2e-4", "1e3", "1.5e-3*x"):
        assert parse(text).notes == (), text


@pytest.mark.parametrize(
    ("text", "pretty"),
    [("sqrt(1-x^2)", "1/(2√(1 − x²))·(0 − 2x¹)"), ("sqrt(sin(x))", "1/(2√sin(x))·cos(x)"),
     ("(3x+1)^(1/2)", "1/(2√(3x + 1))·3"),
     # what follows the division is bracketed as a later factor: ·(3/2)√x, not ·3/2√x
     ("(x^(3/2))^(2/3)", "2/(3∛(x^(3/2)))·(3/2)√x")],
)
def test_the_chain_rules_outer_rate_over_a_number_reads_whole(text: str, pretty: str) -> None:
    # ½·(1/√u)·u′ is written 1/(2√u)·u′, the outer rate then the inner one, not
    # 1/√u·u′/2 with the 2 of the outer rate at the far end
    steps = differentiate(text).derivations[0].steps
    assert steps.rule == "chain"
    assert to_pretty(steps.result) == pretty
    # and it still reads back as the same value
    assert evaluate(parse(pretty).expr, {"x": 0.3}) == pytest.approx(evaluate(steps.result, {"x": 0.3}))


def test_a_negative_number_after_a_division_is_bracketed() -> None:
    # the simplifier's ½·(1/√u)·(−2)·x, written 1/(2√u)·(−2)x, not 1/(2√u)·−2x
    from calcstep.simplify import simplify

    steps = simplify(differentiate("sqrt(1-x^2)").derivations[0].steps.result)[1]
    assert "1/(2√(1 − x²))·(−2)x → −x/√(1 − x²)" in [f"{to_pretty(s.target)} → {to_pretty(s.result)}" for s in steps]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("tg(x)", "tan(x)"), ("ctg(x)", "cot(x)"), ("arctg(x)", "atan(x)"), ("arcctg(x)", "acot(x)")],
)
def test_the_tg_and_ctg_spellings_are_known(text: str, canonical: str) -> None:
    assert to_text(parse(text).expr) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [("log_-2(x)", "a logarithm's base after log_ is a whole number or a name"),
     ("log_(x+1)(x)", "a logarithm's base after log_ is a whole number or a name"),
     ("x_ + 1", "a subscript '_' needs digits or letters after it")],
)
def test_a_misplaced_subscript_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse(text)
    assert raised.value.message == message


def test_exact_numbers() -> None:
    from fractions import Fraction

    assert parse("0.1").expr.value == Fraction(1, 10)
    assert parse("1e309").expr.value == 10**309
    assert parse("2/4").expr.value == Fraction(1, 2)


def test_one_letter_twice_is_not_written_side_by_side() -> None:
    # xx^(x − 1) would read as a longer name; x and y side by side stay xy
    assert to_pretty(parse("x*x^(x-1)").expr) == "x·x^(x − 1)"
    assert to_pretty(parse("n*x^(n-1)").expr) == "nx^(n − 1)"
    assert to_pretty(parse("x^2*y").expr) == "x²y"
    # once a letter stands beside itself, the product's letters are all written
    # apart: w·w·w·x, not w·w·wx; a number still takes the letter after it
    assert to_pretty(parse("w*w*w*x").expr) == "w·w·w·x"
    assert to_pretty(parse("3*x*x*y").expr) == "3x·x·y"
    assert to_pretty(parse("x*y*x").expr) == "xyx"


def test_a_raised_root_is_bracketed() -> None:
    # √x^(−1) would read back as √(x^(−1)); divided once, it is written as division
    assert to_pretty(parse("sqrt(x)^(-1)").expr) == "1/√x"
    assert to_pretty(parse("sqrt(x)^(-2)").expr) == "1/(√x)²"
    assert to_pretty(parse("sqrt(x)^3").expr) == "(√x)³"
    assert to_pretty(parse("sqrt(x)^3").expr, ascii=True) == "sqrt(x)^3"
    assert parse("(√x)^(-1)").expr == parse("sqrt(x)^(-1)").expr


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("log₂(x)", "log2(x)"), ("log₁₀(x)", "log10(x)"), ("w₁*x", "w_1*x"), ("x₂y", "x_2*y"), ("θ₁", "theta_1")],
)
def test_subscript_digits_read_as_calcstep_writes_them(typed: str, canonical: str) -> None:
    # what the pretty output shows can be typed back (into check, say)
    assert to_text(parse(typed).expr) == canonical


def test_a_root_of_a_bracket_raised_says_how_it_was_read() -> None:
    # √(x)^2 is √(x²), like √x^2, but unlike sqrt(x)^2: the reading is noted
    parsed = parse("√(x)^2")
    assert to_text(parsed.expr) == "sqrt(x^2)"
    assert any("was read as" in note.text for note in parsed.notes)
    assert not parse("√(x+1)").notes


@pytest.mark.parametrize("typed", ["3.0000001", "3.14159265358979323846264338327950288", "12345.678"])
def test_a_long_decimal_is_written_without_an_exponent(typed: str) -> None:
    # 3.0000001, not 3.0000001e0
    assert to_pretty(parse(typed).expr) == typed
    assert parse(to_text(parse(typed).expr)).expr == parse(typed).expr


@pytest.mark.parametrize(
    ("text", "pretty"),
    [("x*(-1)*sin(x)", "x·(−sin(x))"), ("x^2*(-1)*sin(x)*cos(x)", "x²·(−sin(x))·cos(x)"),
     ("x*(-1)*2", "x·(−1)·2"), ("x*(-1)/y", "x·(−1)/y")],
)
def test_a_minus_one_inside_a_product_is_written_on_the_factor_after_it(text: str, pretty: str) -> None:
    # the product rule's g·h′ with h′ = −sin(x): x·(−sin(x)), as a textbook writes
    # it, not x·(−1)·sin(x); a number or a divisor after it keeps the −1 in sight
    assert to_pretty(parse(text).expr) == pretty
    if text == "x*(-1)*sin(x)":
        assert to_latex(parse(text).expr) == r"x \left(-\sin\left(x\right)\right)"


@pytest.mark.parametrize(
    ("factors", "pretty", "latex"),
    [(["x^(-1)", "(x + 1)^(-1/2)", "1/2", "3x + 2", "(x + 1)^(-1/2)"],
      "1/(x·√(x + 1))·(3x + 2)/(2√(x + 1))", r"\frac{3 x + 2}{2 x \sqrt{x + 1} \sqrt{x + 1}}"),
     (["1/2", "(2x + 1)^(-1/2)", "2"], "1/(2√(2x + 1))·2", r"\frac{2}{2 \sqrt{2 x + 1}}")],
)
def test_no_fraction_stands_inside_a_fraction_of_a_step(factors: list[str], pretty: str, latex: str) -> None:
    # the chain rule's 1/u for ln(u) times a rate with a number's denominator: the
    # divisions that open a product are one (1/(x√(x + 1)), not 1/x/√(x + 1)), a
    # number's denominator inside it joins the division after it, and LaTeX puts
    # every divisor below one bar (it wrote \frac{\frac{1}{x} \frac{1}{\sqrt{x + 1}} …}{…})
    product = Mul(tuple(parse(factor).expr for factor in factors))
    assert (to_pretty(product), to_latex(product)) == (pretty, latex)


def test_a_term_with_its_own_minus_after_a_minus_sign_is_bracketed() -> None:
    # the sum rule on 1 − cos(x): 0 − (−sin(x)), as a textbook writes it, never
    # 0 − −sin(x) (and in LaTeX never 0 + -1 (−sin x))
    raw = differentiate("1 - cos(x)").derivations[0].steps.result
    assert to_pretty(raw) == "0 − (−sin(x))"
    assert to_pretty(raw, ascii=True) == "0 - (-sin(x))"
    assert to_latex(raw) == r"0 - \left(-\sin\left(x\right)\right)"


@pytest.mark.parametrize(
    ("text", "pretty"),
    [("2*(x+1)", "2(x + 1)"), ("6*(2x+1)^2", "6(2x + 1)²"), ("3*(x+1)^(3/2)", "3(x + 1)^(3/2)"),
     ("2*sin(x)^(3/2)", "2·sin(x)^(3/2)"), ("2*3^x", "2·3^x"), ("x*(x+1)^2", "x·(x + 1)²")],
)
def test_a_number_is_written_against_a_bracket_it_multiplies(text: str, pretty: str) -> None:
    # 6(2x + 1)², as a textbook prints the chain rule's n·uⁿ⁻¹ (the power binds
    # first, so nothing reads otherwise); a number stays apart from another
    # number's power and a function's, and a letter keeps its dot before a bracket
    expr = parse(text).expr
    assert to_pretty(expr) == pretty
    assert parse(pretty).expr == expr


@pytest.mark.parametrize(
    ("factors", "pretty", "latex"),
    [(["x", "1/2", "(x + 1)^(-1/2)"], "x·1/(2√(x + 1))", r"x \frac{1}{2 \sqrt{x + 1}}"),
     (["sin(x)", "3/2", "x^(-1)"], "sin(x)·3/(2x)", r"\sin\left(x\right) \frac{3}{2 x}"),
     (["x", "1/2", "(x^2 + 1)^(-1/2)", "2", "x"], "x·1/(2√(x² + 1))·2x", None),
     # the constant multiple rule's c·f′: 5·1/(2√x), and no mixed number in LaTeX
     (["5", "1/2", "x^(-1/2)"], "5·1/(2√x)", r"5 \cdot \frac{1}{2 \sqrt{x}}"),
     # a chain's rates, each 1/(2√u): the last keeps its 2 (not (1/2)/(2√x), the
     # first number's 2 carried to the end), and LaTeX puts all below one bar
     (["1/2", "x^(-1/4)", "1/2", "x^(-1/2)"], "1/(2x^(1/4))·1/(2√x)",
      r"\frac{1}{2 \cdot 2 x^{\frac{1}{4}} \sqrt{x}}"),
     (["sin(x)", "1/2", "(x + 1)^(-1/2)", "x^(-2)"], "sin(x)·1/(2√(x + 1)·x²)", None)],
)
def test_a_rate_with_a_fraction_is_written_as_its_step_wrote_it_inside_a_product(
    factors: list[str], pretty: str, latex: str | None
) -> None:
    # the product rule's g·h′ with h′ = 1/(2√(x + 1)): x·1/(2√(x + 1)), h′ as the
    # chain rule's step wrote it, not x·(1/2)/√(x + 1)
    product = Mul(tuple(parse(factor).expr for factor in factors))
    assert to_pretty(product) == pretty
    if latex is not None:
        assert to_latex(product) == latex


@pytest.mark.parametrize(
    ("text", "canonical", "pretty"),
    [("x^1.5", "x^1.5", "x^1.5"), ("x^0.5*y", "x^0.5*y", "x^0.5·y"), ("x^(-0.5)", "1/x^0.5", "1/x^0.5"),
     ("2^0.25", "2^0.25", "2^0.25"), ("x^(1/3)*x^(1/4)", "cbrt(x)*x^(1/4)", "∛x·x^(1/4)")],
)
def test_a_decimal_exponent_is_written_as_plainly_as_a_whole_one(text: str, canonical: str, pretty: str) -> None:
    # x^0.5 reads back as typed (the digits after the point belong to the number),
    # so it needs no brackets; a fraction does (x^1/4 is x¹/4)
    expr = parse(text).expr
    assert (to_text(expr), to_pretty(expr)) == (canonical, pretty)
    assert parse(canonical).expr == expr


@pytest.mark.parametrize(
    ("text", "pretty"),
    [("x/y*z", "x/y·z"), ("2/x*sin(x)", "2/x·sin(x)"), ("a/b c", "a/b·c"), ("x/(x+1)*y", "x/(x + 1)·y")],
)
def test_a_division_inside_a_product_is_written_as_typed(text: str, pretty: str) -> None:
    # not x(1/y)z: a divisor in the middle is written with its slash, and what
    # follows it with a visible ·, so it is not read as part of the divisor
    assert to_pretty(parse(text).expr) == pretty


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("x/(x^2)^2", "x/(x^2)^2"), ("x*(x^2)^(-3)", "x/(x^2)^3"), ("sin(x)/e^(2*x)", "sin(x)/e^(2*x)"),
     ("(x^2)^(-1)", "(x^2)^(-1)")],
)
def test_a_power_of_a_power_below_the_bar_is_written_as_division_and_reads_back(text: str, canonical: str) -> None:
    # the quotient rule's h² for h = x² is (x²)², written below the bar as its
    # formula shows it; (x²)⁻¹ stays a power (1/x² would read back as x⁻²)
    expr = parse(text).expr
    assert to_text(expr) == canonical
    assert parse(canonical).expr == expr


@pytest.mark.parametrize(
    ("text", "pretty", "latex"),
    [("(x^2)^(-1)", "1/x²", r"\frac{1}{x^{2}}"), ("x*(x^2)^(-1)", "x/x²", r"\frac{x}{x^{2}}"),
     ("(x^2)^(-1)*y", "1/x²·y", r"\frac{1}{x^{2}} y"), ("(x^3)^(-1)*3*x^2", "1/x³·3x²", None),
     ("(-x)^(-1/2)", "1/√(−x)", r"\frac{1}{\sqrt{-x}}"), ("(x*y)^(-1)", "1/(xy)", r"\frac{1}{x y}")],
)
def test_a_power_divided_once_is_written_for_people_as_division(text: str, pretty: str, latex: str | None) -> None:
    # ln(x³)'s outer rate at u = x³ is 1/u = (x³)⁻¹: people read it as 1/x³, and
    # what follows the division is joined with a visible · (1/x²y reads as 1/(x²y))
    expr = parse(text).expr
    assert to_pretty(expr) == pretty
    if latex is not None:
        assert to_latex(expr) == latex


@pytest.mark.parametrize(
    ("text", "pretty"),
    [("x^y*z", "x^y·z"), ("3*sqrt(x)*y/2", "3√x·y/2"), ("x^2*y", "x²y"), ("2*x^y", "2x^y"), ("y*x^z", "yx^z")],
)
def test_nothing_is_written_after_an_exponent_that_would_take_it_in(text: str, pretty: str) -> None:
    # x^yz reads as x^(yz) and √xy as √(xy): after a ^ exponent or a root, a visible ·
    assert to_pretty(parse(text).expr) == pretty


@pytest.mark.parametrize(("text", "canonical"), [("2x/2", "x"), ("2x/(2sqrt(x))", "x/sqrt(x)"),
                                                ("3*x*y/3", "x*y"), ("2/2", "1"), ("2.0x/2", "1.0*x")])
def test_a_coefficient_divided_to_1_is_not_kept(text: str, canonical: str) -> None:
    # 2x/(2√x) echoed back to a learner as 1·x/√x showed a 1 nobody typed
    assert to_text(parse(text).expr) == canonical


def test_a_numbered_abstract_function_is_written_with_its_subscript() -> None:
    # the product rule for n factors names them f₁, f₂ …: its formula says f₁(x), not
    # f_1(x); f₁(x) reads back as f_1(x), while a Greek-named function keeps its name
    # (φ(x) would read back as φ·x)
    assert to_pretty(parse("f_1(x)*f_2'(x)", functions={"f_1", "f_2"}).expr) == "f₁(x)·f₂′(x)"
    assert parse("f₁(x)", functions={"f_1"}).expr == parse("f_1(x)", functions={"f_1"}).expr
    assert to_pretty(parse("phi(x)", functions={"phi"}).expr) == "phi(x)"


def test_a_subtracted_term_keeps_its_factor_1_and_its_decimal() -> None:
    # the sum rule's 2x¹ − 3·1: hiding the ·1 would leave the step that drops it
    # ("multiply the numbers −3·1 → −3") out of nowhere
    assert to_pretty(parse("2*x - 3*1").expr) == "2x − 3·1"
    assert to_pretty(parse("x - 0.5*x^2").expr) == "x − 0.5x²"
    assert to_pretty(parse("x - 1.5").expr) == "x − 1.5"


def test_a_factor_1_is_written_with_its_dot() -> None:
    # 1eˣ would read as a number in e-notation, and 1x as a slip: the rules' raw
    # factor 1 (before "drop the factor 1") is written 1·eˣ, 1·x
    assert to_pretty(parse("1*e^x*ln(x)").expr) == "1·e^x·ln(x)"
    assert to_pretty(parse("1*x").expr) == "1·x"
    assert to_pretty(parse("2*x").expr) == "2x"


def test_a_lone_factor_above_or_below_a_fraction_bar_has_no_brackets_in_latex() -> None:
    # the bar groups it already: \frac{x^{2} + 1}{x + 1}, not \frac{\left(x^{2} + 1\right)}{…}
    assert to_latex(parse("(x^2+1)/(x+1)").expr) == r"\frac{x^{2} + 1}{x + 1}"
    assert to_latex(parse("(x+1)*y/(x-1)").expr) == r"\frac{\left(x + 1\right) y}{x - 1}"


@pytest.mark.parametrize(
    ("text", "grouped"),
    [
        # each bracketed product or sum stays one part: a layer of a network
        ("w3*(w2*(w1*x))", "Mul((Sym('w3'), Mul((Sym('w2'), Mul((Sym('w1'), Sym('x')))))))"),
        ("(a + b) + c", "Add((Add((Sym('a'), Sym('b'))), Sym('c')))"),
        ("2*(3*x)", "Mul((Num(2, False), Mul((Num(3, False), Sym('x')))))"),
        # a division by a number folds into it: one part, no product of one factor
        ("x^(1/3)", "Pow(Sym('x'), Num(Fraction(1, 3), False))"),
        # a part the reading makes, not typed in brackets, merges as usual
        ("a*(-b*c)", "Mul((Num(-1, False), Sym('a'), Sym('b'), Sym('c')))"),
        ("a - b*c + d", "Add((Sym('a'), Mul((Num(-1, False), Sym('b'), Sym('c'))), Sym('d')))"),
    ],
)
def test_the_grouped_reading_keeps_what_was_typed_in_brackets(text: str, grouped: str) -> None:
    assert repr(parse(text, grouped=True).expr) == grouped


@pytest.mark.parametrize("text", ["w3*(w2*(w1*x))", "(a + b) + (c + (d + f))", "(x*y)^2*(z*(x + y))", "a*(b*(c + (d + f)))"])
def test_the_grouped_reading_merged_is_the_usual_reading(text: str) -> None:
    # the usual reading merges what the grouped one keeps apart, and nothing else
    grouped = parse(text, grouped=True).expr
    merged = rebuilt(grouped, after=lambda _, node: rebuild(node, node.children()))  # add and mul merge
    assert merged == parse(text).expr
    assert grouped != parse(text).expr


@pytest.mark.parametrize(
    ("text", "pretty"),
    [("0.125/w", "0.125/w"), ("-0.5/x", "−0.5/x"), ("2.5/x^2", "2.5/x²"),
     # a fraction typed as one still joins the division
     ("(3/2)*x/y", "3x/(2y)"), ("(-3/2)*x/y", "−3x/(2y)")],
)
def test_a_decimal_over_a_divisor_is_written_as_typed(text: str, pretty: str) -> None:
    # 0.125/w, not 1/(8w): a decimal is never written as a fraction for people
    assert to_pretty(parse(text).expr) == pretty


def test_a_chain_keeps_the_decimal_of_a_stage_rate() -> None:
    # the inner rate 1.5x^0.5 is 1.5x^0.5 in the chain's product too, not (3/2)x^0.5,
    # so the numbers multiply to the decimal 3.0, as the decimal 1.5 was typed
    derivation = differentiate("(x^1.5)^2").derivations[0]
    assert to_pretty(derivation.steps.result) == "2(x^1.5)¹·1.5x^0.5"
    assert to_pretty(derivation.result) == "3.0x^2.0"


@pytest.mark.parametrize(
    ("text", "pretty"),
    [("l*n*x", "l·n·x"), ("m*u*x^2", "m·u·x²"), ("p*i*x^2", "p·i·x²"), ("s*i*n*x", "s·i·n·x"),
     ("2*n*u^2*x", "2n·u²·x"), ("n*x^(n - 1)", "nx^(n − 1)"), ("2*x*y", "2xy"), ("a*b*c*x", "abcx")],
)
def test_letters_that_would_spell_a_word_are_written_apart(text: str, pretty: str) -> None:
    # lnx reads ln x, mu reads μ, pix reads πx: such letters are written with dots,
    # so what is printed reads back as what was meant
    expr = parse(text).expr
    assert to_pretty(expr) == pretty
    assert parse(pretty).expr == expr


def test_no_word_read_whole_is_longer_than_the_printer_looks() -> None:
    from calcstep.printer import _LONGEST_WORD, _words_read_whole

    assert max(map(len, _words_read_whole())) == _LONGEST_WORD


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdgijklmnopqrstuvwxyz"), st.integers(1, 3)), min_size=2, max_size=9))
def test_a_product_of_letters_reads_back_as_printed(factors: list[tuple[str, int]]) -> None:
    product = Mul(tuple(Pow(Sym(letter), Num(power)) if power > 1 else Sym(letter) for letter, power in factors))
    assert parse(to_pretty(product)).expr == product


@pytest.mark.parametrize(
    ("text", "result"),
    [("0.5*x^2", "x"), ("-0.5*x^2", "−x"), ("2.5*x^2", "5.0x"), ("0.5*x^2 + x", "x + 1"), ("1.0*x", "1.0"),
     ("1.0*x^2", "2.0x"), ("x*1", "1"), ("0.5*(w*x - y)^2", "x·(wx − y)")],
)
def test_a_coefficient_of_1_that_decimals_make_is_not_written(text: str, result: str) -> None:
    # a decimal typed stays a decimal (5.0x, and 1.0 alone); but 0.5·2x is x: the
    # 1.0x SymPy writes is a factor no one wrote, in the gradient of every
    # half-squared-error loss
    assert to_pretty(differentiate(text, wrt="w" if "w" in text else None).result) == result


@settings(max_examples=200, deadline=None)
@given(expressions)
def test_the_grouped_reading_of_any_text_is_the_usual_one_with_brackets_kept(expr) -> None:
    # every sum and product it makes has two parts or more, and merged it is the
    # usual reading, whatever the text (canonical text brackets wherever needed)
    from calcstep.errors import CalcstepError

    text = to_text(expr)
    try:
        usual = parse(text).expr
    except CalcstepError:
        return  # a text the usual reading refuses (a constant with no value) is no case here
    grouped = parse(text, grouped=True).expr
    assert all(len(node.children()) >= 2 for node in walk(grouped) if type(node) in (Add, Mul))
    assert rebuilt(grouped, after=lambda _, node: rebuild(node, node.children())) == usual


def test_a_decimal_taken_into_a_fraction_out_of_a_sum_stays_a_decimal() -> None:
    # 0.5·arctan(x/2): the product's 0.5 takes arctan's 1/4 in and stays a decimal
    # (it became the whole 2, and the result the exact 1/(x² + 4), whose 1 is no
    # decimal: see test_a_coefficient_of_1_that_decimals_make_is_not_written)
    assert to_pretty(differentiate("0.5*atan(x/2)").result) == "1/(x² + 4)"
    assert to_pretty(differentiate("1.5*atan(x/2)").result) == "3.0/(x² + 4)"


@pytest.mark.parametrize(
    ("text", "result"),
    [("(x+1)/((x+1)*(x-1))", "−1/(x − 1)²"), ("x^2/(x*(x-1))", "−1/(x − 1)²"),
     ("sin(x)/(sin(x)*cos(x))", "sin(x)/cos²(x)")],
)
def test_a_power_of_a_product_opens_where_its_factor_meets_itself(text: str, result: str) -> None:
    # the quotient rule leaves −(x + 1)²/((x − 1)(x + 1))²: opened, (x + 1)² cancels
    assert to_pretty(differentiate(text).result) == result


@pytest.mark.parametrize(("text", "said"), [("sqrt(x)", True), ("1/cbrt(x)", True), ("x^2.5", False),
                                            ("x^(3/2)", False), ("x^0.5", False)])
def test_a_root_is_said_to_be_a_power_only_where_it_is_written_as_a_root(text: str, said: bool) -> None:
    # "x^2.5 is x to the power 2.5" says nothing: the note is for √x and 1/∛x
    step = differentiate(text).derivations[0].steps
    notes = [note.text for s in (step, *step.substeps) for note in s.notes]
    assert any(note.startswith("a root is a power") for note in notes) == said


@pytest.mark.parametrize(("text", "canonical"), [("√-x", "sqrt(-x)"), ("2√-x", "2*sqrt(-x)"), ("√-x^2", "sqrt(-x^2)"),
                                                 ("sin √-x", "sin(sqrt(-x))"), ("∛-8", "cbrt(-8)"), ("√+x", "sqrt(x)")])
def test_a_sign_after_a_root_is_under_it(text: str, canonical: str) -> None:
    # √−x was "'-' is not expected here", though 2·−x and e^-x are read
    assert to_text(parse(text).expr) == canonical


@pytest.mark.parametrize(("value", "pretty", "latex"), [
    (10**400, "10⁴⁰⁰", "10^{400}"), (-3 * 10**25, "−3·10²⁵", "-3 \\cdot 10^{25}"),
    (Fraction(1, 10**30), "1/10³⁰", "\\frac{1}{10^{30}}"),
    (123456789012345678901234567, "123456789012345678901234567", "123456789012345678901234567"),
    (10**20, "100000000000000000000", "100000000000000000000"),
])
def test_a_long_whole_number_of_many_zeros_is_written_for_people_as_a_power_of_ten(value, pretty, latex) -> None:
    # ln x at 10⁻⁴⁰⁰ printed a 1 and 400 zeros; canonical text keeps every digit,
    # as it must read back as the same number
    number = Num(value)
    assert (to_pretty(number), to_latex(number)) == (pretty, latex)
    assert parse(to_text(number)).expr == number


def test_a_power_of_ten_written_for_people_in_ascii_has_a_caret() -> None:
    assert to_pretty(Num(-3 * 10**25), ascii=True) == "-3*10^25"
    assert to_pretty(Num(Fraction(1, 10**400)), ascii=True) == "1/10^400"


@pytest.mark.parametrize(("text", "pretty"), [("x/(3*10^24)", "1/(3·10²⁴)"), ("x^2/(2*10^30 - 10^22)", "x/(999999995·10²¹)"),
                                              ("x/(101*10^20)", "1/(101·10²⁰)"), ("x/10^30", "1/10³⁰")])
def test_a_power_of_ten_below_a_fraction_bar_is_bracketed(text: str, pretty: str) -> None:
    # 1/3·10²⁴ reads back as 10²⁴/3: wrong by a factor of 10⁴⁸
    result = differentiate(text).result
    assert to_pretty(result) == pretty
    assert simplify(parse(pretty).expr)[0] == result  # read back, the same number


def test_a_fraction_raised_in_latex_is_bracketed() -> None:
    # \frac{7}{3}^{x} seems to raise the denominator alone
    assert to_latex(Pow(Num(Fraction(7, 3)), Sym("x"))) == r"\left(\frac{7}{3}\right)^{x}"
