"""`calcstep grad`: the computation graph, the chain of local rates and the
gradient, as plain text (Unicode or ASCII, 80 columns) and as a JSON object.

    gradient of tanh(w₂·tanh(w₁x))
    at w₁ = 0.3, w₂ = −1.2, x = 0.5
    value: -0.176785030927

    computation graph (forward: value; backward: ∂out/∂node)
    node  operation           value         local rates         ∂out/∂node
    n₁    w₂                  -1.2                              0.144232
    …
    n₄    n₂n₃                0.15          n₂: 0.5             -1.13673
                                            n₃: 0.3
    …

Nodes are written n1, n2, … (n₁, n₂ in Unicode) and each operation is written on
its inputs' names, so the table reads top to bottom as the forward pass and
bottom to top as the backward pass.  Numbers and constants are written inside the
operations that use them rather than as rows of their own.  Nothing here
computes: every number comes from the report.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from calcstep.expr import Call, Expr, Note, Num, Sym
from calcstep.grad import (
    EXPLODING_ABOVE,
    HIGHEST_TEST_ORDER,
    VANISHING_BELOW,
    Chain,
    DepthSweep,
    GradientWarning,
    GradReport,
    GraphNode,
    Partial,
    Stationary,
)
from calcstep.printer import to_pretty, to_text
from calcstep.render import RenderOptions
from calcstep.render.common import (
    CANONICAL,
    SUPERSCRIPT,
    Piece,
    Spelling,
    joined,
    note_text,
    spelling_for,
    var_text,
)
from calcstep.render.json import derivation_to_dict
from calcstep.render.plain import derivation_lines

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from rich.box import Box
    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.table import Table

WIDTH = 80
# Column widths of the node table; with two spaces between columns it fits 80.
_OPERATION = 18
_NUMBER = 12  # "-1.23457e-05", the widest a 6-significant-digit number gets
_RATE = 19  # "n1000: -1.23457e-05"
# A chain longer than this shows its first and last stages (and every stage a
# warning names), with the rest elided.
_CHAIN_SHOWN = 40
_CHAIN_ENDS = 12
# Past this many lines a symbolic derivative is cut short (--format json has all).
_SYMBOLIC_LINES = 3
# Node expressions larger than this are left out of the JSON (a deep graph would
# repeat its whole expression once per node).
_EXPRESSION_NODES = 60
# Numbers and constants are written inside their users' operations, not as rows.
_INLINE = frozenset({"number", "constant"})


def _shown(node: GraphNode) -> bool:
    return node.operation not in _INLINE


# ---------------------------------------------------------------------------
# Words and numbers
# ---------------------------------------------------------------------------


class _Words:
    """How one spelling (Unicode or ASCII) writes the grad report's phrases."""

    def __init__(self, ascii: bool) -> None:
        self.ascii = ascii
        self.spell: Spelling = spelling_for(ascii)
        self.partial = "d" if ascii else "∂"
        self.dash = "-" if ascii else "—"
        self.down = "v" if ascii else "↓"
        self.up = "^" if ascii else "↑"
        self.ellipsis = "..." if ascii else "…"
        # numbers take the sign the expressions beside them take (w = −0.3)
        self.minus = "-" if ascii else "−"

    def number(self, value: float | None, digits: int = 6) -> str:
        """`words.number(value, digits)` with this spelling's minus sign."""
        text = number(value, digits)
        return self.minus + text[1:] if text.startswith("-") else text

    def node(self, node_id: int) -> str:
        return self.spell.expr(Sym(f"n{node_id}"))

    def d_out(self, what: str) -> str:
        """∂out/∂w₁ (d out/d w1 in ASCII)."""
        if self.ascii:
            return f"d out/d {what}"
        return f"∂out/∂{what}"

    def d2_out(self, what: str) -> str:
        """∂²out/∂w₁² (d^2 out/d w1^2 in ASCII)."""
        return self.dn_out(what, 2)

    def dn_out(self, what: str, order: int) -> str:
        """∂ⁿout/∂w₁ⁿ (d^n out/d w1^n in ASCII)."""
        if self.ascii:
            return f"d^{order} out/d {what}^{order}"
        power = str(order).translate(SUPERSCRIPT)
        return f"∂{power}out/∂{what}{power}"

    def expr(self, expr: Expr) -> str:
        return self.spell.expr(expr)

    def clip(self, text: str, width: int) -> str:
        if len(text) <= width:
            return text
        return text[: width - len(self.ellipsis)] + self.ellipsis


def number(value: float | None, digits: int = 6) -> str:
    """A float to `digits` significant digits ("undefined" for None)."""
    if value is None:
        return "undefined"
    return f"{value + 0.0:.{digits}g}"  # + 0.0: −0.0 (a gradient 0 times a negative) is 0


def _size(value: float) -> str:
    return f"{value:.3g}"


def _size_beside(value: float, threshold: float) -> str:
    """`value` to three figures, or to as many more as tell it from the threshold
    it is compared with: 1000.001 > 1e+03 is written 1000.001, not 1e+03."""
    for digits in range(3, 17):
        text = f"{value:.{digits}g}"
        if float(text) != threshold:
            return text
    return repr(value)


def _magnitude(log10_size: float | None, product: float, words: _Words) -> str:
    """A running product, written from its log size where the float has
    underflowed to 0 or overflowed."""
    if log10_size is None:
        return "0"
    if product != 0 and math.isfinite(product):
        return words.number(product)
    exponent = math.floor(log10_size)
    mantissa = 10 ** (log10_size - exponent)
    sign = words.minus if product < 0 else ""
    return f"{sign}{mantissa:.5g}e{exponent:+d}"


# ---------------------------------------------------------------------------
# Plain text
# ---------------------------------------------------------------------------


def render(report: GradReport, options: RenderOptions = RenderOptions()) -> str:
    """The whole report as text, fit for an 80-column terminal (no trailing newline)."""
    words = _Words(options.ascii)
    lines = _heading(report, words)
    lines += _wrap([f"note: {note_text(note, words.spell)}" for note in report.notes], "      ")
    lines += ["", *graph_lines(report, words)]
    for chain in report.chains:
        lines += ["", *chain_lines(report, chain, words)]
    lines += ["", *partial_lines(report, words, options)]
    lines += ["", *warning_lines(report, words)]
    return "\n".join(lines)


def _heading(report: GradReport, words: _Words) -> list[str]:
    return [*_title_lines(report, words), f"value: {words.number(report.value, 12)}"]


def _title_lines(report: GradReport, words: _Words) -> list[str]:
    """gradient of …, and at the point …"""
    where = ", ".join(_point_text(name, exact, value, words) for name, exact, value in report.point)
    # the expression as its graph reads it: with the brackets that make its layers
    lines = [words.clip(f"gradient of {words.expr(report.graph.output.expr)}", WIDTH)]
    if where:
        lines += _wrap([f"at {where}"], "   ")
    return lines


def _point_text(name: str, exact: Expr, value: float, words: _Words) -> str:
    shown = words.expr(exact)
    decimal = words.number(value, 12)
    if isinstance(exact, Num) or shown == decimal:
        return f"{var_text(name, words.spell)} = {shown}"
    return f"{var_text(name, words.spell)} = {shown} {words.spell.approx} {words.number(value)}"


def _wrap(lines: Sequence[str], indent: str) -> list[str]:
    wrapped: list[str] = []
    for line in lines:
        wrapped += textwrap.wrap(line, WIDTH, subsequent_indent=indent, break_on_hyphens=False)
    return wrapped


