"""Renderers: one module per output format, each a pure function from a report
to text (or, for the terminal, to a Rich renderable).  They spell what the engine
computed; none of them computes mathematics.

`Style` bundles the spelling a format uses: how to write an expression, a
derivative operator, an arrow; `render.common` walks a derivation with it.
"""

from __future__ import annotations

from typing import NamedTuple


class RenderOptions(NamedTuple):
    """What to show: the steps, the why of each step, and whether to stay in ASCII."""

    steps: bool = True
    explain: bool = False
    ascii: bool = False
