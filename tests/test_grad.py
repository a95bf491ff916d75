"""`calcstep grad`: the backward pass against the rule engine, SymPy and central
differences; the chain of local rates; vanishing and exploding warnings flagged
where, and only where, the gradient leaves [1e-3, 1e3]; the renderers."""

from __future__ import annotations

import json
import math
import random
import re
import time
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from calcstep.errors import DomainError, UsageError
from calcstep.evaluate import evaluate
from calcstep.expr import Call, Expr, Num, Sym, add, mul
from calcstep.grad import (
    EXPLODING_ABOVE,
    VANISHING_BELOW,
    GradReport,
    compute_graph,
    depth_sweep,
    grad_report,
    stacked,
    topological,
)
from calcstep.parse import parse_expr
from calcstep.printer import to_text
from calcstep.render import RenderOptions
from calcstep.render.grad import render, render_sweep, report_to_dict, sweep_to_dict

from oracle import central_difference, mp_value, symbol, to_sympy
from strategies import smooth_expressions

TOLERANCE = 1e-9


def agrees(value: float, truth: float, scale: float = 0.0) -> bool:
    """Within 1e-9 relative; `scale` (the sum over paths of |product|) stands in
    for the size when paths cancel to nearly 0, and values within 1e-13 of each
    other agree (sin(π) is 1.2e-16 in floating point, 0 in exact arithmetic)."""
    return abs(value - truth) <= TOLERANCE * max(abs(value), abs(truth), scale) + 1e-13


def _gradient_and_scale(expr: Expr, var: str, point: dict[str, float]) -> tuple[float, float]:
    graph = compute_graph(expr, point)
    node = graph.variable(var)
    assert node is not None and node.gradient is not None
    return node.gradient, graph.scales[node.id - 1]


def _sympy_gradient(expr: Expr, var: str, point: dict[str, float]) -> float | None:
    return mp_value(sp.diff(to_sympy(expr), symbol(var)), point)


def _sympy_gradient_deep(expr: Expr, var: str, point: dict[str, float]) -> float:
    """SymPy's derivative evaluated in 40-digit mpmath arithmetic, through common
    subexpressions: evalf on a deeply nested expression takes exponential time."""
    names = sorted(point)
    derivative = sp.diff(to_sympy(expr), symbol(var))
    function = sp.lambdify([symbol(n) for n in names], derivative, modules="mpmath", cse=True)
    with mpmath.workdps(40):
        return float(function(*(mpmath.mpf(point[n]) for n in names)))


def _point_text(point: dict[str, float]) -> dict[str, str]:
    """Floats as decimal text, read back exactly by the parser."""
    return {name: repr(value) for name, value in point.items()}


def _check_against_oracles(report: GradReport, point: dict[str, float]) -> None:
    """Every partial agrees with the rule engine, SymPy and central differences."""
    function = to_sympy(report.expr)
    for item in report.partials:
        node = report.graph.variable(item.variable)
        scale = report.graph.scales[node.id - 1] if node else 0.0
        assert item.numeric is not None, item
        assert item.agree, item
        assert agrees(item.numeric, item.symbolic_value, scale), item
        truth = _sympy_gradient(report.expr, item.variable, point)
        assert truth is not None and agrees(item.numeric, truth, scale), (item, truth)
        estimate = central_difference(function, item.variable, point)
        assert estimate is not None and agrees(item.numeric, estimate, scale), (item, estimate)


# ---------------------------------------------------------------------------
# Correctness
# ---------------------------------------------------------------------------


def test_the_loss_with_several_weights() -> None:
    rng = random.Random(8)
    for _ in range(4):
        point = {name: rng.uniform(-2, 2) for name in ("y", "w", "x", "b")}
        report = grad_report("(y - tanh(w*x + b))^2", ["w", "b", "x", "y"], _point_text(point))
        assert set(report.gradient) == {"w", "b", "x", "y"}
        _check_against_oracles(report, point)
        # d/db (y - t)^2 = -2(y - t)·tanh'(u): the chain, by hand
        t = math.tanh(point["w"] * point["x"] + point["b"])
        assert agrees(report.gradient["b"], -2 * (point["y"] - t) * (1 - t * t))


def test_a_target_of_zero_gives_no_negative_zero(cli) -> None:
    # −y at y = 0 is −0.0 in floating point: an ML student reads "-0" as a sign
    run = cli("grad", "(w2*tanh(w1*x) - y)^2", "--at", "x=1,y=0,w1=0.5,w2=2", "--format", "plain")
    assert " -0 " not in run.out and "−0 " not in run.out
    record = json.loads(cli("grad", "(w2*tanh(w1*x) - y)^2", "--at", "x=1,y=0,w1=0.5,w2=2",
                            "--format", "json").out)
    assert all(math.copysign(1, node["value"]) > 0 for node in record["nodes"] if node["value"] == 0)


def test_a_saturated_sigmoid_keeps_its_tiny_rate() -> None:
    """σ′(50) = σ(50)·(1 − σ(50)) is 1.9·10⁻²², not the 0 that 1 − 1.0 gives in
    floating point: ten stacked sigmoids at 10w·x = 50 have a gradient of 2.4·10⁻²⁷,
    which the backward pass and the rule engine both reach (mpmath the oracle)."""
    text = "sigmoid(" * 10 + "10*w*x" + ")" * 10
    report = grad_report(text, ["w"], {"x": "1", "w": "5"})
    def ten_sigmoids(w):
        value = 10 * w
        for _ in range(10):
            value = 1 / (1 + mpmath.e ** (-value))
        return value

    with mpmath.workdps(50):
        truth = float(mpmath.diff(ten_sigmoids, mpmath.mpf(5)))
    # math.isclose: no absolute tolerance, which would pass any value this small
    assert math.isclose(truth, 2.3903e-27, rel_tol=1e-4)
    assert math.isclose(report.gradient["w"], truth, rel_tol=1e-9)
    rate = evaluate(parse_expr("sigmoid(x)*(1 - sigmoid(x))"), {"x": 50.0})
    assert math.isclose(rate, 1.9287e-22, rel_tol=1e-4)


def test_negative_numbers_take_the_minus_sign_of_the_expressions_beside_them(cli) -> None:
    """w = −0.3 in the heading, so −0.15 in the tables, not -0.15; ASCII keeps -."""
    args = ("grad", "(y - tanh(w*x + b))^2", "--wrt", "w,b", "--at", "x=0.5,y=1,w=-0.3,b=0.1")
    shown = cli(*args, "--format", "plain").out
    assert "at x = 0.5, y = 1, w = −0.3, b = 0.1" in shown
    assert "−0.15" in shown and "∂out/∂w = −1.04733784766" in shown
    assert not re.search(r"(?<![\w.])-[0-9]", shown)
    ascii_shown = cli(*args, "--format", "plain", "--ascii").out
    assert "d out/d w = -1.04733784766" in ascii_shown and ascii_shown.isascii()


def test_one_saturated_stage_is_told_apart_from_a_long_product(cli) -> None:
    # sigmoid(50) is flat: the gradient vanishes, but by one stage, not by a long
    # product of rates below 1 as in a deep network
    out = " ".join(cli("grad", "sigmoid(w*x)", "--at", "w=10,x=5", "--format", "plain").out.split())
    assert "one saturated stage does it alone (the other stages' rates multiply to 5)" in out
    # six sigmoids, each rate below 0.25 but none below 0.001: the long product
    deep = " ".join(cli("grad", "sigmoid(sigmoid(sigmoid(sigmoid(sigmoid(sigmoid(w*x))))))", "--at", "w=1,x=1",
                        "--format", "plain").out.split())
    assert "vanishing gradient for w" in deep and "saturated stage" not in deep


def test_a_node_using_its_input_twice_says_its_rates_add(cli) -> None:
    # the table lists n₁·n₁'s two rates, 3 and 3; the chain's one stage has rate 6
    out = " ".join(cli("grad", "x*x", "--at", "x=3", "--format", "plain").out.split())
    assert "one path: the product 6 is ∂out/∂x; n₂ uses n₁ twice, so its local rate is the sum of the uses' rates, 3 + 3" in out


def test_the_lesson_network_and_its_chain() -> None:
    point = {"x": 0.5, "w1": 0.3, "w2": -1.2, "w3": 2.0}
    report = grad_report("tanh(w3*tanh(w2*tanh(w1*x)))", ["w1", "w2", "w3"], _point_text(point))
    _check_against_oracles(report, point)
    chain = {c.variable: c for c in report.chains}
    # w1 → w1·x → tanh → w2·… → tanh → w3·… → tanh: six stages after the variable
    assert [report.graph.node(s.node).operation for s in chain["w1"].stages] == [
        "variable", "multiply", "tanh", "multiply", "tanh", "multiply", "tanh",
    ]
    for item in report.partials:
        stages = chain[item.variable].stages
        assert chain[item.variable].paths == 1
        assert stages[0].rate is None and stages[0].product == 1
        running = 1.0
        for stage in stages[1:]:
            running *= stage.rate
            assert stage.product == pytest.approx(running, rel=1e-15)
        assert agrees(stages[-1].product, item.numeric)
    # the multiply stages' local rates are the weight and the input, as the lesson says
    assert chain["w1"].stages[1].rate == pytest.approx(0.5)
    assert chain["w1"].stages[3].rate == pytest.approx(-1.2)


