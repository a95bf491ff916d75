"""The differentiator as one pure function: text in, a report out.

`differentiate` parses, picks the variable, derives and simplifies order after
order (each order differentiates the simplified previous result), and evaluates
the result at the points asked for.  Renderers read the `DiffReport`; the command
line only chooses options and prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from functools import cache
from typing import NamedTuple

from calcstep.derive import derive
from calcstep.domain import (
    Condition,
    clash,
    forgotten_note,
    nowhere,
    number_text,
    only_at_points,
    set_conditions,
)
from calcstep.errors import (
    AbstractValueError,
    AtZeroError,
    CalcstepError,
    DomainError,
    LimitError,
    ParseError,
    Place,
    TooLargeError,
    UsageError,
    place,
)
from calcstep.evaluate import evaluate, wide_value
from calcstep.expr import (
    LEAVES,
    ZERO,
    Apply,
    Call,
    E,
    Expr,
    Log,
    Mul,
    Note,
    Num,
    Pow,
    Sym,
    add,
    is_divisor,
    is_num,
    is_whole_power,
    name_key,
    neg,
    rebuild,
    rebuilt,
    substitute,
    walk,
)
from calcstep.functions import BY_NAME, CONSTANTS, DEFAULT_ABSTRACT, function_spellings
from calcstep.limits import DEFAULT_LIMITS, Limits
from calcstep.parse import Parsed, parse
from calcstep.simplify import Simplifier, known_sign, simplify, vanishing_part
from calcstep.steps import Derivation, Step


class PointValue(NamedTuple):
    """The derivative at one point: `exact` (simplified, when it has no variables
    left), `decimal` (None when the value is beyond floating point: 2·10^400), or
    `undefined`, the reason it has no value there."""

    point: tuple[tuple[str, Expr], ...]
    exact: Expr | None = None
    decimal: float | None = None
    undefined: str | None = None
    note: str | None = None  # how a value was found, when not from the formula itself


class DiffReport(NamedTuple):
    """Everything `calcstep diff` says about one expression."""

    input: str
    parsed: Parsed
    var: str
    order: int
    derivations: tuple[Derivation, ...]
    values: tuple[PointValue, ...] = ()

    @property
    def expr(self) -> Expr:
        return self.parsed.expr

    @property
    def result(self) -> Expr:
        """The final, simplified derivative."""
        return self.derivations[-1].result if self.derivations else self.parsed.expr

    @property
    def notes(self) -> tuple[Note, ...]:
        return self.parsed.notes


def choose_variable(expr: Expr, wrt: str | None) -> str:
    """The variable to differentiate by: `wrt` when given, else the only variable,
    else x; ask for --wrt when that is ambiguous."""
    if wrt is not None:
        name = check_variable_name(wrt, expr.free_vars)
        # f in f(x) is no variable (f alone, as in f^2 + 3f, is one)
        if name not in expr.free_vars and any(isinstance(node, Apply) and node.fn == name for node in walk(expr)):
            raise UsageError(
                f"'{name}' is a function in this expression, not a variable",
                hint="differentiate by the variable of its argument, e.g. --wrt x",
            )
        return name
    names = sorted(expr.free_vars, key=name_key)
    if len(names) == 1:
        return names[0]
    if not names or "x" in names:
        return "x"
    raise UsageError(
        f"the expression has several variables ({', '.join(names)}) and none is x",
        hint=f"choose one with --wrt, e.g. --wrt {names[0]}",
    )


def case_slip(expr: Expr, var: str) -> Note | None:
    """A note when the variable `var` is not in `expr` but differs only in case
    from one that is (--wrt X for x²): names are case-sensitive, so the
    derivative is 0, which is seldom what was meant.  None otherwise."""
    if var in expr.free_vars:
        return None
    meant = sorted(name for name in expr.free_vars if name.lower() == var.lower())
    if not meant:
        return None
    return Note(
        f"{{0}} is not in the expression, but {{1}} is: names are case-sensitive "
        f"(to differentiate by {{1}}, write --wrt {meant[0]})",
        (Sym(var), Sym(meant[0])),
    )


def absent_variable(expr: Expr, var: str, so: str = "the derivative is 0") -> Note:
    """The note for a variable asked for by name that `expr` does not have: case_slip's
    when it differs only in case from one it has, else that nudging it changes
    nothing, and `so`."""
    return case_slip(expr, var) or Note(
        f"{{0}} does not appear in the expression: nudging it changes nothing, so {so}", (Sym(var),)
    )


def check_variable_name(name: str, among: Iterable[str] = ()) -> str:
    """`name` as a variable, or a UsageError saying why it cannot be one.  Given
    the expression's variables (`among`), the name as the expression writes it:
    w1, w_1 and w₁ are all printed w₁, so a name copied from the output may be
    spelled otherwise than in the input (an expression holds one of them at most)."""
    if len(name) == 1 and name.isascii() and name.isalpha() and name != "e":
        return name  # the usual case, without reading it as an expression
    return _as_written(_variable_named(name), among)


def _as_written(name: str, among: Iterable[str]) -> str:
    """`name`, or the one variable of `among` written alike (see check_variable_name)."""
    names = frozenset(among)
    if name in names or not any(char.isdigit() for char in name):
        return name
    from calcstep.printer import pretty_name  # only for a name with an index

    alike = [other for other in names if pretty_name(other) == pretty_name(name)]
    return alike[0] if len(alike) == 1 else name


def _variable_named(name: str) -> str:
    """The variable `name` reads as (w₁ as w_1), or a UsageError saying why it is none."""
    try:
        parsed = parse(name).expr
    except ParseError:
        raise UsageError(f"'{name}' is not a variable name", hint="use a name such as x, t or w1") from None
    if name in CONSTANTS or name in function_spellings():
        raise UsageError(f"'{name}' is a constant or function, not a variable")
    if not isinstance(parsed, Sym):
        raise UsageError(f"'{name}' is not a single variable name", hint="use a name such as x, t or w1")
    return parsed.name


# A sum of this many terms or more is read, differentiated and written a run of
# terms at a time (calcstep/wide.py): held whole, 100,000 terms took 343 MiB.
WIDE_FROM = 20_000


def differentiate(
    text: str,
    *,
    wrt: str | None = None,
    order: int = 1,
    at: Sequence[dict[str, str]] = (),
    functions: Iterable[str] = DEFAULT_ABSTRACT,
    limits: Limits = DEFAULT_LIMITS,
    steps: bool = True,
) -> DiffReport:
    """Differentiate `text` `order` times with respect to `wrt` and evaluate the
    result at each point of `at` (name → value text).  With `steps` false the
    derivations keep only their results (and each order's top step): faster and
    smaller, for callers that show no steps."""
    if order < 0:
        raise UsageError("the order must be 0 or more")
    if order > limits.max_order:
        raise UsageError(
            f"order {order} is above the limit of {limits.max_order:,}",
            hint=f"the highest order calcstep differentiates to is {limits.max_order:,}",
        )
    functions = frozenset(functions)
    if order == 1 and not at and len(text) >= 2 * WIDE_FROM:
        # a sum of tens of thousands of terms: a run of terms at a time, when it
        # reads (else, and for anything else, the whole reading below)
        from calcstep.wide import differentiate_wide

        wide = differentiate_wide(text, wrt, functions, limits, steps)
        if wide is not None:
            return wide
    parsed = parse(text, functions=functions, limits=limits)
    # only a part the reading kept a place for (a function, a power other than a
    # whole one ≥ 0, a compound constant) may lack a value or set a condition: a
    # polynomial has none, and nothing to check
    setting: list[tuple[Expr, Condition]] = []
    if parsed.places:
        check_constants(parsed.expr, parsed)
        setting = set_conditions(parsed.expr)
    check_somewhere(parsed, setting)
    var = choose_variable(parsed.expr, wrt)
    if order:
        check_somewhere_differentiable(parsed, setting, var)
    if parsed.expr.free_vars and var not in parsed.expr.free_vars:
        # said with the reading: it explains a derivative of 0 (a constant, with no
        # variable at all, needs no word)
        parsed = parsed._replace(notes=(*parsed.notes, absent_variable(parsed.expr, var)))
    simplifier = Simplifier(limits, record=steps, angles=_has_angles(parsed))
    try:
        derivations = derive_orders(parsed.expr, var, order, limits,
                                    taken=parsed.expr.free_vars | parsed.functions, simplifier=simplifier,
                                    record=steps)
    except DomainError as error:
        raise fixed_part_without_value(parsed, Simplifier(limits)) or _named_zero(error, parsed, limits) from None
    # ln(x − x − 1) has no value anywhere, yet its derivative 0·(−1)⁻¹ simplifies to
    # 0: refused here (the simplifier has met these parts, so this asks its memo)
    refused = fixed_part_without_value(parsed, simplifier)
    if refused is not None:
        raise refused
    result = derivations[-1].result if derivations else parsed.expr
    check_writable(result, limits)
    # a part that sets a condition (a power other than a whole one, a logarithm)
    # is among the places the reading keeps: with none, as for a polynomial,
    # there is nothing to look for
    forgotten = (forgotten_note(parsed.expr, result, var, simplifier.normal_form, setting)
                 if derivations and setting else None)
    if forgotten is not None:  # (x² − 1)/(x − 1) has no value at 1, its derivative 1 has
        parsed = parsed._replace(notes=(*parsed.notes, forgotten))
    values = tuple(
        value_at(parsed.expr, result, point, functions, limits, var=var,
                 below=derivations[-1].target if derivations else None, order=order)
        for point in at
    )
    return DiffReport(text, parsed, var, order, derivations, values)


def check_constants(expr: Expr, written: Parsed | None = None) -> None:
    """Refuse an expression with an undefined constant part (ln(0), √(−1), 1/(2 − 2),
    asin(2)): its derivative would be meaningless.  Constants too large for a float
    (10^400) are fine, and so are abstract functions of constants (f(2)).  With
    `written`, the reading `expr` came from, the error marks where the part was
    written."""
    stack = [expr]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind in LEAVES:
            continue  # a variable, a number or a constant: nothing to check
        if kind is Log and not node.base.free_vars:
            _check_log_base(node, written)
        if node._free:  # free_vars, read from the slot: asked of every node of the input
            stack.extend(reversed(node.children()))  # the first part written is named first
            continue
        error = _why_undefined(node)
        if error is AbstractValueError:
            stack.extend(reversed(node.children()))
        elif isinstance(error, DomainError):
            from calcstep.printer import format_note, to_pretty

            path = _undefined_path(node, error)
            innermost, error = path[-1]
            message = error.message
            if message.startswith("division by zero"):
                # x/(3 − 3): the divisor as written, not the reciprocal it is read as
                divisor = innermost.base if is_divisor(innermost) and type(innermost.base) is not Num else None
                message = (f"division by zero: {to_pretty(divisor)} is 0" if divisor is not None
                           else f"{to_pretty(innermost)} is undefined: {message}")
            where = _written_at([part for part, _ in path], written) if written is not None else None
            noted = _reading_noted(written, innermost) if written is not None else None
            hint = format_note(noted, to_pretty) if noted is not None else "a part with no value has no derivative"
            raise DomainError(message, hint=hint, where=where)


def _reading_noted(written: Parsed, part: Expr) -> Note | None:
    """The note on how the input was read, if any, whose reading holds `part`: the
    likelier cause of an error about that part than the part itself (√-2x was read
    as √(−2)·x, not √(−2x), and √(−2) has no value)."""
    return next((note for note in written.notes
                 if note.args and any(node == part for node in walk(note.args[0]))), None)


# A sine or cosine of an argument this large, taken in floating point, has lost
# three of its digits or more (each unit in the last place of the argument is that
# much of a turn).
_FAR_OUT = 1e3
_PERIODIC = frozenset({"sin", "cos", "tan", "sec", "csc", "cot"})


def _periodic_checked(value: Expr, decimal: float) -> float | None:
    """The decimal of a constant `value` whose float is `decimal`, made good where
    a periodic function's argument is past `_FAR_OUT`: sin(e³⁰) worked out in
    decimal arithmetic (a float of e³⁰ is off by more than 0.01, so its sine keeps
    no digit); where that arithmetic does not reach (arctan beside it), the float
    cut to the digits it keeps, while it keeps some; else none, not a wrong one."""
    largest = _largest_periodic_argument(value)
    if largest <= _FAR_OUT:
        return decimal
    wide = wide_value(value)
    if wide is not None:
        return wide
    kept = 15 - math.ceil(math.log10(largest)) if math.isfinite(largest) else 0
    return float(f"{decimal:.{kept}g}") if kept >= 6 else None


def _largest_periodic_argument(value: Expr) -> float:
    """The largest size of a periodic function's argument in a constant (inf past
    a float's range), 0 with none."""
    largest = 0.0
    for node in walk(value):
        if type(node) is Call and node.fn in _PERIODIC:
            try:
                largest = max(largest, abs(evaluate(node.arg, {})))
            except CalcstepError:
                return math.inf
    return largest


def _undefined_path(node: Expr, error: DomainError) -> list[tuple[Expr, DomainError]]:
    """From a constant part with no value down to the innermost one, each with why:
    e^(1/(1 − 1)) has none because 1/(1 − 1) has none, and that is the part named
    (2·ln(0), read as one product, is named at ln(0))."""
    path = [(node, error)]
    while True:
        for kid in node.children():
            inner = _why_undefined(kid) if kid.children() else None
            if isinstance(inner, DomainError):
                node = kid
                path.append((kid, inner))
                break
        else:
            return path


def _why_undefined(constant: Expr) -> DomainError | type[AbstractValueError] | None:
    """Why a part without variables has no value (the DomainError), or
    AbstractValueError when it applies an abstract function, or None when it has one
    (a value too large for a float, 10^400, is a value)."""
    try:
        simplify(constant)  # exact: 1/sin(π) divides by an exact 0, not by 1.2e-16
        evaluate(constant, {})
    except (TooLargeError, UsageError):
        return None
    except AbstractValueError:
        return AbstractValueError
    except DomainError as error:
        if isinstance(error, AtZeroError) and wide_value(constant) is not None:
            # a 0 of floating point's making: 1 − cos(10⁻⁸) is 5·10⁻¹⁷, which
            # floats round to 0; the digits wide arithmetic holds tell (a true 0
            # gives no value there, as its digits never agree)
            return None
        return error
    return None


def check_somewhere(written: Parsed, setting: list[tuple[Expr, Condition]]) -> None:
    """Refuse an expression with a part that has no value for any value of its
    variables (ln(−x²), √(−x² − 1)): it has no value anywhere, so no derivative,
    though the rules would still write one (2/x for ln(−x²)).  The part is marked
    where it was written.  `setting`: the reading's `domain.set_conditions`."""
    found = nowhere(setting)
    if found is None:
        _refuse_clash(written, setting)
        return
    from calcstep.printer import to_pretty  # on this error's path alone

    node, part, never = found
    names = ", ".join(sorted(part.free_vars, key=name_key))
    raise DomainError(
        f"{to_pretty(node)} has no value for any value of {names}: {to_pretty(part)} {never}",
        hint="a part with no value has no derivative; check it for a typo",
        where=_written_at([node], written),
    )


def _refuse_clash(written: Parsed, setting: list[tuple[Expr, Condition]], var: str | None = None) -> None:
    """Refuse an expression two of whose parts need its variable on either side of
    a number (ln(−2x) + ln(x)): it has no value anywhere.  With `var`, the one
    differentiated by, refuse too two parts that meet at one value of it alone
    (√x + √(−x) at 0), where there is no derivative.  The second part is marked."""
    found = clash(setting, var)
    if found is None:
        return
    from calcstep.printer import to_pretty  # on this error's path alone

    first, second = found.first, found.second
    name = to_pretty(Sym(found.var))
    needs = (f"{to_pretty(first.part)} needs {first.said(name)} and "
             f"{to_pretty(second.part)} needs {second.said(name)}")
    if found.point is None:
        message = f"no value of {name} gives both {to_pretty(first.part)} and {to_pretty(second.part)} a value: {needs}"
        hint = "a part with no value has no derivative; check it for a typo"
    else:
        message = (f"{to_pretty(first.part)} and {to_pretty(second.part)} both have a value only at "
                   f"{name} = {number_text(found.point)}, where there is no derivative: {needs}")
        hint = "a part with a value only at separate points has no derivative there; check it for a typo"
    raise DomainError(message, hint=hint, where=_written_at([second.part], written))


def check_somewhere_differentiable(written: Parsed, setting: list[tuple[Expr, Condition]], var: str) -> None:
    """Refuse an expression with a part that has a value only at separate values
    of `var` (√(−x²) at x = 0, arcsin(x² + 1) too): with no interval around any,
    there is no derivative by `var` anywhere, though the rules would still write
    one (−x/√(−x²)).  Marked as `check_somewhere` marks a part with no value."""
    found = only_at_points(setting, var)
    if found is None:
        _refuse_clash(written, setting, var)
        return
    from calcstep.printer import to_pretty  # on this error's path alone

    node, part, said, points = found
    raise DomainError(
        f"{to_pretty(node)} has no derivative for any value of {var}: {to_pretty(part)} {said}, "
        f"so {to_pretty(node)} has a value only where {to_pretty(part)} is {points}",
        hint="a part with a value only at separate points has no derivative there; check it for a typo",
        where=_written_at([node], written),
    )


def _written_at(path: list[Expr], written: Parsed) -> Place | None:
    """Where the last part of `path` (parts each inside the one before) was written:
    its own place when the reading kept one; where it was not written on its own,
    that of its first part that was (x/(2 − 2) is marked at the divisor); else that
    of the nearest part around it."""
    places = written.places
    innermost = path[-1]
    found = places.get(innermost)
    if found is None:
        found = next((places[kid] for kid in innermost.children() if kid in places), None)
    if found is None:
        found = next((places[part] for part in reversed(path) if part in places), None)
    if found is None:
        return None
    start, end = found
    return place(written.text, start, end - start)


# Writing an expression keeps the text of each distinct part, so that a shared part
# is written once: the sum of the parts' sizes.  For a tall power tower's
# derivative that grows as the cube of the height, though the expression grows as
# the square: this many times --max-size is the most that is written.
WRITING_FACTOR = 5


def _check_log_base(log: Log, written: Parsed | None) -> None:
    """A logarithm's base must be positive and not 1 (log₁ x would divide by ln 1 =
    0); the logarithm is marked where it was written."""
    try:
        value = evaluate(simplify(log.base)[0], {})
    except CalcstepError:
        return
    if value <= 0 or value == 1:
        from calcstep.printer import to_pretty

        raise DomainError(
            f"a logarithm to base {to_pretty(log.base)} is undefined: a base must be positive and not 1",
            hint="a part with no value has no derivative",
            where=_written_at([log], written) if written is not None else None,
        )


def check_writable(expr: Expr, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse, before any of it is written, an expression whose distinct parts
    together hold more than WRITING_FACTOR × max_size symbols (their sum is at
    most size × depth, so most expressions need no count at all)."""
    budget = WRITING_FACTOR * limits.max_size
    if expr.size * expr.depth <= budget:
        return
    total = 0
    for node in walk(expr):
        total += node.size
        if total > budget:
            raise LimitError(
                f"the result is too large to write: its distinct parts hold over {budget:,} symbols",
                hint="lower the nesting (a power tower's derivative grows as the cube of its height), "
                "or raise --max-size",
            )


def _named_zero(error: DomainError, written: Parsed, limits: Limits) -> DomainError:
    """A division by zero (or another value missing, as heaviside(0)) met while
    differentiating, said with its cause in the input, marked where it was
    written: a function held where it has no rate (asin(x/x): its argument is
    always 1; relu(x − x): always 0), or else a part that is 0 for every value of
    its variables (x − x, sin(π)·x); the error as it was when there is neither."""
    from calcstep.printer import display_name, to_pretty

    divides = error.message.startswith("division by zero")
    edge = _rate_without_value(written, limits)
    if edge is not None:
        # (a function with no value there, as ln(x − x), was refused before this)
        call, value = edge
        fn, fixed = display_name(call.fn), to_pretty(value)
        always = f"its argument is {fixed} for every value of {', '.join(sorted(call.arg.free_vars, key=name_key))}"
        what = "divides by zero" if divides else "has no value"
        return DomainError(
            f"the derivative {what}: in {to_pretty(call)}, {always}, where {fn} has no rate",
            hint=f"{to_pretty(Call(call.fn, value))} is a constant: write it so, or check the argument for a typo",
            where=_written_at([call], written),
        )
    if not divides:
        part = getattr(error, "part", None)  # a rule's refusal of one part (0^x): marked there
        if error.where is None and part is not None:
            error.where = _written_at([part], written)
        return error
    part = vanishing_part(written.expr, limits)
    if part is None:
        return error
    names = ", ".join(sorted(part.free_vars, key=name_key))
    return DomainError(
        f"the derivative divides by zero: {to_pretty(part)} is 0 for every value of {names}",
        hint="leave that part out (it is 0), or check it for a typo",
        where=_written_at([part], written),
    )


def fixed_part_without_value(written: Parsed, simplifier: Simplifier) -> DomainError | None:
    """The error for a function or a root whose argument has variables yet is one
    number for every value of them, where it has no value: ln(x − x − 1) (its
    argument is always −1), √(x − x − 1), 1/(x − x).  Such an expression has no
    value anywhere, so it has no derivative.  None when there is no such part."""
    for node, inner, value in _held_parts(written, simplifier):
        if isinstance(_why_undefined(rebuild(node, _with_argument(node, value))), DomainError):
            from calcstep.printer import to_pretty  # on this error's path alone

            names = ", ".join(sorted(inner.free_vars, key=name_key))
            return DomainError(
                f"{to_pretty(node)} has no value: {to_pretty(inner)} is {to_pretty(value)} for every value of {names}",
                hint="a part with no value has no derivative; check it for a typo",
                where=_written_at([node], written),
            )
    return None


def _held_parts(written: Parsed, simplifier: Simplifier) -> Iterator[tuple[Expr, Expr, Expr]]:
    """Each function or power whose argument (or base) has variables yet is one
    number for every value of them, inner parts first: (the part, its argument,
    that number).  The reading kept every function and every power other than a
    whole one ≥ 0, each where it was written: those are the parts looked at (a
    polynomial has none), and `simplifier` has usually met their arguments."""
    in_expression: set[Expr] | None = None
    for node in written.places:
        inner = _varying_argument(node)
        if inner is None:
            continue
        try:
            value = simplifier.normal_form(inner)
        except CalcstepError:
            continue  # undefined inside: an inner part is the one to name
        if value.free_vars:
            continue
        if in_expression is None:
            in_expression = set(walk(written.expr))
        if node in in_expression:  # not a part the reading made, then took apart
            yield node, inner, value


def _varying_argument(node: Expr) -> Expr | None:
    """What decides whether `node` has a value, when that has variables and could be
    a constant in disguise: a function's argument, or the base of a power that is
    not a whole power of at least 0.  A plain variable (x in ln x) is never one."""
    kind = type(node)
    if kind is Call and node.fn in BY_NAME:
        inner = node.arg
    elif kind is Pow and type(node.exp) is Num and not is_whole_power(node):
        inner = node.base
    else:
        return None
    return inner if inner.free_vars and type(inner) is not Sym else None


def _with_argument(node: Expr, value: Expr) -> tuple[Expr, ...]:
    """`node`'s children with its argument (or base) replaced by `value`."""
    return (value,) if type(node) is Call else (value, node.exp)


def _rate_without_value(written: Parsed, limits: Limits) -> tuple[Call, Expr] | None:
    """A function held at one number for every value of its variables, where its
    rate has no value: asin(x/x), whose argument is always 1, where
    asin′(u) = 1/√(1 − u²) divides by zero.  None when there is no such part."""
    inner = Sym("u")
    for node, _, value in _held_parts(written, Simplifier(limits)):
        if type(node) is Call:
            rate = derive(Call(node.fn, inner), "u", limits).result
            if isinstance(_why_undefined(substitute(rate, {inner: value})), DomainError):
                return node, value
    return None


def _has_angles(parsed: Parsed) -> bool:
    """True when the function read has a trigonometric or hyperbolic function in
    it, whose derivatives may have double angles to open (see `Simplifier`).  Each
    function applied is among the parts the reading keeps a place for."""
    return any(type(part) is Call and part.fn in _ANGLED for part in parsed.places)


# The functions of an angle: those whose derivatives are sines, cosines and their kin.
_ANGLED = frozenset(name for name, function in BY_NAME.items() if function.family in ("trig", "hyperbolic"))


def derive_orders(
    expr: Expr,
    var: str,
    order: int,
    limits: Limits = DEFAULT_LIMITS,
    taken: frozenset[str] | None = None,
    simplifier: Simplifier | None = None,
    record: bool = True,
) -> tuple[Derivation, ...]:
    """One Derivation per order, each differentiating the previous simplified result.
    `taken`: the names `expr` uses (variables and abstract functions), when known;
    `simplifier`: the one to simplify with, when the caller asks it more later;
    `record` false: each order's top step only, for results without steps."""
    derivations = []
    current = expr
    simplifier = simplifier if simplifier is not None else Simplifier(limits)
    # a part met again in a later order (h³ in 20h³, then in 665236h³) keeps the
    # steps an order before gave it, where every order chooses its letters from
    # the same names (`taken`): the steps hold the letters chosen
    memo: dict[int, tuple[Expr, Step]] | None = {} if taken is not None else None
    for k in range(1, order + 1):
        steps = derive(current, var, limits, taken, record, memo)
        result, simplification = simplifier(steps.result)
        derivations.append(Derivation(current, var, k, steps, simplification, result))
        current = result
    return tuple(derivations)


def parse_point(
    assignments: dict[str, str], functions: Iterable[str], limits: Limits, among: Iterable[str] = ()
) -> tuple[tuple[str, Expr], ...]:
    """The point `name=value` texts describe, each value an exact expression (2, 1/3, pi/2);
    each name as the expression's variables (`among`) write it (check_variable_name)."""
    point = []
    among = frozenset(among)
    for name, value_text in assignments.items():
        name = check_variable_name(name.strip(), among)
        try:
            value = parse(value_text, functions=functions, limits=limits).expr
        except ParseError as error:
            raise UsageError(f"the value of {name} ('{value_text}') is not a number: {error.message}") from None
        if value.free_vars:
            raise UsageError(f"the value of {name} must be a number, not '{value_text}'")
        try:
            check_constants(value)  # ln(0) is no point: said of the point, not the function
        except DomainError as error:
            raise UsageError(f"the value of {name} ('{value_text}') is not a number: {error.message}") from None
        point.append((name, value))
    return tuple(point)


def value_at(
    function: Expr,
    derivative: Expr,
    assignments: dict[str, str],
    functions: Iterable[str] = DEFAULT_ABSTRACT,
    limits: Limits = DEFAULT_LIMITS,
    *,
    var: str | None = None,
    below: Expr | None = None,
    order: int = 1,
) -> PointValue:
    """The derivative's value at a point, exact where it can be and as a decimal;
    undefined (with the reason) where the function or its derivative has no value.

    Where the derivative's formula has no value, two other ways to it are tried.
    When `below` (what it is the derivative of, by `var`; the function by
    default) is continuous there and the formula's limits from both sides agree,
    that limit is the derivative (a consequence of the mean value theorem):
    d/dx |x³| at 0 is 0, though its formula 3x²·|x³|/x³ is 0/0 there.  Else,
    when the function has other variables, the derivative is taken of the
    function with them held at their values, which is what a partial derivative
    is (`order` times, by `var`): ∂|xy|/∂x at y = 0 is 0, since |x·0| is 0 for
    every x, though the formula x·y²/|xy| is 0/0 there."""
    point = parse_point(assignments, functions, limits, function.free_vars | derivative.free_vars)
    missing = sorted((function.free_vars | derivative.free_vars) - {name for name, _ in point}, key=name_key)
    if missing:
        raise UsageError(
            f"--at gives no value for {', '.join(missing)}",
            hint="give every variable a value, e.g. --at " + ",".join(f"{m}=1" for m in missing),
        )
    value = value_at_point(function, derivative, point, limits, var=var, below=below, order=order)
    unused = [name for name, _ in point if name not in function.free_vars]
    if unused:  # a name mistyped, or an expression other than the one meant
        said = f"{', '.join(unused)} {'is' if len(unused) == 1 else 'are'} not in the expression"
        value = value._replace(note=f"{value.note}; {said}" if value.note else said)
    return value


def value_at_point(
    function: Expr,
    derivative: Expr,
    point: tuple[tuple[str, Expr], ...],
    limits: Limits = DEFAULT_LIMITS,
    *,
    var: str | None = None,
    below: Expr | None = None,
    order: int = 1,
) -> PointValue:
    """value_at for a point already read (name, exact value), with a value for
    every variable."""
    mapping = {Sym(name): value for name, value in point}
    below = function if below is None else below
    # where floating point fails beside the point, exact arithmetic is tried
    # there too (an expanded (x − 1)³ under a cube root, at 1)
    exactly_beside = derivative.size + below.size <= _EXACTLY_UP_TO

    def no_value(reason: str | Callable[[], str]) -> PointValue:
        """The formula's limit from both sides, or the derivative with the other
        variables held, where either is the derivative; else undefined for
        `reason` (a function that tells it, when telling takes work)."""
        return (
            _by_limit(below, derivative, point, var)
            or (_by_limit(below, derivative, point, var, limits) if exactly_beside else None)
            or _others_held(function, point, limits, var, order)
            or _locally_constant(function, point, var, limits)
            or PointValue(point, undefined=reason if isinstance(reason, str) else reason())
        )

    # exactly first: where exact arithmetic meets a division by zero (tan at π/2,
    # 1/(x² − 2) at √2), the value is undefined, whatever rounding would make of it
    try:
        function_exact = _exact_at(function, mapping, limits)
    except DomainError as error:
        return PointValue(point, undefined=f"the function is undefined there: {error.message}")
    def undefined(error: DomainError) -> PointValue:
        """No value from the formula: at a corner or a jump of the function (|x|
        at 0) that is the reason, not the formula's own division by zero."""
        corner = _corner_at(below, mapping, limits)
        if corner is not None:
            return _by_sides(function, point, var, order, limits) or no_value(
                lambda: shape_or(f"the derivative does not exist there: {corner}")
            )
        # away from any corner, relu(x) near −1 is 0 itself: x + √relu(x) is x
        # there, though its formula 1 + heaviside(x)/(2√relu(x)) is 0/0
        return _by_sides(function, point, var, order, limits, away=True) or no_value(
            lambda: shape_or(f"the derivative is undefined there: {error.message}")
        )

    def shape_or(reason: str) -> str:
        """Where the function is continuous, what the slopes beside the point say
        of its shape: more than a division by zero (√(x²) has a corner at 0) or a
        corner of |u| (√|x| has a cusp at 0); else `reason`."""
        # only from values beside the point taken exactly: in floating point
        # acosh(1 + h²)′ cancels to 2h/0 and seemed a cusp where there is a corner
        shape = _slopes_beside(below, derivative, point, var, order, limits) if exactly_beside else None
        return shape or reason

    try:
        exact = _exact_at(derivative, mapping, limits)
    except DomainError as error:
        return undefined(error)
    floats: dict[str, float] | None
    try:
        floats = {name: evaluate(value, {}) for name, value in point}
        if any(floats[name] == 0 and not is_num(value, 0) for name, value in point):
            raise TooLargeError("a value underflows to 0.0")  # 10^-400: ln of it is defined
        evaluate(function, floats)  # a function undefined here has no derivative here
    except TooLargeError:
        floats = None  # beyond floating point, not undefined: the exact value stands
    except DomainError as error:
        if not (isinstance(error, AtZeroError) and function_exact is not None):
            return PointValue(point, undefined=f"the function is undefined there: {error.message}")
        # exact arithmetic found a value where rounding made a 0 (1/(x − 1) at
        # x = 1 + 10^-20, ln(1 − σ(37))): beyond floating point, not undefined
        floats = None
    try:
        # the decimal of the exact value when there is one: sin(π) is 0, not 1.2e-16
        if exact is not None and not exact.free_vars:
            decimal: float | None = evaluate(exact, {})
        else:
            decimal = None if floats is None else evaluate(derivative, floats)
    except TooLargeError:
        # a part past a float's range, the whole maybe not: e^1000/(e^1000 + 1) is ≈ 1
        decimal = wide_value(exact) if exact is not None and not exact.free_vars else None
    except DomainError as error:
        if not (isinstance(error, AtZeroError) and exact is not None and not exact.free_vars):
            return undefined(error)
        decimal = None  # as above: the exact value stands, with no decimal
    if decimal is not None and exact is not None and not exact.free_vars:
        decimal = _periodic_checked(exact, decimal)
    if decimal == 0 and exact is not None and not exact.free_vars and not is_num(exact, 0) and _nonzero(exact):
        decimal = None  # 3·10^-400 underflows to 0.0: no decimal rather than a false 0
    if decimal is None and (exact is None or exact.free_vars):
        return PointValue(point, undefined="the value is beyond floating point, and not exactly known")
    corner = _corner_at(below, mapping, limits)
    if corner is not None:
        # sign′ = 0 and heaviside′ = 0 have values at the jump itself: there the
        # formula is no guide; the function's forms on the two sides are, and
        # failing them, agreeing limits of a continuous function.  Where they agree
        # with the formula's own value (2|x| at 0, for x·|x|), the formula was right
        # after all, and its exact value stands
        sides = _by_sides(function, point, var, order, limits)
        if sides is not None:
            if sides.exact is not None and exact is not None and not exact.free_vars and _same_value(sides.exact, exact):
                return PointValue(point, exact, decimal)
            return sides
        found = no_value(f"the derivative does not exist there: {corner}")
        if found.undefined is None and decimal is not None and found.decimal is not None and (
            abs(found.decimal - decimal) <= _FORMULA_AGREEMENT * max(1.0, abs(decimal))
        ):
            return PointValue(point, exact, decimal)
        return found
    return PointValue(point, exact, decimal)


# How many derivatives of a corner's argument are looked at to tell its sign beside
# the point: (x − 1)² at 1 is told by its second, cos(x) − 1 at 0 by its second.
_SIGN_ORDERS = 4

# Said of a value found from the function's forms on the two sides of a corner.
SIDES_NOTE = "the formula is no guide here; the function's forms on the two sides of the point agree, so this is the derivative"


class _Undecided(Exception):
    """The sign of a corner's argument beside the point is not told exactly."""


def _by_sides(
    function: Expr, point: tuple[tuple[str, Expr], ...], var: str | None, order: int, limits: Limits,
    away: bool = False,
) -> PointValue | None:
    """The `order`-th derivative by `var` at a point where |u|, relu, sign, heaviside
    or arccot has its argument at its corner or jump, from the function's smooth
    forms on the two sides of the point: just beside it each such u has one sign,
    so |u| is u or −u and relu(u) is u or 0 (x·|x| is −x² on the left and x² on
    the right; |x² − 2x + 1| is x² − 2x + 1 on both sides of 1).  The derivative
    exists when the function is continuous there and both forms have the same
    derivatives there, of every order up to `order`, exactly; else it does not,
    and the two sides are said.  None when no such function is at its corner, or
    when an argument's sign beside the point is not told by its first few
    derivatives (then the numerical limits are tried).  With `away`, also where
    such functions are only away from their corners (each is then one smooth
    form around the point), when the formula has no value there."""
    if var is None or order < 1:
        return None
    at = dict(point).get(var)
    if at is None:
        return None
    here = {Sym(var): at}
    held = {Sym(name): value for name, value in point if name != var}
    try:
        along = simplify(substitute(function, held), limits)[0] if held else function
        middle = _exact_at(along, here, limits)
        (left_form, corners), (right_form, _) = (_side_form(along, var, at, side, limits) for side in (-1, 1))
        if middle is None or not (corners or (away and left_form is not along)):
            return None
        values = [_values_at(form, var, here, order, limits) for form in (left_form, right_form)]
    except (_Undecided, CalcstepError):
        return None
    (left, right) = values
    # the slopes and values said are the whole function's; the part whose corner
    # or jump makes them is named after them (x·sign(x) has a corner, sign(x) a jump)
    where = f"at {var} = {_spoken(at)}"
    source = (f", from {_spoken(corners[0])} at its {'jump' if _jumps(corners[0].fn) else 'corner'} there"
              if corners else "")
    beside = _beside(point, var, limits)
    present = [beside is None or not _no_values(function, *beside, side) for side in (-1, 1)]
    if not all(present):
        # an end of the domain (relu(x) + x^(3/2) at 0 has no value left of 0):
        # no corner, and the derivative is the one from the side it has values on
        inside = right if present[1] else left
        if not any(present) or None in inside:
            return None
        return _side_value(point, inside[order], (
            f"the formula is no guide here, an end of the domain; the function's form on the "
            f"{'right' if present[1] else 'left'}, where it has values, gives the derivative"))
    if None in left or None in right:
        # a form's derivative with no value at the point may still have a limit
        # there (x·√(−x): its derivative √(−x) − x/(2√(−x)) is 0/0 at 0, its
        # limit 0): that is for the limits from both sides to tell
        return None
    if not (_same_value(left[0], right[0]) and _same_value(left[0], middle)):
        return PointValue(point, undefined=(
            f"the derivative does not exist there: {where} the function jumps ({_spoken(left[0])} "
            f"just left of it, {_spoken(middle)} at it, {_spoken(right[0])} just right){source}"
        ))
    for k in range(1, order + 1):
        if not _same_value(left[k], right[k]):
            sides = f"{_spoken(left[k])} on the left, {_spoken(right[k])} on the right"
            return PointValue(point, undefined=(
                f"the derivative does not exist there: {where} the function has a corner (slope {sides}){source}"
                if k == 1 else
                f"the derivative does not exist there: {where} the derivative of order {k} jumps ({sides}){source}"
            ))
    # a dead unit (relu(−3·relu(−3x)) near ½) is constant on both sides: said so
    constant = not (left_form.has(var) or right_form.has(var))
    return _side_value(point, right[order], CONSTANT_NOTE if constant else SIDES_NOTE)


def _side_value(point: tuple[tuple[str, Expr], ...], exact: Expr, note: str) -> PointValue | None:
    """The derivative `exact` that a side's form gives at the point, with its
    decimal (none past floating point) and `note`; None where it has no value."""
    try:
        decimal: float | None = evaluate(exact, {}) + 0.0
    except TooLargeError:
        decimal = None
    except CalcstepError:
        return None
    return PointValue(point, exact, decimal, note=note)


def _side_form(expr: Expr, var: str, at: Expr, side: int, limits: Limits) -> tuple[Expr, list[Call]]:
    """`expr` as it is just beside the point on `side` (−1 left, +1 right): each
    function with a corner replaced by its form for the sign its argument has on
    that side (innermost first, so an outer argument's sign is read from the inner
    forms: relu(x − 1) is 0 near 0, so relu(relu(x − 1)) is too); with the
    functions whose argument is at the corner at the point, innermost first.
    Raises _Undecided when a sign is not told."""
    corners: list[Call] = []

    def beside(node: Expr, new: Expr) -> Expr:
        if type(new) is not Call or BY_NAME[new.fn].sides is None:
            return new
        form, cornered = _beside_corner(new, var, at, side, limits)
        if cornered:
            corners.append(node)  # as written, for the message
        return form

    return rebuilt(expr, after=beside), corners


def _beside_corner(node: Call, var: str, at: Expr, side: int, limits: Limits) -> tuple[Expr, bool]:
    """A function with a corner, as it is on `side` of the point: its form for the
    sign its argument has there (the sign at the point itself, when the argument
    is away from the corner; the function's value at the corner, when the
    argument is 0 all around the point), and whether the argument is at the
    corner there."""
    function = BY_NAME[node.fn]
    corner = corner_point(node.fn)
    offset = add(node.arg, neg(corner))
    away = _exact_at(offset, {Sym(var): at}, limits)
    if away is None or away.free_vars:
        raise _Undecided
    # zero by value: a point typed as 0.0 is the corner too, and 0.0 is not ZERO to
    # == (the decimal mark is part of a number's identity)
    cornered = is_num(away, 0)
    sign = _sign_beside(offset, var, at, side, limits) if cornered else _sign_of(away)
    if sign is None:
        raise _Undecided
    assert function.sides is not None
    return (Call(node.fn, corner) if sign == 0 else function.sides(node.arg, sign)), cornered


def _sign_beside(offset: Expr, var: str, at: Expr, side: int, limits: Limits) -> int | None:
    """The sign of `offset`, 0 at the point, just beside it on `side`: the sign of its
    first derivative not 0 there, times side^k for the k-th (u = x² is positive on
    both sides of 0, u = x³ changes sign); 0 when it is 0 all around (it
    simplifies to 0); None when its first few derivatives do not tell."""
    simplifier = Simplifier(limits)
    current = offset
    try:
        for k in range(1, _SIGN_ORDERS + 1):
            current = simplifier(derive(current, var, limits).result)[0]
            value = _exact_at(current, {Sym(var): at}, limits)
            if value is None or value.free_vars:
                return None
            if not is_num(value, 0):
                sign = _sign_of(value)
                return None if sign is None else sign * side**k
        return 0 if is_num(simplifier(offset)[0], 0) else None
    except CalcstepError:
        return None


def _sign_of(value: Expr) -> int | None:
    """+1 or −1 for an exact constant that is not 0 (None when its sign is not told):
    known without rounding where it can be (π/4, −2e), else from its decimal."""
    if type(value) is Num:
        return 1 if value.value > 0 else -1
    sign = known_sign(value)
    if sign:
        return sign
    try:
        number = evaluate(value, {})
    except CalcstepError:
        return None
    return None if number == 0 or number != number else (1 if number > 0 else -1)


def _values_at(form: Expr, var: str, here: dict[Expr, Expr], order: int, limits: Limits) -> list[Expr | None]:
    """The form's value and derivatives of order 1 … `order` at the point, exactly
    (None for one that has no value there, as 1/(2√x) at 0)."""
    values: list[Expr | None] = []
    for expression in (form, *(d.result for d in derive_orders(form, var, order, limits))):
        try:
            values.append(_exact_at(expression, here, limits))
        except DomainError:
            values.append(None)
    return values


def _same_value(first: Expr, second: Expr) -> bool:
    """True when two exact constants are equal: alike as written, or equal in value
    to 12 digits where exact arithmetic writes one number two ways."""
    if first == second:
        return True
    try:
        a, b = evaluate(first, {}), evaluate(second, {})
    except CalcstepError:
        return False
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


def _spoken(value: Expr) -> str:
    from calcstep.printer import to_pretty  # only on this path: the printers load late

    return to_pretty(value)


def _others_held(
    function: Expr, point: tuple[tuple[str, Expr], ...], limits: Limits, var: str | None, order: int
) -> PointValue | None:
    """The `order`-th derivative by `var` of the function with its other variables
    held at the point's values, at the point: by definition, the partial
    derivative there.  None when there is no other variable to hold, or when this
    derivative has no value at the point either."""
    if var is None or not function.free_vars - {var}:
        return None
    held = {Sym(name): value for name, value in point if name != var}
    try:
        along, _ = simplify(substitute(function, held), limits)  # |x·0| is 0
        derivations = derive_orders(along, var, order, limits)
    except CalcstepError:
        return None
    if not derivations:
        return None  # order 0: the function's own value has no formula to fail
    last = derivations[-1]
    value = value_at_point(along, last.result, point, limits, var=var, below=last.target, order=order)
    if value.undefined is not None:
        return None
    return value._replace(note=HELD_NOTE)


def _locally_constant(
    function: Expr, point: tuple[tuple[str, Expr], ...], var: str | None, limits: Limits
) -> PointValue | None:
    """0, where the function is constant around the point (see constant_near): so
    every derivative is 0, though the formula has none (relu(−3·relu(−3x)) at
    x = ½, a dead unit: the formula's heaviside(0) has no value)."""
    if var is None or not constant_near(function, point, var, limits):
        return None
    return PointValue(point, ZERO, 0.0, note=CONSTANT_NOTE)


def constant_near(function: Expr, point: tuple[tuple[str, Expr], ...], var: str, limits: Limits) -> bool:
    """True when the function takes exactly its value at the point on both sides
    of it along `var`, at the limit's steps, in exact arithmetic (in floating
    point 10^20 + |x| would seem constant)."""
    mapping = {Sym(name): value for name, value in point}
    at = mapping.get(Sym(var))
    if at is None:
        return False
    try:
        middle = _exact_at(function, mapping, limits)
        scale = Fraction(max(1, math.ceil(abs(evaluate(at, {})))))
        if middle is None or middle.free_vars:
            return False
        return all(
            _exact_at(function, {**mapping, Sym(var): add(at, Num(side * step * scale))}, limits) == middle
            for step in _EXACT_STEPS
            for side in (-1, 1)
        )
    except (CalcstepError, OverflowError, ValueError):
        return False


# Said of a value found where the function is constant around the point.
CONSTANT_NOTE = "the formula has no value here; the function is constant on both sides, so this is 0"

# Said of a value found with the other variables held (see _others_held).
HELD_NOTE = "the formula has no value here; this is the derivative with the other variables held at their values"


@cache
def _jumps(fn: str) -> bool:
    """True when the function's break is a jump in value (sign, heaviside, arccot's
    at 0), not a corner (|u|, relu): its two sides (`Function.sides`) part there."""
    sides = BY_NAME[fn].sides
    at = corner_point(fn)
    return sides is not None and evaluate(sides(at, -1), {}) != evaluate(sides(at, 1), {})


@cache
def corner_point(fn: str) -> Expr:
    """Where the function `fn` has its corner or jump (`Function.corner`), read once."""
    return parse(BY_NAME[fn].corner or "0").expr


def _corner_at(expr: Expr, mapping: dict[Expr, Expr], limits: Limits) -> str | None:
    """Where a function with a corner or a jump (|u|, sign, relu, heaviside) has its
    argument exactly at that place at the point, what to say of it; else None."""
    from calcstep.printer import to_pretty

    for node in walk(expr):
        if not isinstance(node, Call) or BY_NAME[node.fn].corner is None:
            continue
        corner = corner_point(node.fn)
        try:
            argument = _exact_at(node.arg, mapping, limits)
        except CalcstepError:
            continue
        if argument is not None and argument == corner:
            return f"{to_pretty(node)} has a corner or a jump where its argument is {to_pretty(corner)}"
    return None


# Steps beside the point for the limit from both sides (exactly, and as floats),
# and how closely the two sides must agree (relative to the value's size, at least 1).
_EXACT_STEPS = (Fraction(1, 10**4), Fraction(1, 10**6), Fraction(1, 10**8))
_LIMIT_STEPS = tuple(float(step) for step in _EXACT_STEPS)
_LIMIT_AGREEMENT = 1e-6
# How closely limits from both sides must agree with the formula's own value at a
# corner for that value to stand: loosely, as a slowly settling limit is still
# that far off at the last step (√|x|·x′ = 3√|x|/2 is 1.5·10⁻⁴ there, and 0 at 0)
_FORMULA_AGREEMENT = 1e-3


def _by_limit(
    below: Expr, derivative: Expr, point: tuple, var: str | None, exactly: Limits | None = None
) -> PointValue | None:
    """The derivative as the limit of its formula from both sides, where the
    formula itself has no value; None unless `below` is continuous there and
    both sides settle on one value (a corner, relu at 0, has two).  `below` with
    no value of its own there (a second derivative's first, 3x⁵/|x³| at 0) is
    continuous when its own two sides agree: its gap is filled by their limit.
    The values beside the point in floating point, or `exactly` (see _beside)."""
    beside = _beside(point, var, exactly)
    if beside is None:
        return None
    near, scale = beside
    sides: tuple[int, ...] = (-1, 1)
    value = _two_sided(derivative, near, scale)
    note = "the formula has no value here; its limit from both sides is the derivative"
    if value is None:
        # at an end of the domain the derivative is the one from inside:
        # √x·ln(x² + 1) at 0 is 0 from the right, though its formula is 0/0
        # (from values taken exactly: in floating point 1 − cos(h) cancels)
        inside = _from_inside(below, derivative, near, scale) if exactly is not None else None
        if inside is None:
            return None
        side, value = inside
        sides = (side,)
        note = (f"the formula has no value here, an end of the domain; its limit from the "
                f"{'left' if side < 0 else 'right'} is the derivative")
    try:
        middle: float | None = evaluate(below, dict(_floats(point)))
    except CalcstepError:
        middle = _two_sided(below, near, scale)
    if middle is None or not _continuous(below, near, middle, scale, sides):
        return None
    return PointValue(
        point,
        decimal=round(value, 6) + 0.0,  # to the steps' accuracy; + 0.0 turns −0.0 into 0.0
        note=note,
    )


def _from_inside(below: Expr, derivative: Expr, near: Near, scale: float) -> tuple[int, float] | None:
    """The side (−1, +1) where `below` has values, when it has none on the other,
    and the finite limit of `derivative` from that side; else None."""
    for side in (-1, 1):
        if _no_values(below, near, scale, -side):
            limit = _side_limit([near(derivative, side * h * scale) for h in _LIMIT_STEPS])
            return (side, limit) if limit is not None and math.isfinite(limit) else None
    return None


Near = Callable[[Expr, float], "float | None"]


def _floats(point: tuple[tuple[str, Expr], ...]) -> Iterator[tuple[str, float]]:
    return ((name, evaluate(value, {})) for name, value in point)


def _beside(
    point: tuple[tuple[str, Expr], ...], var: str | None, exactly: Limits | None = None
) -> tuple[Near, float] | None:
    """What an expression is at an offset from the point along `var` (None where it
    has no value), and the point's scale (the offsets are relative to it, at least
    1); None when the point has no float or no `var`.  In floating point, or
    `exactly`: at the rational point beside it, simplified exactly and then
    taken to a float with the digits it needs, where floating point cancels
    (x² − 2x + 1 at 1 + 10⁻⁸ is 10⁻¹⁶, which floats make noise of)."""
    try:
        floats = dict(_floats(point))
    except CalcstepError:
        return None
    if var is None or var not in floats:
        return None
    at = floats[var]

    def near(expr: Expr, offset: float) -> float | None:
        try:
            return evaluate(expr, {**floats, var: at + offset})
        except CalcstepError:
            return None

    if exactly is None:
        return near, max(1.0, abs(at))
    mapping = {Sym(name): value for name, value in point}
    middle = mapping[Sym(var)]

    def near_exactly(expr: Expr, offset: float) -> float | None:
        beside = add(middle, Num(Fraction(offset).limit_denominator(_EXACT_DENOMINATOR)))
        try:
            value = _exact_at(expr, {**mapping, Sym(var): beside}, exactly)
            if value is None or value.free_vars:
                return None
            # wide arithmetic or nothing: a float of acos(cos(h)) cancels as the
            # formula's own did (wide_value knows powers, exponentials, logarithms,
            # sines and cosines; beyond them no value is claimed).  A value there
            # that it cannot work out is NaN, not None: None says there is none,
            # which would make an end of the domain of a point inside it
            wide = wide_value(value)
            return math.nan if wide is None else wide
        except DomainError:
            return None
        except (CalcstepError, OverflowError, ValueError):
            return math.nan

    return near_exactly, max(1.0, abs(at))


# The offsets beside a point, taken exactly: 10⁻⁸ as 1/10⁸ (its float is not).
_EXACT_DENOMINATOR = 10**12
# Beyond this size a derivative is not evaluated exactly beside a point: each
# value simplifies the whole formula at a rational point.
_EXACTLY_UP_TO = 2_000


def _continuous(below: Expr, near: Near, middle: float, scale: float, sides: tuple[int, ...]) -> bool:
    """True when `below` just beside the point on each of `sides` (−1 left, +1
    right), at the nearest step, is its value `middle` there, to the limits' accuracy."""
    step = _LIMIT_STEPS[-1] * scale
    return all(
        (edge := near(below, side * step)) is not None
        and abs(edge - middle) <= _LIMIT_AGREEMENT * max(1.0, abs(middle))
        for side in sides
    )


def _slopes_beside(
    below: Expr, derivative: Expr, point: tuple[tuple[str, Expr], ...], var: str | None, order: int,
    exactly: Limits | None = None,
) -> str | None:
    """Why the derivative has no value at a point where `below` (what it is the
    derivative of) is continuous, told from its formula's values just beside it:

    - two different slopes, a corner: √(x²) at 0 (−1 on the left, 1 on the right);
    - the slope tending to +∞ on both sides, or to −∞, a vertical tangent: ∛x at 0;
    - to −∞ on one side and +∞ on the other, a cusp: x^(2/3) at 0;
    - to ±∞ on the one side where `below` has values, a vertical tangent at the
      end of its domain: √x at 0.

    None when the sides tell none of these (then the formula's reason stands).
    The values beside the point in floating point, or `exactly` (see _beside)."""
    beside = _beside(point, var, exactly)
    if beside is None or var is None:
        return None
    near, scale = beside
    try:
        middle = evaluate(below, dict(_floats(point)))
    except CalcstepError:
        return None
    left, right = (_side_limit([near(derivative, side * h * scale) for h in _LIMIT_STEPS]) for side in (-1, 1))
    defined = tuple(side for side, limit in ((-1, left), (1, right)) if limit is not None)
    if not defined or not all(_tends_to(below, near, scale, side, middle) for side in defined):
        return None
    where = f"at {var} = {_spoken(dict(point)[var])}"
    subject = "the function" if order == 1 else "the first derivative" if order == 2 else (
        f"the derivative of order {order - 1}")
    if left is None or right is None:
        # one side only: the other has no value at all (√x left of 0), or no telling
        slope = right if left is None else left
        assert slope is not None
        if math.isfinite(slope) or not _no_values(below, near, scale, -1 if left is None else 1):
            return None
        return (f"the derivative does not exist there: {where}, an end of {subject}'s domain, "
                f"the tangent is vertical (its slope tends to {_slope_text(slope)} "
                f"from the {'right' if left is None else 'left'})")
    if left == right:  # two infinities alike: one finite slope was _by_limit's to find
        shape, sides = "a vertical tangent", f"its slope tends to {_slope_text(left)} on both sides"
    elif math.isfinite(left) and math.isfinite(right):
        if abs(left - right) <= _LIMIT_AGREEMENT * max(1.0, abs(left), abs(right)):
            return None
        shape, sides = "a corner", f"slope {_slope_text(left)} on the left, {_slope_text(right)} on the right"
    elif math.isinf(left) and math.isinf(right):
        shape = "a cusp"
        sides = f"its slope tends to {_slope_text(left)} on the left and to {_slope_text(right)} on the right"
    else:  # a corner with one side vertical
        shape, sides = "a corner", " and ".join(
            f"slope {_slope_text(slope)} on the {edge}" if math.isfinite(slope)
            else f"a slope tending to {_slope_text(slope)} on the {edge}"
            for slope, edge in ((left, "left"), (right, "right"))
        )
    return f"the derivative does not exist there: {where} {subject} has {shape} ({sides})"


def _side_limit(values: list[float | None]) -> float | None:
    """Where values at steps shrinking a hundredfold towards a point, on one side,
    head: their limit when they settle (each move at most half the one before,
    the rest extrapolated), ±∞ when they grow without bound (moving one way by
    no less each step: h^(−2/3) grows 46-fold a step, ln h falls by ln 100 a
    step), else None (a step with no value, or sin(1/h) swinging)."""
    if None in values or any(value != value for value in values):  # none there, or NaN: not worked out
        return None
    known: list[float] = values  # type: ignore[assignment]
    first_move, last_move = known[-2] - known[-3], known[-1] - known[-2]
    if abs(last_move) <= _SETTLING * abs(first_move) + _LIMIT_FLOOR * max(1.0, abs(known[-1])):
        limit = _extrapolated(known)
        # as for two sides (_two_sided): a limit the steps cannot tell from 0 is 0
        # (6√h settles to 10⁻⁶ of noise where √(x − 2)·(x³ − 8)′ is 0 at 2)
        return 0.0 if abs(limit) <= _INDISTINCT * abs(last_move) else limit
    if first_move * last_move > 0 and abs(last_move) >= abs(first_move) * (1 - _LIMIT_AGREEMENT):
        return math.copysign(math.inf, last_move)
    return None


def _tends_to(expr: Expr, near: Near, scale: float, side: int, value: float) -> bool:
    """True when `expr` beside the point on `side` tends to `value`: continuous
    from that side.  Loosely, as a function with a vertical tangent moves fast
    beside the point (∛x is 0.002 at 10⁻⁸), so its limit is extrapolated."""
    limit = _side_limit([near(expr, side * h * scale) for h in _LIMIT_STEPS])
    return limit is not None and abs(limit - value) <= _FORMULA_AGREEMENT * max(1.0, abs(value))


def _no_values(expr: Expr, near: Near, scale: float, side: int) -> bool:
    """True when `expr` has no value at any of the steps beside the point on `side`."""
    return all(near(expr, side * h * scale) is None for h in _LIMIT_STEPS)


_SLOPE_DENOMINATOR = 100
_SLOPE_AGREEMENT = 1e-9


def _slope_text(slope: float) -> str:
    """A one-sided slope as said: +∞ or −∞; a number exactly when it is a fraction
    with a small denominator to the limits' accuracy (−1, 1/2), else ≈ 6 digits."""
    if math.isinf(slope):
        return "+∞" if slope > 0 else "−∞"
    # a fraction only with a small denominator and to all the digits the limit
    # holds: √2 is within 10⁻⁶ of 1393/985, which is no slope to claim
    near_fraction = Fraction(slope).limit_denominator(_SLOPE_DENOMINATOR)
    if abs(near_fraction - Fraction(slope)) <= _SLOPE_AGREEMENT * max(1.0, abs(slope)):
        return _spoken(Num(near_fraction))
    return "≈ " + f"{slope:.6g}".replace("-", "−")


def _two_sided(expr: Expr, near: Callable[[Expr, float], float | None], scale: float) -> float | None:
    """The limit of `expr` at the point from both sides, when the values beside
    it settle on one number from the left and the right.

    Settling is judged by how the values move as the steps shrink a hundredfold:
    towards a limit each move is smaller than the one before, by a steady ratio
    (x^(1/3)′ keeps growing: no limit), and where the moves are still sizeable
    (x^(2/3)·sin(x)′ ≈ (5/3)·h^(2/3), 8·10⁻⁶ at the last step) the rest of that
    steady shrinking is added up (Aitken's extrapolation: 0 here); the two sides
    agree when their limits differ by no more than they still move (2·relu(x)
    is 0 on the left and 2h on the right: 0), so a corner of any size
    (10⁻⁹·relu(x): 0 and 10⁻⁹) stays a corner."""
    sides = [(near(expr, -h * scale), near(expr, h * scale)) for h in _LIMIT_STEPS]
    if any(left is None or right is None for left, right in sides):
        return None
    lefts: list[float] = [left for left, _ in sides]  # type: ignore[misc]
    rights: list[float] = [right for _, right in sides]  # type: ignore[misc]
    left, right = _extrapolated(lefts), _extrapolated(rights)
    value = (left + right) / 2
    floor = _LIMIT_FLOOR * max(1.0, abs(value))
    moves = [abs(side[-1] - side[-2]) for side in (lefts, rights)]
    settled = all(
        move <= _SETTLING * abs(side[-2] - side[-3]) + floor
        for move, side in zip(moves, (lefts, rights), strict=True)
    )
    agree = abs(left - right) <= 2 * sum(moves) + floor
    if not (settled and agree):
        return None
    # a limit closer to 0 than the extrapolation can tell from 0 (the values beside
    # sin(u)·∛u, u = x³ − 1, still move by 8·10⁻³ at the last step and extrapolate
    # to 5·10⁻⁶) is 0: the steps give it no digit of its own
    return 0.0 if abs(value) <= _INDISTINCT * max(moves) else value


def _extrapolated(values: list[float]) -> float:
    """The limit of values moving by a steady ratio r (|r| < 1) from one to the
    next: the last value plus the rest of the geometric series of moves."""
    first_move, last_move = values[-2] - values[-3], values[-1] - values[-2]
    if first_move == 0:
        return values[-1]
    ratio = last_move / first_move
    return values[-1] + last_move * ratio / (1 - ratio) if abs(ratio) < 1 else values[-1]


# A limit's last move is at most this share of the move before it (a hundredfold
# smaller step moves a smoothly converging value about a hundredfold less, one
# like h^(1/3) about 4.6-fold less), and values this close, relative to the
# value's size, are one (floating-point noise).
_SETTLING = 0.5
_LIMIT_FLOOR = 1e-12
# An extrapolated limit within this share of the last move of 0 is 0.
_INDISTINCT = 1e-2


def _nonzero(value: Expr) -> bool:
    """True when an exact constant is known not to be 0 (a nonzero number, or a
    product of nonzero numbers and powers of e): 1/e^1000 underflows to 0.0."""
    factors = value.factors if isinstance(value, Mul) else (value,)
    return all(
        (isinstance(f, Num) and f.value != 0) or (isinstance(f, Pow) and f.base == E) or f == E
        for f in factors
    )


def _exact_at(expr: Expr, mapping: dict[Expr, Expr], limits: Limits) -> Expr | None:
    """`expr` at the point, simplified exactly; None when that is beyond the limits.
    Raises DomainError where the exact value is undefined."""
    at_point = substitute(expr, mapping)
    # a logarithm to a base that is no base has no value, though simplifying
    # writes log₁(1) as 0 (log_x(x)/log_x(x + 1) at 1 was given a value)
    for node in walk(at_point):
        if type(node) is Log and not node.base.free_vars:
            _check_log_base(node, None)
    try:
        value, _ = simplify(at_point, limits)
    except DomainError:
        raise
    except CalcstepError:
        return None
    if not value.free_vars:
        # a part the simplifier keeps as it is may have no value: log₋₂ 3
        check_constants(value)
    return value
