"""Wide sums: read, differentiated and written a few hundred terms at a time.

The derivative of a sum is the sum of its terms' derivatives (the sum rule), and
each term is read, differentiated and simplified on its own, so a sum of many
terms need never be held whole.  Held whole, as Python objects, a term costs
some 2 KB by the time its steps are written (its nodes, its derivative, their
steps): 100,000 terms took 343 MiB.  Here only the simplified derivative's terms
are held (a few hundred bytes each), with each run's terms as read and as
differentiated packed as plain data (`expr.packed`, some 5 bytes a term); the
parts of the record that show every term (the sum itself, its derivative before
simplifying, each term's derivation and rewrites) are made again from them, a
run of terms at a time, when they are written.  Unpacking a run takes half the
time reading it does: a little time traded for memory, on inputs where memory,
not time, is what runs out.

The record is the one the whole reading gives, with one difference: the
simplifier meets the terms a run at a time, so a part that recurs in two runs
has its rewrites listed in each (in one run it is listed once, as for any sum).
The result is the same.  Whatever the whole reading would refuse (a part with
no value, a limit passed) is left to it: any error on the way gives None, and
the caller reads the text whole, which raises the error with its place marked.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate
from typing import Any, overload

from calcstep import engine, rules
from calcstep.derive import derive
from calcstep.domain import Condition, forgotten_note, set_conditions
from calcstep.engine import (
    DiffReport,
    absent_variable,
    check_constants,
    check_somewhere,
    check_somewhere_differentiable,
    check_writable,
    choose_variable,
    fixed_part_without_value,
)
from calcstep.errors import CalcstepError
from calcstep.expr import ZERO, Add, Expr, Note, add, forget_shared, packed, unpacked
from calcstep.limits import Limits
from calcstep.parse import Parsed, plain_text, read_terms, read_whole, said_once, top_level_signs
from calcstep.printer import forget_caches
from calcstep.simplify import Simplifier, forget_node_facts
from calcstep.steps import Derivation, Step

# Terms in a run: enough that a run's overhead (a reading begun, a simplifier
# made) is spread thin, few enough that a run's steps are a few hundred kB.
RUN_TERMS = 500


def differentiate_wide(
    text: str, wrt: str | None, functions: frozenset[str], limits: Limits, steps: bool,
    wide_from: int | None = None, run_terms: int | None = None,
) -> DiffReport | None:
    """The DiffReport of d/d`wrt` `text` (first order, no point), when `text` is a
    sum of at least `wide_from` terms (engine.WIDE_FROM by default) at its top
    level and reads without error; else None, and the caller reads it whole."""
    if wide_from is None:
        wide_from = engine.WIDE_FROM
    if run_terms is None:
        run_terms = RUN_TERMS
    if len(text) < 2 * wide_from - 1 or len(text) > limits.max_length:
        return None  # a sum of n terms is written in 2n − 1 characters at least
    plain = plain_text(text)
    signs = top_level_signs(plain, functions, limits)
    if signs is None or len(signs) + 1 < wide_from:
        return None
    runs = _Runs(plain, signs, functions, limits, run_terms)
    del signs  # a hundred thousand ints: the runs keep where each run starts
    try:
        reading = runs.read(check_constants)
        if reading is None:
            return None
        notes, free, applied, setting, size, depth = reading
        _forget_nodes()
        read_whole(plain, free, notes)
        function = runs.lazy_sum(runs.terms, runs.input_sizes, size, depth, free)
        written = Parsed(function, text)  # no places: an error found here is the whole reading's to mark
        check_somewhere(written, setting)
        var = choose_variable(function, wrt)
        check_somewhere_differentiable(written, setting, var)
        taken = free | applied
        derived = runs.derive(var, fixed_part_without_value, taken)
        if derived is None:
            return None
        simple, derivative_size, derivative_depth, derivative_free = derived
        _forget_nodes()
        total = add(*simple)
        del simple
        simplifier = Simplifier(limits, record=steps)
        result, final = simplifier.settle(total)
        check_writable(result, limits)
    except (CalcstepError, RecursionError):
        return None
    said = list(said_once(notes))
    if free and var not in free:
        said.append(absent_variable(function, var))
    if setting:
        forgotten = forgotten_note(function, result, var, Simplifier(limits).normal_form, setting)
        if forgotten is not None:
            said.append(forgotten)
    derivative = runs.lazy_sum(runs.derivatives, runs.derivative_sizes,
                               derivative_size, derivative_depth, derivative_free)
    if var not in free:
        # a sum without the variable is one constant, as the whole reading takes it
        top = rules.constant(function, var, None) if steps else Step("constant", function, ZERO, var)
        simplification = ()
        result = ZERO
    elif steps:
        top = Step("sum", function, derivative, var,
                   _Terms(lambda index: runs.derivations(index, var, taken), runs.input_sizes))
        simplification: Sequence[Step] = _Rewrites(runs, final)
    else:
        top, simplification = Step("sum", function, derivative, var), ()
    parsed = Parsed(function, text, tuple(said), applied)
    derivation = Derivation(function, var, 1, top, simplification, result)
    return DiffReport(text, parsed, var, 1, (derivation,), ())


def _forget_nodes() -> None:
    """Let go of the nodes kept to be met again: the small ones shared, and those
    the simplifier keeps facts about (after a pass over the runs, its last terms)."""
    forget_shared()
    forget_node_facts()


class _Runs:
    """The sum's terms in runs of `run_terms`, each read from the text when asked."""

    def __init__(self, plain: str, signs: list[int], functions: frozenset[str], limits: Limits,
                 run_terms: int) -> None:
        self.plain = plain
        self.functions = functions
        self.limits = limits
        self.run_terms = run_terms
        # where each run starts: the text's start, then every run_terms-th joining sign
        self.starts = [0, *signs[run_terms - 1 :: run_terms]]
        # the terms each run has, as read (a bracketed sum's terms are the sum's,
        # as in the whole reading) and as differentiated (a derivative that is a
        # sum gives its terms): counted as the runs are first read
        self.input_sizes: list[int] = []
        self.derivative_sizes: list[int] = []
        # each run's terms as read and as differentiated, packed (see `terms`),
        # and whether the reading kept places for them (for `derive`)
        self.terms_packed: list[bytes] = []
        self.derivatives_packed: list[bytes] = []
        self.placed: list[bool] = []

    def __len__(self) -> int:
        return len(self.starts)

    def reading(self, index: int) -> tuple[tuple[Expr, ...], list[Note], frozenset[str], dict]:
        """Run `index` read: its terms, notes, functions applied and places (read_terms)."""
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.plain)
        return read_terms(self.plain, self.starts[index], end, self.functions, self.limits)

    def terms(self, index: int) -> tuple[Expr, ...]:
        """The terms of run `index`, as read.  The first reading keeps them packed
        (`expr.packed`, some 5 bytes a term): the record's parts ask for every run
        again, and unpacking takes half the time a reading does."""
        return unpacked(self.terms_packed[index])

    def read(self, check: Callable[..., None]) -> tuple[list[Note], frozenset[str], frozenset[str], list, int, int] | None:
        """Every run read once, each checked as the whole reading checks the whole
        (`check`: engine.check_constants): the notes on the reading, the sum's
        variables and the functions it applies, the conditions its terms set, and
        its size and depth.  None where the whole reading would refuse."""
        notes: list[Note] = []
        names: set[str] = set()
        functions: set[str] = set()
        setting: list[tuple[Expr, Condition]] = []
        size, depth = 1, 0
        for index in range(len(self.starts)):
            terms, said, applied, places = self.reading(index)
            self.input_sizes.append(len(terms))
            self.terms_packed.append(packed(terms))
            self.placed.append(bool(places))
            run = add(*terms)
            check(run, Parsed(run, self.plain, (), applied, places))
            if places:  # only a part the reading kept a place for sets a condition
                setting += set_conditions(run)
            notes += said
            names |= run.free_vars
            functions |= applied
            size += sum(term.size for term in terms)
            depth = max(depth, *(term.depth for term in terms))
        if size > self.limits.max_size or depth + 1 > self.limits.max_depth:
            return None
        return notes, frozenset(names), frozenset(functions), setting, size, depth + 1

    def derive(self, var: str, refuse: Callable[..., CalcstepError | None],
               taken: frozenset[str]) -> tuple[list[Expr], int, int, frozenset[str]] | None:
        """Each term's derivative, simplified (a simplifier for each run: its memory
        is let go with the run), with the size, depth and variables of the sum of
        the derivatives before simplifying; None where a part has no value for any
        value of its variables (`refuse`: engine.fixed_part_without_value)."""
        simple: list[Expr] = []
        size, depth, names = 1, 0, set()
        for index in range(len(self.starts)):
            # the places, and the functions applied, matter only where the reading
            # kept places (a part that may lack a value): such a run is read again
            terms, _, applied, places = (self.reading(index) if self.placed[index]
                                         else (self.terms(index), (), frozenset(), {}))
            derivatives = self._derivatives_of(terms, var, taken)
            self.derivative_sizes.append(len(derivatives))
            self.derivatives_packed.append(packed(derivatives))
            simplifier = Simplifier(self.limits, record=False)
            forms, _ = simplifier.parts(derivatives)
            run = add(*terms)
            if places and refuse(Parsed(run, self.plain, (), applied, places), simplifier) is not None:
                return None
            simple += forms
            size += sum(part.size for part in derivatives)
            depth = max(depth, *(part.depth for part in derivatives))
            for part in derivatives:
                names |= part.free_vars
        return simple, size, depth + 1, frozenset(names)

    def derivatives(self, index: int) -> list[Expr]:
        """The terms of the derivatives of run `index`'s terms, before simplifying,
        as `derive` made them."""
        return list(unpacked(self.derivatives_packed[index]))

    def _derivatives_of(self, terms: tuple[Expr, ...], var: str, taken: frozenset[str]) -> list[Expr]:
        """The terms of the sum of `terms`' derivatives (a derivative that is a sum
        gives its terms, as in the sum of them all), before simplifying."""
        total = add(*(derive(term, var, self.limits, taken, record=False).result for term in terms))
        return list(total.terms) if type(total) is Add else [total]

    def derivations(self, index: int, var: str, taken: frozenset[str]) -> tuple[Step, ...]:
        """The derivations of run `index`'s terms, every step kept."""
        return tuple(derive(term, var, self.limits, taken) for term in self.terms(index))

    def rewrites(self, index: int) -> tuple[Step, ...]:
        """The rewrites that simplify run `index`'s derivatives, in the order made."""
        return Simplifier(self.limits).parts(self.derivatives(index))[1]

    def lazy_sum(self, run: Callable[[int], Sequence[Expr]], sizes: list[int], size: int, depth: int,
                 free: frozenset[str]) -> Add:
        """A sum whose terms are made a run at a time, when asked (see _Terms)."""
        return _lazy_add(_Terms(run, sizes), size, depth, free)