def graph_lines(report: GradReport, words: _Words) -> list[str]:
    """The node table: one row per node (inputs first, the output last), a
    further row for each further local rate."""
    graph = report.graph
    shown = [node for node in graph.nodes if _shown(node)]
    id_width = max([4, *(len(words.node(node.id)) for node in shown)])
    gradient_header = words.d_out("node")
    header = (
        f"{'node':<{id_width}}  {'operation':<{_OPERATION}}  {'value':<{_NUMBER}}  "
        f"{'local rates':<{_RATE}}  {gradient_header}"
    )
    lines = [
        f"computation graph (forward: each value; backward: {words.d_out('node')})",
        header,
    ]
    for node in shown:
        rates = _rate_cells(node, report, words)
        gradient = words.number(node.gradient) if node.gradient is not None else _no_gradient(node, words)
        operation = words.clip(words.expr(node.formula), _OPERATION)
        first = rates[0] if rates else ""
        lines.append(
            f"{words.node(node.id):<{id_width}}  {operation:<{_OPERATION}}  "
            f"{words.number(node.value):<{_NUMBER}}  {first:<{_RATE}}  {gradient}".rstrip()
        )
        pad = " " * (id_width + 2 + _OPERATION + 2 + _NUMBER + 2)
        lines += [f"{pad}{cell}" for cell in rates[1:]]
    lines += _wrap([_table_footer(report, words)], "  ")
    return lines


def _table_footer(report: GradReport, words: _Words) -> str:
    """Which node is the output, what a local rate is, and which numbers were
    written into the formulas instead of being shown as rows (their numbers are
    why the rows' numbers skip)."""
    graph = report.graph
    d = words.partial
    footer = f"the output is {words.node(graph.output.id)}; local rates are {d}node/{d}input"
    hidden = [node for node in graph.nodes if not _shown(node)]
    if hidden:
        named = ", ".join(f"{words.node(node.id)} = {words.expr(node.expr)}" for node in hidden[:_HIDDEN_NAMED])
        more = f" and {len(hidden) - _HIDDEN_NAMED} more" if len(hidden) > _HIDDEN_NAMED else ""
        are = "is a number" if len(hidden) == 1 else "are numbers"
        footer += f"; {named}{more} {are}, written into the formulas"
    return footer


# The numbers named in a graph table's footer, at most (a long sum has hundreds).
_HIDDEN_NAMED = 6


def _rate_cells(node: GraphNode, report: GradReport, words: _Words) -> list[str]:
    """"n₃: 0.5" for each input that varies (constants are not nudged)."""
    cells = []
    for kid, rate in zip(node.inputs, node.rates, strict=True):
        if report.graph.node(kid).varies:
            cells.append(f"{words.node(kid)}: {words.number(rate)}")
    if not cells and node.inputs:
        cells.append(words.dash)
    return cells


def _no_gradient(node: GraphNode, words: _Words) -> str:
    return "undefined" if node.varies else words.dash


def chain_lines(report: GradReport, chain: Chain, words: _Words) -> list[str]:
    """The stages from the variable to the output with each local rate and the
    running product: the nudge falling through the stacked number lines."""
    graph = report.graph
    var = var_text(chain.variable, words.spell)
    lines = [
        f"chain of local rates for {var}: a nudge in {var} multiplied stage by stage",
        f"{'stage':>5}  {'node':<6}  {'operation':<{_OPERATION}}  {'local rate':<{_NUMBER}}  "
        "running product",
    ]
    keep = _stages_kept(report, chain)
    skipped = False
    for index, stage in enumerate(chain.stages):
        if index not in keep:
            if not skipped:
                lines.append(f"{words.ellipsis:>5}")
            skipped = True
            continue
        skipped = False
        node = graph.node(stage.node)
        rate = words.dash if stage.rate is None else words.number(stage.rate)
        operation = words.clip(words.expr(node.formula), _OPERATION)
        lines.append(
            f"{index:>5}  {words.node(node.id):<6}  {operation:<{_OPERATION}}  {rate:<{_NUMBER}}  "
            f"{_magnitude(stage.log10_size, stage.product, words)}"
        )
    lines += _wrap([chain_footer(report, chain, words)], "")
    lines += [wrapped for row in path_rows(report, chain, words) for wrapped in _wrap([joined(row)], " " * _PATH_HANG)]
    return lines


def chain_footer(report: GradReport, chain: Chain, words: _Words) -> str:
    """What the chain's product is: the gradient itself (one path), or the
    largest of the paths' products, which the gradient adds up."""
    var = var_text(chain.variable, words.spell)
    gradient = next((p.numeric for p in report.partials if p.variable == chain.variable), None)
    if gradient is None:
        exists = report.gradient.get(chain.variable)
        return (
            f"the largest product among the paths from {var} whose local rates are all "
            f"defined; the backward pass cannot add up {words.d_out(var)} here, because another "
            "path meets an undefined local rate"
            + (f" (the derivative exists all the same: {words.number(exists)}, below)" if exists is not None else "")
        )
    if chain.paths == 1:
        product = _magnitude(chain.stages[-1].log10_size, chain.product, words)
        return f"one path: the product {product} is {words.d_out(var)}" + _repeated_uses(report, chain, words)
    if _listed(report, chain):
        return (
            f"this is the largest of {chain.paths} paths from {var} to the output; by the "
            f"multivariable chain rule {words.d_out(var)} adds the products of the local rates "
            "along each of them:"
        )
    return (
        f"this is the largest of {chain.paths:,} paths from {var} to the output; "
        f"{words.d_out(var)} = {words.number(gradient)} adds the products of all of them"
    )


def _listed(report: GradReport, chain: Chain) -> bool:
    """Are the chain's paths listed one by one?  When there are a few (`every`),
    and the gradient they add up to is defined."""
    gradient = next((p.numeric for p in report.partials if p.variable == chain.variable), None)
    return chain.paths > 1 and bool(chain.every) and gradient is not None and all(
        path.product is not None for path in chain.every
    )


# A listed path shows this many of its local rates (and nodes) at most: its first
# and last ones, with an ellipsis between.
_PATH_SHOWN = 6
# Continuation lines of a listed path are indented this far.
_PATH_HANG = 10


def path_rows(report: GradReport, chain: Chain, words: _Words) -> list[list[Piece]]:
    """Each path's product of local rates, and their sum, a row each (none where
    the paths are not listed):

      path 1  w → n₃ → n₄ → n₅   2 · 0.196612 · 0.5 = 0.196612
      path 2  w → n₅             0.731059 (the chain above)
      sum     ∂out/∂w = 0.196612 + 0.731059 = 0.927671
    """
    if not _listed(report, chain):
        return []
    var = var_text(chain.variable, words.spell)
    routes = [_route(path.nodes, var, words) for path in chain.every]
    width = max(map(len, routes))
    rows: list[list[Piece]] = []
    for number, (path, route) in enumerate(zip(chain.every, routes, strict=True), 1):
        product = words.number(path.product)
        rates = _rates_text(path.rates, words)
        said = rates if len(path.rates) == 1 else f"{rates} = {product}"
        if path.nodes == chain.path:
            said += " (the chain above)"
        rows.append([(f"  path {number}", "stage"), (f"  {route:<{width}}   {said}", "")])
    gradient = next(p.numeric for p in report.partials if p.variable == chain.variable)
    terms = _sum_text([words.number(path.product) for path in chain.every], words)
    rows.append([("  sum", "stage"), (f"     {words.d_out(var)} = {terms} = {words.number(gradient)}", "result")])
    return rows


def _route(nodes: tuple[int, ...], var: str, words: _Words) -> str:
    """w → n₃ → n₄ → n₅: the variable, then the nodes a nudge passes through."""
    arrow = " -> " if words.ascii else " → "
    names = [var, *(words.node(node) for node in nodes[1:])]
    return arrow.join(_elided(names, words))