_LEAVES = ("x", "y")


@settings(max_examples=60, deadline=None)
@given(
    smooth_expressions,
    st.lists(st.floats(0.3, 2.2), min_size=2, max_size=2),
    st.lists(st.booleans(), min_size=2, max_size=2),
)
def test_random_compositions_agree_with_sympy_and_the_rule_engine(expr, sizes, signs) -> None:
    point = {name: size if positive else -size for name, size, positive in zip(_LEAVES, sizes, signs, strict=True)}
    assume(expr.has("x"))
    text = to_text(expr)
    try:
        report = grad_report(text, ["x", "y"], _point_text(point))
    except DomainError:
        assume(False)
    for item in report.partials:
        assume(item.numeric is not None and item.symbolic_value is not None)
        assume(abs(item.numeric) < 1e12)
        node = report.graph.variable(item.variable)
        scale = report.graph.scales[node.id - 1] if node else 0.0
        assert item.agree, (text, item)
        truth = _sympy_gradient(report.expr, item.variable, point)
        assume(truth is not None)
        assert agrees(item.numeric, truth, scale), (text, point, item.numeric, truth)


@settings(max_examples=25, deadline=None)
@given(smooth_expressions, st.floats(0.3, 2.2), st.floats(-2.2, -0.3))
def test_random_compositions_agree_with_central_differences(expr, x, y) -> None:
    assume(expr.has("x"))
    point = {"x": x, "y": y}
    try:
        gradient, scale = _gradient_and_scale(expr, "x", point)
    except DomainError:
        assume(False)
    assume(abs(gradient) < 1e8)
    estimate = central_difference(to_sympy(expr), "x", point)
    assume(estimate is not None)
    assert agrees(gradient, estimate, scale), (to_text(expr), point, gradient, estimate)


_ACTIVATIONS = ["sigmoid", "tanh", "softplus", "relu", "sin", "atan"]


def _layer(kind: int, activation: str, h: Expr, w: Sym, b: Sym) -> Expr:
    """One layer of a random network, of one of four shapes."""
    shapes = (
        lambda: Call(activation, add(mul(w, h), b)),  # dense
        lambda: add(h, Call(activation, mul(w, h))),  # residual
        lambda: mul(w, Call(activation, h), Call("tanh", add(h, b))),  # gated
        lambda: Call(activation, add(mul(w, h), mul(b, h, h))),  # weight shared
    )
    return shapes[kind]()


@st.composite
def networks(draw) -> tuple[Expr, dict[str, float]]:
    """A random composition of 2 to 8 layers, each with its own weight and bias,
    and a random point."""
    layers = draw(st.integers(2, 6))
    value = st.builds(lambda size, positive: size if positive else -size,
                      st.floats(0.05, 1.5), st.booleans())
    h: Expr = Sym("x")
    point = {"x": draw(value)}
    for k in range(1, layers + 1):
        w, b = Sym(f"w{k}"), Sym(f"b{k}")
        kind = draw(st.integers(0, 3))
        h = _layer(kind, draw(st.sampled_from(_ACTIVATIONS)), h, w, b)
        point[w.name], point[b.name] = draw(value), draw(value)
    return h, point


@settings(max_examples=20, deadline=None)
@given(networks())
def test_random_networks_agree_with_every_oracle(network) -> None:
    expr, point = network
    point = {name: value for name, value in point.items() if expr.has(name)}
    report = grad_report(to_text(expr), sorted(point), _point_text(point))
    function = to_sympy(expr)
    for item in report.partials:
        assume(item.numeric is not None)  # a relu exactly at its corner
        assert item.agree, (to_text(expr), item)
    for chain in report.chains:  # where the paths are listed, they add up to the gradient
        if chain.every:
            node = report.graph.variable(chain.variable)
            products = [path.product for path in chain.every]
            assert len(products) == chain.paths
            assert agrees(math.fsum(products), node.gradient, report.graph.scales[node.id - 1])
    # SymPy is slow on deep nests: the two deepest variables (the rule engine has
    # checked them all)
    for name in ("x", "w1"):
        item = next(p for p in report.partials if p.variable == name)
        node = report.graph.variable(name)
        scale = report.graph.scales[node.id - 1]
        truth = _sympy_gradient_deep(expr, name, point)
        assert agrees(item.numeric, truth, scale), (to_text(expr), point, item, truth)
    item = next(p for p in report.partials if p.variable == "x")
    estimate = central_difference(function, "x", point)
    if estimate is not None:  # None: a kink (relu) within reach of the difference
        scale = report.graph.scales[report.graph.variable("x").id - 1]
        assert agrees(item.numeric, estimate, scale), (to_text(expr), point, item, estimate)


def _network(layers: int, rng: random.Random) -> tuple[Expr, dict[str, float]]:
    """hₖ = tanh(wₖ·hₖ₋₁ + bₖ), h₀ = x, with random weights and biases."""
    h: Expr = Sym("x")
    point = {"x": rng.uniform(-1, 1)}
    for k in range(1, layers + 1):
        h = Call("tanh", add(mul(Sym(f"w{k}"), h), Sym(f"b{k}")))
        point[f"w{k}"] = rng.uniform(-1.5, 1.5)
        point[f"b{k}"] = rng.uniform(-0.5, 0.5)
    return h, point


@pytest.mark.parametrize("layers", [2, 3, 5, 10, 25, 50])
def test_deep_networks_agree_with_sympy(layers: int) -> None:
    expr, point = _network(layers, random.Random(layers))
    names = ["x", "w1", f"w{layers}", f"b{(layers + 1) // 2}"]
    report = grad_report(to_text(expr), names, _point_text(point))
    for item in report.partials:
        assert item.agree, item
        truth = _sympy_gradient_deep(expr, item.variable, point)
        assert agrees(item.numeric, truth), (layers, item, truth)
        chain = next(c for c in report.chains if c.variable == item.variable)
        assert chain.paths == 1
        # one path: the chain's product is the gradient (on log sizes when it underflows)
        if item.numeric != 0:
            assert chain.stages[-1].log10_size == pytest.approx(math.log10(abs(item.numeric)))


def test_powers_logs_and_odd_roots() -> None:
    cases = {
        "x^y + 2^x + e^(x*y)": {"x": 1.3, "y": 0.7},
        "log_2(x*y) + ln(x) - 3/y": {"x": 1.7, "y": 2.5},
        "cbrt(x*y) + sqrt(x^2 + y^2)": {"x": -1.5, "y": 0.8},
        "softplus(x*y) - sigmoid(x - y) + exp(-x^2)": {"x": 0.4, "y": -1.1},
        "x*x*x + y/x": {"x": -0.9, "y": 1.4},
    }
    for text, point in cases.items():
        _check_against_oracles(grad_report(text, ["x", "y"], _point_text(point)), point)


def test_the_point_is_read_exactly() -> None:
    report = grad_report("sin(x)*w", ["x"], {"x": "pi/4", "w": "2"})
    assert report.value == pytest.approx(math.sqrt(2))
    assert report.gradient["x"] == pytest.approx(math.sqrt(2))
    assert to_text(report.point[0][1]) == "1/4*pi"


# ---------------------------------------------------------------------------
# The graph
# ---------------------------------------------------------------------------


def test_shared_subexpressions_share_a_node() -> None:
    report = grad_report("sin(x)*sin(x) + sin(x)", ["x"], {"x": "0.7"})
    nodes = report.graph.nodes
    assert [n.operation for n in nodes] == ["variable", "sin", "multiply", "add"]
    assert nodes[2].inputs == (2, 2)  # the product uses the one sin node twice
    x = 0.7
    assert report.gradient["x"] == pytest.approx(2 * math.sin(x) * math.cos(x) + math.cos(x))
    chain = report.chains[0]
    assert chain.paths == 2  # x → sin → · → +, and x → sin → +
    # distinct objects that are equal are one node too (small nodes are made once,
    # so these are large enough to be made twice)
    def layer() -> Call:
        return Call("tanh", add(*(mul(Sym("w"), Sym(f"x{i}")) for i in range(5))))

    first, second = layer(), layer()
    assert first is not second
    exprs, _ = topological(add(first, second))
    assert len(exprs) == 14  # w, x0…x4, the five products, their sum, tanh, +


def test_a_path_through_an_undefined_rate_makes_the_chain_say_so() -> None:
    # relu(w) + w at w = 0: the path through relu meets its corner, the other is
    # defined; the chain shown is that one, and it is not the gradient
    report = grad_report("relu(w) + w", ["w"], {"w": "0"})
    assert report.gradient["w"] is None
    chain = report.chains[0]
    assert chain.paths == 2
    text = " ".join(render(report).split())
    assert "one path" not in text
    assert "the backward pass cannot add up ∂out/∂w here, because another path meets an undefined local rate" in text
    assert "exists all the same" not in text  # relu(w) + w has no derivative at 0
    assert grad_report("relu(w) + w", ["w"], {"w": "1"}).chains[0].paths == 2