def _lazy_add(terms: _Terms, size: int, depth: int, free: frozenset[str]) -> Add:
    """An Add node whose terms are `terms`, made when read: for the printers and
    the renderers it is a sum like any other.  It equals itself alone."""
    from calcstep.expr import _set_canon, _set_depth, _set_free, _set_hash, _set_size

    node = object.__new__(Add)
    Add.terms.__set__(node, terms)  # type: ignore[attr-defined]
    _set_hash(node, hash(("wide sum", id(terms))))
    _set_free(node, free)
    _set_size(node, size)
    _set_depth(node, depth)
    _set_canon(node, None)
    return node


class _Terms(Sequence[Any]):
    """A sum's terms (or a sum step's substeps), made a run at a time by
    `run(index)` when read, run `index` having `sizes[index]` of them; the last
    run made is held (reading them in order makes each run once)."""

    def __init__(self, run: Callable[[int], Sequence[Any]], sizes: list[int]) -> None:
        self._run = run
        self._firsts = list(accumulate(sizes, initial=0))  # each run's first index
        self._count = self._firsts[-1]
        self._runs = len(sizes)
        self._held: tuple[int, Sequence[Any]] = (-1, ())
        # the sum's text as each printer writes it (see printer._Printer.sum)
        self.written: dict[object, str] = {}

    def __len__(self) -> int:
        return self._count

    def _terms_of(self, index: int) -> Sequence[Any]:
        if self._held[0] != index:
            # the last run's terms go: the printers' pieces and the shared small
            # nodes would keep them (and so every run made) alive
            self._held = (-1, ())
            forget_caches()
            _forget_nodes()
            self._held = (index, self._run(index))
        return self._held[1]

    @overload
    def __getitem__(self, index: int) -> Expr: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Expr]: ...

    def __getitem__(self, index: int | slice) -> Expr | Sequence[Expr]:
        if isinstance(index, slice):
            return _Slice(self, *index.indices(self._count))
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        run = bisect_right(self._firsts, index) - 1
        return self._terms_of(run)[index - self._firsts[run]]

    def __iter__(self) -> Iterator[Any]:
        for run in range(self._runs):
            yield from self._terms_of(run)