def _rates_text(rates: tuple[float | None, ...], words: _Words) -> str:
    """2 · (−0.5) · 0.25: the rates as a product, a negative one in brackets."""
    times = " * " if words.ascii else " · "
    shown = [words.number(rate) for rate in rates]
    return times.join(f"({text})" if text.startswith(words.minus) else text for text in _elided(shown, words))


def _elided(items: list[str], words: _Words) -> list[str]:
    """`items`, or where there are more than _PATH_SHOWN, the first and last few
    with an ellipsis for the rest."""
    if len(items) <= _PATH_SHOWN:
        return items
    head = _PATH_SHOWN // 2
    return [*items[:head], words.ellipsis, *items[len(items) - (_PATH_SHOWN - head - 1):]]


def _sum_text(terms: list[str], words: _Words) -> str:
    """0.2 + 0.7 − 0.1: the terms of a sum, a negative one subtracted."""
    text = terms[0]
    for term in terms[1:]:
        text += f" {words.minus} {term[1:]}" if term.startswith(words.minus) else f" + {term}"
    return text


def _repeated_uses(report: GradReport, chain: Chain, words: _Words) -> str:
    """Where a stage uses the one before more than once (n₁·n₁), how its local rate
    was made: the uses' rates add, as the paths of a shared weight's gradient do."""
    for before, stage in pairwise(chain.stages):
        node = report.graph.nodes[stage.node - 1]
        rates = [rate for kid, rate in zip(node.inputs, node.rates, strict=True) if kid == before.node]
        if len(rates) > 1 and None not in rates:
            uses = " + ".join(words.number(rate) for rate in rates)
            times = {2: "twice", 3: "three times"}.get(len(rates), f"{len(rates)} times")
            return (
                f"; {words.node(stage.node)} uses {words.node(before.node)} {times}, "
                f"so its local rate is the sum of the uses' rates, {uses}"
            )
    return ""


def _stages_kept(report: GradReport, chain: Chain) -> set[int]:
    count = len(chain.stages)
    if count <= _CHAIN_SHOWN:
        return set(range(count))
    keep = set(range(_CHAIN_ENDS)) | set(range(count - _CHAIN_ENDS, count))
    for warning in report.warnings:
        if warning.variable == chain.variable:
            keep |= set(warning.stages)
            if warning.crossed_at is not None:
                keep.add(warning.crossed_at)
    return keep


NO_VARIABLES = "none: the expression has no variables, so nothing in it can be nudged"


def partial_lines(report: GradReport, words: _Words, options: RenderOptions) -> list[str]:
    """Each variable's gradient from the backward pass beside the rule engine's."""
    lines = ["gradient (backward pass, checked against the rule engine)"]
    if not report.partials:
        lines.append(f"  {NO_VARIABLES}")
    for item in report.partials:
        lines += _partial(item, words)
        if options.steps and item.derivation is not None:
            var = var_text(item.variable, words.spell)
            lines.append(f"   {words.partial}/{words.partial}{var} step by step:")
            lines += [
                "      " + line
                for line in derivation_lines(item.derivation, words.spell, options.explain)
            ]
    return lines


def _partial(item: Partial, words: _Words) -> list[str]:
    head = joined(partial_pieces(item, words))
    lines = _wrap([head], "      ") if item.numeric is None else [head]
    lines += ["      " + line for line in symbolic_lines(item, words, WIDTH - 6)]
    if item.numeric is None and item.symbolic_note:  # a note comes only with a value found
        lines += _wrap([f"      {engine_fallback(item)}"], "      ")
    return lines


def partial_pieces(item: Partial, words: _Words) -> list[Piece]:
    """  ∂out/∂w₁ = -2.05             rule engine: -2.05, agrees
    (or, where the backward pass has no value, why)."""
    head = f"  {words.d_out(var_text(item.variable, words.spell))} = "
    if item.numeric is None:
        why = note_text(item.undefined, words.spell) if item.undefined else "undefined"
        if item.symbolic_value is not None:  # x·|x| at 0: a corner's rate times 0
            return [(head, ""), (words.number(item.symbolic_value, 12), "result"),
                    (f", by the rule engine; the backward pass has no value: {why}", "note")]
        return [(head, ""), ("undefined", "undefined"), (f": {why}", "note")]
    verdict = agreement(item)
    return [
        (head, ""),
        (f"{words.number(item.numeric, 12):<16}", "result"),
        ("  rule engine: ", "key"),
        (engine_value(item, words), ""),
        *([(", ", ""), (verdict, "agrees" if item.agree else "disagrees")] if verdict else []),
    ]


def engine_fallback(item: Partial) -> str:
    """How the rule engine found its value where its formula has none at the point
    either (as `diff --at` finds it: the limit from both sides, …)."""
    return f"the rule engine's value: {item.symbolic_note}"


def symbolic_lines(item: Partial, words: _Words, width: int) -> list[str]:
    """∂/∂w₁ = … (the rule engine's partial derivative) in lines of `width`,
    broken between factors and terms, cut short after a few lines with a word on
    where the rest is."""
    var = var_text(item.variable, words.spell)
    rule = f"{words.partial}/{words.partial}{var} = {words.expr(item.symbolic)}"
    # Only the first lines are shown, and they depend only on the text's start:
    # a deep network's derivative runs to megabytes.
    lines = _filled(rule[: (_SYMBOLIC_LINES + 1) * (width + 1)], width)
    if len(lines) > _SYMBOLIC_LINES or len(rule) > (_SYMBOLIC_LINES + 1) * (width + 1):
        # the whole derivative is in --format json; here it would bury the table
        lines = lines[:_SYMBOLIC_LINES]
        more = f"{words.ellipsis} (all of it: --format json)"
        last = lines[-1]
        if len(last) > width - len(more):  # cut where a line may break, as the others are
            last = last[: width - len(more)]
            last = last[: max(last.rfind("·") + 1, last.rfind("*") + 1, last.rfind(" "), 1)]
        lines[-1] = last.rstrip() + more
    return lines


# Where a formula's line may end: after a product's dot or a space (around + and −).
_BREAKS = re.compile(r"[^ ·*]*(?:[·*]| +|$)")


