"""The JSON that `calcstep check` and `calcstep grad` write, against the schemas
script users are given (calcstep/schemas/check.schema.json, grad.schema.json).

Every object in the schemas whose keys are fixed says `additionalProperties:
false`, so a field renamed or added without the schema fails here.  The enums
the code keeps one list of (the mistake ids, the check's methods, the error
kinds, a graph node's operation words, the thresholds) are compared with the
code's own list, not with a copy typed here.
"""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from jsonschema import Draft202012Validator

from calcstep import errors
from calcstep.check import _SLIP_LIST, MISTAKES, Method
from calcstep.cli import DEFAULT_SWEEP_LAYERS
from calcstep.functions import BY_NAME
from calcstep.grad import (
    EXPLODING_ABOVE,
    NAMED_STAGES,
    VANISHING_BELOW,
    depth_sweep,
    operation_word,
)
from calcstep.parse import parse

SCHEMAS = Path(__file__).parent.parent / "calcstep" / "schemas"


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


CHECK = _schema("check.schema.json")
GRAD = _schema("grad.schema.json")
CHECK_VALIDATOR = Draft202012Validator(CHECK)
GRAD_VALIDATOR = Draft202012Validator(GRAD)


def _no_constant(name: str) -> float:
    raise AssertionError(f"{name} is not JSON: a float JSON cannot hold was written")


def _record(run, validator: Draft202012Validator) -> dict:
    """The run's one JSON line, strictly parsed (no NaN or Infinity), validated."""
    lines = run.out.splitlines()
    assert len(lines) == 1, run.out + run.err
    record = json.loads(lines[0], parse_constant=_no_constant)
    validator.validate(record)
    return record


def check(cli, *args: str) -> tuple[int, dict]:
    run = cli("check", *args, "--format", "json")
    return run.code, _record(run, CHECK_VALIDATOR)


def grad(cli, *args: str) -> tuple[int, dict]:
    run = cli("grad", *args, "--format", "json")
    return run.code, _record(run, GRAD_VALIDATOR)