class _Slice(Sequence[Expr]):
    """A run of a _Terms, read in order when iterated (a sum's later terms)."""

    def __init__(self, terms: _Terms, start: int, stop: int, step: int) -> None:
        self._terms, self._range = terms, range(start, stop, step)

    def __len__(self) -> int:
        return len(self._range)

    def __getitem__(self, index: Any) -> Any:
        return self._terms[self._range[index]]

    def __iter__(self) -> Iterator[Expr]:
        terms = self._terms
        return (terms[index] for index in self._range)


class _Rewrites(Sequence[Step]):
    """The simplification: each run's rewrites, made when read, then the rewrites
    of the whole sum (`final`), held.  Read in order; its length is known once
    it has been read through."""

    def __init__(self, runs: _Runs, final: tuple[Step, ...]) -> None:
        self._runs, self._final = runs, final
        self._count: int | None = None

    def __iter__(self) -> Iterator[Step]:
        count = 0
        for index in range(len(self._runs)):
            made = self._runs.rewrites(index)
            count += len(made)
            yield from made
        yield from self._final
        self._count = count + len(self._final)

    def __len__(self) -> int:
        if self._count is None:
            self._count = sum(1 for _ in self)
        return self._count

    def __bool__(self) -> bool:
        return bool(self._final) or any(True for _ in self)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return list(self)[index]
        for place, step in enumerate(self):
            if place == index:
                return step
        raise IndexError(index)
