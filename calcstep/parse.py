"""Text to expression: the lexer, the word post-lexer, the LALR driver and the builder.

The language is defined by grammar/calcstep.lark and nowhere else.  Lark compiles
that grammar into LALR(1) tables; the tables are kept, with the grammar text they
came from, in calcstep/_grammar_tables.py, so that a run starts without building a
parser (building costs ~200 ms, loading the tables well under 1 ms).  When the
grammar file differs from the text the tables were made from (someone edited it),
Lark builds the tables again in memory, so the grammar file is always the truth.
Regenerate the kept tables with `python -m calcstep.parse --write-tables`.

Reading a text is one pass of four small machines:

1. the lexer, one regular expression made from the grammar's terminals;
2. the post-lexer, which classifies WORD tokens using calcstep.functions (`sin` is
   a function, `theta` a name, `xy` is the two names x and y, `f` before `(` an
   abstract function) and tells opening `|` from closing `|`, checking brackets;
3. the LALR(1) driver, a loop over the tables;
4. the builder, whose methods are named after the grammar's aliases and make the
   expression nodes, noting every reading that could surprise (`1/2x`, `sin^-1`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from fractions import Fraction
from itertools import chain, islice
from typing import Any, NamedTuple

from calcstep import functions as vocabulary
from calcstep.errors import ParseError, invisible, shortened
from calcstep.expr import (
    MINUS_ONE,
    Add,
    Apply,
    Call,
    Const,
    Expr,
    Log,
    Mul,
    Note,
    Num,
    Pow,
    Sym,
    add,
    is_plain_one,
    is_whole_power,
    mul,
    name_key,
    neg,
    reciprocal,
)
from calcstep.limits import DEFAULT_LIMITS, Limits

_HERE = os.path.dirname(os.path.abspath(__file__))
# Installed wheels carry the grammar inside the package; a source checkout has it
# at the top of the repository.  (os.path, not pathlib: pathlib costs 3 ms of start-up.)
GRAMMAR_PATHS = (
    os.path.join(_HERE, "grammar", "calcstep.lark"),
    os.path.join(os.path.dirname(_HERE), "grammar", "calcstep.lark"),
)

# Raw terminals the post-lexer turns into declared ones.
_RAW_TERMINALS = ("WORD", "BAR")

_OPENERS = {"(": ")", "[": "]"}
_CLOSERS = {")": "(", "]": "["}

_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_SUBSCRIPT_RUN = re.compile("[₀-₉]+")

# The raw tokens the post-lexer classifies or checks; it passes the others on.
_CLASSIFIED = frozenset({"WORD", "BAR", "LPAR", "RPAR", "NUMBER"})

# A token that ends an operand, so that a following `|` closes a bar.
_ENDS_OPERAND = frozenset({"NUMBER", "NAME", "RPAR", "RBAR", "SUPERSCRIPT"})

_LOG_BASE = re.compile(r"log_([0-9]+|[A-Za-z][A-Za-z0-9]*)")
_LOG_BASE_PREFIX = re.compile(r"log_([0-9]+|[A-Za-z])")
_SUBSCRIPT = re.compile(r"_?[0-9]+|_[A-Za-z0-9]+")
_SUBSCRIPTED = re.compile(r"([A-Za-z])(_?[0-9]+|_[A-Za-z0-9]+)")

# The derivative operator typed before the expression (d/dx sin(x), d²/dx² x³):
# read as letters it would be d·(1/(d·x))·sin(x), a wrong answer given quietly.
_ORDER = r"(?:\^([0-9]+)|([²³⁴⁵⁶⁷⁸⁹]))"
_LEIBNIZ = re.compile(  # d/dx, d²/dx², and dy/dx, d^2y/dx^2 with the function's letter
    rf"\s*[d∂]{_ORDER}?(?:[A-Za-z]\s*)?/\s*[d∂]\s*([A-Za-z][A-Za-z0-9_]*){_ORDER}?(?=[\s(\[]|$)"
)
_SUPERSCRIPT_ORDERS = {ch: str(i) for i, ch in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")}

_DESCRIBE = {
    "PLUS": "'+'",
    "MINUS": "'-'",
    "TIMES": "'*'",
    "DIVIDE": "'/'",
    "CARET": "'^'",
    "ROOT": "'√'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LBAR": "'|'",
    "RBAR": "'|'",
    "PRIME": "a prime",
    "SUPERSCRIPT": "a superscript power",
    "NUMBER": "the number",
    "NAME": "the name",
    "FUNC": "the function",
    "AFUNC": "the function",
    "$END": "the end of the input",
}
_OPERATORS = frozenset({"PLUS", "MINUS", "TIMES", "DIVIDE", "CARET"})


class Token(NamedTuple):
    """A lexed token: its terminal name, text and span [start, end)."""

    type: str
    value: str
    start: int
    end: int


# Token(…) without the named tuple's own __new__ (a Python function): the lexer
# makes one per token
_token = tuple.__new__


class Parsed(NamedTuple):
    """The expression read from `text`, with notes on how ambiguous parts were read."""

    expr: Expr
    text: str
    notes: tuple[Note, ...] = ()
    # the abstract functions the text applies (f, g in f(x)·g(x)), gathered while
    # reading so that no later stage walks the tree to find them
    functions: frozenset[str] = frozenset()
    # where each part that may have no value was written, [start, end) in `text`:
    # compound constants, functions applied and powers other than whole ones ≥ 0
    places: Mapping[Expr, tuple[int, int]] = {}  # read, never written


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


class Tables(NamedTuple):
    """The compiled grammar.

    terminals: (name, regex) in lexer priority order; ignore: names to skip;
    actions[state][symbol]: a new state to shift to (>= 0) or ~rule to reduce by;
    rules[i]: (origin, length, callback name, inline) where an inline rule with
    one child passes that child through unchanged (Lark's `?rule`).
    """

    grammar: str
    terminals: tuple[tuple[str, str], ...]
    ignore: frozenset[str]
    actions: tuple[dict[str, int], ...]
    rules: tuple[tuple[str, int, str, bool], ...]
    start: int
    end: int


def read_grammar() -> str:
    """The text of grammar/calcstep.lark (installed copy first, then the checkout)."""
    for path in GRAMMAR_PATHS:
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as grammar:
                return grammar.read()
    raise FileNotFoundError("calcstep.lark not found in " + ", ".join(GRAMMAR_PATHS))


def compile_grammar(grammar: str) -> Tables:
    """Build the LALR(1) tables for `grammar` with Lark (strict: any conflict is an error)."""
    from lark import Lark
    from lark.lark import PostLex

    class KeepRawTerminals(PostLex):
        always_accept = _RAW_TERMINALS

        def process(self, stream):  # pragma: no cover - never lexes here
            return stream

    try:
        import interegular  # noqa: F401  (lark needs it for strict mode)

        strict = True
    except ImportError:  # pragma: no cover - only without the test extra
        strict = False
    lark = Lark(grammar, parser="lalr", lexer="basic", postlex=KeepRawTerminals(), strict=strict)
    terminals = sorted(
        lark.terminals,
        key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name),
    )
    table = lark.parser.parser._parse_table
    # rules numbered in Lark's own (grammar) order, so the kept file is stable
    rule_index = {rule: index for index, rule in enumerate(lark.rules)}
    rules = [
        (
            str(rule.origin.name),
            len(rule.expansion),
            str(rule.alias or rule.origin.name),
            # a `?rule` passes a lone child through, unless an alias names a node
            bool(rule.options.expand1) and not rule.alias,
        )
        for rule in lark.rules
    ]
    # Number the states in the order a breadth-first walk from the start meets them,
    # following symbols in sorted order: Lark's own numbering changes from run to run
    # (it follows hash order), and the kept file should change only with the grammar.
    start, end = table.start_states["start"], table.end_states["start"]
    number = {start: 0}
    queue = [start]
    for state in queue:
        for _, (action, arg) in sorted(table.states[state].items()):
            if action.name == "Shift" and arg not in number:
                number[arg] = len(number)
                queue.append(arg)
    if end not in number:
        number[end] = len(number)
        queue.append(end)
    actions: list[dict[str, int]] = []
    for state in queue:
        row: dict[str, int] = {}
        for symbol, (action, arg) in sorted(table.states.get(state, {}).items()):
            row[str(symbol)] = number[arg] if action.name == "Shift" else ~rule_index[arg]
        actions.append(row)
    return Tables(
        grammar=grammar,
        terminals=tuple((t.name, t.pattern.to_regexp()) for t in terminals),
        ignore=frozenset(lark.ignore_tokens),
        actions=tuple(actions),
        rules=tuple(rules),
        start=number[start],
        end=number[end],
    )


def write_tables(path: str | None = None) -> str:
    """Compile the grammar and write calcstep/_grammar_tables.py; returns its path."""
    tables = compile_grammar(read_grammar())
    path = path or os.path.join(_HERE, "_grammar_tables.py")
    body = [
        '"""LALR(1) tables compiled by Lark from grammar/calcstep.lark.',
        "",
        "Generated by `python -m calcstep.parse --write-tables`; do not edit.",
        '"""',
        "",
        f"GRAMMAR = {tables.grammar!r}",
        f"TERMINALS = {tables.terminals!r}",
        f"IGNORE = {sorted(tables.ignore)!r}",
        f"RULES = {tables.rules!r}",
        f"START = {tables.start!r}",
        f"END = {tables.end!r}",
        "ACTIONS = (",
        *(f"    {row!r}," for row in tables.actions),
        ")",
        "",
    ]
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(body))
    return path


_TABLES: Tables | None = None


def tables() -> Tables:
    """The tables for the current grammar: the kept ones when the grammar is unchanged."""
    global _TABLES
    if _TABLES is None:
        grammar = read_grammar()
        from calcstep import _grammar_tables as kept

        if grammar == kept.GRAMMAR:
            _TABLES = Tables(
                grammar=kept.GRAMMAR,
                terminals=kept.TERMINALS,
                ignore=frozenset(kept.IGNORE),
                actions=kept.ACTIONS,
                rules=kept.RULES,
                start=kept.START,
                end=kept.END,
            )
        else:
            _TABLES = compile_grammar(grammar)
    return _TABLES


# ---------------------------------------------------------------------------
# Lexer
# ---------------------------------------------------------------------------

_SCANNERS: dict[int, re.Pattern[str]] = {}


