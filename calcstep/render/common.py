"""What every renderer says about a step, in the spelling of its format.

A `Spelling` knows how its format writes an expression and a derivative; the
functions here compose the phrases (the rule's title and formula, what its
letters stand for, why it applies) that the plain, Markdown, LaTeX and terminal
renderers lay out in their own ways.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache
from typing import NamedTuple

from calcstep.expr import Add, Expr, Mul, Note, Num, Sym, substitute
from calcstep.printer import format_note, to_latex, to_pretty, to_text
from calcstep.rules import (
    EVALUATED_SHOWN_UP_TO,
    RULES,
    renamed_formula,
    renamed_letters,
    sum_letters,
)
from calcstep.steps import Step

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

# given names that are for sentences, not for the "with …" line
_HIDDEN_GIVEN = frozenset({"outer"})

# Simplification rewrites, as a person would name them.
REWRITE_TITLES = {
    "add-numbers": "add the numbers",
    "collect-like-terms": "collect like terms",
    "open-bracket": "remove the brackets",
    "drop-zero": "drop + 0",
    "pythagorean-identity": "Pythagorean identity",
    "expand": "multiply out",
    "combine-fractions": "write over a common denominator",
    "sines-and-cosines": "write in sines and cosines",
    "double-angles": "open the double angles",
    "logarithm-of-power": "logarithm of a power",
    "sigmoid-symmetry": "σ(−u) = 1 − σ(u)",
    "step-symmetry": "H(−u) = 1 − H(u)",
    "sign-and-absolute": "sign and absolute value",
    "factor-common": "take out the common factor",
    "order-terms": "order the terms",
    "zero-product": "a product with 0 is 0",
    "number-out-of-sum": "take a number out of a sum",
    "minus-out-of-sum": "take the minus sign out of a sum",
    "fraction-out-of-sum": "take a fraction out of a sum",
    "multiply-out-polynomial": "multiply out the polynomial",
    "multiply-out-numerator": "multiply out the numerator",
    "open-fraction-power": "power of a fraction",
    "clear-root-fraction": "clear the fraction under the root",
    "factor-polynomial": "take the common factor out of the polynomial",
    "multiply-numbers": "multiply the numbers",
    "opposite-factors": "take −1 out of a sum",
    "combine-powers": "combine powers of the same base",
    "cancel-factor": "cancel a common factor",
    "cancel-from-sum": "cancel a factor of every term",
    "absolute-powers": "combine powers of |u| and u",
    "drop-one": "drop the factor 1",
    "trig-quotient": "quotient or reciprocal identity",
    "reciprocal-function": "reciprocal identity",
    "factor-repeated": "factor a repeated factor",
    "negate-difference": "take the minus sign inside",
    "order-factors": "order the factors",
    "evaluate-power": "evaluate the power",
    "simplest-radicals": "simplest form of the roots",
    "power-identity": "power of 1 or 0",
    "power-of-power": "power of a power",
    "power-of-product": "power of a product",
    "absolute-even-power": "even power of |u|",
    "exp-of-log": "e and ln cancel",
    "power-of-logarithm": "a power and its logarithm cancel",
    "evaluate-function": "evaluate the function",
    "quarter-turns": "take out quarter turns",
    "symmetry": "odd or even function",
    "inverse-function": "inverse functions cancel",
    "function-of-inverse": "function of an inverse function",
    "absolute-value-of-power": "absolute value of a power",
    "absolute-value-of-multiple": "take a number out of |…|",
    "logarithm-identity": "logarithm identity",
}


class Spelling(NamedTuple):
    """How a format writes mathematics."""

    expr: Callable[[Expr], str]
    derivative: Callable[[str, int], str]  # (var spelled, order) → d/dx, d²/dx²
    arrow: str
    approx: str


def _unicode_derivative(var: str, order: int) -> str:
    if order == 1:
        return f"d/d{var}"
    power = str(order).translate(SUPERSCRIPT)
    return f"d{power}/d{var}{power}"


def _ascii_derivative(var: str, order: int) -> str:
    return f"d/d{var}" if order == 1 else f"d^{order}/d{var}^{order}"


def _latex_derivative(var: str, order: int) -> str:
    if order == 1:
        return rf"\frac{{d}}{{d{var}}}"
    return rf"\frac{{d^{{{order}}}}}{{d{var}^{{{order}}}}}"


PRETTY = Spelling(to_pretty, _unicode_derivative, "→", "≈")
ASCII = Spelling(lambda e: to_pretty(e, ascii=True), _ascii_derivative, "->", "~")
CANONICAL = Spelling(to_text, _ascii_derivative, "->", "~")
LATEX = Spelling(to_latex, _latex_derivative, r"\to", r"\approx")


def spelling_for(ascii: bool) -> Spelling:
    return ASCII if ascii else PRETTY


def signed(number: str, spell: Spelling) -> str:
    """A number's text with the minus sign the expressions beside it use: − where
    they are written for people, - in ASCII."""
    return number.replace("-", "−") if spell is PRETTY else number


def var_text(var: str, spell: Spelling) -> str:
    return spell.expr(Sym(var))


def d_of(expr: Expr, var: str, spell: Spelling, order: int = 1) -> str:
    """d/dx expr, with brackets when expr is a sum, a product or a negative number
    (d/dx −1 would read as d/dx minus 1)."""
    operator = spell.derivative(var_text(var, spell), order)
    text = spell.expr(expr)
    if isinstance(expr, (Add, Mul)) or (isinstance(expr, Num) and expr.value < 0):
        text = f"[{text}]" if spell is not LATEX else rf"\left[{text}\right]"
    return f"{operator} {text}"


def title(step: Step) -> str:
    """The step's rule or rewrite, as a person says it."""
    return rule_title(step.rule)


