"""Resource limits: how big an input, and how big a piece of work, calcstep accepts.

Every limit has a default that a person will not meet by accident and that keeps
each answer within seconds and well under a gigabyte; the command line can raise
or lower each (see `calcstep diff --help`, section "Limits").
"""

from __future__ import annotations

from typing import NamedTuple


class Limits(NamedTuple):
    """The limits in force for one run.

    max_length: characters in one expression (500,000: the longest line of
        distinct terms answers, steps and all, in about five seconds);
    max_depth: nesting depth of an expression (brackets, compositions, powers);
    max_size: nodes in any expression calcstep builds, counting repeats;
    max_digits: digits in one number, typed or computed;
    max_order: the highest derivative order.
    """

    max_length: int = 500_000
    max_depth: int = 20_000
    max_size: int = 100_000_000
    max_digits: int = 10_000
    max_order: int = 10_000


DEFAULT_LIMITS = Limits()