def _scanner(t: Tables) -> re.Pattern[str]:
    """One pattern for every token, each a named group, with the text the grammar
    ignores (spaces) before it: a token and its leading spaces are one match, so
    spaced input ("x^2 + 1") takes half the matches.  The spaces are skipped
    possessively, so a long run of them before a stray character fails at once."""
    scanner = _SCANNERS.get(id(t))
    if scanner is None:
        ignored = "|".join(regex for name, regex in t.terminals if name in t.ignore)
        tokens = "|".join(f"(?P<{name}>{regex})" for name, regex in t.terminals if name not in t.ignore)
        scanner = re.compile(f"(?:{ignored})*+(?:{tokens})" if ignored else tokens)
        _SCANNERS[id(t)] = scanner
    return scanner


# How many tokens the lexer reads at a time: enough that handing them on costs
# little per token, few enough that a long input is never held as tokens at once.
_CHUNK = 256


def _lex(text: str, t: Tables) -> Iterator[list[Token]]:
    """The tokens of `text`, a list of at most about `_CHUNK` at a time, the last
    list ending with the $END token.  A character no token starts with is raised
    only when the tokens before it have been taken, as if they came one by one:
    an error earlier in the text is found first."""
    # each match starts where the last one ended, or there is none: the tokens
    # end at a character no token (nor space before one) starts with
    matches = iter(_scanner(t).scanner(text).match, None)
    end = 0  # where the last token ended
    while True:
        chunk: list[Token] = []
        for found in islice(matches, _CHUNK):
            kind = found.lastgroup
            assert kind is not None
            value = found.group(kind)
            end = found.end()
            start = end - len(value)
            # a subscript digit is not ASCII: the pattern search runs only for such words
            if kind == "WORD" and not value.isascii() and _SUBSCRIPT_RUN.search(value):
                chunk += _subscripted_words(value, start)
            else:
                chunk.append(_token(Token, (kind, value, start, end)))
        if len(chunk) < _CHUNK:  # fewer matches than asked for: the last of them
            break
        yield chunk
    rest = text[end:]
    if rest.strip():
        yield chunk
        raise _unexpected_character(text, end + len(rest) - len(rest.lstrip()))
    chunk.append(_token(Token, ("$END", "", len(text), len(text))))
    yield chunk


def _subscripted_words(word: str, start: int) -> Iterator[Token]:
    """A word with subscript digits, as calcstep itself writes w_1 and log_2 (w₁,
    log₂): each subscript ends a word of its own (x₂y is x_2 times y)."""
    position = 0
    for run in _SUBSCRIPT_RUN.finditer(word):
        piece = word[position : run.start()] + "_" + run.group().translate(_SUBSCRIPT_DIGITS)
        yield Token("WORD", piece, start + position, start + run.end())
        position = run.end()
    if position < len(word):
        yield Token("WORD", word[position:], start + position, start + len(word))


def _unexpected_character(text: str, position: int) -> ParseError:
    char = text[position]
    hints = {
        ",": "calcstep reads one expression at a time; functions take one argument",
        "=": "type only the expression to differentiate, without '= …'",
        "{": "use ( and ) for grouping (LaTeX is not read: e^{x^2} is e^(x^2))",
        "}": "use ( and ) for grouping (LaTeX is not read: e^{x^2} is e^(x^2))",
        "!": "factorials are not supported",
        "'": "a prime marks the derivative of an abstract function, as in f'(x)",
    }
    if 0xDC80 <= ord(char) <= 0xDCFF:  # how Python reads a byte that is not UTF-8
        return ParseError(f"invalid UTF-8 byte 0x{ord(char) - 0xDC00:02X}", text, position,
                          hint="calcstep reads UTF-8 text; check the input's encoding")
    # a character that shows nothing of its own (a space, a control, a combining
    # accent, which would sit on the quote) is named by its code point
    shows = char.isprintable() and not char.isspace() and not invisible(char)
    name = f"'{char}'" if shows else f"U+{ord(char):04X}"
    hint = _latex_hint(text, position) if char == "\\" else hints.get(char)
    if char == ",":
        hint = thousands_hint(text, position) or _comma_hint(text, position) or hint
    if char in _QUOTES:
        hint = "quotes are not part of an expression: remove them"
    if char in _OTHER_SUPERSCRIPTS:
        if text[:position].rstrip().endswith("^"):  # x^ⁿ: a caret already
            hint = "after ^ write the exponent in ordinary characters, as x^n"
        else:
            hint = "only digits and a sign are read as a superscript (x⁻²); write other powers with ^, as x^(n + 1)"
    return ParseError(f"unexpected character {name}", text, position, hint=hint)


# A decimal comma has digits on each side (1,5), a logarithm given its base
# after a comma a name and a bracket before it (log(x, 2)).
_DIGITS_BEFORE = re.compile(r"[0-9]+$")
_DIGITS = re.compile(r"[0-9]+")
_LOG_WITH_BASE = re.compile(r"(?:log|ln)\s*\((.*?),\s*([^(),]*)\)")


def _comma_hint(text: str, comma: int) -> str | None:
    """What to write for a comma that is a decimal comma (1,5x: write 1.5x) or
    that gives a logarithm its base (log(x, 2): write log_2(x)); else None."""
    opening = text.rfind("(", 0, comma)
    start = max(text.rfind(name, 0, opening + 1) for name in ("log", "ln"))
    found = _LOG_WITH_BASE.match(text, start) if start >= 0 else None
    if found is not None and found.start(1) <= comma and (base := found.group(2).strip()):
        argument = found.group(1).strip()
        if argument.startswith("(") and argument.endswith(")") and not _bracket_then_power(argument):
            argument = argument[1:-1].strip()  # log((x + 1), 2): its own brackets are log_2's
        return f"for the base-{base} logarithm of {argument}, write log_{base}({argument})"
    whole = _DIGITS_BEFORE.search(text, 0, comma)
    fraction = _DIGITS.match(text, comma + 1)
    if whole is not None and fraction is not None:
        return f"write a decimal point, not a comma: {whole.group()}.{fraction.group()}"
    return None


# A number written with thousands separators: 1,000 or 12,345,678.
_GROUPED = re.compile(r"(?<![0-9.])[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])")


def thousands_hint(text: str, comma: int | None = None) -> str | None:
    """The hint for a number written with thousands separators in `text` (the one
    holding the comma at `comma`, when given), else None: write 1000 for 1,000.
    The parser gives it where the comma stops the reading, --at where it would
    start a second name=value pair."""
    for grouped in _GROUPED.finditer(text):
        if comma is None or grouped.start() < comma < grouped.end():
            return f"write numbers without thousands separators: {grouped.group().replace(',', '')}"
    return None


# What to write for the LaTeX commands pasted most, by name; a function or a
# Greek letter is written without its backslash (\sin x is sin x).
_LATEX = {
    "frac": "write (a)/(b) for \\frac{a}{b}, as 1/x for \\frac{1}{x}",
    "dfrac": "write (a)/(b) for \\dfrac{a}{b}, as 1/x for \\dfrac{1}{x}",
    "cdot": "write * for \\cdot",
    "times": "write * for \\times",
    "left": "write ( and ) without \\left and \\right",
    "right": "write ( and ) without \\left and \\right",
}
_LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)")


def _latex_hint(text: str, backslash: int) -> str:
    """The hint for a backslash: LaTeX is not read, and how to write its command."""
    command = _LATEX_COMMAND.match(text, backslash)
    word = command.group(1) if command else ""
    if word in _LATEX:
        how = _LATEX[word]
    elif word in vocabulary.function_spellings():
        how = f"write {word}(x) for \\{word}(x)"
    elif word in vocabulary.GREEK or word == "pi":
        how = f"write {word} for \\{word}"
    else:
        how = "write sin(x), 1/x and e^(x^2) for \\sin(x), \\frac{1}{x} and e^{x^2}"
    return f"LaTeX is not read: {how}"


# superscript characters that are not a number: brackets, =, letters (xⁿ), and a
# sign with no digit after it (x⁻ⁿ); a sign before digits is part of one (x⁻²)
_OTHER_SUPERSCRIPTS = frozenset("⁽⁾⁼⁻⁺ⁿⁱᵃᵇᶜᵈᵉᶠᵍʰʲᵏˡᵐᵒᵖʳˢᵗᵘᵛʷˣʸᶻ")


# ---------------------------------------------------------------------------
# Post-lexer: words, bars and brackets
# ---------------------------------------------------------------------------


class _Words:
    """The vocabulary the post-lexer segments words with, for one set of abstract names."""

    def __init__(self, abstract: frozenset[str]) -> None:
        self.abstract = abstract
        self.functions = vocabulary.function_spellings()
        self.names = frozenset(vocabulary.GREEK) | {"pi"}
        # longest first, so that `sinh` wins over `sin` and `theta` over `eta`
        self.known = sorted(self.functions | self.names | abstract, key=len, reverse=True)


_WORDS: dict[frozenset[str], _Words] = {}


def _words(abstract: frozenset[str]) -> _Words:
    """The vocabulary for a set of abstract names, made once per set (a batch reads
    every line with the same one)."""
    words = _WORDS.get(abstract)
    if words is None:
        words = _WORDS[abstract] = _Words(abstract)
    return words


