"""`calcstep rules`: every differentiation rule with its formula and why it holds.

Without a name, a table of all rules; with one, that rule on its own.
"""

from __future__ import annotations

from typing import Any

from calcstep.render.common import ASCII, CANONICAL, LATEX, PRETTY, Spelling, d_of
from calcstep.rules import RULES, Rule


def find(name: str) -> Rule | None:
    """The rule called `name` (its id, or its title, in any case)."""
    wanted = name.strip().lower().replace("_", "-")
    for rule in RULES.values():
        if wanted in (rule.id, rule.title.lower(), rule.title.lower().removesuffix(" rule")):
            return rule
    return None


def formula_text(rule: Rule, spell: Spelling) -> str:
    lhs, rhs = rule.formula()
    return f"{d_of(lhs, 'x', spell)} = {spell.expr(rhs)}"


def render(name: str | None = None, *, ascii: bool = False) -> str:
    """The table of rules, or one rule in detail, as plain text."""
    spell = ASCII if ascii else PRETTY
    if name is not None:
        rule = find(name)
        assert rule is not None
        return "\n".join(
            [
                f"{rule.title} ({rule.id}, {rule.family})",
                f"  {formula_text(rule, spell)}",
                "",
                f"  {rule.why}",
            ]
        )
    width = max(len(rule.id) for rule in RULES.values())
    lines = []
    for family in _families():
        lines.append(family)
        for rule in RULES.values():
            if rule.family == family:
                lines.append(f"  {rule.id:<{width}}  {formula_text(rule, spell)}")
    return "\n".join(lines)


def _families() -> list[str]:
    seen: list[str] = []
    for rule in RULES.values():
        if rule.family not in seen:
            seen.append(rule.family)
    return seen


def to_dict(name: str | None = None) -> dict[str, Any] | list[dict[str, Any]]:
    """The rules (or one rule) as JSON-ready data."""
    def one(rule: Rule) -> dict[str, Any]:
        lhs, rhs = rule.formula()
        return {
            "id": rule.id,
            "title": rule.title,
            "family": rule.family,
            "formula": formula_text(rule, CANONICAL),
            "function": CANONICAL.expr(lhs),
            "derivative": CANONICAL.expr(rhs),
            "why": rule.why,
        }

    if name is not None:
        rule = find(name)
        assert rule is not None
        return one(rule)
    return [one(rule) for rule in RULES.values()]


def markdown(name: str | None = None) -> str:
    """The rules as a Markdown table (or one rule as a short section)."""
    if name is not None:
        rule = find(name)
        assert rule is not None
        return f"### {rule.title}\n\n${_latex(rule)}$\n\n{rule.why}\n"
    lines = ["| rule | formula | why |", "| --- | --- | --- |"]
    for rule in RULES.values():
        lines.append(f"| `{rule.id}` | ${_latex(rule)}$ | {rule.why} |")
    return "\n".join(lines)


def _latex(rule: Rule) -> str:
    return formula_text(rule, LATEX)