def rule_title(rule_id: str) -> str:
    """A rule's name, or a rewrite's, as a person says it."""
    rule = RULES.get(rule_id)
    if rule is not None:
        return rule.title
    return REWRITE_TITLES.get(rule_id, rule_id.replace("-", " "))


def formula(step: Step, spell: Spelling) -> str:
    """The rule's general formula, in the letters and the variable the step uses:
    d/dx f(g(x)) = f′(g(x))·g′(x)."""
    return rule_formula(step.rule, spell, step_letters(step), step.var or "x")


@cache
def rule_formula(
    rule_id: str, spell: Spelling, renames: tuple[tuple[str, str], ...] = (), var: str = "x"
) -> str:
    """A rule's general formula in a format's spelling, its letters renamed by
    `renames`, in the variable `var` where it can be (written once per format,
    letters and variable: it never changes)."""
    lhs, rhs, written_in = renamed_formula(rule_id, renames, var)
    return f"{d_of(lhs, written_in, spell)} = {spell.expr(rhs)}"


def shown_result(step: Step) -> Expr:
    """The result a derivation shows for a step: a long chain's product written with
    its inner names (cos(u₂)·cos(u₁)·cos(x)), so that a deep chain's derivation
    grows with its depth, not with the square of it; otherwise the result itself."""
    if step.named is not None and step.result.size > EVALUATED_SHOWN_UP_TO:
        return step.named
    return step.result


def shown_rewrites(rewrites: Sequence[Step], spell: Spelling) -> list[Step]:
    """The simplification's rewrites that change what this format shows: a rewrite
    whose two sides read the same here ((x·ln 10)⁻¹ made x⁻¹·(ln 10)⁻¹, both
    written 1/(x·ln(10))) would seem to do nothing.  JSON lists every rewrite."""
    return [step for step in rewrites if spell.expr(step.target) != spell.expr(step.result)]


def shown_evaluated(step: Step) -> Expr | None:
    """A chain stage's rate at its inner value, when it is small enough to show."""
    evaluated = step.evaluated
    if evaluated is None or evaluated.size > EVALUATED_SHOWN_UP_TO or evaluated is step.result:
        return None  # no rate there, too long a one, or a rate without u (2 for 2u): itself
    return evaluated


def conclusion_label(step: Step) -> str:
    """The word before a structural step's result: a chain's product of rates, or "so"."""
    return "product of the rates" if step.rule in ("chain", "chain-n") else "so"


def instance(step: Step, spell: Spelling) -> str:
    """This application: d/dx sin(x²) = cos(x²)·2x."""
    return f"{d_of(step.target, step.var, spell)} = {spell.expr(shown_result(step))}"


def shown_given(step: Step) -> list[tuple[str, Expr]]:
    """The rule's letters worth naming here, with what they stand for."""
    hidden = _HIDDEN_GIVEN | ({"n"} if step.rule.endswith("-n") else set())
    return [(name, value) for name, value in step.given if name not in hidden]


def given(step: Step, spell: Spelling) -> str:
    """What the rule's letters stand for here: "u = x²" or "g = x², h = sin(x)"."""
    return ", ".join(f"{spell.expr(Sym(name))} = {spell.expr(value)}" for name, value in shown_given(step))