def _postlex(
    text: str, raw: Iterable[list[Token]], words: _Words, notes: list[Note], limits: Limits
) -> Iterator[Token]:
    """Classify WORD and BAR tokens and check that brackets pair up.  `raw` is the
    lexer's lists of tokens, ending with $END; so do the tokens given, one at a
    time, and the driver takes $END like any other."""
    openers: list[Token] = []
    # where the operand of each open bracket starts: at its function's name, for a call
    starts: list[int] = []
    previous: Token | None = None
    group_start = 0  # where the operand of the bracket last closed starts
    # one token of lookahead is all this needs (a word is read knowing the token
    # after it), so the tokens stream from the lexer to the parser and are never
    # all held: a 100,000-term sum is 600,000 of them
    stream = chain.from_iterable(raw)
    pending = next(stream)  # the token read last, classified once the next is read
    for following in stream:
        token, pending = pending, following
        kind = token.type
        if kind not in _CLASSIFIED:  # an operator, most often: passed on as it is
            yield token
            previous = token
            continue
        if kind == "WORD":
            if previous is not None and previous.type == "NUMBER":
                _refuse_hexadecimal(text, previous, token)
            pieces = _segment(text, token, following, words, notes)
            for piece in pieces:
                yield piece
                previous = piece
            continue
        if kind == "BAR":
            closes = (
                bool(openers)
                and openers[-1].value == "|"
                and previous is not None
                and previous.type in _ENDS_OPERAND
            )
            if closes:
                openers.pop()
                group_start = starts.pop()
                token = token._replace(type="RBAR")
            else:
                openers.append(token)
                starts.append(token.start)
                _check_depth(text, openers, limits)
                token = token._replace(type="LBAR")
        elif kind == "LPAR":
            openers.append(token)
            called = previous is not None and previous.type in ("FUNC", "AFUNC") and previous.end == token.start
            starts.append(previous.start if called else token.start)
            _check_depth(text, openers, limits)
        elif kind == "RPAR":
            _close_bracket(text, token, openers)
            group_start = starts.pop()
        elif kind == "NUMBER" and previous is not None:
            after = previous.type
            if after == "RPAR" or after == "RBAR":
                # cos(x^2) 2x, (x + 1)2, |x| 2: a number after a closing bracket can only be
                # a factor, as students write it; read as if * stood between (noted)
                notes.append(Note(f"'{text[group_start:token.end]}' was read as a product: "
                                  f"{text[group_start:previous.end]}·{token.value}", (), group_start))
                yield Token("TIMES", "", token.start, token.start)
            elif after == "NUMBER" and previous.end == token.start:
                mixed = token.value in _VULGAR  # 2½
                raise ParseError(
                    f"{'mixed' if mixed else 'malformed'} number '{text[previous.start:token.end]}'",
                    text,
                    previous.start,
                    length=token.end - previous.start,
                    hint=f"write {previous.value} + {token.value} for the sum, or {previous.value}·{token.value} "
                    "for the product" if mixed else "a number has at most one decimal point",
                )
        yield token
        previous = token
    if openers:
        opener = openers[-1]
        closer = ")" if opener.value == "(" else "]" if opener.value == "[" else "|"
        raise ParseError(
            f"'{opener.value}' is never closed",
            text,
            opener.start,
            hint=f"add '{closer}' where the group ends",
        )
    yield pending  # $END


def _check_depth(text: str, openers: list[Token], limits: Limits) -> None:
    if len(openers) > limits.max_depth:
        raise ParseError(
            f"brackets nested more than {limits.max_depth} deep",
            text,
            openers[-1].start,
            hint="raise the limit with --max-depth if this is intended",
        )


_HEX_DIGITS = re.compile(r"x[0-9A-Fa-f]*[0-9][0-9A-Fa-f]*")


def _refuse_hexadecimal(text: str, previous: Token, word: Token) -> None:
    """0x1F is a hexadecimal number, which would be read as 0·x₁·F: refused, with
    its value in decimal (`previous` is the number before the word)."""
    if previous.value == "0" and previous.end == word.start and _HEX_DIGITS.fullmatch(word.value):
        raise ParseError(
            "hexadecimal numbers are not read", text, previous.start, length=word.end - previous.start,
            hint=f"write the number in decimal: {int(word.value[1:], 16)}",
        )


def _close_bracket(text: str, token: Token, openers: list[Token]) -> None:
    if not openers:
        raise ParseError(
            f"unmatched '{token.value}': nothing opens it",
            text,
            token.start,
            hint="remove it, or add the '(' it closes",
        )
    opener = openers[-1]
    if opener.value == "|":
        raise ParseError(
            f"'{token.value}' closes a bracket while the '|' at column {opener.start + 1} is open",
            text,
            token.start,
            hint="close the absolute value with '|' first",
        )
    if _CLOSERS[token.value] != opener.value:
        raise ParseError(
            f"'{token.value}' does not match the '{opener.value}' at column {opener.start + 1}",
            text,
            token.start,
            hint=f"close it with '{_OPENERS[opener.value]}'",
        )
    openers.pop()


def _segment(
    text: str, token: Token, following: Token, words: _Words, notes: list[Note]
) -> list[Token]:
    """Split a WORD into FUNC, AFUNC, NAME and NUMBER tokens.

    A word that is one known spelling stays whole; otherwise it is read left to
    right, each time taking the longest known word (function, Greek name, `pi`,
    `log_b`), else a run of digits, else one letter with its subscript:
    `xsin` is x sin, `sin2x` is sin 2 x, `theta2x` is theta2 x, `xy` is x y.
    `following` is the token after the word ($END at the end)."""
    word = token.value
    if (
        following.type == "NUMBER"
        and following.start == token.end
        and following.value.startswith(".")
        and re.search(r"log_[0-9]+$", word)
    ):
        raise ParseError(
            "a logarithm's base after _ is a whole number or a name",
            text,
            token.start,
            length=following.end - token.start,
            hint=f"for base {word.rsplit('_', 1)[1]}{following.value}, write log(x)/log({word.rsplit('_', 1)[1]}{following.value})",
        )
    call_follows = following.type == "LPAR" or (following.type == "PRIME" and following.start == token.end)
    whole = _classify_whole(word, call_follows, words)
    if whole is not None:
        if (
            whole[0] == "NAME"
            and following.type == "LPAR"
            and following.start == token.end
            and whole[1] not in vocabulary.CONSTANTS
        ):
            _note_name_before_bracket(text, token, whole[1], notes)
        return [_token(Token, (whole[0], whole[1], token.start, token.end))]
    spans = list(_split_word(text, token, words))
    classified: list[Token] = []
    for index, (start, end) in enumerate(spans):
        piece = word[start:end]
        at = (token.start + start, token.start + end)
        if piece[0].isdigit():
            classified.append(Token("NUMBER", piece, *at))
            continue
        last = index == len(spans) - 1
        kind, value = _classify_whole(piece, call_follows and last, words) or ("NAME", piece)
        classified.append(Token(kind, value, *at))
    _check_unknown_function(text, token, classified, call_follows, words)
    first = classified[0]
    if first.type == "FUNC" and first.value in ("log2", "log10") and len(classified) == 2 and classified[1].type == "NAME":
        # log2x: the base-2 logarithm of x, as log2(x) is; log(2x) may have been meant
        base, name = first.value[3:], classified[1].value
        notes.append(Note(f"'{word}' was read as {{0}}, the base-{base} logarithm, not log({base}{name}); "
                          f"for that, write log({base}{name})", (Log(Sym(name), Num(int(base))),), token.start))
    if len(classified) > 1 and all(p.type == "NAME" for p in classified[:-1]):
        names = classified if classified[-1].type == "NAME" else classified[:-1]
        product = mul(*(vocabulary.CONSTANTS.get(p.value) or Sym(p.value) for p in names))
        if names is classified:
            # Pi, PI: the constant in another case, which names are not
            constant = "; the constant π is written pi" if word.lower() == "pi" else ""
            notes.append(Note(f"'{word}' was read as the product {{0}}{constant}", (product,), token.start))
        elif classified[-1].type == "AFUNC":  # ctg(x), sh(x): a name ending in f, g or h
            notes.append(Note(f"'{word}' was read as {{0}} times the abstract function {classified[-1].value}",
                              (product,), token.start))
    return classified


# y(x), u(t): a name, then one name in brackets, as a function is written
_ONE_NAME_IN_BRACKETS = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9_]*)\s*\)")

# Names written for a function calcstep knows by another name: (what it is, its name)
_NAMES_FOR_FUNCTIONS = {"sigma": ("logistic sigmoid", "sigmoid")}


def function_meant_by(name: str) -> str | None:
    """How to write the function people often mean by the variable `name` (sigma:
    "for the logistic sigmoid, write sigmoid(…)"), or None."""
    known = _NAMES_FOR_FUNCTIONS.get(name)
    return None if known is None else f"for the {known[0]}, write {known[1]}(…)"


def _note_name_before_bracket(text: str, token: Token, name: str, notes: list[Note]) -> None:
    """A note for y(x) read as the product y·x: it is how a function of x is written
    (for implicit differentiation, say), so the product may not be what was meant.
    A bracket holding more than a name, as in x(x + 1), is a product as usual."""
    inside = _ONE_NAME_IN_BRACKETS.match(text, token.end)
    known = _NAMES_FOR_FUNCTIONS.get(name)
    if inside is None:
        if known is not None:  # σ(w·x + b), as networks are written
            typed = text[token.start : token.end]
            notes.append(Note(f"'{typed}(' was read as {typed} times the bracket after it; "
                              f"{function_meant_by(name)}", (), token.start))
        return
    source = text[token.start : inside.end()]
    typed = text[token.start : token.end]  # σ as typed, not its name sigma: --functions takes it so
    # σ(x) in a network's formula is the sigmoid: say how calcstep writes it
    usual = f"; for the {known[0]}, write {known[1]}({inside.group(1)})" if known else ""
    notes.append(
        Note(
            f"'{source}' was read as the product {{0}}{usual}; for a function {typed} of "
            f"{inside.group(1)}, declare it with --functions {typed}",
            (mul(Sym(name), Sym(inside.group(1))),),
            token.start,
        )
    )


def _misplaced_subscript(text: str, start: int, word: str, position: int) -> ParseError:
    """The error for a '_' that starts no subscript: after log, a base that is not
    a whole number or a name (log_-2, log_(x+1)); else one with nothing after it."""
    if word[:position].endswith("log"):
        return ParseError(
            "a logarithm's base after log_ is a whole number or a name",
            text,
            start + position - 3,
            length=4,
            hint="for any other base b, write ln(x)/ln(b)",
        )
    if position == 0:
        return ParseError("a subscript '_' must follow a letter", text, start)
    return ParseError(
        "a subscript '_' needs digits or letters after it", text, start + position, hint="write x_1 or w_out"
    )


def _split_word(text: str, token: Token, words: _Words) -> Iterator[tuple[int, int]]:
    """The [start, end) offsets of the pieces of a word that is not one known spelling."""
    word = token.value
    position = 0
    while position < len(word):
        char = word[position]
        if char.isdigit():
            end = position + 1
            while end < len(word) and word[end].isdigit():
                end += 1
        elif char == "_":
            raise _misplaced_subscript(text, token.start, word, position)
        else:
            log_base = _LOG_BASE_PREFIX.match(word, position)
            known = next((k for k in words.known if word.startswith(k, position)), None)
            if log_base is not None:
                end = log_base.end()
            elif known is not None and len(known) > 1:
                end = position + len(known)
                if known in words.names:  # a Greek name keeps its subscript: theta2
                    subscript = _SUBSCRIPT.match(word, end)
                    end = subscript.end() if subscript else end
            else:
                subscript = _SUBSCRIPT.match(word, position + 1)
                end = subscript.end() if subscript else position + 1
        yield position, end
        position = end