def test_every_node_has_its_value_rates_and_gradient() -> None:
    report = grad_report("(y - tanh(w*x + b))^2", ["w"], {"y": "1", "w": "0.5", "x": "2", "b": "0"})
    graph = report.graph
    ids = [node.id for node in graph.nodes]
    assert ids == list(range(1, len(ids) + 1))
    for node in graph.nodes:
        assert all(kid < node.id for kid in node.inputs)  # inputs come first
        assert len(node.rates) == len(node.inputs)
    assert graph.output.gradient == 1
    assert graph.output.value == pytest.approx((1 - math.tanh(1)) ** 2)
    square = graph.output
    assert square.operation == "power"
    assert square.rates[0] == pytest.approx(2 * (1 - math.tanh(1)))
    assert square.rates[1] is None  # the exponent 2 is a constant: nothing nudges it


def test_a_value_undefined_at_the_point_names_the_node() -> None:
    with pytest.raises(DomainError) as caught:
        grad_report("w*ln(x - 2)", ["w"], {"x": "1", "w": "3"})
    message = caught.value.message
    assert "node n" in message and "ln(" in message and "x - 2" in message


def test_missing_and_unused_variables() -> None:
    with pytest.raises(UsageError) as caught:
        grad_report("w*x + b", ["w"], {"x": "1"})
    assert "b" in caught.value.message and "w" in caught.value.message
    report = grad_report("w*x", ["w", "v"], {"x": "2", "w": "1"})
    assert report.gradient == {"w": 2.0, "v": 0.0}
    assert any("does not appear" in note.text for note in report.notes)
    # with no --wrt, every variable of the expression
    assert grad_report("w*x", None, {"x": "2", "w": "1"}).variables == ("w", "x")
    # σ(w·x + b) reads as σ times a bracket: the hint says how to write the sigmoid
    with pytest.raises(UsageError) as caught:
        grad_report("σ(w*x + b)", None, {"x": "1", "w": "2", "b": "0"})
    assert caught.value.hint == "for the logistic sigmoid, write sigmoid(…)"
    # numbered weights in counting order, layer 2 before layer 10
    layers = grad_report("w10*w2*w1*x", None, {"x": "1", "w1": "1", "w2": "1", "w10": "1"})
    assert layers.variables == ("w1", "w2", "w10", "x")
    # a value for a name the expression does not have is said to be unused, as
    # diff --at says it: a mistyped name does not pass unnoticed
    typo = grad_report("w*x", None, {"x": "2", "w": "1", "z": "3"})
    assert typo.gradient == {"w": 2.0, "x": 1.0}
    assert [note.text.format(*map(to_text, note.args)) for note in typo.notes] == [
        "z is not in the expression: its value is not used"
    ]
    # a name asked for with --wrt has its own note, said once
    asked = grad_report("w*x", ["w", "v"], {"x": "2", "w": "1", "v": "3"})
    assert [note.text.split(":")[0] for note in asked.notes] == ["{0} does not appear in the expression"]


# ---------------------------------------------------------------------------
# relu at its corner
# ---------------------------------------------------------------------------


def test_relu_rates_are_zero_or_one_and_undefined_at_zero() -> None:
    on = grad_report("relu(w*x) + b", ["w"], {"w": "2", "x": "0.5", "b": "0"})
    off = grad_report("relu(w*x) + b", ["w"], {"w": "-2", "x": "0.5", "b": "0"})
    assert on.gradient["w"] == pytest.approx(0.5)
    assert off.gradient["w"] == 0
    corner = grad_report("relu(w*x) + b", ["w", "b"], {"w": "2", "x": "0", "b": "1"})
    w, b = corner.partials
    assert w.numeric is None and w.undefined is not None
    assert "corner" in w.undefined.text and w.agree is None
    # the rule engine's formula x·H(wx) has no value (H(0)), but with x held at 0
    # the output is b for every w: the partial itself is 0
    assert w.symbolic_value == 0 and w.symbolic_note is not None
    assert b.numeric == 1 and b.agree  # b's path does not cross the corner
    assert any("corner" in note.text for note in corner.notes)
    relu = next(n for n in corner.graph.nodes if n.operation == "relu")
    assert relu.rates == (None,) and relu.gradient == 1
    text = render(corner)
    assert "corner" in text and "undefined" in text


@pytest.mark.parametrize(
    ("text", "at", "corner"),
    [
        # exactly at the corner, though floating point puts 0.1·3 − 0.3 at 5.6e-17
        # (active) and 0.7·0.1 − 0.07 at −1.4e-17 (a dead ReLU)
        ("relu(w*x + b)", {"w": "0.1", "x": "3", "b": "-0.3"}, "relu"),
        ("relu(w*x + b)", {"w": "0.7", "x": "0.1", "b": "-0.07"}, "relu"),
        ("relu(x - 0.3 + 0.1 + 0.2)", {"x": "0"}, "relu"),
        # reached through a function: sin π is 0, not 1.2e-16
        ("relu(sin(x))", {"x": "pi"}, "relu"),
        ("abs(cos(x))", {"x": "pi/2"}, "abs"),
        ("relu(x^2 - 2)", {"x": "sqrt(2)"}, "relu"),
    ],
)
def test_a_corner_met_exactly_is_a_corner_however_floating_point_rounds(
    text: str, at: dict[str, str], corner: str
) -> None:
    """The point is read exactly, and so is a value the floats make nearly 0: the
    gradient through the corner is undefined, as `diff --at` says, not 1 or 0 by
    the sign of a rounding error."""
    report = grad_report(text, None, at)
    node = next(n for n in report.graph.nodes if n.operation == corner)
    (kid,) = node.inputs
    assert report.graph.node(kid).value == 0
    for part in report.partials:
        assert part.numeric is None and part.undefined is not None and "corner" in part.undefined.text
        assert part.agree is None  # nothing claims the rule engine agrees
    assert not report.warnings  # no dead ReLU: its input is not below 0


@pytest.mark.parametrize(
    ("text", "at", "said"),
    [
        ("tan(x)", {"x": "pi/2"}, "tan is undefined at odd multiples of π/2"),
        ("tan(w*x)", {"w": "1", "x": "pi/2"}, "tan is undefined"),
        ("sec(x)", {"x": "3*pi/2"}, "sec is undefined"),
        ("cot(x)", {"x": "pi"}, "cot is undefined"),
        ("ln(sin(x))", {"x": "pi"}, "ln(0) is undefined"),
        ("1/sin(x)", {"x": "pi"}, "division by zero"),
    ],
)
def test_a_pole_met_exactly_has_no_value_not_a_huge_one(text: str, at: dict[str, str], said: str) -> None:
    """tan at the float nearest π/2 is 1.6e16: the forward pass settles the value
    exactly and names the node that has none, as for 1/x at 0."""
    with pytest.raises(DomainError) as caught:
        grad_report(text, None, at)
    assert "no value at this point" in caught.value.message and said in caught.value.message


def test_the_logistic_loss_at_a_saturated_point_has_its_gradient() -> None:
    """1 − σ(40) is 4.2e−18, not the 0.0 its terms' floats cancel to: the loss
    ln(1 − σ(40)) has a value, and so does its gradient (it was refused as
    'floating point cannot reach this point')."""
    loss = "-y*ln(sigmoid(w*x + b)) - (1 - y)*ln(1 - sigmoid(w*x + b))"
    report = grad_report(loss, None, {"x": "40", "y": "0", "w": "1", "b": "0"})
    assert report.value == pytest.approx(40)
    assert report.gradient == pytest.approx({"b": 1.0, "w": 40.0, "x": 1.0, "y": -40.0})
    assert all(part.agree for part in report.partials)
    saturated = grad_report("ln(1 - tanh(w*x))", None, {"x": "40", "w": "1"})
    assert saturated.gradient == pytest.approx({"w": -80.0, "x": -2.0})


def test_a_value_truly_near_a_corner_or_a_pole_is_kept() -> None:
    """Only an exact 0 is settled: a point beside it keeps its tiny value."""
    near = grad_report("relu(x - 0.3)", None, {"x": "0.3 + 10^-12"})
    assert near.gradient["x"] == 1
    steep = grad_report("tan(x)", None, {"x": "pi/2 - 10^-9"})
    assert steep.value == pytest.approx(1e9, rel=1e-6)


# ---------------------------------------------------------------------------
# Warnings: flagged where, and only where, the product leaves [1e-3, 1e3]
# ---------------------------------------------------------------------------


def test_twenty_stacked_sigmoids_vanish() -> None:
    report = grad_report(to_text(stacked("sigmoid", 20)), ["x"], {"x": "0.5"})
    (warning,) = report.warnings
    assert warning.kind == "vanishing" and warning.variable == "x"
    assert warning.size == abs(report.gradient["x"]) < VANISHING_BELOW
    chain = report.chains[0]
    assert len(chain.stages) == 21
    # the running product leaves the band at the first stage below 1e-3, for good
    crossed = warning.crossed_at
    assert abs(chain.stages[crossed].product) < VANISHING_BELOW <= abs(chain.stages[crossed - 1].product)
    assert warning.stages and all(abs(chain.stages[n].rate) < 0.25 for n in warning.stages)
    assert warning.path == chain.path