def step_letters(step: Step) -> tuple[tuple[str, str], ...]:
    """(the rule's letter, the step's letter) for each letter a step renames
    (`rules.renamed_letters`, and the sum rule's `rules.sum_letters`, told from the
    sum's canonical text whether it applies a g or an h)."""
    if step.rule != "sum":
        return renamed_letters(step)
    text = to_text(step.target)
    # (str's own search first: a regex over every sum's text costs as much as a walk)
    applies = ("g(" in text or "h(" in text or "'(" in text) and _APPLIES_G_OR_H.search(text) is not None
    return sum_letters(step, applies)


# g or h applied, in canonical text: g(x), h'(x) (a name times a bracket is g*(x))
_APPLIES_G_OR_H = re.compile(r"(?<![A-Za-z0-9_])[gh]'*\(")


def bindings(step: Step, spell: Spelling) -> tuple[str, str] | None:
    """What the rule's letters are here, with the words that lead it: the chain
    rule names its inner function u (and its outer function) first, as the lesson
    does ("inner function: ", "u = x²; outer function: sin(u)"); other rules say
    "with "; None when no letter needs naming."""
    bound = given(step, spell)
    if not bound:
        return None
    if step.rule == "chain":
        outer = dict(step.given).get("outer")
        return "inner function: ", bound + (f"; outer function: {spell.expr(outer)}" if outer is not None else "")
    if step.rule == "chain-n":
        return "inner functions: ", bound
    return "with ", bound


def structural(step: Step) -> bool:
    """True for rules whose general formula is worth showing beside the instance
    (a function rule's formula is the instance itself)."""
    rule = RULES.get(step.rule)
    if rule is None or step.rule in ("constant", "variable", "abstract"):
        return False
    # change of base rewrites log_b u as ln u / ln b: its formula and its u and b
    # say what the quotient rule below it differentiates
    return rule.family in ("combinations", "powers", "exponentials", "basics") or step.rule == "change-of-base"


def explanation(step: Step, spell: Spelling) -> str:
    """Why this rule applies to this step, in a sentence for a learner (the
    template is the rule's lesson's `explain`; its fields are the step's given
    names, with sums in brackets so that "(x − 1) times …" reads right).

    The template's mathematics is written between backticks, `cos({var})`: it is
    made into one expression with the step's parts in place and written in the
    format's notation, so Markdown and LaTeX get one formula, not a function's
    name in prose around a formula (cos($x$))."""
    rule = RULES.get(step.rule)
    if rule is None:
        return ""
    # the template names the parts by the rule's own letters (g, h), whichever
    # letters this step uses
    own = dict((used, letter) for letter, used in step_letters(step))
    parts = {own.get(name, name): value for name, value in step.given}
    if step.rule == "chain":
        # the template says {u}; the inner function may be named v when u is taken
        parts["u"] = next(value for name, value in step.given if name != "outer")
    if step.var:
        parts["var"] = Sym(step.var)
    fields = {name: _in_prose(value, spell) for name, value in parts.items()}
    fields["target"] = spell.expr(step.target)
    fields.setdefault("var", "")
    pieces = rule.explain.split(MATH_MARK)
    return "".join(
        spell.expr(template_formula(piece, parts)) if index % 2 else piece.format(**fields)
        for index, piece in enumerate(pieces)
    )


# What a rule's explanation template writes its formulas between.
MATH_MARK = "`"


def template_formula(template: str, parts: Mapping[str, Expr]) -> Expr:
    """The formula a template writes (`1/cos({var})^2`) with the step's `parts`
    in place of its fields."""
    shape, names = _formula_shape(template)
    return substitute(shape, {Sym(_stand_in(index)): parts[name] for index, name in enumerate(names)})


@cache
def _formula_shape(template: str) -> tuple[Expr, tuple[str, ...]]:
    """A template's formula read once, each field a stand-in name (p_0, p_1 …),
    and the fields in the order of their stand-ins."""
    from calcstep.parse import parse  # only explanations read templates

    names = tuple(dict.fromkeys(_FIELD.findall(template)))
    text = template.format(**{name: f"({_stand_in(index)})" for index, name in enumerate(names)})
    return parse(text).expr, names


def _stand_in(index: int) -> str:
    return f"p_{index}"


_FIELD = re.compile(r"\{(\w+)\}")


def _in_prose(value: Expr, spell: Spelling) -> str:
    text = spell.expr(value)
    return f"({text})" if isinstance(value, Add) else text