# ---------------------------------------------------------------------------
# The schemas themselves
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_every_shipped_schema_is_a_valid_draft_2020_12_schema(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/" + path.name)


def test_the_new_schemas_exist() -> None:
    names = {path.name for path in SCHEMAS.glob("*.schema.json")}
    assert {"diff.schema.json", "check.schema.json", "grad.schema.json"} <= names


def _fields(schema: object, where: str = "") -> Iterator[tuple[str, dict]]:
    """Every named property of every object in a schema, with where it is."""
    if isinstance(schema, dict):
        for name, field in (schema.get("properties") or {}).items():
            yield f"{where}.{name}", field
        for key, value in schema.items():
            yield from _fields(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _fields(value, f"{where}[{index}]")


@pytest.mark.parametrize("schema", [CHECK, GRAD], ids=["check", "grad"])
def test_every_field_is_described(schema: dict) -> None:
    # the branches of if/then/else only narrow a field described beside them
    undescribed = [
        where
        for where, field in _fields(schema)
        if "description" not in field and not any(f"/{k}" in where for k in ("if", "then", "else"))
    ]
    assert undescribed == []


def _objects(schema: object) -> Iterator[dict]:
    if isinstance(schema, dict):
        if "properties" in schema and schema.get("type") == "object":
            yield schema
        for value in schema.values():
            yield from _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _objects(value)


@pytest.mark.parametrize("schema", [CHECK, GRAD], ids=["check", "grad"])
def test_every_object_with_fixed_keys_refuses_others(schema: dict) -> None:
    assert all(obj.get("additionalProperties") is False for obj in _objects(schema))


def test_the_mistake_ids_are_the_checkers() -> None:
    ids = CHECK["$defs"]["diagnosis"]["properties"]["mistake"]["enum"]
    assert len(ids) == len(set(ids))
    assert set(ids) == {*MISTAKES, None}


def test_the_mistakes_at_a_step_are_the_checkers_slips() -> None:
    (_, at_a_step) = CHECK["$defs"]["diagnosis"]["allOf"]
    assert set(at_a_step["if"]["properties"]["mistake"]["enum"]) == {slip.mistake for slip in _SLIP_LIST}


def test_the_methods_are_the_checkers() -> None:
    assert set(CHECK["$defs"]["verdict"]["properties"]["method"]["enum"]) == {m.value for m in Method}


def _error_kinds() -> set[str]:
    kinds, pending = set(), [errors.CalcstepError]
    while pending:
        cls = pending.pop()
        kinds.add(cls.kind)
        pending += cls.__subclasses__()
    return kinds


@pytest.mark.parametrize("schema", [CHECK, GRAD], ids=["check", "grad"])
def test_the_error_kinds_are_the_codes(schema: dict) -> None:
    assert set(schema["$defs"]["error"]["properties"]["kind"]["enum"]) == _error_kinds()


def test_the_operation_words_are_the_graphs() -> None:
    leaves_and_operators = ["2", "pi", "x", "x + y", "x*y", "x^2", "e^x", "log2(x)"]
    texts = leaves_and_operators + [f"{name}(x)" for name in BY_NAME]
    words = {operation_word(parse(text, grouped=True).expr) for text in texts}
    operation = GRAD["$defs"]["node"]["properties"]["operation"]["anyOf"]
    assert set(operation[0]["enum"]) == words
    assert operation_word(parse("f(x)").expr) == "function f"
    assert Draft202012Validator(operation[1]).is_valid("function f")


def test_the_thresholds_and_limits_are_the_graphs() -> None:
    thresholds = GRAD["$defs"]["thresholds"]["properties"]
    assert thresholds["vanishing"]["const"] == VANISHING_BELOW
    assert thresholds["exploding"]["const"] == EXPLODING_ABOVE
    warning = GRAD["$defs"]["warning"]
    assert warning["then"]["properties"]["threshold"]["const"] == VANISHING_BELOW
    assert warning["else"]["properties"]["threshold"]["const"] == EXPLODING_ABOVE
    assert warning["properties"]["stages"]["maxItems"] == NAMED_STAGES
    activations = inspect.signature(depth_sweep).parameters["activations"].default
    column = GRAD["$defs"]["sweep"]["properties"]["columns"]["items"]["properties"]
    assert set(column["activation"]["enum"]) == set(activations)
    assert set(column["label"]["enum"]) == {*activations, *(f"x+{name}" for name in activations)}


# ---------------------------------------------------------------------------
# calcstep check
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "answer", "method"),
    [
        ("x^2", "2x", "simplify"),
        ("tan(x)", "1/cos(x)^2", "simplify"),
        ("sin(x)^2", "sin(2x)", "simplify"),  # its double angle opened, sin 2x − 2·sin x·cos x is 0
        ("sin(x)^3", "3/4*(cos(x) - cos(3x))", "points"),  # a triple angle is for the points
        ("abs(x)", "sign(x)", "simplify"),  # x/|x| − sgn(x) is (x − |x|·sgn(x))/|x|, and |x|·sgn(x) is x
    ],
)
def test_check_right_answers(cli, expr: str, answer: str, method: str) -> None:
    code, record = check(cli, expr, answer)
    assert code == 0
    assert record["correct"] is True and record["diagnosis"] is None and record["error"] is None
    assert record["method"] == method
    assert (record["points"] == 0) == (method == "simplify")
    assert record["input"] == expr and record["answer_input"] == answer


