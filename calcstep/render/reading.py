"""`calcstep parse`: how an input was read, as text or JSON, with the tree on request
(drawn in text, nested objects in JSON).

    $ calcstep parse "1/2x"
    read as:    x/2
    canonical:  1/2*x
    note: '1/2x' was read as (1/2)·x
"""

from __future__ import annotations

from typing import Any

from calcstep.expr import Add, Apply, Call, Const, Expr, Log, Mul, Num, Pow, Sym, name_key
from calcstep.parse import Parsed
from calcstep.printer import to_latex, to_pretty, to_text
from calcstep.render.common import CANONICAL, note_text, spelling_for


def render(parsed: Parsed, *, tree: bool = False, ascii: bool = False) -> str:
    """The reading as lines of text."""
    spell = spelling_for(ascii)
    lines = [
        f"read as:    {spell.expr(parsed.expr)}",
        f"canonical:  {to_text(parsed.expr)}",
    ]
    lines += [f"note: {note_text(note, spell)}" for note in parsed.notes]
    if tree:
        lines.append("tree:")
        lines += ["  " + line for line in tree_lines(parsed.expr, ascii)]
    return "\n".join(lines)


def to_dict(parsed: Parsed) -> dict[str, Any]:
    """The reading as a JSON object."""
    return {
        "input": parsed.text,
        "expression": to_text(parsed.expr),
        "pretty": to_pretty(parsed.expr),
        "latex": to_latex(parsed.expr),
        "variables": sorted(parsed.expr.free_vars, key=name_key),
        "notes": [note_text(note, CANONICAL) for note in parsed.notes],
        "error": None,
    }


def to_json(parsed: Parsed, *, tree: bool = False) -> str:
    """The reading as a line of JSON, with `tree` the expression tree (`tree_json`)
    before `error`."""
    import json

    record = to_dict(parsed)
    error = record.pop("error")
    text = json.dumps(record, ensure_ascii=False)[:-1]
    if tree:
        text += ', "tree": ' + tree_json(parsed.expr)
    return text + ', "error": ' + json.dumps(error) + "}"


# What each kind of node is called, in the drawn tree and in JSON's.
_NODE_KINDS: dict[type, str] = {
    Num: "number", Sym: "variable", Const: "constant", Add: "sum", Mul: "product", Pow: "power",
    Call: "function", Log: "logarithm", Apply: "abstract function",
}


def _node_fields(expr: Expr) -> dict[str, Any]:
    """A tree node's own fields in JSON: what it is (the words the drawn tree
    uses), and its name, value or order; names and numbers in canonical text."""
    fields: dict[str, Any] = {"node": _NODE_KINDS[type(expr)]}
    if type(expr) is Num:
        fields["value"] = to_text(expr)
    elif type(expr) in (Sym, Const):
        fields["name"] = to_text(expr)
    elif type(expr) in (Call, Apply):
        fields["name"] = expr.fn
        if type(expr) is Apply:
            fields["order"] = expr.order
    return fields


def tree_json(expr: Expr) -> str:
    """The expression tree as JSON text: each node an object of `_node_fields`
    with its `children` in order (a logarithm's are its argument and its base).
    Written iteratively: json.dumps would recurse once per level, and input may
    nest 20,000 deep."""
    import json

    pieces: list[str] = []
    stack: list[Expr | str] = [expr]  # nodes still to write, and the text that closes them
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            pieces.append(item)
            continue
        pieces.append(json.dumps(_node_fields(item), ensure_ascii=False)[:-1] + ', "children": [')
        stack.append("]}")
        kids = item.children()
        for index in range(len(kids) - 1, -1, -1):
            stack.append(kids[index])
            if index:
                stack.append(", ")
    return "".join(pieces)


def _label(expr: Expr, ascii: bool) -> str:
    """What a node is, in a word or symbol (`_NODE_KINDS`), with its name or value."""
    kind = _NODE_KINDS[type(expr)]
    if type(expr) is Num:
        return f"{kind} {to_text(expr)}"
    if type(expr) in (Sym, Const):
        return f"{kind} {to_pretty(expr, ascii)}"
    if type(expr) is Call:
        return f"{kind} {expr.fn}"
    if type(expr) is Apply:
        return f"{kind} {expr.fn}" + "'" * expr.order
    return "logarithm (argument, base)" if type(expr) is Log else kind


def tree_lines(expr: Expr, ascii: bool = False) -> list[str]:
    """The expression tree drawn with branches, one node per line (iterative)."""
    branch, last, pipe, space = ("|-- ", "`-- ", "|   ", "    ") if ascii else ("├─ ", "└─ ", "│  ", "   ")
    lines: list[str] = []
    stack: list[tuple[Expr, str, str]] = [(expr, "", "")]
    while stack:
        node, lead, prefix = stack.pop()
        lines.append(f"{lead}{_label(node, ascii)}")
        kids = node.children()
        for i in range(len(kids) - 1, -1, -1):
            is_last = i == len(kids) - 1
            stack.append((kids[i], prefix + (last if is_last else branch), prefix + (space if is_last else pipe)))
    return lines