def _filled(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, each line as full as the
    places it may break allow (a piece longer than a line is cut where it must)."""
    lines: list[str] = []
    line = ""
    for piece in _BREAKS.findall(text):
        if line and len(line) + len(piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
        while len(line.rstrip()) > width:
            lines.append(line[:width])
            line = line[width:]
    if line.strip():
        lines.append(line.rstrip())
    return lines


def engine_value(item: Partial, words: _Words) -> str:
    """The rule engine's partial derivative's value at the point, or why it has none."""
    if item.symbolic_value is None:
        return f"undefined ({item.symbolic_undefined})"
    how = f" ({item.symbolic_note})" if item.symbolic_note else ""
    return words.number(item.symbolic_value, 12) + how


def agreement(item: Partial) -> str:
    """"agrees", "DISAGREES …", or "" when the rule engine has no value to compare."""
    if item.symbolic_value is None:
        return ""
    return "agrees" if item.agree else "DISAGREES (a bug: please report it)"


def warning_lines(report: GradReport, words: _Words) -> list[str]:
    """The vanishing and exploding gradients, with the stages that cause them;
    then each gradient that is 0 at a stationary point, which is none."""
    lines = _warning_heading(report)
    chains = {chain.variable: chain for chain in report.chains}
    for warning in report.warnings:
        lines += _wrap([f"  {warning_text(warning, chains.get(warning.variable), report, words)}"], "    ")
    lines += _wrap([f"  {joined(stationary_pieces(item, report, words))}" for item in report.stationary], "    ")
    return lines


def _warning_heading(report: GradReport) -> list[str]:
    """"warnings", or "warnings: none" with, where every gradient is in range, the range."""
    if report.warnings:
        return ["warnings"]
    low, high = _size(VANISHING_BELOW), _size(EXPLODING_ABOVE)
    sizes = [g for g in report.gradient.values() if g is not None]
    within = all(VANISHING_BELOW <= abs(g) <= EXPLODING_ABOVE for g in sizes)
    if not sizes or not within:  # a small gradient from cancelling paths or at rest: said apart
        return ["warnings: none"]
    every = "every" if len(sizes) == len(report.gradient) else "every defined"
    return [f"warnings: none ({every} gradient's size is within [{low}, {high}])"]


def stationary_pieces(item: Stationary, report: GradReport, words: _Words) -> list[Piece]:
    """Why a gradient of 0 is no warning, as a sentence (a lead and the rest):

    stationary point for w: ∂out/∂w = 0 because the output is at a minimum along w
    (∂²out/∂w² = 2 > 0): stage 3 (n₉ = n₇²) has local rate 0 at n₇ = 0, a flat
    point of n₇².  …: nothing is wrong."""
    var = var_text(item.variable, words.spell)
    gradient = next(p.numeric for p in report.partials if p.variable == item.variable)
    is_zero = "= 0" if gradient == 0 else f"is 0 ({words.number(gradient)} is floating point's rounding of it)"
    held = _held(item.variable, report, words)
    return [
        (f"stationary point for {var}:", "fine"),
        (
            f" {words.d_out(var)} {is_zero} because the output is at {_stationary_kind(item, words, held)}: "
            f"{_zero_stage_text(item, report, words)}. The output is flat here; no product of local rates "
            "shrank (that would be a vanishing gradient), so nothing is wrong.",
            "",
        ),
    ]


def _zero_stage_text(item: Stationary, report: GradReport, words: _Words) -> str:
    """The stage whose local rate is 0, and what that 0 tells:

    stage 3 (n₉ = n₇²) has local rate 0 at n₇ = 0, a flat point of n₇²
    every path's product of local rates is 0 (the chain's from stage 1, n₅ = n₁·n₄,
      of local rate 0), though no stage is at a flat point of its own operation:
      the second derivative alone tells the kind

    A stage not at a flat point of its operation (a product whose other factor
    is 0) is no cause of the stationary point, only where the chain's product
    became 0: it is said to be no more than that, and no input value is given
    for it (its rate is 0 by its other input's value)."""
    chain = next(c for c in report.chains if c.variable == item.variable)
    name = _stage_name(chain, item.stage, report, words)
    if not item.flat:
        return (f"every path's product of local rates is 0 (the chain's from stage {item.stage}, {name}, "
                "of local rate 0), though no stage is at a flat point of its own operation: the second "
                "derivative alone tells the kind")
    before = report.graph.node(item.before)
    return (f"stage {item.stage} ({name}) has local rate 0 at {words.node(before.id)} = "
            f"{words.number(before.value)}, a flat point of {words.expr(report.graph.node(item.node).formula)}")


def _held(variable: str, report: GradReport, words: _Words) -> str:
    """", with x and y held" (the expression's other variables, up to three
    named), or "" for an expression of one variable: a stationary point along
    one variable says nothing about the others."""
    others = [var_text(name, words.spell) for name in sorted(report.expr.free_vars - {variable})]
    if not others:
        return ""
    if len(others) > 3:
        return ", with the other variables held"
    names = others[0] if len(others) == 1 else f"{', '.join(others[:-1])} and {others[-1]}"
    return f", with {names} held"


def _stationary_kind(item: Stationary, words: _Words, held: str) -> str:
    """a minimum along w (∂²out/∂w² = 2 > 0), a maximum …, a flat point …: the
    second-derivative test's verdict with its evidence."""
    var = var_text(item.variable, words.spell)
    if item.curvature is None:
        return f"a flat point along {var}{held}"
    second = f"{words.d2_out(var)} = {words.number(item.curvature)}"
    if item.curvature:
        relation = "> 0" if item.curvature > 0 else "< 0"
        return f"a {item.kind} along {var}{held} ({second} {relation})"
    if item.order is None or item.leading is None:
        return (f"a flat point along {var}{held} ({second} too, and no higher derivative up to order "
                f"{HIGHEST_TEST_ORDER} tells a minimum or maximum)")
    leading = f"{words.dn_out(var, item.order)} = {words.number(item.leading)}"
    if item.kind == "flat point":  # an odd order: the graph crosses its tangent, as w³ at 0
        return (f"a flat point along {var}{held} ({second}; the first derivative that is not 0 there, "
                f"{leading}, is of odd order: neither a minimum nor a maximum)")
    relation = "> 0" if item.leading > 0 else "< 0"
    return (f"a {item.kind} along {var}{held} ({second}; the first derivative that is not 0 there, "
            f"{leading} {relation}, is of even order)")


def warning_text(
    warning: GradientWarning, chain: Chain | None, report: GradReport, words: _Words
) -> str:
    """One warning as a sentence: its size, where the product crossed, the
    stages that shrink (or grow) it most."""
    var = var_text(warning.variable, words.spell)
    relation = "<" if warning.kind == "vanishing" else ">"
    text = (
        f"{warning.kind} gradient for {var}: |{words.d_out(var)}| = {_size_beside(warning.size, warning.threshold)} "
        f"{relation} {_size(warning.threshold)}"
    )
    if chain is None:
        return text + "."
    verb = "falls below" if warning.kind == "vanishing" else "rises above"
    if warning.crossed_at is not None:
        text += (
            f"; along its chain the running product {verb} {_size(warning.threshold)} at "
            f"stage {warning.crossed_at} ({_stage_name(chain, warning.crossed_at, report, words)})"
            " and stays there"
        )
    if warning.stages:
        effect = "shrink" if warning.kind == "vanishing" else "grow"
        named = ", ".join(
            f"stage {number} ({_stage_name(chain, number, report, words)}, "
            f"rate {_size(chain.stages[number].rate or 0.0)})"
            for number in warning.stages
        )
        text += f"; the stages that {effect} it most: {named}"
    return text + _one_stage(warning, chain, report) + "."


# Functions that flatten out far from 0: a small rate there is saturation.
_SQUASHING = frozenset({"sigmoid", "tanh", "atan", "erf", "softsign", "sech"})


def _one_stage(warning: GradientWarning, chain: Chain, report: GradReport) -> str:
    """Where one stage alone takes the product past the threshold and the others'
    product stays within it, that said: a saturated (or a steep) stage, not the
    long product of small (or large) rates that vanishing (exploding) usually means.
    A small rate of a stage that is no squashing function (the square of a loss
    whose error is nearly 0) is called flat, not saturated."""
    vanishing = warning.kind == "vanishing"

    def past(size: float) -> bool:
        return size < warning.threshold if vanishing else size > warning.threshold

    stages = [stage for stage in chain.stages[1:] if stage.rate is not None]
    alone = [stage for stage in stages if past(abs(stage.rate or 0.0))]
    if len(alone) != 1 or len(stages) < 2:
        return ""
    others = math.prod(abs(stage.rate or 0.0) for stage in stages if stage is not alone[0])
    if past(others):
        return ""
    formula = report.graph.node(alone[0].node).formula
    squashing = type(formula) is Call and formula.fn in _SQUASHING
    multiply = f"the other stages' rates multiply to {_size(others)}"
    if vanishing and not squashing:
        if alone[0].rate == 0 and type(formula) is Call and formula.fn == "relu":
            return (
                f"; one stage does it alone: a ReLU whose input is below 0 here passes no gradient "
                f"at all (its rate is 0: the unit is inactive, a dead ReLU if it stays so for every "
                f"input; {multiply}), not a long product of rates"
            )
        size = "0" if alone[0].rate == 0 else "nearly 0"
        return (
            f"; one stage does it alone, and not by saturating: its own rate is {size} at this point "
            f"({multiply}), not a long product of rates"
        )
    kind = "saturated" if vanishing else "steep"
    return f"; one {kind} stage does it alone ({multiply}), not a long product of rates"


def _stage_name(chain: Chain, number: int, report: GradReport, words: _Words) -> str:
    node = report.graph.node(chain.stages[number].node)
    return f"{words.node(node.id)} = {words.clip(words.expr(node.formula), 24)}"


# ---------------------------------------------------------------------------
# The terminal (Rich)
# ---------------------------------------------------------------------------

# Styles for the kinds of piece, beside the house styles of `calcstep diff`
# (calcstep.render.rich.STYLES: results bold green, keys dim, notes yellow).
# Colour only hints: the marks (↓ ↑), bold and the words say it without colour.
_KIND_STYLES = {
    "vanishing": "bold yellow",
    "exploding": "bold red",
    # a running product beyond the threshold: the colour of its kind, not bold,
    # so that the bold stages stand out
    "beyond vanishing": "yellow",
    "beyond exploding": "red",
    "agrees": "green",
    "disagrees": "bold red",
    "undefined": "yellow",
    "node": "cyan",
    "stage": "dim",
    "fine": "green",
}


# How a table's columns give way on a narrow terminal, by what they hold.  A
# number is never cut (0.880797 cut to 0.88079 is another number), nor is a
# label (n₁₀ cut is another node).  An operation breaks only between its factors
# and terms, as a formula's lines do (n₃· / n₄, never n₃·n / ₄).  A header breaks
# only between its words.  Numbers and labels are drawn whole by Rich's fold
# only where even one column of them is wider than the terminal.
_COLUMN_KINDS: dict[str, dict[str, Any]] = {
    "number": {"overflow": "fold", "no_wrap": False},
    "label": {"overflow": "fold", "no_wrap": False},
    "text": {"overflow": "fold", "no_wrap": False},
}


def _table(words: _Words, *columns: tuple[str, str, dict[str, Any]]) -> _NumbersWhole:
    """A table with a rule under its header and no frame, so five columns of
    numbers fit 80 columns; each column (header, kind, settings) gives way on a
    narrow terminal as its kind says (`_COLUMN_KINDS`), operations only."""
    from rich import box
    from rich.table import Table

    table = Table(
        box=_ascii_head() if words.ascii else box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="bold",
    )
    for header, kind, settings in columns:
        table.add_column(header, **_COLUMN_KINDS[kind], **settings)
    return _NumbersWhole(table, [kind for _, kind, _ in columns])


class _NumbersWhole:
    """A table that gives way gracefully on a narrow terminal, in steps:

    1. as it is, its columns as wide as their widest cell or header, with the
       widest gap between them that fits (3, 2, then 1 space);
    2. with its operations broken between factors and terms and its headers
       between words, down to each column's least width (`_least`): numbers
       and labels whole;
    3. where not even that fits, stacked: its columns drawn in several tables,
       one under the other, each led by the first column (the node, the stage,
       the depth), as many columns in each as fit.

    Only where one column alone is wider than the terminal does Rich fold it."""

    def __init__(self, table: Table, kinds: list[str]) -> None:
        self.table = table
        self.kinds = kinds

    def add_row(self, *cells: RenderableType) -> None:
        self.table.add_row(*cells)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[RenderableType]:
        from rich.text import Text

        room = options.max_width
        natural = [_widest([column.header, *column.cells]) for column in self.table.columns]
        least = [_least(column, kind) for column, kind in zip(self.table.columns, self.kinds, strict=True)]
        groups = _column_groups(natural, least, room)
        for index, group in enumerate(groups):
            widths, padding = _fitted([natural[i] for i in group], [least[i] for i in group],
                                      [self.kinds[i] == "text" for i in group], room)
            if index:
                yield Text()
            yield self._part(group, widths, padding)

    def _part(self, group: list[int], widths: list[int] | None, padding: tuple[int, ...]) -> Table:
        """The table of the columns `group`, each `widths` wide (None: as Rich
        sees fit), an operation's cells broken to its width between factors."""
        from rich.table import Table

        table = Table(box=self.table.box, show_edge=False, pad_edge=False, header_style="bold",
                      padding=padding)
        columns = [self.table.columns[index] for index in group]
        for position, column in enumerate(columns):
            width = None if widths is None else widths[position]
            table.add_column(column.header, justify=column.justify, style=column.style,
                             overflow=column.overflow, no_wrap=column.no_wrap,
                             min_width=width, max_width=width)
        texts = {position for position, index in enumerate(group) if self.kinds[index] == "text"}
        for row in zip(*(list(column.cells) for column in columns), strict=True):
            table.add_row(*(
                _broken(cell, widths[position]) if widths is not None and position in texts else cell
                for position, cell in enumerate(row)
            ))
        return table


def _broken(cell: RenderableType, width: int) -> RenderableType:
    """An operation's cell in lines of at most `width`, broken between factors and
    terms (`_filled`); a cell that fits, or is no Text, as it is."""
    from rich.text import Text

    if not isinstance(cell, Text) or cell.cell_len <= width:
        return cell
    return Text("\n".join(_filled(cell.plain, width)), style=cell.style)


def _least(column: Any, kind: str) -> int:
    """The narrowest `column` may be drawn with nothing broken that must not be:
    its header's longest word, and its widest number or label, or, for an
    operation, its widest piece between the places a formula may break."""
    header = max((_widest([word]) for word in str(column.header).split()), default=1)
    if kind != "text":
        return max(header, _widest(column.cells))
    pieces = (piece.rstrip() for cell in column.cells for piece in _BREAKS.findall(str(cell)))
    return max(header, _widest(pieces))


# The gap between two columns (the box's blank divider, and the padding beside
# it) and the table's padding that makes it, widest first.
_SPACINGS: tuple[tuple[int, tuple[int, ...]], ...] = ((3, (0, 1)), (2, (0, 1, 0, 0)), (1, (0, 0)))


def _fitted(
    natural: list[int], least: list[int], texts: list[bool], room: int
) -> tuple[list[int] | None, tuple[int, ...]]:
    """The columns' widths and the table's padding in `room`: natural widths with
    the widest gap that fits them; else each column at its least width with the
    widest gap that fits that, what is left going to the operations first (up to
    their natural width), then to the other columns (their headers unbroken); else
    (one column wider than the room) no widths, for Rich to fold."""
    for gap, padding in _SPACINGS:
        if sum(natural) + gap * (len(natural) - 1) <= room:
            return natural, padding
    for gap, padding in _SPACINGS:
        spare = room - gap * (len(natural) - 1) - sum(least)
        if spare >= 0:
            widths = list(least)
            for wanted in (True, False):  # operations first
                for index, text in enumerate(texts):
                    if text == wanted:
                        grown = min(natural[index] - widths[index], spare)
                        widths[index] += grown
                        spare -= grown
            return widths, padding
    return None, _SPACINGS[-1][1]


def _column_groups(natural: list[int], least: list[int], room: int) -> list[list[int]]:
    """The columns to draw together: all of them where they fit; else runs of
    them, each after the first column, as many in each run as fit (one at least)."""
    everything = list(range(len(natural)))
    if _fits(everything, least, room) or len(natural) < 3:
        return [everything]
    groups: list[list[int]] = []
    for index in everything[1:]:
        if groups and _fits([*groups[-1], index], least, room):
            groups[-1].append(index)
        else:
            groups.append([0, index])
    return groups


def _fits(group: list[int], least: list[int], room: int) -> bool:
    """True when the columns `group` fit `room` at their least widths, 1 apart."""
    return sum(least[i] for i in group) + _SPACINGS[-1][0] * (len(group) - 1) <= room


def _widest(cells: Iterable[RenderableType]) -> int:
    """The width of the widest line of text in `cells` (1 at least)."""
    from rich.cells import cell_len

    return max((cell_len(line) for cell in cells for line in str(cell).split("\n")), default=1) or 1


def _ascii_head() -> Box:
    """Rich's SIMPLE_HEAD drawn in ASCII: a rule of '-' under the header, no frame."""
    from rich.box import Box

    return Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)