# One wrong answer for each mistake the checker names, and one it cannot name.
WRONG = [
    ("sin(x^2)", "cos(x^2)", (), "forgot_inner_derivative"),
    ("sin(x^2)", "2x*cos(x)", (), "outer_at_wrong_argument"),
    ("x^2*sin(x)", "2x*cos(x)", (), "product_of_derivatives"),
    ("x^2*sin(x)", "x^2*cos(x)", (), "product_term_missing"),
    ("sin(x)/x", "(sin(x) - x*cos(x))/x^2", (), "quotient_numerator_reversed"),
    ("(x+1)/(x-1)", "((x-1)-(x+1))/(x-1)", (), "quotient_missing_square"),
    ("sin(x)/x", "cos(x)", (), "quotient_of_derivatives"),
    ("x^3+5", "3x^2+5", (), "constant_kept"),
    ("2^x", "x*2^(x-1)", (), "power_rule_on_exponential"),
    ("2^x", "2^x", (), "exponential_without_log"),
    ("x^3", "3x^3", (), "power_rule_misapplied"),
    ("cos(x)", "sin(x)", (), "sign_error"),
    ("x^3", "6x", ("--order", "3"), "wrong_order"),
    ("x^2", "2x + C", (), "constant_of_integration"),
    ("x^2", "2t", (), "other_variable"),
    ("x^2 + y^2", "2y", ("--wrt", "x"), "wrong_variable"),
    ("sqrt(x)", "1/2sqrt(x)", (), "read_otherwise"),
    ("2^x", "0.6931*2^x", (), "rounded"),
    ("x^3", "3x^2+1", (), "off_by_constant"),
    ("x^2+3x", "2x", (), "sum_term_missing"),
    ("tan(x)", "sec(x)", (), "square_forgotten"),
    ("log10(x)", "1/x", (), "logarithm_without_log"),
    ("x^x", "x^x*ln(x)", (), "exponential_rule_on_power"),
    ("x^2", "3x", (), None),
]


def test_the_wrong_answers_cover_every_mistake() -> None:
    assert {mistake for *_, mistake in WRONG} == {*MISTAKES, None}


@pytest.mark.parametrize(("expr", "answer", "options", "mistake"), WRONG, ids=[str(w[3]) for w in WRONG])
def test_check_wrong_answers(cli, expr: str, answer: str, options: tuple[str, ...], mistake: str | None) -> None:
    code, record = check(cli, expr, answer, *options)
    assert code == 1
    assert record["correct"] is False
    diagnosis = record["diagnosis"]
    assert diagnosis["mistake"] == mistake
    assert (diagnosis["title"] is None) == (mistake is None)
    assert diagnosis["witness"]["correct"] != diagnosis["witness"]["yours"]


def test_check_a_wrong_step_names_the_rule_and_both_results(cli) -> None:
    _, record = check(cli, "x^2*sin(x)", "2x*cos(x)")
    step = record["diagnosis"]["step"]
    assert step == {
        "rule": "product", "title": "product rule", "variable": "x", "order": 1,
        "target": "x^2*sin(x)", "right": "x^2*cos(x) + 2*x*sin(x)", "yours": "2*x*cos(x)",
    }
    assert record["diagnosis"]["witness"]["point"] == {"x": 0.7}


def test_check_a_known_functions_rate_says_why(cli) -> None:
    _, record = check(cli, "cos(x)", "sin(x)")
    assert isinstance(record["diagnosis"]["why"], str)


def test_check_second_order(cli) -> None:
    code, record = check(cli, "sin(x)", "-sin(x)", "--order", "2")
    assert code == 0 and record["order"] == 2
    code, record = check(cli, "x^2*sin(x)", "2sin(x) + 4x*cos(x)", "--order", "2")
    assert code == 1 and record["order"] == 2
    assert record["diagnosis"]["step"]["order"] == 2


def test_check_with_respect_to(cli) -> None:
    code, record = check(cli, "x*y^2", "2x*y", "--wrt", "y")
    assert code == 0 and record["variable"] == "y"
    code, record = check(cli, "x^2", "2x", "--wrt", "y")  # y is absent: the derivative is 0
    assert code == 1 and record["derivative"] == "0"
    assert any("y does not appear" in note for note in record["notes"])


@pytest.mark.parametrize(
    ("expr", "answer", "code", "note"),
    [
        ("2e^2x", "4e^(2x)", 1, "'e^2x' was read as e^2*x"),
        ("sqrt(x)", "1/2sqrt(x)", 1, "in your answer, '1/2sqrt(x)' was read as (1/2)*sqrt(x)"),
        ("sqrt(x)^2", "1", 0, "the result holds only where x is at least 0"),
        ("x^2", "2x + 0*ln(x)", 0, "your answer has no value at x = -1.3"),
        ("ln(x)", "1/x + sqrt(-x)", 1, "your answer has no value at x = 0.7"),
    ],
)
def test_check_answers_with_notes(cli, expr: str, answer: str, code: int, note: str) -> None:
    status, record = check(cli, expr, answer)
    assert status == code
    assert any(note in text for text in record["notes"]), record["notes"]