def _linear_layers(scale: Fraction | int, depth: int) -> Expr:
    """hₖ = scale·hₖ₋₁ + 1: the product of local rates is exactly scaleⁿ."""
    h: Expr = Sym("x")
    for _ in range(depth):
        h = add(mul(Num(scale), h), Num(1))
    return h


@pytest.mark.parametrize(
    ("scale", "depth", "kind"),
    [
        (3, 6, None),  # 729
        (3, 7, "exploding"),  # 2187
        (Fraction(1, 5), 4, None),  # 0.0016
        (Fraction(1, 5), 5, "vanishing"),  # 0.00032
        (Fraction(-3, 2), 17, None),  # 985.26
        (Fraction(-3, 2), 18, "exploding"),  # 1477.9
    ],
)
def test_flagged_exactly_where_the_product_crosses(scale, depth: int, kind: str | None) -> None:
    report = grad_report(to_text(_linear_layers(scale, depth)), ["x"], {"x": "0.25"})
    product = float(scale) ** depth
    assert report.gradient["x"] == pytest.approx(product)
    assert [w.kind for w in report.warnings] == ([kind] if kind else [])
    if kind == "exploding":
        (warning,) = report.warnings
        # two stages a layer (·scale, +1): it crosses at the last layer's product
        assert warning.size > EXPLODING_ABOVE and warning.crossed_at == 2 * depth - 1
        assert len(warning.stages) == 3


def test_a_warning_writes_its_size_so_that_it_differs_from_the_threshold() -> None:
    """1000.001 is above 1e3: written to three figures it would read 1e+03 > 1e+03."""
    assert "= 1000.001 > 1e+03" in render(grad_report("1000.001*x", None, {"x": "1"}))
    assert "= 0.0009999 < 0.001" in render(grad_report("0.0009999*x", None, {"x": "1"}))
    assert "= 2e+03 > 1e+03" in render(grad_report("2000*x", None, {"x": "1"}))


def test_a_product_that_dips_and_recovers_is_not_flagged() -> None:
    # 0.0001 then 100: the running product is 1e-4 after the first stage, 0.01 at the end
    report = grad_report("100*(0.0001*x + 1) + 1", ["x"], {"x": "2"})
    assert report.gradient["x"] == pytest.approx(0.01)
    assert report.warnings == ()
    assert abs(report.chains[0].stages[1].product) < VANISHING_BELOW


def test_moderate_networks_are_not_flagged() -> None:
    point = {"x": "0.5", "w1": "0.8", "w2": "-1.1", "w3": "0.9"}
    report = grad_report("tanh(w3*tanh(w2*tanh(w1*x)))", ["w1", "w2", "w3", "x"], point)
    assert all(VANISHING_BELOW <= abs(g) <= EXPLODING_ABOVE for g in report.gradient.values())
    assert report.warnings == ()


def test_every_layer_flags_each_weight_on_its_own() -> None:
    # deep weights sit behind many small rates; the last layer's weight does not
    expr, point = _network(30, random.Random(4))
    point = {name: (3.0 if name.startswith("w") else 0.0) for name in point} | {"x": 0.9}
    report = grad_report(to_text(expr), ["w1", "w30"], _point_text(point))
    kinds = {w.variable: w.kind for w in report.warnings}
    for item in report.partials:
        flagged = not VANISHING_BELOW <= abs(item.numeric) <= EXPLODING_ABOVE
        assert (item.variable in kinds) == flagged


# ---------------------------------------------------------------------------
# The depth sweep
# ---------------------------------------------------------------------------


def test_depth_sweep_sigmoid_vanishes_and_residual_does_not() -> None:
    sweep = depth_sweep(20, x=0.5)
    columns = {column.label: column for column in sweep.columns}
    assert set(columns) == {"sigmoid", "tanh", "relu", "x+sigmoid", "x+tanh", "x+relu"}
    sigmoid = columns["sigmoid"]
    assert sigmoid.kinds[-1] == "vanishing" and sigmoid.first == (5, "vanishing")
    assert all(b < a for a, b in zip(sigmoid.sizes, sigmoid.sizes[1:], strict=False))
    assert columns["relu"].sizes == (1.0,) * 20
    assert all(size >= 1 for size in columns["x+sigmoid"].sizes)
    assert columns["x+relu"].sizes[-1] == 2.0**20 and columns["x+relu"].first == (10, "exploding")
    # the sweep's numbers are those of grad_report on the same stack
    report = grad_report(to_text(stacked("sigmoid", 7, residual=True)), ["x"], {"x": "0.5"})
    assert columns["x+sigmoid"].sizes[6] == pytest.approx(abs(report.gradient["x"]))
    text = render_sweep(sweep)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert render_sweep(sweep, ascii=True).isascii()
    json.dumps(sweep_to_dict(sweep), allow_nan=False)


@pytest.mark.parametrize(("x", "weight"), [(0.5, 1.0), (0.3, 0.5), (-1.2, 2.0)])
def test_every_depth_of_the_sweep_agrees_with_the_backward_pass_on_its_own_stack(x: float, weight: float) -> None:
    # the sweep runs the chain rule forward once through the deepest stack; each
    # depth's number is still ∂hₙ/∂x as the backward pass finds it on hₙ alone
    sweep = depth_sweep(12, x=x, weight=weight)
    for column in sweep.columns:
        for depth, size in zip(sweep.depths, column.sizes, strict=True):
            stack = stacked(column.activation, depth, weight=Fraction(weight), residual=column.residual)
            gradient = compute_graph(stack, {"x": x}).variable("x").gradient
            if gradient is None:  # a dead relu fed exactly 0: flat on both sides, or undefined
                assert size in (0.0, None), (column.label, depth)
            else:
                assert size == pytest.approx(abs(gradient), rel=1e-12), (column.label, depth)


def test_a_sweep_past_floating_points_range_says_so_instead_of_failing(cli) -> None:
    # with w = 100, relu layers grow a hundredfold each: the values themselves
    # leave a float's range near depth 154, where the table says "too large"
    sweep = depth_sweep(160, x=0.5, weight=100.0)
    columns = {column.label: column for column in sweep.columns}
    relu, residual = columns["relu"], columns["x+relu"]
    assert relu.sizes[152] == pytest.approx(1e306) and relu.sizes[154] is None
    assert residual.sizes[152] is not None and residual.sizes[153] is None
    assert relu.kinds[154] == residual.kinds[153] == "exploding"
    assert columns["x+tanh"].sizes[-1] == pytest.approx(1.0)  # the other columns run to the end
    json.dumps(sweep_to_dict(sweep), allow_nan=False)
    run = cli("grad", "--depth-sweep", "--at", "w=1e200", "--layers", "3")
    assert run.code == 0, run.err
    assert "too large↑" in run.out
    assert "too large: the layer's value itself is past floating point's range" in run.out


def test_the_depth_sweep_reads_its_point_as_any_point_is_read(cli) -> None:
    # exact values (pi/4, 1/3), as --at takes them everywhere else
    run = cli("grad", "--depth-sweep", "--at", "x=pi/4", "--at", "w=1/2")
    assert run.code == 0 and "at x = 0.785398" in run.out and "f(0.5·h)" in run.out
    for point, message in [
        ("y=2", "error: the depth sweep has no variable y"),
        ("x=abc", "error: the value of x must be a number, not 'abc'"),
        ("w=1e400", "error: the value of w has no decimal value"),
    ]:
        run = cli("grad", "--depth-sweep", "--at", point)
        assert run.code == 2 and run.err.startswith(message), run.err
        assert "Traceback" not in run.err and "could not convert" not in run.err


# ---------------------------------------------------------------------------
# Renderers
# ---------------------------------------------------------------------------

_REPORTS = [
    ("tanh(w3*tanh(w2*tanh(w1*x)))", ["w1", "w2", "w3"], {"x": "0.5", "w1": "0.3", "w2": "-1.2", "w3": "2"}),
    ("(y - tanh(w*x + b))^2", None, {"x": "0.5", "w": "pi/4", "b": "-1", "y": "1"}),
    (to_text(stacked("sigmoid", 50)), ["x"], {"x": "0.5"}),
    ("relu(w*x) + b*x*x", None, {"x": "0", "w": "3", "b": "1"}),
    ("sin(x)*sin(x) + sin(x) + sqrt(2)*theta_1", None, {"x": "1", "theta_1": "2"}),
]


@pytest.mark.parametrize(("text", "wrt", "at"), _REPORTS)
def test_plain_text_fits_80_columns(text, wrt, at) -> None:
    report = grad_report(text, wrt, at, steps=True)
    for options in (RenderOptions(steps=False), RenderOptions(steps=False, ascii=True)):
        output = render(report, options)
        assert max(len(line) for line in output.splitlines()) <= 80, output
    assert render(report, RenderOptions(steps=False, ascii=True)).isascii()
    # with the steps, the derivation (drawn by the plain renderer) follows each result
    assert "step by step" in render(report, RenderOptions(steps=True))


