"""Room for deep expressions.

The engine's rules and printers are small recursive functions, the way the
mathematics is written.  A 10,000-deep composition needs more frames than
CPython allows by default, so work on deep input runs in a thread whose stack is
large enough, with the recursion limit raised to match.  The input's nesting is
bounded by `Limits.max_depth`, so the recursion is bounded too; `RecursionError`
is turned into a LimitError all the same, as a last guard.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from calcstep.errors import LimitError

T = TypeVar("T")

# Frames needed per level of nesting, with a generous margin (a rule, the
# dispatch around it, a constructor) and the stack they take in the worst case.
_FRAMES_PER_LEVEL = 12
_STACK_BYTES = 1 << 30
_SHALLOW = 150
# The nesting room given to work that overflowed the ordinary stack on shallow input.
_RETRY_DEPTH = 5000

class _State:
    """Whether this thread already runs with a deep stack (set only in such threads)."""

    deep_thread: object = None


def run_deep(depth: int, function: Callable[..., T], *args: object, **kwargs: object) -> T:
    """`function(*args, **kwargs)`, given stack for input nested `depth` deep.

    Runs in place when `depth` is small or a deep stack is already in use.  Work
    on shallow input can still nest deeply (the derivative of a 100-high power
    tower nests far more than the tower): then it runs again, with room."""
    if depth <= _SHALLOW:
        try:
            return function(*args, **kwargs)
        except RecursionError:
            if _in_deep_stack():
                raise _too_deep() from None
            depth = _RETRY_DEPTH
    elif _in_deep_stack():
        return _guarded(function, *args, **kwargs)
    return _in_deep_thread(depth, function, *args, **kwargs)


def _in_deep_stack() -> bool:
    """True in the thread that runs with a deep stack."""
    import threading  # loaded already in practice (Click imports it); once, in any case

    return _State.deep_thread is threading.current_thread()


def _in_deep_thread(depth: int, function: Callable[..., T], *args: object, **kwargs: object) -> T:
    import threading

    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        _State.deep_thread = threading.current_thread()
        try:
            result.append(_guarded(function, *args, **kwargs))
        except BaseException as error:  # handed to the calling thread, re-raised there
            failure.append(error)

    limit = sys.getrecursionlimit()
    previous = threading.stack_size()
    try:
        sys.setrecursionlimit(max(limit, depth * _FRAMES_PER_LEVEL + 1000))
        threading.stack_size(_STACK_BYTES)
        worker = threading.Thread(target=target, name="calcstep-deep", daemon=True)
        worker.start()
        worker.join()
    except RuntimeError:  # no thread to be had (an address-space limit, say)
        raise LimitError(
            "the expression is nested too deeply for the memory available",
            hint="lower the nesting, or allow the process more memory",
        ) from None
    finally:
        threading.stack_size(previous)
        # the main thread's own stack is small: give it back its usual limit
        sys.setrecursionlimit(limit)
    if failure:
        raise failure[0]
    return result[0]


def _guarded(function: Callable[..., T], *args: object, **kwargs: object) -> T:
    try:
        return function(*args, **kwargs)
    except RecursionError:
        raise _too_deep() from None


def _too_deep() -> LimitError:
    return LimitError(
        "the expression is nested too deeply to process",
        hint="lower the nesting, or raise --max-depth only together with the stack",
    )


def deep(function: Callable[..., T]) -> Callable[..., T]:
    """Decorator for functions whose first argument is an Expr (or has `.depth`):
    they run with room for that expression's depth."""

    def wrapper(first, *args, **kwargs):
        try:
            depth = first._depth  # an expression's, read from its slot (no property call)
        except AttributeError:
            depth = getattr(first, "depth", 0)
        if depth > _SHALLOW:
            return run_deep(depth, function, first, *args, **kwargs)
        # run_deep's shallow case, inlined: printers call this tens of thousands of
        # times a batch, and a call more each time shows
        try:
            return function(first, *args, **kwargs)
        except RecursionError:
            return _retried(function, first, *args, **kwargs)

    return _named_after(function, wrapper)


def deep_unary(function: Callable[[Any], T]) -> Callable[[Any], T]:
    """`deep` for a function of its expression alone, called without packing other
    arguments: packing an empty tuple and dict cost the text printer's writer,
    called for every text not yet written, two thirds of its wrapper's time."""

    def wrapper(first):
        depth = first._depth
        if depth > _SHALLOW:
            return run_deep(depth, function, first)
        try:
            return function(first)
        except RecursionError:
            return _retried(function, first)

    return _named_after(function, wrapper)


def _retried(function: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Work on shallow input that overflowed the ordinary stack, run again with
    room (or refused, when it already had the deep stack)."""
    if _in_deep_stack():
        raise _too_deep() from None
    return _in_deep_thread(_RETRY_DEPTH, function, *args, **kwargs)


def _named_after(function: Callable[..., T], wrapper: Callable[..., T]) -> Callable[..., T]:
    wrapper.__name__ = function.__name__
    wrapper.__qualname__ = function.__qualname__
    wrapper.__doc__ = function.__doc__
    wrapper.__wrapped__ = function  # type: ignore[attr-defined]
    return wrapper
