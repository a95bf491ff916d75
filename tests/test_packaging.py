"""The package as installed: the grammar travels inside it, the entry points work
from any directory, and the kept parser tables are the grammar's own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from calcstep import _grammar_tables
from calcstep.parse import compile_grammar, read_grammar, tables

REPOSITORY = Path(__file__).resolve().parent.parent


def _entry_point() -> str:
    beside = Path(sys.executable).with_name("calcstep")
    return str(beside) if beside.exists() else shutil.which("calcstep") or "calcstep"


def test_the_installed_command_works_from_another_directory(tmp_path: Path) -> None:
    result = subprocess.run(
        [_entry_point(), "diff", "sin(x^2)", "--no-steps"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2x·cos(x²)\n"


def test_python_dash_m_works_from_another_directory(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "calcstep", "parse", "sin x cos x"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "canonical:  sin(x)*cos(x)" in result.stdout


def test_the_kept_tables_are_compiled_from_the_grammar() -> None:
    grammar = read_grammar()
    assert grammar == _grammar_tables.GRAMMAR, "run: python -m calcstep.parse --write-tables"
    fresh = compile_grammar(grammar)  # strict: a conflict in the grammar fails here
    assert fresh.actions == _grammar_tables.ACTIONS
    assert fresh.rules == _grammar_tables.RULES
    assert fresh.terminals == _grammar_tables.TERMINALS
    assert tables().grammar == grammar


@pytest.mark.skipif(
    os.environ.get("CALCSTEP_SKIP_WHEEL") == "1", reason="wheel build disabled by CALCSTEP_SKIP_WHEEL"
)
def test_the_wheel_carries_grammar_tables_schema_and_man_page(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(REPOSITORY)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("calcstep-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "calcstep/grammar/calcstep.lark" in names
    assert "calcstep/_grammar_tables.py" in names
    assert {
        "calcstep/schemas/diff.schema.json",
        "calcstep/schemas/check.schema.json",
        "calcstep/schemas/grad.schema.json",
    } <= names
    assert any(name.endswith("data/share/man/man1/calcstep.1") for name in names)
    assert "calcstep/cli.py" in names