def _classify_whole(word: str, call_follows: bool, words: _Words) -> tuple[str, str] | None:
    """(token type, canonical value) when `word` is one known word, else None."""
    if len(word) == 1 and word.isascii():  # x, k, e: most words are one letter
        if call_follows and word in words.abstract:
            return "AFUNC", word
        return ("FUNC" if word in words.functions else "NAME"), word
    if word in words.abstract and call_follows:
        return "AFUNC", word
    if word in words.functions or _LOG_BASE.fullmatch(word):
        return "FUNC", word
    if word in vocabulary.GREEK_BY_LETTER:
        return "NAME", vocabulary.GREEK_BY_LETTER[word]
    if word in words.names or word in vocabulary.CONSTANTS or word in words.abstract:
        return "NAME", word
    if len(word) == 1 and word.isalpha():
        return "NAME", vocabulary.GREEK_BY_LETTER.get(word, word)
    sub = _SUBSCRIPTED.fullmatch(word)
    if sub:
        return "NAME", word
    greek = re.fullmatch(r"([A-Za-z]+)(_?[0-9]+|_[A-Za-z0-9]+)", word)
    if greek and greek.group(1) in vocabulary.GREEK:
        return "NAME", word
    letter = re.fullmatch(r"([α-ωΑ-Ωϑϕϵ])(_?[0-9]+|_[A-Za-z0-9]+)", word)
    if letter and letter.group(1) in vocabulary.GREEK_BY_LETTER:
        return "NAME", vocabulary.GREEK_BY_LETTER[letter.group(1)] + letter.group(2)
    return None


def _check_unknown_function(
    text: str, token: Token, pieces: list[Token], call_follows: bool, words: _Words
) -> None:
    """A run of plain letters directly before `(` is a misspelt function, not a product,
    when it is three letters or more or close to a known name (`sni(x)`, `Sin(x)`);
    so is a function's name spelled out (`sine(x)`, which would read as sin(e·x))."""
    if not call_follows:
        return
    word = token.value
    spelled = _SPELLED_OUT.get(word.lower())
    if spelled is not None:
        raise ParseError(f"unknown function '{word}'", text, token.start, length=len(word),
                         hint=f"did you mean {spelled}? (calcstep writes functions by their short names)")
    if any(p.type != "NAME" for p in pieces):
        return
    close = _closest(word, sorted(words.functions | words.abstract))
    if len(word) < 3 and not close:
        return
    instead = _WRITTEN_INSTEAD.get(word.lower())
    if instead is not None:
        hint = instead
    else:
        hint = f"did you mean {close}?" if close else "declare it with --functions " + word
        hint += " (to multiply, write " + "*".join(p.value for p in pieces) + "*(…))"
    raise ParseError(
        f"unknown function '{word}'", text, token.start, length=len(word), hint=hint
    )


# Functions' names spelled out, which read otherwise as a function of a product
# (sine is sin e, tangent t·a·n·g·e·n·t … with tan inside): each with its name.
_SPELLED_OUT = {
    "sine": "sin", "cosine": "cos", "tangent": "tan", "secant": "sec", "cosecant": "csc", "cotangent": "cot",
    "arcsine": "asin", "arccosine": "acos", "arctangent": "atan", "logarithm": "ln", "exponential": "exp",
}

# Functions of two arguments people write, which calcstep spells otherwise
# (declared as abstract functions, they would be no use).
_WRITTEN_INSTEAD = {
    "max": "calcstep has no max: write relu(x) for max(0, x), and (a + b + abs(a - b))/2 for max(a, b)",
    "min": "calcstep has no min: write -relu(-x) for min(0, x), and (a + b - abs(a - b))/2 for min(a, b)",
}


