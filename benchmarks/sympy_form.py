"""calcstep's expression text read by SymPy, for the side-by-side benchmarks.

Inputs from the corpus and calcstep's canonical `result` text are parsed with
`sympy.parse_expr`: `^` is a power, `e` is Euler's number, `ln`/`log` the natural
logarithm, `abs` is `Abs`, and every other name is a *real* symbol.  A derivative
of an abstract function, `f'(u)`, becomes a function of its own, `f_d1(u)`, which
is enough to count operations.  SymPy is imported only when this module is used.
"""

from __future__ import annotations

import re
from typing import Any

_NAME = re.compile(r"([A-Za-z_][A-Za-z_0-9]*)\s*(\(?)")
_PRIMED = re.compile(r"([A-Za-z_][A-Za-z_0-9]*)('+)\(")


def _functions(sp: Any) -> dict[str, Any]:
    """Every function spelling calcstep knows, as SymPy functions."""
    table: dict[str, Any] = {
        "exp": sp.exp, "sqrt": sp.sqrt, "cbrt": lambda u: sp.real_root(u, 3),
        "ln": sp.log, "log": sp.log, "log10": lambda u: sp.log(u, 10),
        "log2": lambda u: sp.log(u, 2), "lg": lambda u: sp.log(u, 10),
        "abs": sp.Abs, "sign": sp.sign, "sgn": sp.sign,
        "heaviside": sp.Heaviside, "step": sp.Heaviside,
        "sigmoid": lambda u: 1 / (1 + sp.exp(-u)),
        "softplus": lambda u: sp.log(1 + sp.exp(u)),
        "relu": lambda u: sp.Max(0, u), "ReLU": lambda u: sp.Max(0, u),
        "cosec": sp.csc, "cotan": sp.cot,
    }
    trig = ("sin", "cos", "tan", "sec", "csc", "cot")
    for name in trig:
        table[name] = getattr(sp, name)
        table[name + "h"] = getattr(sp, name + "h")
        for prefix in ("a", "arc", "ar"):
            table[prefix + name] = getattr(sp, "a" + name)
            table[prefix + name + "h"] = getattr(sp, "a" + name + "h")
    table["arccosec"] = sp.acsc
    return table


def _log_base(sp: Any, base_text: str) -> Any:
    """The logarithm to a base, for calcstep's `log_b(u)` spellings."""
    base = sp.Rational(base_text) if base_text.replace(".", "", 1).isdigit() else sp.Symbol(base_text)
    return lambda u: sp.log(u, base)


class SympyReader:
    """Reads calcstep text into SymPy expressions with real symbols."""

    def __init__(self) -> None:
        import sympy as sp
        from sympy.parsing.sympy_parser import (
            convert_xor,
            implicit_multiplication,
            standard_transformations,
        )

        self.sp = sp
        self.functions = _functions(sp)
        self.transformations = (*standard_transformations, implicit_multiplication, convert_xor)
        self.symbols: dict[str, Any] = {}

    def symbol(self, name: str) -> Any:
        """The real SymPy symbol called `name` (one per name, shared by all reads)."""
        if name not in self.symbols:
            self.symbols[name] = self.sp.Symbol(name, real=True)
        return self.symbols[name]

    def read(self, text: str, evaluate: bool = True) -> Any:
        """`text` as a SymPy expression; raises ValueError when SymPy cannot read it."""
        text = _PRIMED.sub(lambda m: f"{m.group(1)}_d{len(m.group(2))}(", text)
        names: dict[str, Any] = {"e": self.sp.E, "pi": self.sp.pi}
        for name, called in set(_NAME.findall(text)):
            names.setdefault(name, self._meaning(name, bool(called)))
        try:
            return self.sp.parse_expr(text, local_dict=names, transformations=self.transformations,
                                      evaluate=evaluate)
        except Exception as error:  # SymPy raises many kinds; the caller counts them
            raise ValueError(f"SymPy cannot read {text[:60]!r}: {error}") from None

    def _meaning(self, name: str, called: bool) -> Any:
        """What `name` stands for: a known function, a logarithm to a base, an
        abstract function (a name applied to an argument) or a real symbol."""
        if not called:
            return self.symbol(name)
        if name in self.functions:
            return self.functions[name]
        if name.startswith("log_") and len(name) > 4:
            return _log_base(self.sp, name[4:])
        return self.sp.Function(name)

    def count_ops(self, expr: Any) -> int:
        """SymPy's operation count of `expr`."""
        return int(self.sp.count_ops(expr))