@pytest.mark.parametrize(("text", "wrt", "at"), _REPORTS)
def test_json_has_the_promised_fields(text, wrt, at) -> None:
    report = grad_report(text, wrt, at)
    record = json.loads(json.dumps(report_to_dict(report), allow_nan=False))
    assert record["value"] == report.value
    assert set(record["gradient"]) == set(report.variables) == set(record["symbolic"])
    for node in record["nodes"]:
        assert {"id", "operation", "inputs", "value", "local_rates", "gradient"} <= set(node)
        assert len(node["local_rates"]) == len(node["inputs"])
    for warning in record["warnings"]:
        assert warning["kind"] in ("vanishing", "exploding")
        assert warning["variable"] in report.variables and warning["size"] >= 0
    for chain in record["chain"].values():
        assert chain["stages"][0]["local_rate"] is None
    assert record["point"]


def test_the_sigmoid_report_reads_well() -> None:
    report = grad_report("sigmoid(sigmoid(sigmoid(x)))", ["x"], {"x": "0.5"})
    text = render(report)
    assert "chain of local rates for x" in text
    assert "running product" in text and "agrees" in text
    assert "warnings: none" in text
    deep = render(grad_report(to_text(stacked("sigmoid", 20)), ["x"], {"x": "0.5"}))
    assert "vanishing gradient for x" in deep and "stage 5" in deep


# ---------------------------------------------------------------------------
# Size
# ---------------------------------------------------------------------------


def test_a_thousand_node_graph(capsys) -> None:
    expr, point = _network(200, random.Random(1))  # w, ·, b, +, tanh a layer, and x
    start = time.perf_counter()
    graph = compute_graph(expr, point)
    elapsed = time.perf_counter() - start
    assert len(graph.nodes) >= 1000
    w1 = graph.variable("w1")
    assert w1 is not None and w1.gradient is not None
    with capsys.disabled():
        print(f"\n{len(graph.nodes)}-node graph: forward + backward {elapsed * 1000:.0f} ms")
    # 1000 stacked sigmoids: the gradient underflows to 0 in floats, but the chain's
    # log size still says how small it is
    report = grad_report(to_text(stacked("sigmoid", 1000)), ["x"], {"x": "0.5"})
    assert report.gradient["x"] == 0.0 and report.warnings[0].kind == "vanishing"
    stages = report.chains[0].stages
    assert len(stages) == 1001
    assert stages[-1].log10_size == pytest.approx(sum(math.log10(s.rate) for s in stages[1:]))
    assert stages[-1].log10_size < -600


@pytest.mark.parametrize("fmt", ["plain", "rich", "json"])
def test_a_constant_has_an_empty_gradient_not_a_traceback(cli, fmt: str) -> None:
    run = cli("grad", "5", "--format", fmt)
    assert run.code == 0, run.err
    assert "Traceback" not in run.out + run.err
    if fmt != "json":
        assert "no variables" in run.out


def test_the_corner_of_abs_is_a_corner_with_its_two_slopes() -> None:
    text = " ".join(render(grad_report("abs(x)", ["x"], {"x": "0"})).split())
    assert "is at the corner of |u| at u = 0 (slope −1 just left of it, 1 just right of it)" in text


def test_a_partial_the_backward_pass_cannot_give_is_still_found_where_it_exists() -> None:
    # a ReLU unit whose input is 0: backpropagation meets relu's corner, yet the
    # output is relu(w·0) = 0 for every w, so ∂out/∂w = 0; ∂out/∂x is relu's own
    # corner and has no value
    report = grad_report("relu(w*x)", ["w", "x"], {"w": "1", "x": "0"})
    by_weight, by_input = report.partials
    assert by_weight.numeric is None and by_weight.symbolic_value == 0
    assert by_weight.symbolic_note is not None and by_weight.agree is None
    assert by_input.symbolic_value is None and by_input.symbolic_note is None
    text = " ".join(render(report).split())
    assert "∂out/∂w = 0, by the rule engine; the backward pass has no value" in text
    assert "the rule engine's value: the formula has no value here; this is the derivative" in text
    record = report_to_dict(report)
    assert record["gradient"] == {"w": 0.0, "x": None}
    assert "held at their values" in record["partials"][0]["symbolic_note"]
    assert "symbolic_note" not in record["partials"][1]


def test_a_formula_with_a_value_at_a_corner_is_not_taken_for_the_derivative() -> None:
    # sign(w)·w is |w|: its derivative formula sign(w) has the value 0 at 0, but
    # |w| has no derivative there, as `diff --at` says too
    (partial,) = grad_report("sign(w)*w", ["w"], {"w": "0"}).partials
    assert partial.numeric is None and partial.symbolic_value is None
    assert "does not exist" in (partial.symbolic_undefined or "")
    assert "evaluates to 0" not in " ".join(render(grad_report("sign(w)*w", ["w"], {"w": "0"})).split())


def test_no_warning_claims_the_size_of_an_undefined_gradient() -> None:
    text = render(grad_report("relu(w*x)", ["w", "x"], {"x": "1", "w": "0"}))
    assert "warnings: none" in text
    assert "gradient's size is within" not in text


def test_a_deep_network_is_written_as_json_without_running_out_of_stack() -> None:
    # comparing two equal 100-layer expressions (a printer's cache lookup) used to
    # recurse once per layer on the ordinary stack
    text = "x"
    for i in range(100):
        text = f"tanh(w{i}*{text} + b{i})"
    point = {"x": "0.5", **{f"w{i}": "1.1" for i in range(100)}, **{f"b{i}": "0.1" for i in range(100)}}
    report = grad_report(text, ["x", "w0"], point)
    record = report_to_dict(report)
    assert record["partials"][0]["agree"] is True


def test_a_variable_given_twice_is_refused_not_dropped(cli) -> None:
    run = cli("grad", "sin(w*x)", "--at", "x=1,w=1", "--at", "x=2,w=2")
    assert run.code == 2
    assert "grad takes one point, and --at gives w twice" in run.err
    assert "at x = 1, w = 2" in cli("grad", "sin(w*x)", "--at", "x=1", "--at", "w=2", "-f", "plain").out