def test_check_where_the_answer_has_no_value_at_the_witness(cli) -> None:
    _, record = check(cli, "ln(x)", "1/x + sqrt(-x)")
    assert record["diagnosis"]["witness"]["yours"] is None


def test_check_abstract_functions_name_their_stand_ins(cli) -> None:
    _, record = check(cli, "f(g(x))", "f'(g(x))")
    assert record["diagnosis"]["mistake"] == "forgot_inner_derivative"
    assert set(record["diagnosis"]["witness"]["stand_ins"]) == {"f", "g"}
    _, record = check(cli, "sin(x^2)", "cos(x^2)")
    assert "stand_ins" not in record["diagnosis"]["witness"]


@pytest.mark.parametrize(
    ("expr", "answer", "options", "kind", "says", "offset", "failed"),
    [
        ("x^", "2x", (), "syntax", "the function to differentiate is not an expression", 1, "expression"),
        ("x^2", "2x^", (), "syntax", "the answer is not an expression", 2, "answer"),  # an offset into answer_input
        ("ln(0)", "2x", (), "domain", "ln(0) is undefined", 0, "expression"),
        ("x^2", "ln(0)", (), "domain", "the answer has no value anywhere", 0, "answer"),
        ("x^2", "2x", ("--wrt", "2"), "usage", "is not a single variable name", None, None),
        ("x^2", "2x", ("--max-length", "2"), "syntax", "input longer than 2 characters", 0, "expression"),
    ],
)
def test_check_bad_input(cli, expr, answer, options, kind, says, offset, failed) -> None:
    code, record = check(cli, expr, answer, *options)
    assert code == 2
    assert set(record) == {"input", "answer_input", "failed", "error"}
    # `failed` names the text the error's place is an offset into
    assert record["failed"] == failed
    assert record["input"] == expr and record["answer_input"] == answer
    error = record["error"]
    assert error["kind"] == kind and says in error["message"]
    assert (error["position"] or {}).get("offset") == offset


CHECK_CASES = [
    ("x^5", "5x^4"), ("e^(3x)", "3e^(3x)"), ("ln(x^2+1)", "2x/(x^2+1)"), ("x^x", "x^x*(ln(x)+1)"),
    ("sigmoid(x)", "sigmoid(x)*(1-sigmoid(x))"), ("tanh(x)", "sech(x)^2"), ("relu(x)", "heaviside(x)"),
    ("atan(x)", "1/(1+x^2)"), ("asin(x)", "1/sqrt(1-x^2)"), ("sqrt(x^2+1)", "x/sqrt(x^2+1)"),
    ("cos(x)^2", "-sin(2x)"), ("x*e^x", "e^x"), ("1/x", "1/x^2"), ("log2(x)", "1/x"),
    ("softplus(x)", "sigmoid(x)"), ("abs(x)^3", "3x*abs(x)"), ("sin(cos(x^2))", "-2x*cos(cos(x))*sin(x^2)"),
    ("x^2*y", "2x*y"), ("f(x)*g(x)", "f'(x)*g'(x)"), ("sinh(x)", "-cosh(x)"), ("2^x", "2^x*ln 2"),
]


def test_check_many_answers_match_the_schema(cli) -> None:
    codes = [check(cli, expr, answer)[0] for expr, answer in CHECK_CASES]
    assert set(codes) == {0, 1}


