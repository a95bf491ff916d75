"""The documentation cannot drift from the program: every command and option of
the CLI is in the man page (and every option the man page names exists), the
README's set-up commands are the ones CI runs, and the man page is clean roff."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import typer

from calcstep.cli import app

ROOT = Path(__file__).resolve().parent.parent
MAN = (ROOT / "man" / "calcstep.1").read_text(encoding="utf-8")
MAN_TEXT = MAN.replace("\\-", "-").replace("\\e", "\\")
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMAND = typer.main.get_command(app)


def _options() -> dict[str, set[str]]:
    """Every option spelling, by command ('' for the top level)."""
    found: dict[str, set[str]] = {"": set()}
    for param in COMMAND.params:
        found[""].update(getattr(param, "opts", ()))
    for name, command in COMMAND.commands.items():
        found[name] = set()
        for param in command.params:
            if param.param_type_name == "option":
                found[name].update(param.opts)
                found[name].update(param.secondary_opts)
    return found


def test_every_command_is_in_the_man_page() -> None:
    for name in COMMAND.commands:
        assert f".B calcstep {name}" in MAN, name
        assert re.search(rf"^\.(BI|BR|B) {name}\b", MAN, re.MULTILINE), f"{name} has no COMMANDS entry"


def test_every_option_is_in_the_man_page() -> None:
    for command, spellings in _options().items():
        for spelling in spellings:
            if spelling == "--help":
                continue
            assert re.search(rf"(?<![\w-]){re.escape(spelling)}(?![\w-])", MAN_TEXT), (
                f"{command or 'calcstep'} {spelling} is not documented in man/calcstep.1"
            )


def test_every_option_the_man_page_names_exists() -> None:
    known = set().union(*_options().values()) | {"--help"}
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", MAN_TEXT))
    assert named - known == set(), f"the man page names options the CLI lacks: {named - known}"


def test_the_mistake_ids_are_documented() -> None:
    from calcstep.check import MISTAKES

    for mistake in MISTAKES:
        assert f".B {mistake}" in MAN, mistake


def test_the_json_fields_are_documented() -> None:
    schema = json.loads((ROOT / "calcstep" / "schemas" / "diff.schema.json").read_text())
    for field in schema["properties"]:
        assert f".B {field}" in MAN or f".BR {field}" in MAN, field


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed")
def test_the_man_page_renders_without_warnings() -> None:
    result = subprocess.run(
        ["man", "--warnings", "-l", str(ROOT / "man" / "calcstep.1")],
        capture_output=True, text=True, env={"MANWIDTH": "80", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0
    assert result.stderr.strip() == ""


def _code_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```(?:sh|console|bash)?\n(.*?)```", text, re.DOTALL)]


def test_the_readme_has_the_two_set_up_commands() -> None:
    blocks = _code_blocks(README)
    assert 'pip install . && calcstep diff "sin(x^2)"' in blocks
    assert 'pip install ".[test]" && pytest' in blocks


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'python -m pip install --quiet ".[test]"' in ci
    assert re.search(r"^pytest$", ci, re.MULTILINE)


def test_the_readme_shows_every_command() -> None:
    for name in COMMAND.commands:
        assert f"calcstep {name}" in README, name


def test_the_readme_has_each_section_once() -> None:
    """A section rewritten must replace the old one, not sit beside it: two
    Performance sections would give two sets of figures."""
    headings = re.findall(r"^#+ .+$", README, re.MULTILINE)
    assert len(headings) == len(set(headings)), sorted(h for h in headings if headings.count(h) > 1)


def _transcripts(text: str) -> list[tuple[str, str]]:
    """Each `$ calcstep …` command in the README's console blocks, with the output
    shown under it (up to the next command or the block's end)."""
    found: list[tuple[str, str]] = []
    for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL):
        for chunk in re.split(r"^(?=\$ )", block, flags=re.MULTILINE):
            if chunk.startswith("$ calcstep "):
                command, _, shown = chunk.partition("\n")
                found.append((command[2:], shown.rstrip("\n")))
    return found


# Transcripts the README shortens, and says so in the text after them.
_EXCERPTS = {"calcstep grad --depth-sweep"}


@pytest.mark.parametrize(("command", "shown"), _transcripts(README), ids=lambda value: value[:40])
def test_the_readme_shows_what_the_command_prints(cli, command: str, shown: str) -> None:
    # what a terminal shows (rich) or a pipe (plain): an answer the engine has
    # since improved must not live on in the README
    if not shown:
        return  # a command named, its output described in words
    args = shlex.split(command)[1:]
    printed = [cli(*args, "-f", style) for style in ("rich", "plain")]
    outputs = [(run.out + run.err).rstrip("\n") for run in printed]
    if command in _EXCERPTS:  # every line shown is printed, in order
        assert any(_in_order(shown.split("\n"), output.split("\n")) for output in outputs)
    else:
        assert shown in outputs, f"README shows for {command}:\n{shown}\n\nbut it prints:\n{outputs[0]}"


def _in_order(wanted: list[str], lines: list[str]) -> bool:
    """True when every line of `wanted` is among `lines`, in the same order."""
    remaining = iter(lines)
    return all(line in remaining for line in wanted)