def test_running_out_of_memory_is_a_message_not_a_traceback(cli, monkeypatch) -> None:
    import calcstep.grad

    def too_big(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(calcstep.grad, "grad_report", too_big)
    run = cli("grad", "tanh(w*x + b)", "--at", "x=1,w=1,b=0")
    assert run.code == 2
    assert run.err.startswith("error: the expression needs more memory than is available")


def test_a_zero_made_by_rounding_is_not_called_undefined(cli) -> None:
    # 1 − cos(10⁻⁹) is 0.0 in floating point, though not 0 (1 − σ(40) and
    # 1 − tanh(40) are worked out as σ(−40) and 2σ(−80): see the logistic loss
    # above); the function exists, and the message says so and how to write it
    run = cli("grad", "ln(1 - cos(x))", "--at", "x=10^-9")
    assert run.code == 2
    assert "floating point cannot reach this point" in run.err and "not 0" in run.err
    assert "sigmoid(−u)" in run.err
    undefined = cli("grad", "ln(x)", "--at", "x=0")
    assert "the expression has no value at this point" in undefined.err


@pytest.mark.parametrize("fn", ["sech", "csch"])
def test_sech_and_csch_far_out_are_small_not_too_large(fn: str) -> None:
    report = grad_report(f"{fn}(x)", ["x"], {"x": "800"})
    assert report.partials[0].numeric == 0 and report.partials[0].agree
    assert evaluate(Call(fn, Num(3)), {}) == pytest.approx(1 / (math.cosh(3) if fn == "sech" else math.sinh(3)))


def test_the_numbers_left_out_of_the_node_table_are_named() -> None:
    # constants are written into the formulas, not shown as rows: the table's
    # node numbers skip them, and its footer says which they are
    text = " ".join(render(grad_report("sigmoid(2*w*x + 1)", ["w", "x"], {"w": "1", "x": "0.5"})).split())
    assert "n₁ = 2, n₅ = 1 are numbers, written into the formulas" in text
    plain = " ".join(render(grad_report("sigmoid(w*x)", ["w"], {"w": "1", "x": "0.5"})).split())
    assert "are numbers" not in plain and "is a number" not in plain


def test_paths_that_cancel_are_not_a_vanishing_gradient() -> None:
    # w·sin(wx) where its two paths' products cancel: the gradient is 1e-7, yet no
    # product of local rates shrank, so no vanishing warning (the lesson's vanishing
    # gradient is a long product of rates below 1), and a note says why it is small
    report = grad_report("w*sin(w*x)", ["w"], {"w": "2.0287578", "x": "1"})
    assert abs(report.gradient["w"]) < 1e-3
    assert report.warnings == ()
    text = " ".join(render(report).split())
    assert "the paths' products cancel" in text and "warnings: none" in text
    assert "gradient's size is within" not in text
    deep = grad_report("sigmoid(sigmoid(sigmoid(sigmoid(sigmoid(x)))))", ["x"], {"x": "0.5"})
    assert [w.kind for w in deep.warnings] == ["vanishing"]


def test_a_dead_relu_stack_vanishes_in_the_sweep() -> None:
    # relu(relu(x)) at x = −0.5 is 0 near there: its rate is 0 (vanishing), not
    # undefined, though the backward pass meets relu's corner at 0
    sweep = depth_sweep(3, x=-0.5, activations=("relu",))
    plain = sweep.columns[0]
    assert plain.sizes == (0.0, 0.0, 0.0) and plain.kinds == ("vanishing",) * 3
    text = render_sweep(depth_sweep(3, x=0.5, weight=-1.0))
    assert "residual stacks can vanish too" in " ".join(text.split())


def test_a_point_below_floating_point_is_refused_as_such(cli) -> None:
    # 1e-400 rounds to 0.0: said of the value, not blamed on a difference of
    # nearly equal numbers at ln's node
    run = cli("grad", "ln(w)", "--at", "w=1e-400")
    assert run.code == 2
    assert run.err.startswith("error: the value of w is too small for floating point")
    assert "calcstep diff --at computes exactly" in run.err


@pytest.mark.parametrize(
    ("text", "point", "expected"),
    [("x*abs(x)", {"x": "0"}, {"x": 0.0}), ("relu(x)^2", {"x": "0"}, {"x": 0.0}),
     ("abs(x)^3", {"x": "0"}, {"x": 0.0}), ("relu(x) - relu(-x)", {"x": "0"}, {"x": 1.0})],
)
def test_a_corner_whose_rate_is_multiplied_by_0_still_has_a_gradient(text: str, point: dict, expected: dict) -> None:
    # x·|x| at 0: the backward pass meets |u|'s corner, whose undefined rate is
    # multiplied by x = 0; the derivative 2|x| exists and is 0, and the gradient
    # says so (a script reading JSON gets 0, not null), as `diff --at` does
    report = grad_report(text, None, point)
    assert report.gradient == expected
    assert report.partials[0].numeric is None  # the backward pass itself has none
    assert report_to_dict(report)["gradient"] == expected


@pytest.mark.parametrize(
    ("text", "point", "expected"),
    [("relu(100*x)^2", {"x": "0"}, 0.0), ("relu(x)^2*100", {"x": "0"}, 0.0),
     ("abs(ln(1+x^2))", {"x": "0"}, 0.0), ("x+relu(relu(x-1))", {"x": "0"}, 1.0),
     ("acot(x)", {"x": "0"}, None), ("x*acot(x)", {"x": "0"}, None), ("10^7+sign(x)", {"x": "0"}, None),
     ("x+sign(x)/10^7", {"x": "0"}, None), ("x+sqrt(relu(x))", {"x": "-1"}, 1.0),
     # a corner typed as a decimal is a corner (it once gave −1 for |x| at 0.0)
     ("abs(x)", {"x": "0.0"}, None), ("(1-x)^2 + abs(x)", {"x": "0.0"}, None),
     ("(1 - relu(x-0.5))^2", {"x": "0.5"}, None)],
)
def test_the_gradient_at_a_corner_is_decided_from_its_two_sides(text: str, point: dict, expected: float | None) -> None:
    # found by QA: a large factor made relu(100x)² look like 10⁻⁴ at 0 (an average
    # beside the point); a jump of 10⁻⁷, or arccot's jump at 0, passed as no jump;
    # |ln(1 + x²)| is ln(1 + x²) on both sides of 0 and smooth
    assert grad_report(text, None, point).gradient == {"x": expected}


def test_an_undefined_rate_of_a_power_names_the_input_it_fails_on() -> None:
    # x^y at x = −2: the rate for y is x^y·ln(x), undefined because of x (n₁),
    # not "at n₂ = 2"; a negative base to a power known only as a float is not
    # called an even root
    text = " ".join(render(grad_report("x^y", None, {"x": "-2", "y": "2"})).split())
    assert "the local rate of n₃ for n₂, n₁^n₂·ln(n₁), is undefined here: ln(-2) is undefined" in text
    with pytest.raises(DomainError) as caught:
        grad_report("x^y", None, {"x": "-8", "y": "1/3"})
    assert "even root" not in caught.value.message


def test_a_small_rate_that_is_no_saturation_is_not_called_one() -> None:
    # (σ(wx + b) − y)² with the prediction right: ∂out/∂y = −2(σ − y) is tiny because
    # the error is, not because a squashing stage saturates; σ's own flat tail is
    text = " ".join(render(grad_report("(sigmoid(w*x+b)-y)^2", None,
                                       {"x": "1", "w": "20", "b": "0", "y": "1"})).split())
    assert "one stage does it alone, and not by saturating: its own rate is nearly 0 at this point" in text
    assert "one saturated stage" not in text
    squashed = " ".join(render(grad_report("tanh(w*x)*3", None, {"x": "1", "w": "30"})).split())
    assert "one saturated stage does it alone" in squashed


def test_a_relu_below_0_is_called_inactive_not_vanishing_by_a_product() -> None:
    # found by a review: a rate of exactly 0 is no "nearly 0", and a ReLU's is the
    # unit switched off, the dead-ReLU problem, not a long product of small rates
    text = " ".join(render(grad_report("relu(w*x+b)", None, {"x": "1", "w": "-2", "b": "0.5"})).split())
    assert "a ReLU whose input is below 0 here passes no gradient at all" in text
    assert "nearly 0" not in text


def test_a_value_too_large_for_a_float_is_not_called_no_value() -> None:
    # x² at 1e200 is 1e400: it exists, a float cannot hold it
    with pytest.raises(DomainError) as caught:
        grad_report("x^2", None, {"x": "1e200"})
    assert caught.value.message.startswith("the expression's value at this point is too large for floating point")
    with pytest.raises(DomainError) as undefined:
        grad_report("ln(x)", None, {"x": "-1"})
    assert undefined.value.message.startswith("the expression has no value at this point")


def test_layers_without_the_depth_sweep_is_refused(cli) -> None:
    # --layers sizes the depth sweep only: given alone it is not silently ignored
    run = cli("grad", "x^2", "--at", "x=1", "--layers", "5")
    assert run.code == 2
    assert run.err.startswith("error: --layers applies only with --depth-sweep")
    assert cli("grad", "--depth-sweep", "--layers", "3", "-f", "json").code == 0


def test_a_linear_network_typed_in_brackets_is_a_stage_per_layer() -> None:
    # w₃·(w₂·(w₁·x)): the rule engine reads one product, the graph keeps the three
    # layers, so a nudge in w₁ is multiplied by x, then by w₂, then by w₃
    point = {"x": 1.5, "w1": 0.5, "w2": -2.0, "w3": 3.0}
    report = grad_report("w3*(w2*(w1*x))", ["w1", "w2", "w3", "x"], _point_text(point))
    _check_against_oracles(report, point)
    chain = {c.variable: c for c in report.chains}["w1"]
    assert [report.graph.node(s.node).formula for s in chain.stages] == [
        Sym("w1"), mul(Sym("n3"), Sym("n4")), mul(Sym("n2"), Sym("n5")), mul(Sym("n1"), Sym("n6"))
    ]
    assert [stage.rate for stage in chain.stages[1:]] == [1.5, -2.0, 3.0]
    assert chain.stages[-1].product == pytest.approx(-9.0)


def test_a_deep_linear_network_shows_where_its_gradient_vanishes(cli) -> None:
    text = "x"
    for _ in range(12):
        text = f"w*({text})"
    out = " ".join(cli("grad", text, "--at", "w=0.5,x=1", "--wrt", "x", "--format", "plain").out.split())
    assert "12 n₁₄ n₁·n₁₃ 0.5 0.000244141" in out
    assert "the running product falls below 0.001 at stage 10 (n₁₂ = n₁·n₁₁)" in out


def test_explain_shows_the_steps_it_explains(cli) -> None:
    # --explain alone is not silently ignored: it shows each partial's steps, explained
    out = cli("grad", "w*x", "--at", "w=1,x=2", "--wrt", "w", "--explain", "--format", "plain").out
    assert "∂/∂w step by step:" in out and "why: w is the variable itself" in out


def test_an_odd_root_in_brackets_has_a_value_below_0() -> None:
    # x^(1/3) at −8 is −2: the bracketed 1/3 is the number it reads as, not a
    # product of one factor that made the root's exponent a node of its own
    report = grad_report("x^(1/3)", ["x"], {"x": "-8"})
    assert report.value == pytest.approx(-2.0)
    assert report.partials[0].numeric == pytest.approx(1 / 12)


@pytest.mark.parametrize(
    ("text", "title", "layer"),
    [
        # a bracketed product as a divisor is one node, shared with the numerator's
        ("(w*x + b)/(w*x)", "(wx + b)/(wx)", "w*x"),
        # and under a minus sign it stays a node of its own
        ("a - (w*x)", "a − wx", "w*x"),
        ("(x + y) + z", "(x + y) + z", "x + y"),
    ],
)
def test_a_bracketed_layer_is_a_node_wherever_it_stands(text: str, title: str, layer: str) -> None:
    point = {"w": "2", "x": "3", "b": "1", "a": "1", "y": "1", "z": "1"}
    report = grad_report(text, None, {name: value for name, value in point.items() if name in text})
    assert render(report, RenderOptions()).splitlines()[0] == f"gradient of {title}"
    assert sum(1 for node in report.graph.nodes if node.expr == parse_expr(layer)) == 1
    for item in report.partials:
        assert item.agree, item


def test_a_long_symbolic_derivative_breaks_between_factors_and_says_where_the_rest_is() -> None:
    # it was cut mid-name ("sigmoid(wx" / ")))") and ended in a bare "…"
    report = grad_report("sigmoid(sigmoid(sigmoid(sigmoid(w*x))))", ["w"], {"x": "10", "w": "5"})
    for ascii in (False, True):
        lines = render(report, RenderOptions(ascii=ascii)).splitlines()
        first = next(i for i, line in enumerate(lines) if line.lstrip().startswith(("∂/∂w =", "d/dw =")))
        formula = lines[first : first + 3]
        assert all(len(line) <= 80 for line in formula)
        assert all(line.endswith(("·", "*", "−", "-")) for line in formula[:-1]), formula
        assert formula[-1].endswith(("… (all of it: --format json)", "... (all of it: --format json)"))


# ---------------------------------------------------------------------------
# A gradient of 0 at a stationary point is no vanishing gradient
# ---------------------------------------------------------------------------


def _sympy_second(report: GradReport, var: str, point: dict[str, float]) -> float | None:
    return mp_value(sp.diff(to_sympy(report.expr), symbol(var), 2), point)


@pytest.mark.parametrize(
    ("text", "at", "kind"),
    [
        ("(w*x-y)^2", {"w": "1", "x": "1", "y": "1"}, "minimum"),  # a loss at its minimum
        ("(w*x-y)^2", {"w": "0.1", "x": "3", "y": "0.3"}, "minimum"),  # its 0 settled exactly
        ("-(w*x-y)^2", {"w": "1", "x": "1", "y": "1"}, "maximum"),
        ("(w*x-y)^3", {"w": "2", "x": "1", "y": "2"}, "flat point"),
        ("cos(w*x)", {"w": "0", "x": "1"}, None),  # a maximum along w; along x, cos(0·x) is flat
        ("(tanh(w*x+b)-y)^2", {"w": "1/2", "x": "1", "b": "0", "y": "tanh(1/2)"}, "minimum"),
    ],
)
def test_a_zero_gradient_at_a_stationary_point_is_no_vanishing_gradient(text: str, at: dict, kind: str | None) -> None:
    # found by a review: the zero gradient of a loss at its minimum was flagged
    # "vanishing gradient", which an ML student reads as a training problem
    report = grad_report(text, None, at)
    assert not report.warnings
    point = {name: value for name, _, value in report.point}
    assert {s.variable for s in report.stationary} == set(report.variables)
    for item in report.stationary:
        assert report.gradient[item.variable] == 0
        truth = _sympy_second(report, item.variable, point)
        assert truth is not None and agrees(item.curvature, truth), (item, truth)
        expected = "minimum" if truth > 1e-12 else "maximum" if truth < -1e-12 else "flat point"
        assert item.kind == expected and (kind is None or item.variable != "w" or item.kind == kind)
        stage = report.chains[report.variables.index(item.variable)].stages[item.stage]
        assert stage.rate == 0 and stage.node == item.node
    text_out = render(report)
    assert "vanishing gradient for" not in text_out and "stationary point for" in text_out


def test_the_loss_at_its_minimum_says_so_plainly(cli) -> None:
    out = cli("grad", "(w*x-y)^2", "--wrt", "w", "--at", "w=1,x=1,y=1", "--format", "plain").out
    warnings = out[out.index("warnings"):]
    assert warnings == (
        "warnings: none\n"
        "  stationary point for w: ∂out/∂w = 0 because the output is at a minimum along\n"
        "    w, with x and y held (∂²out/∂w² = 2 > 0): stage 3 (n₉ = n₇²) has local rate\n"
        "    0 at n₇ = 0, a flat point of n₇². The output is flat here; no product of\n"
        "    local rates shrank (that would be a vanishing gradient), so nothing is\n"
        "    wrong.\n"
    )
    ascii = cli("grad", "(w*x-y)^2", "--wrt", "w", "--at", "w=1,x=1,y=1", "--format", "plain", "--ascii").out
    assert "(d^2 out/d w^2 = 2 > 0)" in " ".join(ascii.split()) and ascii.isascii()


@pytest.mark.parametrize(("text", "kind", "order", "value"), [
    ("w^4", "minimum", 4, 24.0), ("-w^4", "maximum", 4, -24.0), ("w^3", "flat point", 3, 6.0),
    ("(w*x-1)^6", "minimum", 6, 720.0),
])
def test_where_the_curvature_is_0_the_first_derivative_that_is_not_decides(
    cli, text: str, kind: str, order: int, value: float
) -> None:
    # found by a review: w⁴ at 0, a strict minimum, was a "flat point, no minimum
    # or maximum can be told"; the higher-derivative test tells it, as SymPy's
    # derivatives at the point agree
    at = "w=0" if "x" not in text else "w=1,x=1"
    record = json.loads(cli("grad", text, "--wrt", "w", "--at", at, "--format", "json").out)
    (item,) = record["stationary"]
    assert (item["kind"], item["curvature"], item["test_order"], item["test_value"]) == (kind, 0.0, order, value)
    w = symbol("w")
    function = to_sympy(parse_expr(text)).subs(symbol("x"), 1)
    point = {w: 0 if "x" not in text else 1}
    assert [float(sp.diff(function, w, n).subs(point)) for n in range(2, order + 1)] == [0] * (order - 2) + [value]


def test_a_zero_rate_rounded_by_floating_point_is_still_a_stationary_point() -> None:
    # cos at the float nearest π/2 is 6.1e-17, not 0: settled exactly, as values are
    report = grad_report("sin(x)", None, {"x": "pi/2"})
    (item,) = report.stationary
    assert not report.warnings and item.kind == "maximum" and agrees(item.curvature, -1.0)
    text = " ".join(render(report).split())
    assert "∂out/∂x is 0 (6.12323e-17 is floating point's rounding of it)" in text
    # a saturated sigmoid's tiny rate is no rounded 0: still flagged
    saturated = grad_report("sigmoid(x)", None, {"x": "40"})
    assert not saturated.stationary and [w.kind for w in saturated.warnings] == ["vanishing"]


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("relu(w*x+b)", {"x": "1", "w": "-2", "b": "0.5"}),  # a ReLU switched off: 0 beside it too
        ("w*x", {"w": "1", "x": "0"}),  # a factor 0: the output does not depend on w here
    ],
)
def test_a_flat_stretch_stays_a_warning(text: str, at: dict) -> None:
    report = grad_report(text, None, at)
    assert not report.stationary
    assert "w" in {w.variable for w in report.warnings if w.kind == "vanishing"}