def render_rich(report: GradReport, options: RenderOptions = RenderOptions()) -> RenderableType:
    """The report as a Rich renderable: the heading, the computation graph as a
    table, one table of local rates per variable with the running product (the
    stages that shrink or grow it most in bold, and ↓ ↑ where it has left the
    safe range), each gradient beside the rule engine's, and the warnings in a
    panel.  The same facts as `render`, from the same helpers.

    Builds the renderable and prints nothing; styles are named, never escape
    codes.  Fits 80 columns; with `options.ascii` every character is ASCII."""
    from rich.console import Group
    from rich.text import Text

    from calcstep.render.rich import AsciiOnly, line, style

    words = _Words(options.ascii)
    title, *where = _title_lines(report, words)
    notes = [[(f"note: {note_text(note, words.spell)}", "note")] for note in report.notes]
    parts: list[RenderableType] = [
        Text(title, style("heading", _KIND_STYLES)),
        *(Text(text) for text in where),
        line([("value: ", "key"), (words.number(report.value, 12), "")], _KIND_STYLES),
        *(line(note, _KIND_STYLES, hang=6) for note in notes),
        Text(),
        *_rich_graph(report, words),
    ]
    for chain in report.chains:
        parts += [Text(), *_rich_chain(report, chain, words)]
    parts += [Text(), *_rich_partials(report, words, options), Text(), _rich_warnings(report, words)]
    group = Group(*parts)
    # the spellings are ASCII already; this also draws boxes and tree guides in ASCII
    return AsciiOnly(group) if options.ascii else group