def test_the_check_schema_refuses_a_field_renamed_or_added(cli) -> None:
    _, record = check(cli, "x^2*sin(x)", "2x*cos(x)")
    broken = [copy.deepcopy(record) for _ in range(7)]
    broken[0]["extra"] = 1
    broken[1]["diagnosis"]["step"]["ours"] = broken[1]["diagnosis"]["step"].pop("yours")
    broken[2]["diagnosis"]["witness"]["at"] = broken[2]["diagnosis"]["witness"].pop("point")
    broken[3]["diagnosis"]["mistake"] = "forgot_the_chain_rule"
    broken[4]["diagnosis"] = None  # a wrong answer always has a diagnosis
    broken[5]["diagnosis"]["step"] = None  # a slip at a step always names it
    broken[6]["diagnosis"]["title"] = None  # a mistake named always has a title
    for bad in broken:
        assert not CHECK_VALIDATOR.is_valid(bad)
    _, failure = check(cli, "x^", "2x")
    failure["error"]["where"] = failure["error"].pop("position")
    assert not CHECK_VALIDATOR.is_valid(failure)


# ---------------------------------------------------------------------------
# calcstep grad
# ---------------------------------------------------------------------------

NETWORK = "tanh(w2*tanh(w1*x))"
POINT = "w1=0.3,w2=-1.2,x=0.5"


def test_grad_a_small_network(cli) -> None:
    code, record = grad(cli, NETWORK, "--at", POINT, "--wrt", "w1,w2")
    assert code == 0 and record["error"] is None
    assert record["variables"] == ["w1", "w2"]
    assert set(record["gradient"]) == set(record["symbolic"]) == set(record["chain"]) == {"w1", "w2"}
    assert [p["variable"] for p in record["partials"]] == ["w1", "w2"]
    assert all(p["agree"] is True and "steps" not in p for p in record["partials"])
    nodes = record["nodes"]
    assert [node["id"] for node in nodes] == list(range(1, len(nodes) + 1))
    assert record["output"] == nodes[-1]["id"]
    assert record["point"]["w2"] == {"exact": "-1.2", "decimal": -1.2}
    chain = record["chain"]["w1"]
    assert chain["path"] == [stage["node"] for stage in chain["stages"]]
    assert chain["stages"][0]["local_rate"] is None and chain["paths"] == 1
    assert record["warnings"] == []
    assert record["thresholds"] == {"vanishing": VANISHING_BELOW, "exploding": EXPLODING_ABOVE}


def test_grad_every_variable_without_wrt(cli) -> None:
    _, record = grad(cli, NETWORK, "--at", POINT)
    assert record["variables"] == ["w1", "w2", "x"]


def test_grad_steps_and_explain(cli) -> None:
    _, record = grad(cli, NETWORK, "--at", POINT, "--wrt", "w1", "--steps")
    (partial,) = record["partials"]
    steps = partial["steps"]
    assert steps["order"] == 1 and steps["result"] == partial["symbolic"]
    assert "explanation" not in steps["steps"]
    _, record = grad(cli, "x^2", "--at", "x=1", "--explain")
    assert "explanation" in record["partials"][0]["steps"]["steps"]


def test_grad_a_vanishing_gradient(cli) -> None:
    _, record = grad(cli, "sigmoid(sigmoid(sigmoid(sigmoid(sigmoid(x)))))", "--at", "x=0.5")
    (warning,) = record["warnings"]
    assert warning["kind"] == "vanishing" and warning["variable"] == "x"
    assert warning["threshold"] == VANISHING_BELOW and warning["size"] < VANISHING_BELOW
    assert warning["path"] == record["chain"]["x"]["path"]
    assert warning["crossed_at"] is not None and 1 <= len(warning["stages"]) <= NAMED_STAGES


def test_grad_an_exploding_gradient(cli) -> None:
    _, record = grad(cli, "x^10", "--at", "x=10")
    (warning,) = record["warnings"]
    assert warning["kind"] == "exploding" and warning["threshold"] == EXPLODING_ABOVE


@pytest.mark.parametrize(("expr", "point"), [("relu(x)", "x=0"), ("abs(x)", "x=0")])
def test_grad_at_a_corner(cli, expr: str, point: str) -> None:
    code, record = grad(cli, expr, "--at", point)
    assert code == 0
    assert record["gradient"] == {"x": None}
    assert record["chain"] == {}  # every path crosses the undefined rate
    (partial,) = record["partials"]
    assert partial["numeric"] is None and "corner" in partial["undefined"]
    assert partial["agree"] is None
    assert record["nodes"][-1]["local_rates"] == [None]
    assert any("corner" in note for note in record["notes"])


