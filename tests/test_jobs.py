"""JSON-line jobs (`calcstep diff --json-input -`): each line its own variable,
order and points, every line answered in its place."""

from __future__ import annotations

import json

import pytest

from calcstep.errors import ParseError, UsageError
from calcstep.jobs import Job, read_job

DEFAULTS = Job("", None, 1, ())


def test_fields_left_out_take_the_defaults() -> None:
    defaults = Job("", "t", 2, ({"t": "1"},))
    assert read_job('{"expr": "t^3"}', defaults) == Job("t^3", "t", 2, ({"t": "1"},))


def test_every_field() -> None:
    job = read_job('{"expr": "x^2*y", "wrt": "y", "order": 3, "at": [{"x": 1, "y": "pi/2"}, {"x": 0.5}]}',
                   DEFAULTS)
    assert job == Job("x^2*y", "y", 3, ({"x": "1", "y": "pi/2"}, {"x": "0.5"}))


def test_null_means_left_out() -> None:
    assert read_job('{"expr": "x", "wrt": null, "order": null, "at": null}', DEFAULTS) == Job("x", None, 1, ())


def test_text_that_is_not_json_is_marked_where_it_breaks() -> None:
    with pytest.raises(ParseError) as caught:
        read_job('{"expr": "x^2",}', DEFAULTS)
    assert caught.value.position == 15
    assert "^" in caught.value.render()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[1, 2]", "a job is a JSON object, not a list"),
        ('{"wrt": "x"}', 'a job needs "expr"'),
        ('{"expr": 3}', "not a number"),
        ('{"expr": "x", "order": 0}', '"order" is a whole number from 1 up, not 0'),
        ('{"expr": "x", "order": 1.5}', "not 1.5"),
        ('{"expr": "x", "order": true}', "not true"),
        ('{"expr": "x", "wrt": 1}', '"wrt" is a variable name'),
        ('{"expr": "x", "at": 2}', '"at" is a point'),
        ('{"expr": "x", "at": {"x": [1]}}', "the value of x"),
        ('{"expr": "x", "ordre": 2}', "unknown field 'ordre'"),
    ],
)
def test_json_that_is_not_a_job_says_why(line: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        read_job(line, DEFAULTS)
    assert message in caught.value.message


def test_a_batch_of_jobs_answers_every_line_in_order(cli) -> None:
    lines = [
        '{"expr": "x^2*y", "wrt": "y"}',
        "not json",
        '{"expr": "x^3", "order": 2, "at": {"x": 2}}',
        '{"expr": "sin(x"}',
        '{"expr": "t^2"}',
    ]
    run = cli("diff", "--json-input", "-", "--format", "json", stdin="\n".join(lines) + "\n")
    assert run.code == 2  # some lines failed; every one is answered
    records = [json.loads(line) for line in run.out.splitlines()]
    assert [r["input"] for r in records] == ["x^2*y", "not json", "x^3", "sin(x", "t^2"]
    assert [r.get("result") for r in records] == ["x^2", None, "6*x", None, "2*t"]
    assert records[0]["variable"] == "y"
    assert records[2]["order"] == 2 and records[2]["value"][0]["exact"] == "12"
    assert records[1]["error"]["kind"] == "syntax" and records[3]["error"]["kind"] == "syntax"


def test_a_job_refused_for_its_fields_keeps_its_id(cli) -> None:
    # a script matches records to jobs by id: a typo in a field must not lose it
    lines = ['{"id": 3, "expr": "x^2", "wrtt": "x"}', '{"id": "b", "expr": 5}', '{"id": 1.5, "expr": "x"}']
    run = cli("diff", "--json-input", "-", "--format", "json", stdin="\n".join(lines) + "\n")
    records = [json.loads(line) for line in run.out.splitlines()]
    assert [record.get("id") for record in records] == [3, "b", None]  # 1.5 is no id
    assert all(record["error"] for record in records)


def test_command_line_values_are_the_defaults(cli) -> None:
    run = cli("diff", "--json-input", "-", "--wrt", "y", "--no-steps", "--ascii",
              stdin='{"expr": "x*y^2"}\n{"expr": "x*y^2", "wrt": "x"}\n')
    assert run.code == 0, run.err
    assert run.out == "2*x*y\ny^2\n"


def test_json_input_needs_stdin(cli) -> None:
    run = cli("diff", "--json-input", "x^2")
    assert run.code == 2
    assert "--json-input reads jobs from stdin" in run.err


def test_json_numbers_are_read_as_written() -> None:
    # 1e400 is 10^400 (a float would make it infinity); 0.5 stays the decimal 0.5
    job = read_job('{"expr": "x^2", "at": {"x": 1e400, "y": 0.5, "z": 3}}', DEFAULTS)
    assert job.at == ({"x": "1e400", "y": "0.5", "z": "3"},)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_numbers(constant: str) -> None:
    with pytest.raises(UsageError) as caught:
        read_job(f'{{"expr": "x^2", "at": {{"x": {constant}}}}}', DEFAULTS)
    assert "is not a JSON number" in caught.value.message


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_jobs_id_comes_back_first_in_its_record(cli, jobs: str) -> None:
    # so a script can match answers to jobs, failed ones included
    lines = ['{"id": 7, "expr": "x^2"}', '{"id": "b-2", "expr": "ln(x"}', '{"expr": "x^3"}']
    run = cli("diff", "--json-input", "-", "-f", "json", "--no-steps", "-j", jobs, stdin="\n".join(lines) + "\n")
    records = [json.loads(line) for line in run.out.splitlines()]
    assert [r.get("id") for r in records] == [7, "b-2", None]
    assert run.out.startswith('{"id": 7, "input": "x^2"')
    assert records[1]["error"]["message"] == "'(' is never closed"


@pytest.mark.parametrize(
    ("line", "message"),
    [('{"id": 1.5, "expr": "x"}', '"id" must be a string or a whole number, not 1.5'),
     ('{"expr": "x", "wtr": "x", "zz": 1}', "unknown field 'wtr' in a job")],
)
def test_a_bad_id_or_a_misspelt_field_is_refused(line: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        read_job(line, Job("", None, 1, ()))
    assert raised.value.message == message