def _closest(word: str, candidates: list[str]) -> str | None:
    """The known name `word` most likely misspells: the same name in another case,
    then the same letters in another order (cso → cos), then the closest by edits."""
    lowered = word.lower()
    for candidate in candidates:
        if candidate.lower() == lowered:
            return candidate
    for candidate in candidates:
        if sorted(candidate) == sorted(lowered):
            return candidate
    import difflib  # only on this error path

    close = difflib.get_close_matches(lowered, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


# ---------------------------------------------------------------------------
# Builder
# ---------------------------------------------------------------------------


def _sign_to_front(parts: list[Expr], factor: Expr) -> Expr:
    """A negated factor of a product gives its sign to the product's front: 2*-x is
    −2·x, x*-x is −x·x (read as written, 2·(−1)·x, its steps showed c = 2·(−1))."""
    if type(factor) is not Mul or factor.factors[0] != MINUS_ONE:
        return factor
    parts[0] = neg(parts[0])  # 2 becomes −2, −x becomes x, x becomes −x
    return mul(*factor.factors[1:])


class _Chain:
    """A sum or product still being read: its parts in a list, so that a chain like
    x + x + … + x costs linear time (a new n-ary node per operator would cost
    quadratic time).  The driver finishes a chain into an Add or Mul before it is
    handed to anything but the next operator of the same chain."""

    __slots__ = ("bracketed", "kind", "last", "parts")

    def __init__(self, kind: str, first: Expr, bracketed: set[int] | None = None) -> None:
        self.kind = kind
        self.parts: list[Expr] = [first]
        self.last = ""
        self.bracketed = bracketed  # see `_Builder.bracketed`

    def finish(self) -> Expr:
        if self.bracketed is None:  # the usual reading: (a·b)·c is a·b·c
            return add(*self.parts) if self.kind == "sum" else mul(*self.parts)
        return _kept_apart(Add if self.kind == "sum" else Mul, self.parts, self.bracketed)


def _kept_apart(kind: type[Add] | type[Mul], parts: list[Expr], bracketed: set[int]) -> Expr:
    """The sum or product of `parts`, each bracketed one (its id in `bracketed`)
    kept whole as one part: w₂·(w₁·x) is a product with a product inside, two
    stages of a network; a part made otherwise (−x in a − x·y) is merged as `add`
    and `mul` merge it."""
    joined: list[Expr] = []
    for part in parts:
        if type(part) is kind and id(part) not in bracketed:
            joined.extend(part.children())
        else:
            joined.append(part)
    if len(joined) == 1:
        return joined[0]  # 1/3, its divisor folded into the number: one part, no product
    return kind(tuple(joined))


# The builder methods that continue a chain when it is their left operand.
_CONTINUES = {"add": "sum", "sub": "sum", "mul": "product", "div": "product", "implicit_mul": "product"}


def _bracket_then_power(text: str) -> bool:
    """True for text such as "(x)^2" or "(x)²": a bracket closed, then a power."""
    text = text.lstrip()
    if not text.startswith(("(", "[")):
        return False
    depth = 0
    for index, char in enumerate(text):
        depth += char in "(["
        depth -= char in ")]"
        if depth == 0:
            return bool(text[index + 1 :].strip())
    return False


# A power whose exponent is a bare number, ending the text before a slash.
_BARE_EXPONENT = re.compile(r"\^\s*[-−]?\s*[0-9.]+\s*$")


def _exponent_then_factor(text: str, start: int, end: int) -> bool:
    """True when the power written in text[start:end] ends in a bare-number
    exponent followed at once by a factor (e^2x, 2^-3y, e^2(x + 1)): written with
    no space, e^(2x) may have been meant.  Only the power's own text is searched,
    so a long input is not scanned again for each of its powers."""
    return _factor_follows(text, end) and bool(_BARE_EXPONENT.search(text, start, end))


def _skip_space(text: str, index: int) -> int:
    """The first index at or after `index` that is not white space (or the end):
    text[index:].lstrip() without copying the rest of a long input."""
    while index < len(text) and text[index].isspace():
        index += 1
    return index


def _back_over_space(text: str, index: int) -> int:
    """The length of text[:index].rstrip(), found without copying the text before."""
    while index and text[index - 1].isspace():
        index -= 1
    return index


def _factor_follows(text: str, end: int) -> bool:
    """True when a factor starts right at `end`, with no space before it."""
    return end < len(text) and (text[end].isalpha() or text[end] in "(√∛|")


def _power_then_divisor(text: str, start: int, slash: int, exponent: Expr, divisor: Expr) -> bool:
    """True when `x^1/2` could have meant x^(1/2): the power starting at `start`
    ends in a bare-number exponent written right before the slash at `slash`, and
    not the divisor itself (x^3/3 is plainly x³/3, as in x + x²/2 + x³/3); the
    divisor is a number, or anything at all after the exponent 1, which nobody
    writes for its own sake (e^1/x)."""
    return (
        bool(_BARE_EXPONENT.search(text, start, slash))
        and exponent != divisor
        and (type(divisor) is Num or exponent == Num(1))
    )


class _Builder:
    """Makes expression nodes; one method per grammar alias.

    Methods receive the rule's children: tokens for terminals, built values for
    rules.  `self.span` is the [start, end) of the text being reduced."""

    def __init__(self, text: str, notes: list[Note], limits: Limits, grouped: bool = False) -> None:
        self.text = text
        self.notes = notes
        self.limits = limits
        self.span = (0, 0)
        # each power written with a number for its exponent: its base, its
        # exponent and where its text starts and ends (for the notes on x^1/2, e^2x)
        self.made_by: dict[int, tuple[Expr, Expr, int, int]] = {}
        # each root written before a bare number (√2): where its text starts and ends
        self.roots: dict[int, tuple[int, int]] = {}
        # each function written before one bare factor (sin x, sin 1), by the node
        # and where its text ends: where its text starts (for the note on sin 1/x)
        self.bare_calls: dict[tuple[int, int], int] = {}
        self.functions: set[str] = set()  # the abstract functions applied
        # where each part that may have no value was written (ln(0) in x + ln(0),
        # ln(x − x)), so that an error about it can mark its place
        self.places: dict[Expr, tuple[int, int]] = {}
        # with `grouped`, the ids of the sums and products typed in brackets, which
        # the sum or product around them keeps whole; None: they are merged into it
        self.bracketed: set[int] | None = set() if grouped else None

    def _source(self) -> str:
        return self.text[self.span[0] : self.span[1]]

    def _note(self, text: str, *args: Expr, meant: tuple[int, int, str] | None = None) -> None:
        self.notes.append(Note(text, args, self.span[0], meant))

    def _error(self, message: str, hint: str | None = None) -> ParseError:
        start, end = self.span
        return ParseError(message, self.text, start, length=end - start, hint=hint)

    # atoms
    def number(self, token: Token) -> Num:
        result = _read_number(token, self.text, self.limits)
        if ("e" in token.value or "E" in token.value) and _factor_follows(self.text, token.end):
            # 2e-4x: a number in scientific notation, then a factor; 2e − 4x (2 times e
            # minus 4x) may have been meant, as 2ex is 2·e·x
            self._note(f"'{self.text[token.start:token.end]}' was read as the number {{0}} "
                       f"(scientific notation); for e, write {token.value.lower().split('e')[0]}*e", result)
        return result

    def name(self, token: Token) -> Expr:
        constant = vocabulary.CONSTANTS.get(token.value)
        return constant if constant is not None else Sym(token.value)

    def group(self, _open: Token, inner: Expr, _close: Token) -> Expr:
        # a bracketed part is kept with its place too: 1/(x − x) is marked at (x − x)
        self.places.setdefault(inner, self.span)
        if self.bracketed is not None and type(inner) in (Add, Mul):
            self.bracketed.add(id(inner))  # the node is held by the tree: its id stays its own
        return inner

    def abs_bars(self, _open: Token, inner: Expr, _close: Token) -> Expr:
        return Call("abs", inner)

    # sums and products
    def _chain(self, kind: str, left: Expr | _Chain) -> _Chain:
        if isinstance(left, _Chain) and left.kind == kind:
            return left
        return _Chain(kind, left, self.bracketed)

    def add(self, left: Expr | _Chain, _op: Token, right: Expr) -> _Chain:
        chain = self._chain("sum", left)
        chain.parts.append(right)
        return chain

    def sub(self, left: Expr | _Chain, _op: Token, right: Expr) -> _Chain:
        chain = self._chain("sum", left)
        chain.parts.append(self._negated(right))
        return chain

    def _typed_in_brackets(self, operand: Expr) -> bool:
        """True, in the grouped reading, for a sum or product typed in brackets."""
        return self.bracketed is not None and id(operand) in self.bracketed

    def _negated(self, operand: Expr) -> Expr:
        """−operand: the sign folded into it (−(2x) is (−2)·x), except, in the
        grouped reading, into a product typed in brackets, which stays a node of
        its own: −(w·x) is (−1)·(w·x)."""
        return Mul((MINUS_ONE, operand)) if self._typed_in_brackets(operand) else neg(operand)

    def mul(self, left: Expr | _Chain, _op: Token, right: Expr) -> _Chain:
        chain = self._chain("product", left)
        chain.parts.append(_sign_to_front(chain.parts, right))
        chain.last = "mul"
        return chain

    def implicit_mul(self, left: Expr | _Chain, right: Expr) -> _Chain:
        chain = self._chain("product", left)
        if chain.last == "div":
            # 1/2(x + 1) is (1/2)·(x + 1): a sum keeps its brackets in the note
            factor = "({1})" if type(right) is Add else "{1}"
            source = self._source()
            self._note(f"'{source}' was read as ({{0}})·{factor}", chain.finish(), right,
                       meant=_divisor_bracketed(source, self.span))
        rooted = self.roots.get(id(chain.parts[-1]))
        if rooted is not None and _factor_follows(self.text, rooted[1]):
            # √2x: the root takes the number alone, as √x·y takes x, but √(2x) may have been meant
            root = chain.parts[-1]
            self._note(
                f"'{self.text[rooted[0]:self.span[1]]}' was read as {{0}}, not {{1}}; for that, "
                "write the root's argument in parentheses",
                mul(root, right),
                Pow(mul(root.base, right), root.exp),
            )
        made = self.made_by.get(id(chain.parts[-1]))
        if made is not None and (isinstance(made[0], (Num, Const)) or made[0] == right) and _exponent_then_factor(
            self.text, made[2], made[3]
        ):
            # e^2x: the power binds first, as x^2y is x²·y, but e^(2x) was likely meant;
            # so was x^(2x) by x^2x (x^2y is the usual x²·y, said without a note)
            base, exponent, start, _ = made
            source = self.text[start : self.span[1]]
            caret = source.index("^")
            self._note(
                f"'{source}' was read as {{0}}, not {{1}}; for that, write the exponent in parentheses",
                # x/e², not 1/e²·x: a divisor is written last
                mul(right, Pow(base, exponent)) if exponent.value < 0 else mul(Pow(base, exponent), right),
                Pow(base, mul(exponent, right)),
                meant=(start, self.span[1], f"{source[: caret + 1]}({source[caret + 1 :].strip()})"),
            )
        chain.parts.append(_sign_to_front(chain.parts, right))
        chain.last = "implicit"
        return chain

    def div(self, left: Expr | _Chain, _op: Token, right: Expr) -> _Chain:
        # where the divisor's text starts: an error about it marks the divisor, not
        # the whole division
        start = _skip_space(self.text, _op.end)
        if type(right) is Num and right.value == 0:
            raise ParseError("division by zero", self.text, start, length=self.span[1] - start,
                             hint="a literal 0 cannot be a divisor")
        # the power is the left operand, or the last factor of a product (3x^-1/2)
        product = isinstance(left, _Chain) and left.kind == "product"
        made = self.made_by.get(id(left.parts[-1] if product else left))
        if made is not None and _power_then_divisor(self.text, made[2], _op.start, made[1], right):
            base, exponent, _, _ = made
            divisor = "({1})" if type(right) in (Add, Mul, Pow) else "{1}"  # e^1/(x + 1)
            self._note(
                f"'{self._source()}' was read as ({{0}})/{divisor}; for a fractional power "
                "write the exponent in parentheses",
                mul(*left.parts) if product else Pow(base, exponent),
                right,
            )
        last = left.parts[-1] if isinstance(left, _Chain) else left
        called = self.bare_calls.get((id(last), _back_over_space(self.text, _op.start)))
        if called is not None and type(last) is Call and right != last.arg:
            # sin 1/x: the function takes the one factor before the slash, sin(1)/x,
            # as sin x/2 is sin(x)/2; sin(1/x) may have been meant (ln x/x is plain)
            self._note(
                f"'{self.text[called : self.span[1]]}' was read as {{0}}, not {{1}}; for that, "
                "write the function's argument in parentheses",
                _divided(last, right),
                Call(last.fn, _divided(last.arg, right)),
            )
        chain = self._chain("product", left)
        try:
            if self._typed_in_brackets(right):
                # (w·x + b)/(w·x): the bracketed divisor is one node of the graph, as
                # in the numerator, not 1/w·1/x
                divisor = _times_divisor_of(chain.parts, Pow(right, MINUS_ONE))
            else:
                divisor = _divide_into(chain.parts, right)
        except ZeroDivisionError:
            raise self._error("division by zero", "a literal 0 cannot be a divisor") from None
        if divisor is not None:  # kept with the divisor's place: x/(x − x) is marked there
            self.places.setdefault(divisor, (start, self.span[1]))
        chain.last = "div"
        return chain

    def neg(self, _op: Token, operand: Expr) -> Expr:
        return self._negated(operand)

    def pos(self, _op: Token, operand: Expr) -> Expr:
        return operand

    # powers
    def pow(self, base: Expr, _op: Token, exponent: Expr) -> Expr:
        result = Pow(base, exponent)
        if type(exponent) is Num:
            self.made_by[id(result)] = (base, exponent, *self.span)
        elif type(exponent) is Pow and _bracket_then_power(self.text[_op.end : self.span[1]]):
            # e^(x)^2 is e^((x)^2), as 2^3^x is 2^(3^x): said, since (e^x)^2 may be meant
            source = self._source()
            inner = source.rstrip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻")  # e^(x)²: the power in superscript
            power = source[len(inner):]
            if not power:
                inner, _, power = source.rpartition("^")
                power = "^" + power.strip()
            self._note(f"'{source}' was read as {{0}}; for the power of {inner.strip()}, write "
                       f"({inner.strip()}){power}", result)
        return result

    def superscript_pow(self, base: Expr, sup: Token) -> Expr:
        return Pow(base, Num(int(sup.value.translate(_SUPERSCRIPT_DIGITS))))

    def root(self, sign: Token, operand: Expr) -> Expr:
        index = _ROOT_INDEX[sign.value]
        result = Pow(operand, Num(Fraction(1, index)))
        # √2x and √-2x: the root takes the number alone (see implicit_mul's note)
        if type(operand) is Num and self.text[sign.end : self.span[1]].lstrip(" +-")[:1].isdigit():
            self.roots[id(result)] = (sign.start, self.span[1])
        if type(operand) is Pow and _bracket_then_power(self.text[sign.end : self.span[1]]):
            # √(x)^2 is √((x)^2), as √x^2 is √(x²): said, since sqrt(x)^2 is (√x)²
            self._note(f"'{self._source()}' was read as {{0}}; for the power of the root write ({sign.value}…)^n",
                       result)
        return result

    # functions
    def call(self, func: Token, *rest: Any) -> Expr:
        arg = rest[1] if len(rest) == 3 else rest[0]
        result = self._apply_function(func, arg)
        if len(rest) == 1:
            self._note_bare(arg, result)
            if type(result) is Call and type(arg) in (Num, Sym, Const):
                self.bare_calls[id(result), self.span[1]] = self.span[0]
        return result

    def call_power(self, func: Token, power: int, *rest: Any) -> Expr:
        arg = rest[1] if len(rest) == 3 else rest[0]
        if power == -1:  # its note shows the argument too: no note on the bare argument
            inverse = vocabulary.inverse_of(func.value)
            if inverse is None:
                raise self._error(
                    f"'{func.value}^-1' has no inverse function calcstep knows",
                    f"write 1/{func.value}(…) for the reciprocal",
                )
            result = Call(inverse, arg)
            self._note(
                f"'{func.value}^-1' was read as the inverse function {{0}}, not 1/{func.value}",
                result,
            )
            return result
        if power < 1:
            raise self._error(
                f"'{func.value}^{power}' is ambiguous",
                f"write ({func.value}(…))^{power} for a power of {func.value}",
            )
        function = self._apply_function(func, arg)
        self.places.setdefault(function, self.span)  # sin²(x/x): its sine is a part an error may name
        result = Pow(function, Num(power))
        if len(rest) == 1:
            self._note_bare(arg, result)  # cos^2 3x is cos²(3x): said with its square
        return result

    def fpower(self, *tokens: Token) -> int:
        digits = "".join(
            t.value.translate(_SUPERSCRIPT_DIGITS) if t.type == "SUPERSCRIPT" else t.value
            for t in tokens
            if t.type in ("NUMBER", "SUPERSCRIPT", "MINUS")
        )
        digits = digits.replace("−", "-").replace("–", "-")
        try:
            return int(digits)
        except ValueError:
            raise self._error(
                _FUNCTION_POWER_WHOLE,
                "write (sin(x))^(1/2) for other powers",
            ) from None

    def bare_product(self, *factors: Expr) -> Expr:
        return mul(*factors)

    def apply(self, func: Token, _open: Token, arg: Expr, _close: Token) -> Expr:
        self.functions.add(func.value)
        return Apply(func.value, arg)

    def apply_prime(self, func: Token, primes: Token, _open: Token, arg: Expr, _close: Token) -> Expr:
        self.functions.add(func.value)
        order = sum(2 if ch == "″" else 1 for ch in primes.value)
        return Apply(func.value, arg, order)

    def _apply_function(self, func: Token, arg: Expr) -> Expr:
        spelling = func.value
        base = _LOG_BASE.fullmatch(spelling)
        if base is not None:
            return _log_to_base(base.group(1), arg)
        if spelling == "log":
            self._note("'log' was read as the natural logarithm {0}", Call("ln", arg))
        return vocabulary.apply_named(spelling, arg)

    def _note_bare(self, arg: Expr, result: Expr) -> None:
        """A function name before a bare product or power (sin 2x, ln x^2) takes all
        of it as its argument: said, with `result`, what was read."""
        if isinstance(arg, (Mul, Pow)):
            self._note(f"'{self._source()}' was read as {{0}}", result)


def _divisor_bracketed(source: str, span: tuple[int, int]) -> tuple[int, int, str] | None:
    """For a product read after a division (1/2x as (1/2)·x), the other reading:
    the divisor and what follows it in brackets, 1/(2x), as (start, end, text) of
    the input; None when no slash stands outside brackets."""
    depth = 0
    slash = None
    for index, char in enumerate(source):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "/" and depth == 0:
            slash = index
    if slash is None:
        return None
    return span[0], span[1], f"{source[: slash + 1]}({source[slash + 1 :].strip()})"


def _log_to_base(base_text: str, arg: Expr) -> Expr:
    if base_text == "e":
        return Call("ln", arg)
    if base_text.isdigit():
        return Log(arg, Num(int(base_text)))
    return Log(arg, Sym(base_text))


def _divided(expr: Expr, divisor: Expr) -> Expr:
    """`expr`/`divisor` as the reader writes it: x/2 is (1/2)·x."""
    parts = [expr]
    _divide_into(parts, divisor)
    return mul(*parts)


def _divide_into(parts: list[Expr], right: Expr) -> Expr | None:
    """Divide the product `parts` by `right` as typed, in place: numbers divide
    exactly, a numeric divisor scales the leading coefficient (x/2 is (1/2)·x),
    1/u is u^-1, and anything else multiplies by the reciprocal.  Returns the
    reciprocal factor added, if any."""
    if type(right) is Mul and type(right.factors[0]) is Num:
        # x/(2y): the number joins the coefficient, the rest divides
        _divide_into(parts, right.factors[0])
        return _divide_into(parts, mul(*right.factors[1:]))
    if type(right) is Num:
        factor = Fraction(1) / Fraction(right.value)
        first = parts[0]
        if type(first) is Num:
            parts[0] = Num(Fraction(first.value) * factor, first.decimal or right.decimal)
            if is_plain_one(parts[0]) and len(parts) > 1:
                del parts[0]  # 2x/2 is x: no factor 1 that nobody typed
        elif type(first) is Mul and type(first.factors[0]) is Num:
            coefficient = first.factors[0]
            scaled = Num(Fraction(coefficient.value) * factor, coefficient.decimal or right.decimal)
            parts[0] = mul(*first.factors[1:]) if is_plain_one(scaled) else Mul((scaled, *first.factors[1:]))
        elif factor != 1 or right.decimal:
            parts.insert(0, Num(factor, right.decimal))
        # else a division by a plain 1 (cos(x)/1): no factor 1 that nobody typed
        return None
    return _times_divisor_of(parts, _divisor_as_read(right))


def _times_divisor_of(parts: list[Expr], divisor: Expr) -> Expr:
    """The product `parts` multiplied, in place, by `divisor` (a reciprocal): 1/x is
    x⁻¹, with no factor 1 that nobody typed.  Returns `divisor`."""
    if len(parts) == 1 and is_plain_one(parts[0]):
        parts[0] = divisor
    else:
        parts.append(divisor)
    return divisor


def _divisor_as_read(right: Expr) -> Expr:
    """What dividing by `right` multiplies by: 1/x is x⁻¹, 1/x² is x⁻², 1/(2x) is
    (1/2)·x⁻¹.  Two kinds of divisor stay divisions:
    sin(x²)/e^(2x) stays a quotient, (e^(2x))⁻¹, not sin(x²)·e^(−2x): it is
    differentiated by the quotient rule, as it was written; and a divisor that
    is itself a division, 1/(1/x), is (x⁻¹)⁻¹, not x: it has no value at 0, and
    x would have one (a derivative given at x = 0 where the function has none)."""
    if type(right) is Pow and (type(right.exp) is not Num or right.exp.value < 0):
        return Pow(right, MINUS_ONE)
    if type(right) is Mul:
        return mul(*map(_divisor_as_read, right.factors))
    return reciprocal(right)


_ROOT_INDEX = {"√": 2, "∛": 3, "∜": 4}

# The vulgar fractions, read as the exact numbers they are: ½x is x/2.
_VULGAR = {
    char: Fraction(numerator, denominator)
    for char, numerator, denominator in (
        ("½", 1, 2), ("⅓", 1, 3), ("⅔", 2, 3), ("¼", 1, 4), ("¾", 3, 4), ("⅕", 1, 5), ("⅖", 2, 5),
        ("⅗", 3, 5), ("⅘", 4, 5), ("⅙", 1, 6), ("⅚", 5, 6), ("⅐", 1, 7), ("⅛", 1, 8), ("⅜", 3, 8),
        ("⅝", 5, 8), ("⅞", 7, 8), ("⅑", 1, 9), ("⅒", 1, 10),
    )
}

# Whole numbers written with an exponent below this are read as whole numbers.
_WHOLE_UP_TO = 10**16


def _read_number(token: Token, text: str, limits: Limits) -> Num:
    """The number a NUMBER token writes (whole, decimal or a vulgar fraction, all
    exact), refused with more than `limits.max_digits` digits or more than this
    Python reads."""
    literal = token.value
    if literal.isdigit() and literal.isascii():  # a whole number, as most are: read at once
        if len(literal.lstrip("0")) > limits.max_digits:
            raise _too_many_digits(token, text, limits)
        try:
            return Num(int(literal))
        except ValueError:  # the interpreter's own digit limit
            raise _past_python_digits(token, text) from None
    if literal in _VULGAR:
        return Num(_VULGAR[literal])
    mantissa, _, exponent_text = literal.lower().partition("e")
    digits = len(mantissa.replace(".", "").lstrip("0"))
    exponent = int(exponent_text) if exponent_text else 0
    if digits > limits.max_digits or abs(exponent) > limits.max_digits:
        raise _too_many_digits(token, text, limits)
    try:
        value = Fraction(literal)  # a decimal (2.5, 1e-3): exact, as written
        if exponent_text and value.denominator == 1 and abs(value) < _WHOLE_UP_TO:
            # 1e5, 3e2, 2.5e3: a whole number written short, not a decimal to
            # write back as 100000.0 (1e400 stays one, written 1e400, not in 401 digits)
            return Num(value.numerator)
        return Num(value, decimal=True)
    except ValueError:  # the interpreter's own digit limit
        raise _past_python_digits(token, text) from None


def _too_many_digits(token: Token, text: str, limits: Limits) -> ParseError:
    return ParseError(
        f"number with more than {limits.max_digits} digits",
        text,
        token.start,
        length=min(len(token.value), 40),
        hint="raise the limit with --max-digits if this is intended",
    )


def _past_python_digits(token: Token, text: str) -> ParseError:
    return ParseError(
        f"number with more digits than this Python accepts ({sys.get_int_max_str_digits()})",
        text,
        token.start,
        length=min(len(token.value), 40),
    )


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def parse(
    text: str,
    *,
    functions: Iterable[str] = vocabulary.DEFAULT_ABSTRACT,
    limits: Limits = DEFAULT_LIMITS,
    grouped: bool = False,
) -> Parsed:
    """Read `text` as an expression.

    `functions` are the names read as abstract functions when a `(` follows them.
    With `grouped`, a sum or product typed in brackets stays one part of the sum
    or product around it, as a computation graph needs it: w₂·(w₁·x) is two
    products, one inside the other.  Without it, the usual reading, the two merge
    (w₂·w₁·x), so that equal expressions have one form; the rule engine and the
    simplifier expect that form.
    Characters pasted from word processors and input methods (𝑥, ｘ, ∙, ⁄, an
    invisible times) are read as the plain ones they stand for (`plain_text`).
    Raises ParseError, with the place marked in `text` as typed, for anything
    that is not an expression."""
    if len(text) > limits.max_length:
        raise ParseError(
            f"input longer than {limits.max_length} characters",
            text[:200],
            0,
            hint="raise the limit with --max-length if this is intended",
        )
    plain = plain_text(text)
    if not plain.strip():  # a zero-width space is nothing to read, too
        raise ParseError("empty expression", text, 0, hint="type an expression such as x^2 + 1")
    try:
        expr, notes, builder = _read(plain, frozenset(functions), limits, grouped)
    except ParseError as error:
        # the plain text has a character for each one typed: the place is the same
        if error.where.text == plain:
            error.where = error.where._replace(text=text)
        raise
    read_whole(plain, expr.free_vars, notes)
    return Parsed(expr, text, said_once(notes), frozenset(builder.functions), builder.places)


def read_whole(plain: str, names: frozenset[str], notes: list[Note]) -> None:
    """What the reading says of the whole text and all its variables `names`, once
    its parts are read: two names written alike are refused (ParseError), and x2
    read as x₂ or E as a variable is noted (added to `notes`)."""
    # only a name with an index (w1, w_1, x2) is written like another or read as
    # one: a name of letters alone (x, theta), as most are, is passed over here,
    # not searched for in the text
    if not all(name.isalpha() for name in names):
        _refuse_names_alike(plain, names)
        _note_indexed_names(plain, names, notes)
    if "E" in names and (found := re.search(r"(?<![A-Za-z0-9_])E\s*\^", plain)) is not None:
        # E^x: a variable E, as names are case-sensitive; the constant is e
        notes.append(Note("'E' was read as a variable, not the constant e; for that, write e",
                          (), found.start()))


# The tokens after which a + or − joins two terms: those that end an operand.
_OPERAND_ENDS = frozenset({"NUMBER", "NAME", "RPAR", "RBAR", "SUPERSCRIPT"})
_OPENING_KINDS = frozenset({"LPAR", "LBAR"})
_CLOSING_KINDS = frozenset({"RPAR", "RBAR"})


def top_level_signs(plain: str, functions: frozenset[str], limits: Limits) -> list[int] | None:
    """Where the + and − signs that join a sum's terms at its top level are in the
    plain text (outside every bracket and bar), read with the grammar's own
    tokens: a sign joins two terms where the token before it ends an operand
    (x − −y: the first); None when the text does not read, whose error the usual
    reading gives."""
    signs: list[int] = []
    depth = 0
    previous = ""
    try:
        for kind, _, start, _ in _postlex(plain, _lex(plain, tables()), _words(functions), [], limits):
            if kind in _OPENING_KINDS:
                depth += 1
            elif kind in _CLOSING_KINDS:
                depth -= 1
            elif depth == 0 and (kind == "PLUS" or kind == "MINUS") and previous in _OPERAND_ENDS:
                signs.append(start)
            previous = kind
    except ParseError:
        return None
    return signs


def read_terms(
    plain: str, start: int, end: int, functions: frozenset[str], limits: Limits
) -> tuple[tuple[Expr, ...], list[Note], frozenset[str], dict[Expr, tuple[int, int]]]:
    """The top-level terms written in plain[start:end], a run of whole terms that
    starts at the text's start or at a joining sign (`top_level_signs`), read as
    the whole text's reading reads them: the terms, the notes on their reading,
    the abstract functions they apply, and the places of their parts, at their
    offsets in the whole text.  Raises ParseError (its place in the piece)."""
    # a joining sign leads the piece: 0 before it makes the sum the whole text has
    piece, offset = (plain[start:end], 0) if start == 0 else ("0" + plain[start:end], start - 1)
    expr, notes, builder = _read(piece, functions, limits)
    terms = expr.terms if type(expr) is Add else (expr,)
    if start:
        terms = terms[1:]
    if offset:
        notes = [note._replace(position=None if note.position is None else note.position + offset,
                               meant=None if note.meant is None else
                               (note.meant[0] + offset, note.meant[1] + offset, note.meant[2]))
                 for note in notes]
        places = {part: (first + offset, last + offset) for part, (first, last) in builder.places.items()}
    else:
        places = dict(builder.places)
    return terms, notes, frozenset(builder.functions), places


def said_once(notes: list[Note]) -> tuple[Note, ...]:
    """The notes, one that says again what an earlier one said (σ(x) twice in an
    answer) left out.  A note with another reading to offer is kept whatever it
    says: each marks its own place in the input to be read otherwise."""
    said: set[tuple[str, tuple[Expr, ...]]] = set()
    kept = []
    for note in notes:
        if note.meant is None:
            if (note.text, note.args) in said:
                continue
            said.add((note.text, note.args))
        kept.append(note)
    return tuple(kept)


def _refuse_names_alike(text: str, variables: frozenset[str]) -> None:
    """Refuse two variables whose names are written alike (w1 and w_1 are both
    w₁), marking where the second is written: read as two, they would be
    printed as one, and a result in them would be misread."""
    names = sorted((name for name in variables if any(char.isdigit() for char in name)), key=name_key)
    if len(names) < 2 or all("_" in name for name in names) or not any("_" in name for name in names):
        return  # names alike differ by an underscore (w1, w_1): none here, or all have one
    from calcstep.printer import pretty_name  # only for names with digits

    first_of_look: dict[str, str] = {}
    for name in names:
        look = pretty_name(name)
        other = first_of_look.setdefault(look, name)
        if other == name:
            continue
        written = [found.start() for spelling in (name, look)
                   if (found := re.search(rf"(?<![A-Za-z0-9_]){re.escape(spelling)}(?![A-Za-z0-9_])", text))]
        raise ParseError(
            f"'{other}' and '{name}' are two variables written alike, as {look}",
            text,
            min(written, default=0),
            length=len(name),
            hint=f"write {other} for both, or give them names that differ",
        )


# a letter and digits written together (x2, w10): one variable with an index
_INDEXED = re.compile(r"([A-Za-z])([0-9]+)")
# such a name where it is written whole in the text: not inside a longer word or number
_INDEXED_WRITTEN = re.compile(r"(?<![A-Za-z_])[A-Za-z][0-9]+(?![0-9])")


# The letters a function of one variable is written in, as opposed to a weight's
# or a coefficient's (w2, a1).
_PLAIN_VARIABLES = frozenset("xyzt")


def _note_indexed_names(text: str, variables: frozenset[str], notes: list[Note]) -> None:
    """A note for x2 read as the variable x₂ where x² is likely meant: text pasted
    from a page loses its superscripts, and 3x2 + x is then read without a word.
    Said when the letter alone is a variable too (x2 + 3x), a number is written
    just before the name (3x2), or the name is x, y, z or t with an index and the
    only variable there is (e^x2, x3 − 1); w1·x1 + b, a network's weights, and
    sigmoid(w2) have no note."""
    written: dict[str, int] | None = None  # each such name → where it is first written
    for name in sorted(variables, key=name_key):
        indexed = _INDEXED.fullmatch(name)
        if indexed is None or indexed.group(2) in ("0", "1"):
            continue  # x¹ and x⁰ are not what x1 and x0 were meant to be
        if written is None:  # one pass over the text for all the names, not one each
            written = {}
            for found in _INDEXED_WRITTEN.finditer(text):
                written.setdefault(found.group(), found.start())
        start = written.get(name)
        if start is None:
            continue
        after_number = start > 0 and text[start - 1].isdigit()
        # alone, x2 or t3 is more likely x² than the variable x₂; w2 may be a weight
        alone = len(variables) == 1 and indexed.group(1) in _PLAIN_VARIABLES
        if indexed.group(1) in variables or after_number or alone:
            letter, digits = indexed.groups()
            notes.append(Note(f"'{name}' was read as the variable {{0}}, not {{1}}; for a power write "
                              f"{letter}^{digits}", (Sym(name), Pow(Sym(letter), Num(int(digits)))),
                              start))


def _read(
    text: str, functions: frozenset[str], limits: Limits, grouped: bool = False
) -> tuple[Expr, list[Note], _Builder]:
    """The expression in the plain `text`, the notes on its reading, and the
    builder that made it (which knows the functions applied and the places)."""
    _refuse_line_breaks(text)
    _refuse_quotes(text)
    _refuse_leibniz(text)
    t = tables()
    notes: list[Note] = []
    words = _words(functions)
    tokens = _postlex(text, _lex(text, t), words, notes, limits)
    builder = _Builder(text, notes, limits, grouped)
    expr = _drive(text, tokens, t, builder, limits)
    return expr, notes, builder


# What pasted text holds for the characters calcstep reads, beside the ones the
# grammar takes as they are (· × − ÷): each is one character for one, so that
# every offset into the plain text, and every caret under an error, is the same
# in the text as typed.  An invisible operator becomes a space: the factors or
# the function and its bracket either side of it are read as if written apart.
_PASTED = {
    "ℯ": "e",  # script e, as some fonts write the constant e
    "ℎ": "h",  # the italic h, which the block of mathematical letters leaves out
    "∙": "·",  # bullet operator
    "⁄": "/",  # fraction slash
    "∕": "/",  # division slash
    "ˆ": "^",  # modifier letter circumflex
    "‐": "-",  # hyphen
    "\u2061": " ",  # function application (sin⁡(x) in Word)
    "\u2062": " ",  # invisible times
    "\u2063": " ",  # invisible separator
    "\u2064": " ",  # invisible plus
    "\u200b": " ",  # zero-width space
    "\u3000": " ",  # ideographic space
}
_PASTED_TABLE: dict[int, str] = {}


def _pasted_table() -> dict[int, str]:
    """The translation table of `plain_text`, made on first use: the mathematical
    letters and digits (𝑥, 𝐱, 𝟐, 𝜃) as their NFKC forms, the full-width forms of
    CJK input methods (ｘ, ５, ＋) as ASCII, and `_PASTED`."""
    if not _PASTED_TABLE:
        import unicodedata  # only for text that is not ASCII

        for code in range(0x1D400, 0x1D800):
            plain = unicodedata.normalize("NFKC", chr(code))
            if len(plain) == 1 and plain != chr(code):  # unassigned code points stay
                _PASTED_TABLE[code] = plain
        for code in range(0xFF01, 0xFF5F):  # ！ … ～ are ! … ~ moved up by 0xFEE0
            _PASTED_TABLE[code] = chr(code - 0xFEE0)
        _PASTED_TABLE.update({ord(char): plain for char, plain in _PASTED.items()})
    return _PASTED_TABLE


def plain_text(text: str) -> str:
    """`text` with pasted characters read as the plain ones they stand for, one
    for one (the same length, each offset the same); ASCII text is returned as it is."""
    return text if text.isascii() else text.translate(_pasted_table())


# Quotes a shell left in place: cmd.exe passes calcstep diff 'x^2' on with its
# single quotes, and word processors make "x^2" into “x^2”.
_QUOTES = frozenset("'\"‘’‚‛“”„‟«»‹›")


# What ends a line in some text (str.splitlines' breaks): inside one expression
# it would be read as a space, x^2⏎x^3 as the product x²·x³, where two lines
# were meant, or one line was cut
_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def _refuse_line_breaks(text: str) -> None:
    """Refuse a line break inside an expression, marking it."""
    found = _LINE_BREAK.search(text)
    if found is None:
        return
    raise ParseError(
        f"a line break (U+{ord(found.group()):04X}) inside the expression",
        text,
        found.start(),
        hint="write one expression per line, each line ending with a plain newline",
    )


def _refuse_quotes(text: str) -> None:
    """Refuse an expression that starts with a quote, marking it: read on, a
    single quote would be taken for a prime, and a message about primes would
    mislead."""
    start = len(text) - len(text.lstrip())
    if text[start] not in _QUOTES:
        return
    inner = text.strip().strip("".join(_QUOTES)).strip() or "x^2"
    wrapped = text.rstrip()[-1] in _QUOTES and len(text.strip()) > 1
    raise ParseError(
        "the expression is wrapped in quotes" if wrapped else "the expression starts with a quote",
        text,
        start,
        hint=f'remove the quotes (cmd.exe keeps single quotes: there, write "{shortened(inner, 30)}")',
    )


def _refuse_leibniz(text: str) -> None:
    """Refuse d/dx typed before the expression, naming what to type instead."""
    found = _LEIBNIZ.match(text)
    if found is None or text[found.end():].lstrip().startswith("="):
        return  # dy/dx = 2x: an equation, refused with its own hint where '=' is
    digits, superscript, var = found.group(1), found.group(2), found.group(3)
    order = digits or (_SUPERSCRIPT_ORDERS[superscript] if superscript else "1")
    operator = found.group().strip()
    rest = text[found.end():].strip() or "the expression"
    choose = (f"--wrt {var} chooses the variable" if order == "1"
              else f"--wrt {var} --order {order} chooses the variable and the order")
    raise ParseError(
        f"'{operator}' is the derivative itself: give only the expression to differentiate",
        text,
        len(text) - len(text.lstrip()),
        length=len(operator),
        hint=f"type {rest} alone; {choose}",
    )


def parse_expr(text: str, **options: Any) -> Expr:
    """Just the expression read from `text` (see `parse`)."""
    return parse(text, **options).expr


def _drive(text: str, tokens: Iterable[Token], t: Tables, builder: _Builder, limits: Limits) -> Expr:
    """Run the LALR(1) automaton over `tokens`, which end with the $END token,
    reducing with the builder's methods.

    A `?rule` that passes its one child through only changes state, and every
    operand climbs a long chain of them (name → atom → power → …): the whole chain
    is looked up at once (`_lands`), after a pass-through rule and after a rule
    that builds a node alike.  `values` and `starts` (where each value's text
    starts) run parallel to `states` minus the start state; the text of every
    reduction ends where the token shifted last ends, so ends are not kept."""
    plan = _plan(t)
    columns, nowhere, passing = plan.columns, plan.nowhere, plan.passes
    states = [t.start]
    values: list[Any] = []
    starts: list[int] = []
    previous: Token | None = None
    last = 0  # where the token shifted last ends
    accept = t.end
    max_depth = limits.max_depth
    places = builder.places
    stack_limit = 3 * max_depth + 100
    for token in tokens:
        kind, _, start, end = token
        column = columns.get(kind, nowhere)  # this token's actions, by state
        while True:
            action = column[states[-1]]
            if type(action) is int:  # a shift
                if len(states) > stack_limit:
                    # right-nested input (x^x^x^…, - - - x) grows the stack before
                    # any node is built: refuse it here, before it costs time
                    raise ParseError(
                        f"expression nested more than {max_depth} deep",
                        text,
                        start,
                        hint="raise the limit with --max-depth if this is intended",
                    )
                states.append(action)
                values.append(token)
                starts.append(start)
                last = end
                break
            if action is None:
                raise _syntax_error(text, token, previous, t.actions[states[-1]])
            rule, passes, size, callback, continues, lands = action
            # the rule's value takes the place of its children's, and starts where
            # the first of them does
            if not passes:
                if size == 1:  # a number or a name, mostly
                    child = values[-1]
                    builder.span = span = (starts[-1], last)
                    value = callback(builder, child.finish() if type(child) is _Chain else child)
                else:
                    children = values[-size:]
                    builder.span = span = (starts[-size], last)
                    del values[1 - size :], states[1 - size :], starts[1 - size :]
                    for i, child in enumerate(children):
                        if type(child) is _Chain and not (i == 0 and child.kind == continues):
                            children[i] = child.finish()
                    value = callback(builder, *children)
                if isinstance(value, Expr):
                    if value._depth > max_depth:
                        raise ParseError(
                            f"expression nested more than {max_depth} deep",
                            text,
                            span[0],
                            hint="raise the limit with --max-depth if this is intended",
                        )
                    if value._size > 1 and _may_lack_a_value(value):  # a name or number never is
                        places.setdefault(value, span)
                values[-1] = value
            # the goto of the rule from the state below its children, and on
            # through any pass-through rules this token calls for
            below = states[-2]
            landing = lands[below]
            if landing is None:
                landing = lands[below] = _lands(t, passing, below, rule, kind)
            states[-1] = landing
            if landing == accept and kind == "$END":
                result = values[-1]
                return result.finish() if isinstance(result, _Chain) else result
        previous = token
    raise AssertionError("the automaton ended without accepting")  # pragma: no cover


def _may_lack_a_value(expr: Expr) -> bool:
    """True for a part an error may be about, whose place the reading keeps: a
    compound constant (ln(0)), a function applied (ln(x − x)) or a power other than a
    whole power of at least 0 (1/(x − x)).  Plain variables, numbers and sums are
    not kept, so a 100,000-term polynomial keeps nothing."""
    kind = type(expr)
    if kind is Call or kind is Log:  # a logarithm's base may be no base (log₁ x)
        return True
    if kind is Pow:
        return not is_whole_power(expr)
    return not expr._free and expr._size > 1


class _Plan(NamedTuple):
    """What the driver needs of the tables, made once per set of tables: the
    actions by terminal, and whether each rule passes its one child through."""

    # for each terminal, the action on it in each state: None (an error), the state
    # to shift to, or a reduction: (rule, whether it passes its one child through,
    # number of children, builder method, chain it continues, landings), where the
    # landings, shared by every state reducing by that rule on that terminal, are
    # the state the reduction lands in on top of each state (`_lands`), filled in
    # as they are met
    columns: dict[str, list[Any]]
    nowhere: list[None]  # the column of a terminal no state takes
    passes: tuple[bool, ...]


_PLANS: dict[int, _Plan] = {}


def _plan(t: Tables) -> _Plan:
    plan = _PLANS.get(id(t))
    if plan is None:
        passes = tuple(inline and size == 1 for _, size, _, inline in t.rules)
        reductions: dict[tuple[str, int], tuple[Any, ...]] = {}

        def action(symbol: str, taken: int | None) -> Any:
            if taken is None or taken >= 0:
                return taken
            rule = ~taken
            if (symbol, rule) not in reductions:
                _, size, name, _ = t.rules[rule]
                method = getattr(_Builder, name, None)
                landings = [None] * len(t.actions)
                reductions[symbol, rule] = (rule, passes[rule], size, method, _CONTINUES.get(name), landings)
            return reductions[symbol, rule]

        terminals = sorted({symbol for row in t.actions for symbol in row if symbol.isupper() or symbol == "$END"})
        plan = _PLANS[id(t)] = _Plan(
            columns={symbol: [action(symbol, row.get(symbol)) for row in t.actions] for symbol in terminals},
            nowhere=[None] * len(t.actions),
            passes=passes,
        )
    return plan


def _lands(t: Tables, passes: tuple[bool, ...], below: int, rule: int, kind: str) -> int:
    """The state a reduction by `rule` lands in, on top of state `below` with
    `kind` next: the goto of its rule from `below`, and on through each
    pass-through rule the next action calls for (each replaces the top state by
    the goto of its rule from `below`), until that action is something else."""
    while True:
        top = t.actions[below][t.rules[rule][0]]
        action = t.actions[top].get(kind)
        if action is None or action >= 0 or not passes[~action]:
            return top
        rule = ~action


def _syntax_error(text: str, token: Token, previous: Token | None, row: dict[str, int]) -> ParseError:
    """A message in words for an unexpected token, from what came before it."""
    expected = {symbol for symbol in row if symbol.isupper() or symbol == "$END"}
    wants_operand = bool(expected & {"NUMBER", "NAME", "LPAR"})
    after = previous.type if previous else None
    where = token.start
    length = max(1, token.end - token.start)
    if after == "FUNC" and "LPAR" in expected:
        # ln ln x: the inner function is the outer one's argument, ln(ln x)
        rest = text[token.start :].strip()
        nested = token.type == "FUNC" and len(rest) <= 30
        return ParseError(
            f"'{previous.value}' needs an argument in parentheses here",
            text,
            previous.start,
            length=previous.end - previous.start,
            hint=f"write {previous.value}({rest if nested else 'x'})",
        )
    if after in ("AFUNC", "PRIME"):
        return ParseError(
            "an abstract function needs its argument in parentheses",
            text,
            previous.start,
            hint="write f(x), or f'(x) for its derivative",
        )
    if after == "FUNC":
        return ParseError(
            f"'{previous.value}' needs an argument",
            text,
            previous.start,
            length=previous.end - previous.start,
            hint=f"write {previous.value}(x)",
        )
    if token.type == "$END":
        if after in _OPERATORS or after == "ROOT":
            return ParseError(
                f"missing operand after {_DESCRIBE[after]}",
                text,
                previous.start,
                hint="the expression ends right after an operator",
            )
        return ParseError("the expression ends too early", text, where)
    if token.type in _OPERATORS and (after is None or after in _OPERATORS or after == "LPAR"):
        if after is None:
            return ParseError(
                f"{_DESCRIBE[token.type]} has nothing before it", text, where, length=length
            )
        if after == "LPAR":
            return ParseError(
                f"{_DESCRIBE[token.type]} right after '(' has nothing before it",
                text,
                where,
                length=length,
            )
        # the operators as typed: x***2 has '**' and '*', not the '^' that ** stands for
        return ParseError(
            f"missing operand between '{previous.value}' and '{token.value}'",
            text,
            where,
            length=length,
        )
    if token.type == "RPAR" and after == "LPAR":
        return ParseError("empty parentheses", text, previous.start, length=2)
    if token.type in ("RPAR", "RBAR") and after in _OPERATORS:
        return ParseError(
            f"missing operand after {_DESCRIBE[after]}", text, previous.start
        )
    if token.type == "NUMBER" and after in _ENDS_OPERAND:
        return ParseError(
            f"the number '{token.value}' follows an operand with no operator",
            text,
            where,
            length=length,
            hint="write * between the factors, as in 2*3 or x*2",
        )
    if token.type == "PRIME":
        return ParseError(
            "a prime can only follow an abstract function name",
            text,
            where,
            hint="write f'(x) for the derivative of an abstract function f",
        )
    powered = _FUNCTION_POWER.search(text[:where])
    if powered is not None and powered.group(1) in vocabulary.function_spellings():
        # sin^(1/2) x: a function's power is a whole number, as sin^0.5(x) is told
        name = powered.group(1)
        return ParseError(_FUNCTION_POWER_WHOLE, text, powered.start(2),
                          length=where - powered.start(2) + length, hint=f"write ({name}(x))^(1/2) for other powers")
    described = _DESCRIBE.get(token.type, token.type)
    if token.type in ("NUMBER", "NAME", "FUNC", "AFUNC"):
        described = f"{described} '{token.value}'"
    hint = "an operand (a number, name or bracket) is expected here" if wants_operand else None
    return ParseError(f"{described} is not expected here", text, where, length=length, hint=hint)


_FUNCTION_POWER_WHOLE = "the power on a function name must be a whole number"
# A function name, its caret and a bracketed power begun: sin^(1 (a fraction follows).
_FUNCTION_POWER = re.compile(r"([A-Za-z]+)\s*(\^\s*\(\s*[-−]?\s*[0-9]+\s*)$")


def main(argv: list[str] | None = None) -> int:
    """`python -m calcstep.parse --write-tables`: regenerate the kept tables."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--write-tables"]:
        print(write_tables())
        return 0
    print("usage: python -m calcstep.parse --write-tables", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