def test_a_long_product_of_small_rates_is_still_vanishing() -> None:
    report = grad_report(to_text(stacked("sigmoid", 20)), ["x"], {"x": "0.5"})
    assert not report.stationary and [w.kind for w in report.warnings] == ["vanishing"]


def test_stationary_points_are_in_the_json_as_the_schema_says(cli) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).parent.parent / "calcstep" / "schemas" / "grad.schema.json").read_text())
    run = cli("grad", "(w*x-y)^2", "--at", "w=1,x=1,y=1", "--format", "json")
    record = json.loads(run.out)
    jsonschema.validate(record, schema)
    assert record["warnings"] == []
    assert [(s["variable"], s["kind"], s["curvature"]) for s in record["stationary"]] == [
        ("w", "minimum", 2.0), ("x", "minimum", 2.0), ("y", "minimum", 2.0)
    ]
    assert record["stationary"][0]["message"].startswith("stationary point for w: d out/d w = 0 because")


# ---------------------------------------------------------------------------
# A weight on a few paths: every path's product, and their sum
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "at", "count"),
    [
        ("w*sigmoid(w*x)", {"w": "0.5", "x": "2"}, 2),
        ("w*sin(w*x)", {"w": "1", "x": "2"}, 2),
        ("tanh(w*x)*w + w^2", {"w": "-0.7", "x": "1.5"}, 3),
        ("w*exp(w*x) - sin(w)*w", {"w": "0.3", "x": "-2"}, 4),
        ("x + tanh(x + tanh(x))", {"x": "0.4"}, 3),  # two residual layers
    ],
)
def test_a_few_paths_are_listed_and_their_products_add_up_to_the_gradient(text: str, at: dict, count: int) -> None:
    report = grad_report(text, None, at)
    variable = "x" if text.startswith("x +") else "w"
    chain = next(c for c in report.chains if c.variable == variable)
    assert chain.paths == len(chain.every) == count
    point = {name: value for name, _, value in report.point}
    truth = _sympy_gradient(report.expr, variable, point)
    products = [path.product for path in chain.every]
    assert agrees(math.fsum(products), truth, sum(map(abs, products)))
    assert len({path.nodes for path in chain.every}) == count and chain.path in {p.nodes for p in chain.every}
    for path in chain.every:  # each step is an edge of the graph, with that edge's rate
        assert path.nodes[0] == report.graph.variable(variable).id and path.nodes[-1] == report.graph.output.id
        assert len(path.rates) == len(path.nodes) - 1
    text_out = " ".join(render(report).split())
    assert "by the multivariable chain rule" in text_out
    assert f"path {count} " in text_out and f"path {count + 1} " not in text_out