def _rich_graph(report: GradReport, words: _Words) -> list[RenderableType]:
    """The node table (rows as in `graph_lines`: numbers and constants are
    written inside their users), each variable's ∂out/∂node in the result style."""
    from rich.text import Text

    from calcstep.render.rich import style

    graph = report.graph
    results = {node.id for item in report.partials if (node := graph.variable(item.variable))}
    table = _table(
        words,
        ("node", "label", {"style": style("node", _KIND_STYLES)}),
        ("operation", "text", {}),
        ("value", "number", {}),
        ("local rates", "number", {}),
        (words.d_out("node"), "number", {}),
    )
    for node in (node for node in graph.nodes if _shown(node)):
        if node.gradient is not None:
            shown = style("result", _KIND_STYLES) if node.id in results else ""
            gradient = Text(words.number(node.gradient), shown)
        else:  # undefined where a nudge reaches the node, else a constant's dash
            shown = style("undefined", _KIND_STYLES) if node.varies else ""
            gradient = Text(_no_gradient(node, words), shown)
        # Text, not str, in every cell: a str would be read as Rich markup
        table.add_row(
            Text(words.node(node.id)),
            Text(words.clip(words.expr(node.formula), _OPERATION_RICH)),
            Text(words.number(node.value)),
            Text("\n".join(_rate_cells(node, report, words))),
            gradient,
        )
    return [
        Text(
            f"computation graph (forward: each value; backward: {words.d_out('node')})",
            style("heading", _KIND_STYLES),
        ),
        table,
        Text(_table_footer(report, words), style("key", _KIND_STYLES)),
    ]


# Operations longer than this are cut short in the terminal's table (they wrap
# inside their column up to it); the JSON holds every formula whole.
_OPERATION_RICH = 40


def _rich_chain(report: GradReport, chain: Chain, words: _Words) -> list[RenderableType]:
    """The stages of the dominant path as a table: each local rate and the
    running product.  Where the variable has a warning, the stages that shrink
    (grow) the product most are bold, and the running product is marked ↓ (↑)
    from the stage where it left the range for good."""
    from rich.text import Text

    from calcstep.render.rich import line, style

    graph = report.graph
    var = var_text(chain.variable, words.spell)
    warning = next((w for w in report.warnings if w.variable == chain.variable), None)
    kind = warning.kind if warning is not None else ""
    mark = {"vanishing": words.down, "exploding": words.up}.get(kind, "")
    table = _table(
        words,
        ("stage", "number", {"justify": "right", "style": style("stage", _KIND_STYLES)}),
        ("node", "label", {"style": style("node", _KIND_STYLES)}),
        ("operation", "text", {}),
        ("local rate", "number", {}),
        ("running product", "number", {}),
    )
    keep = _stages_kept(report, chain)
    for index, stage in enumerate(chain.stages):
        if index not in keep:
            if index - 1 in keep:  # one elision row per run of hidden stages
                table.add_row(Text(words.ellipsis), *(Text() for _ in range(4)))
            continue
        node = graph.node(stage.node)
        rate = words.dash if stage.rate is None else words.number(stage.rate)
        named = warning is not None and index in warning.stages
        beyond = warning is not None and warning.crossed_at is not None and index >= warning.crossed_at
        product = _magnitude(stage.log10_size, stage.product, words)
        table.add_row(
            Text(str(index), style(kind, _KIND_STYLES) if named else ""),
            Text(words.node(node.id)),
            Text(words.clip(words.expr(node.formula), _OPERATION_RICH)),
            Text(rate, style(kind, _KIND_STYLES) if named else ""),
            Text(product + mark, style(f"beyond {kind}", _KIND_STYLES)) if beyond else Text(product),
        )
    parts: list[RenderableType] = [
        Text(
            f"chain of local rates for {var}: a nudge in {var} multiplied stage by stage",
            style("heading", _KIND_STYLES),
        ),
        table,
    ]
    if warning is not None:
        parts += [line(pieces, _KIND_STYLES, hang=2) for pieces in _chain_legend(warning, mark)]
    parts.append(line([(chain_footer(report, chain, words), "key")], _KIND_STYLES, hang=2))
    parts += [line(row, _KIND_STYLES, hang=_PATH_HANG) for row in path_rows(report, chain, words)]
    return parts


def _chain_legend(warning: GradientWarning, mark: str) -> list[list[Piece]]:
    """What the marks in a chain's table mean, a line each."""
    lines: list[list[Piece]] = []
    if warning.crossed_at is not None:
        relation = "below" if warning.kind == "vanishing" else "above"
        where = f" the running product is {relation} {_size(warning.threshold)} from stage {warning.crossed_at} on"
        lines.append([(mark, warning.kind), (where, "")])
    if warning.stages:
        effect = "shrink" if warning.kind == "vanishing" else "grow"
        stages = ", ".join(map(str, warning.stages))
        which = f"stage{'s' if len(warning.stages) > 1 else ''} {stages}"
        lines.append([("bold", warning.kind), (f": the rates that {effect} it most ({which})", "")])
    return lines