def note_text(note: Note, spell: Spelling) -> str:
    """A note in the format's spelling (an ASCII spelling gets ASCII throughout; the
    canonical one, for scripts, writes a product sign in the note's own words as *,
    as its expressions do: '1/2x' was read as (1/2)*x)."""
    text = format_note(note, spell.expr)
    if spell is ASCII:
        from calcstep.lessons import to_ascii  # the lessons are long: read only for --ascii

        return to_ascii(text)
    if spell is CANONICAL:
        return text.replace("·", "*")
    return text


def at_inner(stage: Step, chain: Step | None, spell: Spelling) -> str:
    """Where a chain stage's rate is taken: "at u = x²" for a single inner function,
    "at u₂" in a longer chain (the names are listed on the chain step)."""
    return f"at {inner_point(stage, chain, spell)}"


def inner_point(stage: Step, chain: Step | None, spell: Spelling) -> str:
    """The inner value a chain stage's rate is taken at: "u = x²", or "u₂"."""
    name = spell.expr(Sym(stage.var))
    if chain is not None and chain.rule == "chain":
        value = dict(chain.given).get(stage.var)
        if value is not None:
            return f"{name} = {spell.expr(value)}"
    return name


def substep_number(number: str, index: int) -> str:
    """The number of a step's `index`-th substep: 1.2 → 1.2.1, 1. → 1.1."""
    return f"{number.rstrip('.')}.{index + 1}"


# Lines joined into one piece of output: a write per line would cost more than
# making the line, and a block this size is a few tens of kilobytes.
_LINES_AT_ONCE = 512


def joined_in_blocks(lines: Iterable[str], size: int = _LINES_AT_ONCE) -> Iterator[str]:
    """"\n".join(lines), in pieces of `size` lines, made as the lines are: a
    derivation of a 100,000-term sum (40 MB of text) is never held whole."""
    block: list[str] = []
    separator = ""
    for line in lines:
        block.append(line)
        if len(block) == size:
            yield separator + "\n".join(block)
            separator, block = "\n", []
    if block:
        yield separator + "\n".join(block)


class Visit(NamedTuple):
    """A step met in a walk of its tree: its number (1.2.1), its parent and its
    place there, the indent its lines start at, and whether this is the visit
    after its substeps (`closing`: made only for a step with substeps)."""

    step: Step
    number: str
    parent: Step | None
    index: int
    indent: str
    closing: bool = False


def visits(root: Step, deeper: Callable[[str, str], str], number: str = "1.") -> Iterator[Visit]:
    """The steps of a tree in the order renderers write them: each step, then its
    substeps, then (when it has substeps) the step again to write what combines
    them.  `deeper(indent, number)` is the indent of a step's substeps.

    A generator with a stack of its own rather than a recursion that returns
    lists: a renderer writes each line as it is made, so a derivation of a
    100,000-term sum (40 MB of text) is never held whole, and its lines are not
    copied once per level of nesting."""
    opened = Visit(root, number, None, 0, "")
    yield opened
    # each entry: a step whose substeps are being visited, the next one's index,
    # and the indent they share
    pending: list[tuple[Visit, int, str]] = (
        [(opened, 0, deeper(opened.indent, number))] if root.substeps else []
    )
    while pending:
        visit, index, indent = pending[-1]
        substeps = visit.step.substeps
        if index == len(substeps):
            pending.pop()
            yield visit._replace(closing=True)
            continue
        pending[-1] = (visit, index + 1, indent)
        sub = substeps[index]
        child = Visit(sub, substep_number(visit.number, index), visit.step, index, indent)
        yield child
        if sub.substeps:
            pending.append((child, 0, deeper(indent, child.number)))


def role(step: Step, parent: Step | None, index: int) -> str:
    """The part a substep plays in its parent: outer or inner rate, a stage, a factor
    ("" for a step without a parent)."""
    if parent is None:
        return ""
    if parent.rule == "chain":
        return "outer rate" if index == 0 else "inner rate"
    if parent.rule == "chain-n":
        return f"stage {len(parent.substeps) - index}"
    return ""


def same_number(exact: str, decimal: str) -> bool:
    """True when an exact value's text and its decimal say the same number (2 and 2,
    0.5 and 0.5), so the decimal need not be given as well."""
    if exact == decimal:
        return True
    try:  # −3 (written for people) and -3 are one number
        return float(exact.replace("−", "-")) == float(decimal.replace("−", "-"))
    except ValueError:
        return False


# A piece of a line: its text and what it is ("" for connecting words), so the
# plain layout can join the texts and the terminal one can style each kind.
Piece = tuple[str, str]


def joined(pieces: Sequence[Piece]) -> str:
    """The pieces' texts, as one line."""
    return "".join(text for text, _ in pieces)