def test_the_shared_weight_shows_its_two_paths_and_their_sum(cli) -> None:
    out = cli("grad", "w*sigmoid(w*x)", "--wrt", "w", "--at", "w=0.5,x=2", "--format", "plain").out
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("chain of local rates for w"))
    assert lines[start:start + 9] == [
        "chain of local rates for w: a nudge in w multiplied stage by stage",
        "stage  node    operation           local rate    running product",
        "    0  n₁      w                   —             1",
        "    1  n₅      n₁·n₄               0.731059      0.731059",
        "this is the largest of 2 paths from w to the output; by the multivariable chain",
        "rule ∂out/∂w adds the products of the local rates along each of them:",
        "  path 1  w → n₃ → n₄ → n₅   2 · 0.196612 · 0.5 = 0.196612",
        "  path 2  w → n₅             0.731059 (the chain above)",
        "  sum     ∂out/∂w = 0.196612 + 0.731059 = 0.927671",
    ]
    ascii = cli("grad", "w*sin(w*x)", "--wrt", "w", "--at", "w=1,x=2", "--format", "plain", "--ascii").out
    assert "  path 1  w -> n3 -> n4 -> n5   2 * (-0.416147) * 1 = -0.832294" in ascii
    assert "  sum     d out/d w = -0.832294 + 0.909297 = 0.0770038" in ascii
    record = json.loads(cli("grad", "w*sigmoid(w*x)", "--at", "w=0.5,x=2", "--format", "json").out)
    assert [p["path"] for p in record["chain"]["w"]["every_path"]] == [[1, 3, 4, 5], [1, 5]]
    assert record["chain"]["x"]["every_path"] == [
        {"path": [2, 3, 4, 5], "local_rates": [0.5, pytest.approx(0.196612, rel=1e-5), 0.5],
         "product": pytest.approx(0.049153, rel=1e-5)}
    ]


def test_many_paths_keep_the_summary() -> None:
    report = grad_report(to_text(stacked("tanh", 3, residual=True)), ["x"], {"x": "0.5"})
    (chain,) = report.chains
    assert chain.paths == 8 and chain.every == ()
    text = " ".join(render(report).split())
    assert "this is the largest of 8 paths from x to the output; ∂out/∂x = " in text
    assert "path 1" not in text


def test_a_long_path_is_elided_in_the_middle() -> None:
    report = grad_report("w*" + to_text(stacked("sigmoid", 8, var="w")), ["w"], {"w": "0.5"})
    (chain,) = report.chains
    assert chain.paths == 2
    lines = render(report).splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("  path 1"))
    assert lines[first:first + 2] == [
        "  path 1  w → n₂ → n₃ → … → n₉ → n₁₀   0.235004 · 0.227266 · 0.225293 · … ·",
        "          0.224705 · 0.5 = 3.44917e-06",
    ]


# ---------------------------------------------------------------------------
# '-' reads stdin only for diff
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("grad", ("-", "--at", "x=1")),
        ("parse", ("-",)),
        ("check", ("-", "2x")),
        ("check", ("x^2", "-")),
    ],
)
def test_a_dash_for_stdin_is_refused_with_a_hint_outside_diff(cli, command: str, args: tuple) -> None:
    # found by a review: `echo x | calcstep grad -` said "missing operand after '-'"
    run = cli(command, *args, stdin="x\n")
    assert run.code == 2 and run.out == ""
    assert run.err.splitlines() == [
        f"error: calcstep {command} reads no expressions from stdin: '-' stands for stdin only in calcstep diff",
        f'hint: give the expression itself, e.g. calcstep {command} "$(cat FILE)" ..., or run it once a line: '
        f'while IFS= read -r e; do calcstep {command} "$e" ...; done < FILE',
    ]
    record = json.loads(cli(command, *args, "--format", "json", stdin="x\n").out)
    assert record["error"]["kind"] == "usage" and "stdin" in record["error"]["message"]


def test_the_refusal_of_a_dash_is_in_the_schema_and_a_minus_still_reads(cli) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).parent.parent / "calcstep" / "schemas" / "grad.schema.json").read_text())
    run = cli("grad", "-", "--at", "x=1", "--format", "json")
    jsonschema.validate(json.loads(run.out), schema)
    assert run.code == 2
    assert cli("grad", "-x", "--at", "x=1", "--format", "plain").code == 0  # a minus sign is no dash
    assert cli("diff", "-", stdin="x^2\n").code == 0  # diff reads stdin as before


# ---------------------------------------------------------------------------
# A stationary point's verdict is the second derivative's, whatever the factor
# order: the 0 found first can be a product's factor of 0, no cause of it
# ---------------------------------------------------------------------------


def _verdict(truth: float) -> str:
    return "minimum" if truth > 1e-12 else "maximum" if truth < -1e-12 else "flat point"


@pytest.mark.parametrize("text", ["w*(w*x-1)^2", "(w*x-1)^2*w"])
def test_a_product_with_a_squared_error_is_at_a_minimum_in_either_order(text: str) -> None:
    # found by a regression hunt: w·(wx − 1)² took the path w → n₈, whose 0 is the
    # factor n₇ = 0, and was called a vanishing gradient; (wx − 1)²·w a minimum
    report = grad_report(text, ["w"], {"w": "2", "x": "1/2"})
    assert not report.warnings
    (item,) = report.stationary
    assert (item.kind, item.curvature, item.flat) == ("minimum", 1.0, True)
    chain = report.chains[0]
    assert report.graph.node(chain.stages[item.stage].node).formula == parse_expr("n5^2")
    shown = " ".join(render(report).split())
    assert "vanishing gradient for" not in shown
    assert "at a minimum along w, with x held (∂²out/∂w² = 1 > 0): stage 3 (n₇ = n₅²)" in shown


def test_a_sum_of_paths_each_zero_for_its_own_reason_is_at_a_minimum() -> None:
    # sin(wx)·w + cos(w) at w = 0: two paths are 0 by a product's factor of 0, the
    # third by cos at its flat point; f'' = 2x − 1 = 3 > 0
    report = grad_report("sin(w*x)*w + cos(w)", ["w"], {"w": "0", "x": "2"})
    assert not report.warnings
    (item,) = report.stationary
    assert item.kind == "minimum" and agrees(item.curvature, 3.0)
    truth = _sympy_second(report, "w", {"w": 0.0, "x": 2.0})
    assert truth is not None and agrees(item.curvature, truth)
    assert "stage 1 (n₆ = cos(n₁)) has local rate 0 at n₁ = 0, a flat point of cos(n₁)" in " ".join(
        render(report).split()
    )


def test_a_stationary_point_no_stage_explains_is_told_by_the_second_derivative() -> None:
    # w·sin(wx) at w = 0: every path's 0 is a product's factor of 0, none a flat
    # point of its operation; f'' = 2x = 4 decides, and the sentence says so
    report = grad_report("w*sin(w*x)", ["w"], {"w": "0", "x": "2"})
    (item,) = report.stationary
    assert not report.warnings and item.kind == "minimum" and not item.flat and item.curvature == 4.0
    shown = " ".join(render(report).split())
    assert "every path's product of local rates is 0 (the chain's from stage 1, n₅ = n₁·n₄, of local rate 0)" in shown
    assert "the second derivative alone tells the kind" in shown


@pytest.mark.parametrize(
    ("factor", "at"),
    [
        ("(w*x-1)^2", {"w": "2", "x": "1/2"}),  # f = f' = 0: (wf)'' = 2f' + wf'' > 0
        ("-(w*x-1)^2", {"w": "2", "x": "1/2"}),  # a maximum
        ("(w-1)^2", {"w": "1"}),
        ("(w-1)^3", {"w": "1"}),  # (wf)'' = 0: a flat point, the cube explains it
        ("sin(w*x)", {"w": "0", "x": "2"}),  # (wf)'' = 2x: no flat stage, f'' decides
        ("-sin(w*x)", {"w": "0", "x": "3"}),
        ("tanh(w)", {"w": "0"}),
        ("cos(w) - 1", {"w": "0"}),  # (wf)'' = 0, and cos at 0 is flat
        ("sigmoid(w) - 1/2", {"w": "0"}),  # (wf)'' = 2σ'(0) = 1/2: a minimum, no flat stage
    ],
)
def test_the_stationary_kind_is_the_second_derivatives_sign_in_either_factor_order(factor: str, at: dict) -> None:
    verdicts = set()
    for text in (f"w*({factor})", f"({factor})*w"):
        report = grad_report(text, ["w"], at)
        assert report.gradient["w"] == 0, text
        point = {name: value for name, _, value in report.point}
        truth = _sympy_second(report, "w", point)
        assert truth is not None
        assert not report.warnings, (text, report.warnings)
        (item,) = report.stationary
        assert item.kind == _verdict(truth) and agrees(item.curvature, truth), (text, item, truth)
        verdicts.add((item.kind, item.flat))
    assert len(verdicts) == 1, verdicts  # the order factors are written in changes nothing