def test_grad_a_corner_multiplied_by_zero_and_one_found_with_others_held(cli) -> None:
    _, record = grad(cli, "abs(x)*w", "--at", "x=0,w=2")
    assert record["gradient"] == {"w": 0.0, "x": None}
    _, record = grad(cli, "relu(w*x)", "--at", "w=1,x=0")
    by_variable = {p["variable"]: p for p in record["partials"]}
    assert "held" in by_variable["w"]["symbolic_note"]
    assert by_variable["w"]["symbolic_value"] == 0 and by_variable["w"]["agree"] is None
    assert "symbolic_note" not in by_variable["x"]


def test_grad_a_variable_the_expression_lacks(cli) -> None:
    _, record = grad(cli, "w*x", "--at", "w=1,x=2", "--wrt", "w,b")
    assert record["variables"] == ["w", "b"]
    assert record["gradient"] == {"w": 2.0, "b": 0.0}
    assert record["symbolic"]["b"] == "0" and "b" not in record["chain"]
    assert any("b does not appear" in note for note in record["notes"])


@pytest.mark.parametrize("expr", ["3", "2*pi"])
def test_grad_a_constant_expression(cli, expr: str) -> None:
    code, record = grad(cli, expr)
    assert code == 0
    assert record["variables"] == [] and record["partials"] == [] and record["point"] == {}
    assert record["gradient"] == {} and record["chain"] == {}
    assert all(node["gradient"] is None for node in record["nodes"])


def test_grad_a_large_graph_leaves_long_node_expressions_out(cli) -> None:
    names = ["a", "b", "c", "d", "k", "m", "n", "p", "q"]
    product = "*".join([*names, "x"])
    _, record = grad(cli, product, "--at", ",".join(f"{name}=1" for name in names) + ",x=2", "--wrt", "x")
    assert record["nodes"][-1]["local_rate_formulas"] == [None] * 10  # more than eight factors
    deep = "sin(" * 70 + "x" + ")" * 70  # over 60 nodes
    _, record = grad(cli, deep, "--at", "x=0.5")
    assert record["nodes"][-1]["expression"] is None and record["nodes"][1]["expression"] == "sin(x)"


@pytest.mark.parametrize(
    ("args", "kind", "says"),
    [
        (("sin(x", "--at", "x=1"), "syntax", "never closed"),
        (("x*y", "--at", "x=1"), "usage", "--at gives no value for y"),
        (("ln(x)", "--at", "x=0"), "domain", "node n2"),
        (("e^(e^(e^x))", "--at", "x=2"), "domain", "too large for floating point"),
        (("x^2", "--at", "x=1e-400"), "usage", "too small for floating point"),
        (("x", "--at", "x=1", "--layers", "3"), "usage", "--layers applies only with --depth-sweep"),
        (("x", "--depth-sweep"), "usage", "--depth-sweep takes no expression"),
        ((), "usage", "grad needs an expression"),
        (("--depth-sweep", "--at", "y=1"), "usage", "the depth sweep has no variable y"),
    ],
)
def test_grad_bad_input(cli, args: tuple[str, ...], kind: str, says: str) -> None:
    code, record = grad(cli, *args)
    assert code == 2
    assert set(record) == {"input", "error"}
    assert record["error"]["kind"] == kind and says in record["error"]["message"]


def test_grad_depth_sweep(cli) -> None:
    code, record = grad(cli, "--depth-sweep")
    assert code == 0 and "error" not in record and "input" not in record
    assert record["depths"] == list(range(1, DEFAULT_SWEEP_LAYERS + 1))
    assert [c["label"] for c in record["columns"]] == ["sigmoid", "tanh", "relu", "x+sigmoid", "x+tanh", "x+relu"]
    for column in record["columns"]:
        assert len(column["sizes"]) == len(column["warnings"]) == len(record["depths"])
    sigmoid = record["columns"][0]
    assert sigmoid["first_warning"]["kind"] == "vanishing"