def _rich_partials(report: GradReport, words: _Words, options: RenderOptions) -> list[RenderableType]:
    """Each variable's gradient from the backward pass beside the rule engine's,
    its symbolic partial derivative dimmed under it, and with --steps the rule
    engine's derivation as `calcstep diff` draws it."""
    from rich.padding import Padding
    from rich.text import Text

    from calcstep.render.rich import derivation_tree, line, style

    parts: list[RenderableType] = [
        Text("gradient (backward pass, checked against the rule engine)", style("heading", _KIND_STYLES))
    ]
    if not report.partials:
        parts.append(Text(f"  {NO_VARIABLES}"))
    for item in report.partials:
        parts.append(line(partial_pieces(item, words), _KIND_STYLES, hang=4))
        # a line of its own each, and where the terminal is narrower, wrapped as
        # `diff` wraps a formula (after spaces and product signs), hanging
        parts += [line([(text, "formula")], _KIND_STYLES, margin=6, hang=2)
                  for text in symbolic_lines(item, words, WIDTH - 6)]
        if item.numeric is None and item.symbolic_note:
            parts.append(line([(engine_fallback(item), "")], _KIND_STYLES, margin=6))
        if options.steps and item.derivation is not None:
            d = words.partial
            var = var_text(item.variable, words.spell)
            label = Text(f"{d}/{d}{var} step by step", style("key", _KIND_STYLES))
            tree = derivation_tree(item.derivation, label, words.spell, options.explain)
            parts.append(Padding(tree, (0, 0, 0, 3), expand=False))
    return parts


def _rich_warnings(report: GradReport, words: _Words) -> RenderableType:
    """The vanishing and exploding gradients in a panel, each sentence's kind
    styled; none, said in a line; then each gradient that is 0 at a stationary
    point, which is no warning."""
    from rich import box
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    from calcstep.render.rich import line, style

    at_rest = [line(stationary_pieces(item, report, words), _KIND_STYLES, margin=2, hang=2)
               for item in report.stationary]
    if not report.warnings:
        return Group(Text(_warning_heading(report)[0], style("fine", _KIND_STYLES)), *at_rest)
    chains = {chain.variable: chain for chain in report.chains}
    sentences = []
    for warning in report.warnings:
        text = warning_text(warning, chains.get(warning.variable), report, words)
        lead = f"{warning.kind} gradient"  # warning_text starts with it
        sentences.append(line([(lead, warning.kind), (text[len(lead):], "")], _KIND_STYLES, hang=2))
    worst = "exploding" if any(w.kind == "exploding" for w in report.warnings) else "vanishing"
    panel = Panel(
        Group(*sentences),
        title="warnings",
        title_align="left",
        box=box.ASCII if words.ascii else box.ROUNDED,
        border_style=style(worst, _KIND_STYLES),
        expand=False,
    )
    return Group(panel, *at_rest) if at_rest else panel


def render_sweep_rich(sweep: DepthSweep, ascii: bool = False) -> RenderableType:
    """The depth sweep as a Rich table: one row per depth, one column per kind
    of layer, cells beyond a threshold marked ↓ (vanishing) or ↑ (exploding)
    and styled; then the legend, the first flagged depths and why.  Fits 80
    columns; with `ascii` every character is ASCII."""
    from rich.console import Group
    from rich.text import Text

    from calcstep.render.rich import AsciiOnly, line, style

    words = _Words(ascii)
    title, layers = sweep_heading(sweep, words)
    table = _table(
        words,
        ("depth", "number", {"justify": "right", "style": style("stage", _KIND_STYLES)}),
        *((column.label, "number", {"justify": "right"}) for column in sweep.columns),
    )
    for row, depth in enumerate(sweep.depths):
        cells = [
            Text(
                _sweep_cell(column.sizes[row], column.kinds[row], words),
                style(column.kinds[row] or "", _KIND_STYLES),
            )
            for column in sweep.columns
        ]
        table.add_row(Text(str(depth)), *cells)
    parts: list[RenderableType] = [
        Text(title, style("heading", _KIND_STYLES)),
        Text(layers, style("key", _KIND_STYLES)),
        table,
        line(sweep_legend_pieces(words), _KIND_STYLES),
        *[Text(note) for note in sweep_overflow(sweep)],
        *(
            line([(f"  {label}: ", ""), (kind, kind), (f" from depth {depth}", "")], _KIND_STYLES)
            for label, kind, depth in sweep_firsts(sweep)
        ),
        *(line([(paragraph, "why")], _KIND_STYLES, hang=0) for paragraph in sweep_prose(sweep, words)),
    ]
    group = Group(*parts)
    return AsciiOnly(group) if ascii else group


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


def _finite(value: float | None) -> float | None:
    """A float JSON can hold (no infinity), or None."""
    return value if value is not None and math.isfinite(value) else None


def _note(note: Note | None) -> str | None:
    return None if note is None else note_text(note, CANONICAL)


def report_to_dict(report: GradReport, options: RenderOptions = RenderOptions()) -> dict[str, Any]:
    """The report as the JSON object for one expression."""
    words = _Words(ascii=True)
    chains = {chain.variable: chain for chain in report.chains}
    return {
        "input": report.input,
        "expression": to_text(report.expr),
        "point": {
            name: {"exact": to_text(exact), "decimal": value} for name, exact, value in report.point
        },
        "value": report.value,
        "variables": list(report.variables),
        "gradient": report.gradient,
        "symbolic": {p.variable: to_text(p.symbolic) for p in report.partials},
        "partials": [partial_to_dict(p, options) for p in report.partials],
        "output": report.graph.output.id,
        "nodes": [node_to_dict(node, report) for node in report.graph.nodes],
        "chain": {chain.variable: chain_to_dict(chain, report) for chain in report.chains},
        "warnings": [
            warning_to_dict(w, chains.get(w.variable), report, words) for w in report.warnings
        ],
        "thresholds": {"vanishing": VANISHING_BELOW, "exploding": EXPLODING_ABOVE},
        "stationary": [stationary_to_dict(item, report, words) for item in report.stationary],
        "notes": [note_text(note, CANONICAL) for note in report.notes],
        "error": None,
    }


def stationary_to_dict(item: Stationary, report: GradReport, words: _Words) -> dict[str, Any]:
    """{variable, kind, curvature, test_order, test_value, stage, node, input, message}."""
    decided = 2 if item.curvature else item.order
    return {
        "variable": item.variable,
        "kind": item.kind,
        "curvature": _finite(item.curvature),
        "test_order": decided,
        "test_value": _finite(item.curvature if item.curvature else item.leading),
        "stage": item.stage,
        "node": item.node,
        "input": item.before,
        "message": joined(stationary_pieces(item, report, words)),
    }


def partial_to_dict(item: Partial, options: RenderOptions = RenderOptions()) -> dict[str, Any]:
    record: dict[str, Any] = {
        "variable": item.variable,
        "numeric": item.numeric,
        "undefined": _note(item.undefined),
        "symbolic": to_text(item.symbolic),
        "symbolic_pretty": to_pretty(item.symbolic),
        "symbolic_value": item.symbolic_value,
        "symbolic_undefined": item.symbolic_undefined,
        "agree": item.agree,
    }
    if item.symbolic_note:
        record["symbolic_note"] = item.symbolic_note
    if options.steps and item.derivation is not None:
        record["steps"] = derivation_to_dict(item.derivation, options.explain)
    return record


def node_to_dict(node: GraphNode, report: GradReport) -> dict[str, Any]:
    """{id, operation, formula, expression, inputs, value, local_rates, gradient, …}."""
    return {
        "id": node.id,
        "operation": node.operation,
        "formula": to_text(node.formula),
        "expression": to_text(node.expr) if node.expr.size <= _EXPRESSION_NODES else None,
        "inputs": list(node.inputs),
        "value": node.value,
        "local_rates": [_finite(rate) for rate in node.rates],
        "local_rate_formulas": [
            None if formula is None else to_text(formula) for formula in node.rate_formulas
        ],
        "gradient": _finite(node.gradient),
        "undefined": _note(report.graph.undefined[node.id - 1]) if node.varies else None,
    }