@pytest.mark.parametrize(
    ("point", "layers"),
    [("x=0.5", "5"), ("x=-1", "4"), ("x=0", "3"), ("x=1/3,w=-2", "6"), ("w=1e6", "60")],
)
def test_grad_depth_sweep_with_layers(cli, point: str, layers: str) -> None:
    _, record = grad(cli, "--depth-sweep", "--layers", layers, "--at", point)
    assert record["depths"] == list(range(1, int(layers) + 1))


def test_grad_depth_sweep_sizes_without_a_value(cli) -> None:
    _, record = grad(cli, "--depth-sweep", "--layers", "60", "--at", "w=1e6")
    relu = record["columns"][2]
    assert None in relu["sizes"]  # past floating point's range: exploding
    assert all(kind == "exploding" for size, kind in zip(relu["sizes"], relu["warnings"], strict=True) if size is None)
    _, record = grad(cli, "--depth-sweep", "--layers", "3", "--at", "x=0")
    relu = record["columns"][2]
    assert relu["sizes"] == [None] * 3 and relu["warnings"] == [None] * 3  # undefined at the corner


GRAD_CASES = [
    ("sigmoid(w*x + b)", "w=0.5,x=2,b=-1"),
    ("(sigmoid(w*x + b) - y)^2", "w=0.5,x=2,b=-1,y=1"),
    ("relu(w2*relu(w1*x + b1) + b2)", "w1=1,w2=-2,x=0.5,b1=0.1,b2=3"),
    ("softplus(w*x)", "w=2,x=-3"),
    ("ln(1 + e^(w*x))", "w=1,x=1"),
    ("x*x", "x=3"),
    ("x*sin(x)", "x=pi/4"),
    ("x^x", "x=2"),
    ("e^(e^(e^x))", "x=1"),
    ("w*sin(w*x)", "w=0,x=1"),
    ("atan(x)/x", "x=1/2"),
    ("sqrt(x^2 + y^2)", "x=3,y=4"),
    ("log2(x) + log10(x)", "x=8"),
    ("tanh(tanh(tanh(tanh(tanh(tanh(x))))))", "x=3"),
    ("x + x^2 + x^3 + x^4", "x=-1"),
    ("abs(x)*x", "x=0"),
    ("sign(x)", "x=0"),
    ("2^x*cosh(x)", "x=1"),
    ("x/(1 + abs(x))", "x=-2"),
    ("heaviside(x - 1)*x", "x=2"),
    ("(x + 1)^3 - 2/x", "x=-9"),
]


def test_grad_many_expressions_match_the_schema(cli) -> None:
    for expr, point in GRAD_CASES:
        code, record = grad(cli, expr, "--at", point)
        assert code == 0, record
        assert all(p["agree"] is not False for p in record["partials"]), expr


def test_the_grad_schema_refuses_a_field_renamed_or_added(cli) -> None:
    _, record = grad(cli, "sigmoid(sigmoid(sigmoid(sigmoid(sigmoid(x)))))", "--at", "x=0.5")
    broken = [copy.deepcopy(record) for _ in range(5)]
    broken[0]["nodes"][0]["grad"] = broken[0]["nodes"][0].pop("gradient")
    broken[1]["chain"]["x"]["stages"][1]["rate"] = 0.5
    broken[2]["warnings"][0]["kind"] = "shrinking"
    broken[3]["partials"][0]["numeric"] = None  # then `undefined` must say why
    broken[4]["thresholds"]["vanishing"] = 1e-4
    for bad in broken:
        assert not GRAD_VALIDATOR.is_valid(bad)
    _, sweep = grad(cli, "--depth-sweep", "--layers", "2")
    sweep["columns"][0]["depth_of_first_warning"] = None
    assert not GRAD_VALIDATOR.is_valid(sweep)
    with pytest.raises(jsonschema.ValidationError):
        GRAD_VALIDATOR.validate({"input": "x", "error": None})