def chain_to_dict(chain: Chain, report: GradReport) -> dict[str, Any]:
    """The dominant path's stages: node, operation, local rate, running product."""
    return {
        "variable": chain.variable,
        "paths": chain.paths,
        "path": list(chain.path),
        "product": _finite(chain.product),
        "every_path": [
            {"path": list(path.nodes), "local_rates": [_finite(rate) for rate in path.rates],
             "product": _finite(path.product)}
            for path in chain.every
        ] if chain.every else None,
        "stages": [
            {
                "stage": index,
                "node": stage.node,
                "operation": report.graph.node(stage.node).operation,
                "formula": to_text(report.graph.node(stage.node).formula),
                "local_rate": stage.rate,
                "product": _finite(stage.product),
                "log10_size": _finite(stage.log10_size),
            }
            for index, stage in enumerate(chain.stages)
        ],
    }


def warning_to_dict(
    warning: GradientWarning, chain: Chain | None, report: GradReport, words: _Words | None = None
) -> dict[str, Any]:
    """{kind, variable, path, size, threshold, crossed_at, stages, message}."""
    words = words or _Words(ascii=True)
    return {
        "kind": warning.kind,
        "variable": warning.variable,
        "path": list(warning.path),
        "size": warning.size,
        "threshold": warning.threshold,
        "crossed_at": warning.crossed_at,
        "stages": [
            {
                "stage": number,
                "node": chain.stages[number].node,
                "local_rate": chain.stages[number].rate,
            }
            for number in warning.stages
        ]
        if chain is not None
        else [],
        "message": warning_text(warning, chain, report, words),
    }


# ---------------------------------------------------------------------------
# Depth sweep
# ---------------------------------------------------------------------------

_SWEEP_COLUMN = 11


def render_sweep(sweep: DepthSweep, ascii: bool = False) -> str:
    """The sweep as a table: one row per depth, one column per kind of layer,
    each cell |∂hₙ/∂x| marked where it is beyond a threshold."""
    words = _Words(ascii)
    lines = sweep_heading(sweep, words)
    lines.append(f"{'depth':>5}" + "".join(f"{column.label:>{_SWEEP_COLUMN}}" for column in sweep.columns))
    for row, depth in enumerate(sweep.depths):
        cells = "".join(
            f"{_sweep_cell(column.sizes[row], column.kinds[row], words):>{_SWEEP_COLUMN}}"
            for column in sweep.columns
        )
        lines.append(f"{depth:>5}{cells}".rstrip())
    lines.append(sweep_legend(words))
    lines += sweep_overflow(sweep)
    lines += [f"  {label}: {kind} from depth {depth}" for label, kind, depth in sweep_firsts(sweep)]
    lines += _wrap(sweep_prose(sweep, words), "")
    return "\n".join(lines)


def sweep_heading(sweep: DepthSweep, words: _Words) -> list[str]:
    """What the sweep measures, and the two kinds of layer it stacks."""
    d, maps = words.partial, "->" if words.ascii else "↦"
    times = "*" if words.ascii else "·"
    weight = "" if sweep.weight == 1 else f"{words.number(sweep.weight)}{times}"
    layer = f"f({weight}h)"
    return [
        f"|{d}h_n/{d}x| at x = {words.number(sweep.x)} after n stacked layers"
        if words.ascii
        else f"|∂hₙ/∂x| at x = {words.number(sweep.x)} after n stacked layers",
        f"plain: h {maps} {layer};  residual (x+f): h {maps} h + {layer}",
    ]


def sweep_legend(words: _Words) -> str:
    return joined(sweep_legend_pieces(words))


def sweep_legend_pieces(words: _Words) -> list[Piece]:
    """↓ below 0.001 (vanishing), ↑ above 1e+03 (exploding)"""
    low, high = _size(VANISHING_BELOW), _size(EXPLODING_ABOVE)
    return [
        (words.down, "vanishing"),
        (f" below {low} (vanishing), ", ""),
        (words.up, "exploding"),
        (f" above {high} (exploding)", ""),
    ]


def sweep_overflow(sweep: DepthSweep) -> list[str]:
    """What a "too large" cell means, as a line under the legend, when the sweep
    has one (no line otherwise)."""
    if any(size is None and kind == "exploding"
           for column in sweep.columns for size, kind in zip(column.sizes, column.kinds, strict=True)):
        return ["too large: the layer's value itself is past floating point's range"]
    return []


def sweep_firsts(sweep: DepthSweep) -> list[tuple[str, str, int]]:
    """(label, kind, depth) for each column that is flagged: its first flagged depth."""
    return [
        (column.label, column.first[1], column.first[0])
        for column in sweep.columns
        if column.first is not None
    ]


def sweep_prose(sweep: DepthSweep, words: _Words) -> list[str]:
    """Why plain stacks vanish and residual ones do not (a paragraph), and, for a
    weight other than 1, the rates it makes (a line)."""
    paragraphs = [_SWEEP_ASCII if words.ascii else _SWEEP_UNICODE]
    if sweep.weight != 1:
        times = "*" if words.ascii else "·"
        line = f"With the weight w = {words.number(sweep.weight)} the rates are w{times}f′ and 1 + w{times}f′."
        if sweep.weight < 0:  # then 1 + w·f′ is below 1 where f′ > 0: the paragraph's promise fails
            line += f" A negative w makes 1 + w{times}f′ less than 1, even 0, so residual stacks can vanish too."
        paragraphs.append(line.replace("′", "'" if words.ascii else "′"))
    return paragraphs


_SWEEP_UNICODE = (
    "A plain layer multiplies the nudge by its local rate f′ (σ′ ≤ 1/4, so stacked sigmoids "
    "vanish; tanh′ ≤ 1; relu′ is 1 where it is on, 0 where it is off). A residual layer "
    "multiplies it by 1 + f′: at least 1 wherever f′ ≥ 0, so the product cannot vanish, "
    "though it can grow."
)
_SWEEP_ASCII = (
    "A plain layer multiplies the nudge by its local rate f' (sigmoid' <= 1/4, so stacked "
    "sigmoids vanish; tanh' <= 1; relu' is 1 where it is on, 0 where it is off). A residual "
    "layer multiplies it by 1 + f': at least 1 wherever f' >= 0, so the product cannot "
    "vanish, though it can grow."
)


def _sweep_cell(size: float | None, kind: str | None, words: _Words) -> str:
    if size is None:  # exploding with no size: the layer's value is past a float's range
        return f"too large{words.up}" if kind == "exploding" else "undefined "
    marker = {"vanishing": words.down, "exploding": words.up}.get(kind or "", " ")
    return f"{size:.3g}{marker}"


def sweep_to_dict(sweep: DepthSweep) -> dict[str, Any]:
    """The sweep as JSON: for each column the size of the gradient at each depth."""
    return {
        "x": sweep.x,
        "weight": sweep.weight,
        "depths": list(sweep.depths),
        "thresholds": {"vanishing": VANISHING_BELOW, "exploding": EXPLODING_ABOVE},
        "columns": [
            {
                "activation": column.activation,
                "residual": column.residual,
                "label": column.label,
                "sizes": list(column.sizes),
                "warnings": list(column.kinds),
                "first_warning": (
                    None
                    if column.first is None
                    else {"depth": column.first[0], "kind": column.first[1]}
                ),
            }
            for column in sweep.columns
        ],
    }
