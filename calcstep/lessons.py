"""Why each differentiation rule holds: a lesson per rule, as data.

For every rule id in `calcstep.rules.RULES` there is a `Lesson`: a one-line
`summary` (the "why" column of `calcstep rules`), a few sentences saying `why`
the rule holds, a `picture` drawn in plain text where one helps, and `explain`,
the sentence `calcstep diff --explain` writes beside a step that uses the rule.

`explain` is a `str.format` template.  Its fields are `target` (the expression
being differentiated), `var` (the variable) and the names the rule function
gives its parts (the step's `given`), listed in `Lesson.fields`: `c` and `u` for
a constant multiple, `g` and `h` for a product, `u` and `outer` for the chain
rule, and so on.  Templates are plain ASCII words, so they read the same with
`--ascii`.

Pictures are at most 76 columns wide and may use Unicode box drawing;
`ascii_art` turns one into plain ASCII without moving a line or a box edge, and
`to_ascii` does the same for prose.  This module is pure data: it imports no
other part of calcstep (rules.py reads its templates).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

PICTURE_WIDTH = 76


@dataclass(frozen=True, slots=True)
class Lesson:
    """Why one rule holds, and how a derivation says why it applies.

    `picture` is text art (Unicode, at most 76 columns), or "" when the formula
    says it all; `fields` are the given names `explain` may use besides
    `target` and `var`; `see_also` are ids of related rules."""

    id: str
    summary: str
    why: str
    explain: str
    picture: str = ""
    fields: tuple[str, ...] = ()
    see_also: tuple[str, ...] = ()


def art(text: str) -> str:
    """A picture written as an indented triple-quoted string, made flush left
    with no blank first or last line and no trailing spaces."""
    lines = textwrap.dedent(text).strip("\n").splitlines()
    return "\n".join(line.rstrip() for line in lines)


def prose(text: str) -> str:
    """A paragraph written across several source lines, as one line."""
    return " ".join(text.split())


# ---------------------------------------------------------------------------
# ASCII spellings
# ---------------------------------------------------------------------------

# one character for one: box drawing, arrows, and symbols with a one-letter stand-in
_ONE_FOR_ONE = str.maketrans(
    {
        "─": "-", "━": "=", "│": "|", "┃": "|",
        "┌": "+", "┐": "+", "└": "+", "┘": "+", "├": "+", "┤": "+", "┬": "+",
        "┴": "+", "┼": "+", "╭": "+", "╮": "+", "╰": "+", "╯": "+",
        "▶": ">", "►": ">", "◀": "<", "◄": "<", "▼": "v", "▲": "^",
        "●": "o", "○": "o", "•": "*", "·": "*", "×": "*", "÷": "/",
        "−": "-", "–": "-", "′": "'", "″": "''", "░": ":", "▒": "#",
        "╱": "/", "╲": "\\", "“": '"', "”": '"', "‘": "'", "’": "'",
        "₁": "1", "₂": "2", "₃": "3", "ₖ": "k", "ₙ": "n", "≈": "~",
    }
)

# symbols that need several ASCII characters
_WIDE = {
    "⁻¹": "^-1",
    "²": "^2",
    "³": "^3",
    "ⁿ": "^n",
    "√": "sqrt",
    "σ": "sigma",
    "π": "pi",
    "→": "->",
    "⇔": "<=>",
    "…": "...",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "±": "+/-",
    "—": "--",
}

_SUPERSCRIPTS = "²³ⁿ"


def to_ascii(text: str) -> str:
    """Prose in plain ASCII: x² → x^2, cos²x → cos^2 x, σ → sigma, · → *."""
    text = re.sub(f"([{_SUPERSCRIPTS}])(?=[A-Za-z])", r"\1 ", text)
    text = re.sub(r"√(\w+)", r"sqrt(\1)", text)  # √x → sqrt(x); √(x + 1) keeps its own brackets
    for symbol, spelled in _WIDE.items():
        text = text.replace(symbol, spelled)
    return text.translate(_ONE_FOR_ONE)


def ascii_art(picture: str) -> str:
    """A picture in plain ASCII with every column kept where it was: when a
    symbol needs more letters (x² → x^2), the extra columns are taken back from
    the next run of two or more spaces on the line, so box edges and arrows
    further along stay in place."""
    return "\n".join(_ascii_line(line) for line in picture.splitlines())


def _ascii_line(line: str) -> str:
    out: list[str] = []
    debt = 0  # columns the line has grown by so far
    i = 0
    while i < len(line):
        symbol = next((s for s in _WIDE if line.startswith(s, i)), None)
        if symbol is not None:
            out.append(_WIDE[symbol])
            debt += len(_WIDE[symbol]) - len(symbol)
            i += len(symbol)
            continue
        run = len(line) - i - len(line[i:].lstrip(" "))
        if run >= 2 and debt:
            taken = min(debt, run - 1)
            out.append(" " * (run - taken))
            debt -= taken
            i += run
            continue
        out.append(line[i].translate(_ONE_FOR_ONE))
        i += 1
    return "".join(out)


def width(picture: str) -> int:
    """The widest line of a picture, in columns."""
    return max((len(line) for line in picture.splitlines()), default=0)


# ---------------------------------------------------------------------------
# Pictures
# ---------------------------------------------------------------------------

CONSTANT = art(
    """
      y
      ▲
    c ┼━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━  y = c, a flat line: slope 0
      │
      │        x    x+dx
      └────────┼────┼───────────────────────▶ x
               move x by dx: the height c does not move, dc = 0
    """
)

VARIABLE = art(
    """
      y
      ▲                     ╱
      │                   ╱
      │                 ╱ │
      │               ╱   │ dx   up by dx
      │             ╱─────┘
      │           ╱   dx         across by dx
      │         ╱
      │       ╱
      └─────╱─────────────────▶ x
      y = x: every step across is the same step up, so the slope is 1
    """
)

CONSTANT_MULTIPLE = art(
    """
    nudge x by dx (here c = 3):

      f    moves by  df        ├─────┤
      3·f  moves by  3·df      ├─────┼─────┼─────┤   three times as far

    every change is scaled by c, so (c·f)′ = c·f′: c rides along as a factor
    """
)

SUM = art(
    """
    g + h as two lengths laid end to end:

      ├─────────── g ───────────┼──────── h ────────┤

    nudge x by dx: each piece grows by its own change

      ├─────────── g ───────────┼▒▒▒┼──────── h ────────┼▒▒▒▒▒▒┤
                                  dg                       dh
                          dg ≈ g′(x)·dx             dh ≈ h′(x)·dx

    the whole grows by  dg + dh = g′(x)·dx + h′(x)·dx,  so  (g + h)′ = g′ + h′
    """
)

PRODUCT = art(
    """
           ├───────────── g ────────────┼─── dg ───┤
           ┌────────────────────────────┬──────────┐
       dh  │     top sliver: g·dh       │  dg·dh   │ ◄── corner: tiny × tiny
           ├────────────────────────────┼──────────┤
           │                            │          │
           │                            │  right   │
        h  │          area g·h          │  sliver: │
           │      (before the nudge)    │   h·dg   │
           │                            │          │
           └────────────────────────────┴──────────┘

    nudge x: the width g grows by dg and the height h by dh
      new area − old area = g·dh + h·dg + dg·dh
      the corner dg·dh shrinks far faster than the slivers: drop it
      d(g·h) = g·dh + h·dg     divide by dx:     (g·h)′ = g·h′ + h·g′
      "left d-right plus right d-left"
    """
)

PRODUCT_N = art(
    """
    three factors: a box with sides f₁, f₂, f₃ and volume f₁·f₂·f₃
    nudge x: every side grows a little, and every face gains a thin slab

      f₁ grows:   df₁ · f₂  · f₃     the slab on the f₂·f₃ face  ┐
      f₂ grows:   f₁  · df₂ · f₃     the slab on the f₁·f₃ face  ├── add
      f₃ grows:   f₁  · f₂  · df₃    the slab on the f₁·f₂ face  ┘

    where slabs meet (df₁·df₂·f₃, …): two tiny changes multiplied, dropped
    (f₁·f₂·f₃)′ = f₁′·f₂·f₃ + f₁·f₂′·f₃ + f₁·f₂·f₃′
    n factors: n terms, each one factor's rate times all the others
    """
)

QUOTIENT = art(
    """
    q = g/h is the width of a rectangle whose height is h and area is g:

           ├────────── q ─────────┼── dq ──┤
           ┌──────────────────────┬────────┐
       dh  │        q·dh          │        │ ◄── corner: tiny × tiny
           ├──────────────────────┼────────┤
           │                      │        │
        h  │        area g        │  h·dq  │
           │                      │        │
           └──────────────────────┴────────┘

    nudge x: the area changes by dg = q·dh + h·dq (the product rule), so
      dq = (dg − q·dh)/h = (h·dg − g·dh)/h²
      (g/h)′ = (h·g′ − g·h′)/h²       low d-high minus high d-low, over low²
    """
)

POWER = art(
    """
    x² is a square with side x; nudge x by dx:

           ├───────── x ────────┼── dx ──┤
           ┌────────────────────┬────────┐
       dx  │        x·dx        │ dx·dx  │ ◄── corner: tiny × tiny
           ├────────────────────┼────────┤
           │                    │        │
        x  │       area x²      │  x·dx  │
           │                    │        │
           └────────────────────┴────────┘

      (x²)′ = 2x              the square gains two strips x·dx
      (x³)′ = 3x²             a cube gains three slabs x²·dx
      (xⁿ)′ = n·x^(n − 1)     n factors of x gain n slivers x^(n − 1)·dx
    """
)

CHAIN = art(
    """
    x-line  ─────────┼──┼────────────────────────────────▶
                     x  x+dx                     a nudge dx
                     │
                     │  × g′(x)    g stretches (or squeezes) the nudge
                     ▼
    g-line  ─────────┼──────┼────────────────────────────▶
                     g      g+dg                 dg = g′(x)·dx
                     │
                     │  × f′(g)    f stretches it again, at g, not at x
                     ▼
    f-line  ─────────┼──────────────┼────────────────────▶
                     f              f+df         df = f′(g)·dg

    df = f′(g)·dg = f′(g(x))·g′(x)·dx
    divide by dx:   d/dx f(g(x)) = f′(g(x))·g′(x)
    """
)

CHAIN_N = art(
    """
    x-line  ─────┼─┼─────────────────────────────▶   dx
                 │  × h′(x)
                 ▼
    h-line  ─────┼───┼───────────────────────────▶   dh = h′(x)·dx
                 │  × g′(h)
                 ▼
    g-line  ─────┼──────┼────────────────────────▶   dg = g′(h)·dh
                 │  × f′(g)
                 ▼
    f-line  ─────┼──────────┼────────────────────▶   df = f′(g)·dg

    df = f′(g(h(x)))·g′(h(x))·h′(x)·dx
    one local rate per stage, each taken at the value fed into that stage
    """
)

EXP = art(
    """
    for any base a:  a^(x+dx) − a^x = a^x·(a^dx − 1)
    so the rate of a^x is a^x times (a^dx − 1)/dx, a number set by a alone:

         a = 2        (2^dx − 1)/dx  ≈  0.693
         a = e        (e^dx − 1)/dx  ≈  1.000    ◄── the one base giving 1
         a = 3        (3^dx − 1)/dx  ≈  1.099         (dx = 0.0001)

    so (e^x)′ = e^x, and for any other base (a^x)′ = a^x·ln a
    """
)

EXPONENTIAL = art(
    """
    a^x = (e^(ln a))^x = e^(x·ln a)
              │
              │  chain rule: the outer e^u is its own rate,
              │  the inner u = x·ln a has the constant rate ln a
              ▼
    (a^x)′ = e^(x·ln a)·ln a = a^x·ln a

    (2^x)′ = 2^x·ln 2 ≈ 0.693·2^x          (10^x)′ = 10^x·ln 10 ≈ 2.303·10^x
    not the power rule: (2^x)′ is not x·2^(x − 1)
    """
)

GENERAL_POWER = art(
    """
    y = f^g                       base and exponent both change
          │
          │  take ln of both sides
          ▼
    ln y = g·ln f                 now a product
          │
          │  differentiate: chain rule on the left, product rule on the right
          ▼
    y′/y = g′·ln f + g·f′/f
          │
          │  multiply by y = f^g
          ▼
    y′ = f^g·(g′·ln f + g·f′/f)
    """
)

LN = art(
    """
    y = ln x means x = e^y: the same curve, with input and output swapped

                            ╱│
                          ╱  │
                        ╱    │  dx = e^y·dy = x·dy
                      ╱      │  (e^y grows at its own size)
                    ●────────┘
                        dy

    one small triangle, two readings:
      across dy, up dx:   dx/dy = x      the slope of e^y
      across dx, up dy:   dy/dx = 1/x    the slope of ln x, so (ln x)′ = 1/x
    """
)

UNIT_CIRCLE = art(
    """
         ▲ y                                    the step, close up:
         │
         │· ··· ·                                  P′ ●◄─ sin x·dx ─┐
         │       ·· ··                                  ╲           │
         │            ···                                 ╲         │
         │               ··                                 ╲       │ cos x·dx
         │                 ··                           dx    ╲     │
         │                  .● P                                ╲   │
         │                ...│ ··                                 ╲ │
         │             ...   │  ·                                   ● P
         │     1    ...      │   ·
         │        ...  sin x │    ·
         │      ...          │    ·
         │   ...             │     ·
         │...   x            │     ·
    ─────┼───────────────────┴───────────▶ x
         O      cos x              1

    P = (cos x, sin x) turns by a tiny angle dx (in radians) to P′: it moves
    dx along the circle, at right angles to the radius. The step's triangle
    is the radius triangle turned a quarter turn: up cos x·dx, left sin x·dx.
    So (sin x)′ = cos x and (cos x)′ = −sin x.
    """
)

ABS = art(
    """
                           y
       ╲                   │                   ╱
         ╲     y = −x      │      y = x      ╱
           ╲   slope −1    │    slope +1   ╱
             ╲             │             ╱
               ╲           │           ╱
                 ╲         │         ╱
                   ╲       │       ╱
                     ╲     │     ╱
                       ╲   │   ╱
                         ╲ │ ╱
    ───────────────────────●───────────────────────▶ x
                   corner at 0: no single slope there
    """
)

SIGN = art(
    """
                           y
                           │
                        +1 ○━━━━━━━━━━━━━━━━━━━━━━  flat: slope 0
                           │
    ───────────────────────●───────────────────────▶ x
                           │   sign(0) = 0; a jump at 0, no slope there
    ━━━━━━━━━━━━━━━━━━━━━━━○ −1                     flat: slope 0
                           │
    """
)

RELU = art(
    """
                           y
                           │                    ╱
                           │                  ╱
                           │                ╱   y = x: slope 1
                           │              ╱
                           │            ╱
                           │          ╱
                           │        ╱
                           │      ╱
           y = 0: slope 0  │    ╱
                           │  ╱
    ━━━━━━━━━━━━━━━━━━━━━━━●───────────────────────▶ x
                 corner at 0: the slope jumps from 0 to 1
    """
)

HEAVISIDE = art(
    """
                           y
                           │
                         1 ○━━━━━━━━━━━━━━━━━━━━━━  flat: slope 0
                           │
    ━━━━━━━━━━━━━━━━━━━━━━━○───────────────────────▶ x
           flat: slope 0       a jump at 0: no slope there
    """
)

SIGMOID = art(
    """
     σ(x)
      1 ┤- - - - - - - - - - - - - - - - - - - - - - - - - - - - -
        │                                        ···············
        │                                   ·····
        │                                ···      flat: slope near 0
        │                              ··
    1/2 ┤- - - - - - - - - - - - - - -●    steepest at x = 0,
        │                           ··       where σ·(1 − σ) = 1/4
        │                         ··
        │                       ··
        │  flat: slope near 0 ···
        │                ·····
      0 ┼················──────────────────────────────────────────▶ x
                                      0
    """
)

SOFTPLUS = art(
    """
    softplus(x) = ln(1 + e^x)
          │
          │  chain rule: outer ln u has rate 1/u, inner 1 + e^x has rate e^x
          ▼
    softplus′(x) = e^x/(1 + e^x) = 1/(1 + e^(−x)) = σ(x)

    far left: ≈ 0 (softplus ≈ 0)     far right: ≈ 1 (softplus ≈ x)
    """
)


# ---------------------------------------------------------------------------
# The lessons
# ---------------------------------------------------------------------------


def _function(
    name: str, summary: str, why: str, explain: str, picture: str = "",
    see_also: tuple[str, ...] = (),
) -> Lesson:
    """The lesson of a rule for a known function (sin, ln, ...): its template
    has only {target} and {var}."""
    return Lesson(name, summary, prose(why), prose(explain), picture, (), see_also)


_BASICS: tuple[Lesson, ...] = (
    Lesson(
        "constant",
        "A constant never changes, so its rate of change is 0.",
        prose(
            """A constant has the same value whatever x is. Move x by dx and the
            constant moves by nothing at all, so its rate is 0/dx = 0. On a graph
            y = c is a flat line, and a flat line has slope 0. The same goes for
            anything that does not involve the variable: differentiating by x,
            a letter y, or sin(y), is held fixed and counts as a constant."""
        ),
        prose(
            """{target} does not depend on {var}: when {var} moves, it stays where
            it is, so its rate is 0."""
        ),
        CONSTANT,
        see_also=("constant-multiple", "variable"),
    ),
    Lesson(
        "variable",
        "A nudge dx moves x by exactly dx: rate 1.",
        prose(
            """The function f(x) = x hands back its input unchanged. Nudge x by dx
            and the output moves by the same dx, so the rate is dx/dx = 1. Its
            graph is the diagonal line y = x, which rises one unit for every unit
            across: slope 1."""
        ),
        prose(
            """{target} is the variable itself: a nudge d{var} moves it by exactly
            d{var}, so its rate is 1."""
        ),
        VARIABLE,
        see_also=("constant", "power"),
    ),
    Lesson(
        "constant-multiple",
        "Scaling by c scales every change, so the rate, by c.",
        prose(
            """Multiplying a function by a constant c stretches its graph
            vertically by c. Nudge x: f changes by about f′(x)·dx, so c·f changes
            by c times that, c·f′(x)·dx. The constant rides along as a factor:
            (c·f)′ = c·f′. (A constant added instead of multiplied shifts the
            graph without tilting it, so it drops out: its rate is 0.)"""
        ),
        prose(
            """{target} is the constant {c} times {f}: every change in {f} is
            scaled by {c}, so keep {c} as a factor and differentiate {f}."""
        ),
        CONSTANT_MULTIPLE,
        ("c", "f"),
        ("constant", "sum"),
    ),
    Lesson(
        "abstract",
        "Nothing is known of f but its rate, written f′.",
        prose(
            """f, g and h stand for functions about which nothing is known except
            that they have a rate. The rate of f is written f′, and each further
            derivative adds a prime (f′′ is the rate of f′). The other
            rules still work around them; that is how the rules themselves are
            stated: d/dx f(x²) = f′(x²)·2x by the chain rule, and
            d/dx [f(x)·g(x)] = f(x)·g′(x) + g(x)·f′(x) by the product rule."""
        ),
        prose(
            """{target} is a function about which nothing is known, applied to
            {var}: nothing more is known of its rate either, so the rate is written
            with one more prime."""
        ),
        fields=("f",),
        see_also=("chain", "product"),
    ),
)

_COMBINATIONS: tuple[Lesson, ...] = (
    Lesson(
        "sum",
        "Each term changes by its own rate; the changes add.",
        prose(
            """Nudge x by a tiny dx. The term g changes by about g′(x)·dx and the
            term h by about h′(x)·dx. The sum g + h changes by the two changes put
            together, g′(x)·dx + h′(x)·dx, so its rate is g′(x) + h′(x): rates
            add. A difference is a sum with a minus sign, so (g − h)′ = g′ − h′,
            and any number of terms works the same way."""
        ),
        prose(
            """{target} is a sum: a nudge in {var} changes each term by its own
            rate, and the changes simply add up, so differentiate term by
            term."""
        ),
        SUM,
        see_also=("constant-multiple", "product"),
    ),
    Lesson(
        "product",
        "The rectangle g·h grows slivers g·dh and h·dg, not g′·h′.",
        prose(
            """Picture g(x)·h(x) as the area of a rectangle, g wide and h tall.
            Nudge x by dx: the width grows by dg and the height by dh. The area
            gains three pieces: a sliver h·dg down one side, a sliver g·dh along
            the other, and a corner dg·dh. The corner is a tiny change times a
            tiny change; as dx shrinks it vanishes far faster than the slivers,
            so it does not count. So d(g·h) = g·dh + h·dg, and dividing by dx,
            (g·h)′ = g·h′ + h·g′: "left d-right plus right d-left". It is not
            g′·h′: the area grows from two sides at once, so there are two
            terms."""
        ),
        prose(
            """{target} is a product of {g} and {h}: picture a rectangle with those
            sides. A nudge in {var} grows both sides at once, adding a sliver along
            each (the corner where they meet is too small to count), so the rate is
            {g} times the rate of {h}, plus {h} times the rate of {g}."""
        ),
        PRODUCT,
        ("g", "h"),
        ("product-n", "quotient", "power"),
    ),
    Lesson(
        "product-n",
        "One sliver per factor: its rate times all the others.",
        prose(
            """With three factors, picture a box of volume f₁·f₂·f₃. A nudge
            thickens it by one thin slab per face: df₁·f₂·f₃, f₁·df₂·f₃ and
            f₁·f₂·df₃. Where slabs meet, the pieces carry two or three tiny
            changes multiplied together and vanish as dx shrinks. So the rate is
            a sum with one term per factor: that factor differentiated, all the
            others left as they are. Any number of factors works the same way,
            and it is what the two-factor product rule gives when applied over
            and over."""
        ),
        prose(
            """{target} is a product of {n} factors: a nudge in {var} changes each
            factor in turn while the others hold still, so the rate has one term
            per factor, that factor's rate times all the others."""
        ),
        PRODUCT_N,
        ("n",),
        ("product",),
    ),
    Lesson(
        "quotient",
        "Low d-high minus high d-low, over low squared.",
        prose(
            """Let q = g/h, so g = q·h: q is the width of a rectangle of height h
            and area g. Nudge x: the area changes by dg, the height by dh, and
            the width by dq. By the product rule dg = q·dh + h·dq (the corner is
            negligible again). Solving, dq = (dg − q·dh)/h = (h·dg − g·dh)/h²,
            and dividing by dx, (g/h)′ = (h·g′ − g·h′)/h². The order in the
            numerator matters, because of the minus sign, and so does the square
            below. (The same result comes from g·h⁻¹ with the product and chain
            rules.)"""
        ),
        prose(
            """{target} is a quotient of {g} by {h}, both changing with {var}: its
            rate is {h} times the rate of {g}, minus {g} times the rate of {h},
            all over {h} squared (low d-high minus high d-low, over low
            squared)."""
        ),
        QUOTIENT,
        ("g", "h"),
        ("product", "chain"),
    ),
    Lesson(
        "chain",
        "A nudge passes each stage, multiplied by its local rate.",
        prose(
            """In f(g(x)), x is fed into g and the value g(x) is fed into f. Follow
            a nudge dx through the stages, on three stacked number lines. Moving
            x by dx moves g by dg = g′(x)·dx: g stretches or squeezes the nudge by
            its local rate. That change dg moves f by df = f′(g)·dg: f stretches
            it by its own local rate, taken at the point g where it is fed, not
            at x. Together, df = f′(g(x))·g′(x)·dx, so
            d/dx f(g(x)) = f′(g(x))·g′(x). Two habits follow: leave the inside
            alone inside the outer rate (cos(x²), never cos(x)), and never forget
            to multiply by the inner rate (the 2x)."""
        ),
        prose(
            """{target} is a composition: the inner value {u} is fed into the
            outer function {outer}. A nudge in {var} moves {u}, which moves the
            outer function, so the rate is the outer rate, taken at {u}, times
            the rate of {u}."""
        ),
        CHAIN,
        ("u", "outer"),
        ("chain-n", "product"),
    ),
    Lesson(
        "chain-n",
        "One local rate per stage; the rates multiply.",
        prose(
            """A deeper composition such as f(g(h(x))) is the same picture with
            more number lines. The nudge dx is multiplied by h′(x) on its way to
            the h-line, by g′(h) on its way to the g-line and by f′(g) on its way
            to the f-line: df = f′(g(h(x)))·g′(h(x))·h′(x)·dx. Each stage adds one
            local rate, taken at the value fed into that stage. This is what
            backpropagation does in a neural network, layer by layer: when many
            of the rates are small the product shrinks toward 0 (vanishing
            gradients), when many are large it blows up (exploding
            gradients)."""
        ),
        prose(
            """{target} is a chain of {n} functions, each fed into the next: a
            nudge in {var} falls through every stage, so the rate is the product
            of the {n} local rates, each taken at the value fed into its
            stage."""
        ),
        CHAIN_N,
        ("n",),
        ("chain",),
    ),
)

_POWERS_AND_LOGS: tuple[Lesson, ...] = (
    Lesson(
        "power",
        "n factors of x: a nudge adds n slivers x^(n−1)·dx.",
        prose(
            """For a whole number n, xⁿ is x·x·…·x, n factors. Nudge x: each factor
            in turn changes by dx while the other n − 1 hold still, so the
            product gains n equal slivers of size x^(n−1)·dx (the pieces with two
            or more dx's are negligible). For x² that is a square growing two
            strips x·dx; for x³ a cube growing three slabs x²·dx. The rule holds
            for every constant exponent, fractions and negatives too:
            √x = x^(1/2) has rate 1/(2√x), and 1/x = x⁻¹ has rate −1/x². (Write
            xⁿ = e^(n·ln x); the chain rule gives xⁿ·n/x = n·x^(n−1).) The
            exponent must be constant: with x in the exponent, as in 2^x, use
            the exponential rule."""
        ),
        prose(
            """{target} is {var} to the constant power {n}: bring the power {n}
            down in front as a factor, and lower the power by one."""
        ),
        POWER,
        ("n",),
        ("product-n", "exponential", "general-power"),
    ),
    Lesson(
        "exp",
        "e is the base whose exponential grows at its own size.",
        prose(
            """For any base a, a^(x+dx) − a^x = a^x·(a^dx − 1): the change is the
            current value times a factor that depends on dx but not on x. So the
            rate of a^x is a^x times the number (a^dx − 1)/dx, taken as dx
            shrinks to 0. For a = 2 that number is about 0.693, for a = 3 about
            1.099; e ≈ 2.718 is the base in between where it is exactly 1. So
            e^x is its own rate: (e^x)′ = e^x."""
        ),
        prose(
            """{target} is e raised to {var} itself, and e is the base whose
            exponential grows at exactly its own size, so the rate is {target}
            again."""
        ),
        EXP,
        see_also=("exponential", "ln"),
    ),
    Lesson(
        "exponential",
        "a^x = e^(x·ln a): its own size times the constant ln a.",
        prose(
            """A constant base a > 0 is a power of e: a = e^(ln a), so
            a^x = e^(x·ln a). By the chain rule its rate is e^(x·ln a)·ln a =
            a^x·ln a. Put another way, a^x grows at a rate proportional to its own
            size, and the constant of proportionality is ln a: about 0.693 for 2,
            exactly 1 for e. Here x is in the exponent, so the power rule does not
            apply: the rate of 2^x is not x·2^(x−1)."""
        ),
        prose(
            """{target} has the constant base {a} and {var} in the exponent, so
            it is not the power rule: it equals `e^({var}*ln({a}))`, so its rate is
            {target} times the constant `ln({a})`."""
        ),
        EXPONENTIAL,
        ("a",),
        ("exp", "power", "general-power"),
    ),
    Lesson(
        "general-power",
        "Both base and exponent vary: differentiate ln y = g·ln f.",
        prose(
            """In f(x)^g(x) both the base and the exponent change with x, so
            neither the power rule (constant exponent) nor the exponential rule
            (constant base) fits. Take natural logarithms: y = f^g gives
            ln y = g·ln f, a product the product and chain rules can handle.
            Differentiating both sides, y′/y = g′·ln f + g·f′/f, and multiplying
            by y, (f^g)′ = f^g·(g′·ln f + g·f′/f). When g is constant the first
            term vanishes and the power rule is back; when f is constant the
            second vanishes and the exponential rule is back. It needs f > 0,
            where ln f is defined."""
        ),
        prose(
            """{target} has {var} in both the base {f} and the exponent {g}, so
            neither the power rule nor the exponential rule fits: take logarithms,
            ln y = `{g}*ln({f})`, differentiate that, and
            multiply by y = {target}."""
        ),
        GENERAL_POWER,
        ("f", "g"),
        ("power", "exponential", "ln"),
    ),
    Lesson(
        "logarithm-base",
        "log_b x = ln x / ln b: ln x scaled by the constant 1/ln b.",
        prose(
            """A logarithm to any constant base is a natural logarithm divided by
            a constant: log_b x = ln x / ln b (if b^y = x then y·ln b = ln x).
            Dividing by the constant ln b divides the rate by it too, so
            (log_b x)′ = 1/(x·ln b): about 0.434/x for base 10, and 1/x for
            base e."""
        ),
        prose(
            """{target} is a logarithm to the constant base {b}: it is
            `ln({var})/ln({b})`, and `ln({b})` is a constant, so its rate is
            `1/({var}*ln({b}))`."""
        ),
        fields=("b",),
        see_also=("ln", "change-of-base"),
    ),
    Lesson(
        "change-of-base",
        "A varying base: rewrite as ln u / ln b, then differentiate.",
        prose(
            """When x appears in the base of a logarithm, no fixed-base rule fits.
            The change-of-base identity log_b u = ln u / ln b (if b^y = u then
            y·ln b = ln u) turns it into a quotient of natural logarithms, which
            the quotient, chain and ln rules can differentiate."""
        ),
        prose(
            """{target} has {var} in its base {b}, so no fixed-base rule fits:
            rewrite it as the ln of {u} divided by the ln of {b}, a quotient of
            natural logarithms, and differentiate that."""
        ),
        fields=("u", "b"),
        see_also=("logarithm-base", "quotient", "ln"),
    ),
)

_TRIG: tuple[Lesson, ...] = (
    _function(
        "sin",
        "The height on the unit circle rises at the rate cos x.",
        """Put a point P on the unit circle at angle x, measured in radians, so
        that it sits at (cos x, sin x). Turn it by a tiny angle dx: it moves a
        distance dx along the circle, at right angles to the radius. The little
        triangle of that step is the radius triangle turned a quarter turn, so
        the step goes up by cos x·dx and sideways by sin x·dx. Its height sin x
        therefore changes by cos x·dx: (sin x)′ = cos x. In degrees every rate
        would carry an extra factor π/180; radians make it 1.""",
        """{target} is sin applied directly to {var}, so the sin rule gives its
        rate, `cos({var})`: the height of a point turning round the unit circle
        rises at that rate.""",
        UNIT_CIRCLE,
        ("cos", "chain"),
    ),
    _function(
        "cos",
        "The point on the unit circle moves sideways at −sin x.",
        """On the unit circle the point at angle x sits at (cos x, sin x).
        Turning it by dx moves it a distance dx at right angles to the radius:
        up by cos x·dx and, while sin x is positive, to the left by sin x·dx.
        So its horizontal position cos x changes by −sin x·dx and
        (cos x)′ = −sin x. The minus sign is the one most often lost: cos falls
        where sin is positive.""",
        """{target} is cos applied directly to {var}, so the cos rule gives its
        rate, `-sin({var})`: the minus sign because the point on the unit circle
        moves left while `sin({var})` is positive.""",
        UNIT_CIRCLE,
        ("sin",),
    ),
    _function(
        "tan",
        "tan = sin/cos; the quotient rule gives 1/cos² = sec².",
        """tan x = sin x / cos x. By the quotient rule its rate is
        (cos x·cos x − sin x·(−sin x))/cos²x = (cos²x + sin²x)/cos²x, and since
        cos²x + sin²x = 1 that is 1/cos²x = sec²x, which can also be written
        1 + tan²x. It is never negative: tan climbs on every piece of its
        graph.""",
        """{target} is tan applied directly to {var}; tan is sin over cos, and
        the quotient rule turns that into `1/cos({var})^2`, which is
        `sec({var})^2`.""",
        see_also=("quotient", "sec"),
    ),
    _function(
        "sec",
        "sec = 1/cos, so its rate is sin/cos² = sec·tan.",
        """sec x = 1/cos x = (cos x)⁻¹. By the chain rule with the power rule
        outside, its rate is −(cos x)^(−2)·(−sin x) = sin x/cos²x, which splits as
        (1/cos x)·(sin x/cos x) = sec x·tan x.""",
        """{target} is sec applied directly to {var}; sec is 1 over cos, and
        differentiating that reciprocal gives `sec({var})*tan({var})`.""",
        see_also=("cos", "chain"),
    ),
    _function(
        "csc",
        "csc = 1/sin, so its rate is −cos/sin² = −csc·cot.",
        """csc x = 1/sin x = (sin x)⁻¹. By the chain rule with the power rule
        outside, its rate is −(sin x)^(−2)·cos x = −cos x/sin²x, which splits as
        −(1/sin x)·(cos x/sin x) = −csc x·cot x.""",
        """{target} is csc applied directly to {var}; csc is 1 over sin, and
        differentiating that reciprocal gives `-csc({var})*cot({var})`.""",
        see_also=("sin", "chain"),
    ),
    _function(
        "cot",
        "cot = cos/sin; the quotient rule gives −1/sin² = −csc².",
        """cot x = cos x / sin x. By the quotient rule its rate is
        (sin x·(−sin x) − cos x·cos x)/sin²x = −(sin²x + cos²x)/sin²x = −1/sin²x
        = −csc²x, which can also be written −(1 + cot²x).""",
        """{target} is cot applied directly to {var}; cot is cos over sin, and
        the quotient rule turns that into `-1/sin({var})^2`, which is
        `-csc({var})^2`.""",
        see_also=("quotient", "csc"),
    ),
)

_INVERSE_TRIG: tuple[Lesson, ...] = (
    _function(
        "asin",
        "arcsin undoes sin: rate 1/cos y, and cos y = √(1 − x²).",
        """y = arcsin x means sin y = x, with y between −π/2 and π/2.
        Differentiate both sides by x, using the chain rule on the left:
        cos y·y′ = 1, so y′ = 1/cos y. On that range cos y ≥ 0, so
        cos y = √(1 − sin²y) = √(1 − x²), and (arcsin x)′ = 1/√(1 − x²), for
        −1 < x < 1. Undoing a function turns its slope into the reciprocal,
        as ln does with e^x.""",
        """{target} is arcsin applied directly to {var}: arcsin undoes sin, so
        its rate is 1 over the rate of sin (cos) at the angle it returns,
        written in terms of {var}.""",
        see_also=("sin", "acos", "ln"),
    ),
    _function(
        "acos",
        "arccos x = π/2 − arcsin x, so its rate is −1/√(1 − x²).",
        """The angles arcsin x and arccos x add up to π/2 for every x in
        [−1, 1] (they are the two acute angles of the same right triangle when
        x > 0). So arccos x = π/2 − arcsin x, and its rate is minus arcsin's:
        (arccos x)′ = −1/√(1 − x²), for −1 < x < 1. Directly: cos y = x gives
        −sin y·y′ = 1 with sin y = √(1 − x²) ≥ 0.""",
        """{target} is arccos applied directly to {var}: arccos is pi/2 minus
        arcsin, so its rate is the rate of arcsin with a minus sign.""",
        see_also=("asin", "cos"),
    ),
    _function(
        "atan",
        "arctan undoes tan: rate 1/sec²y, and sec²y = 1 + x².",
        """y = arctan x means tan y = x, with −π/2 < y < π/2. Differentiate
        both sides by x: sec²y·y′ = 1, so y′ = 1/sec²y. Since
        sec²y = 1 + tan²y = 1 + x², (arctan x)′ = 1/(1 + x²), for every x.""",
        """{target} is arctan applied directly to {var}: arctan undoes tan, so
        its rate is 1 over the rate of tan (sec squared, which is `1 + {var}^2`
        there).""",
        see_also=("tan", "acot"),
    ),
    _function(
        "acot",
        "A constant minus arctan on each side of 0: −1/(1 + x²).",
        """Here arccot x = arctan(1/x). For x > 0 that is π/2 − arctan x, and
        for x < 0 it is −π/2 − arctan x: on each side of 0, a constant minus
        arctan x. Constants have rate 0, so (arccot x)′ = −1/(1 + x²).""",
        """{target} is arccot applied directly to {var}: on each side of 0 it is a
        constant minus `atan({var})`, so its rate is minus the rate of
        arctan.""",
        see_also=("atan",),
    ),
    _function(
        "asec",
        "arcsec x = arccos(1/x): the chain rule through 1/x.",
        """arcsec x = arccos(1/x), for |x| ≥ 1. By the chain rule its rate is
        −1/√(1 − 1/x²) times the rate of 1/x, which is −1/x². That gives
        1/(x²·√(1 − 1/x²)), and since x²·√(1 − 1/x²) = |x|·√(x² − 1),
        (arcsec x)′ = 1/(|x|·√(x² − 1)), for |x| > 1.""",
        """{target} is arcsec applied directly to {var}: `asec({var})` is
        `acos(1/{var})`, so the chain rule through `1/{var}` gives its rate.""",
        see_also=("acos", "chain"),
    ),
    _function(
        "acsc",
        "arccsc x = arcsin(1/x): the chain rule through 1/x.",
        """arccsc x = arcsin(1/x), for |x| ≥ 1. By the chain rule its rate is
        1/√(1 − 1/x²) times −1/x², that is −1/(x²·√(1 − 1/x²)) =
        −1/(|x|·√(x² − 1)), for |x| > 1.""",
        """{target} is arccsc applied directly to {var}: `acsc({var})` is
        `asin(1/{var})`, so the chain rule through `1/{var}` gives its rate.""",
        see_also=("asin", "chain"),
    ),
)

_HYPERBOLIC: tuple[Lesson, ...] = (
    _function(
        "sinh",
        "sinh = (e^x − e^(−x))/2; differentiate each exponential.",
        """sinh x = (e^x − e^(−x))/2. Differentiate each exponential: e^x stays
        e^x, and e^(−x) becomes −e^(−x) by the chain rule. So the rate is
        (e^x + e^(−x))/2 = cosh x. Unlike sin and cos, no minus sign
        appears.""",
        """{target} is sinh applied directly to {var}: sinh is half of `e^{var} -
        e^(-{var})`, and differentiating each exponential turns that into
        `cosh({var})`.""",
        see_also=("cosh", "exp"),
    ),
    _function(
        "cosh",
        "cosh = (e^x + e^(−x))/2; differentiate each exponential.",
        """cosh x = (e^x + e^(−x))/2. Differentiating each exponential, e^x
        stays e^x and e^(−x) becomes −e^(−x), so the rate is
        (e^x − e^(−x))/2 = sinh x. Unlike cos, there is no minus sign.""",
        """{target} is cosh applied directly to {var}: cosh is half of `e^{var} +
        e^(-{var})`, and differentiating each exponential turns that into
        `sinh({var})`, with no minus sign.""",
        see_also=("sinh", "exp"),
    ),
    _function(
        "tanh",
        "tanh = sinh/cosh; the quotient rule gives 1/cosh² = sech².",
        """tanh x = sinh x / cosh x. By the quotient rule its rate is
        (cosh x·cosh x − sinh x·sinh x)/cosh²x, and since cosh²x − sinh²x = 1
        that is 1/cosh²x = sech²x, also written 1 − tanh²x.""",
        """{target} is tanh applied directly to {var}; tanh is sinh over cosh,
        and the quotient rule turns that into `1/cosh({var})^2`, which is
        `sech({var})^2`.""",
        see_also=("quotient", "sech"),
    ),
    _function(
        "sech",
        "sech = 1/cosh, so its rate is −sinh/cosh² = −sech·tanh.",
        """sech x = (cosh x)⁻¹. By the chain rule with the power rule outside,
        its rate is −(cosh x)^(−2)·sinh x = −(1/cosh x)·(sinh x/cosh x) =
        −sech x·tanh x.""",
        """{target} is sech applied directly to {var}; sech is 1 over cosh, and
        differentiating that reciprocal gives `-sech({var})*tanh({var})`.""",
        see_also=("cosh", "chain"),
    ),
    _function(
        "csch",
        "csch = 1/sinh, so its rate is −cosh/sinh² = −csch·coth.",
        """csch x = (sinh x)⁻¹. By the chain rule with the power rule outside,
        its rate is −(sinh x)^(−2)·cosh x = −(1/sinh x)·(cosh x/sinh x) =
        −csch x·coth x.""",
        """{target} is csch applied directly to {var}; csch is 1 over sinh, and
        differentiating that reciprocal gives `-csch({var})*coth({var})`.""",
        see_also=("sinh", "chain"),
    ),
    _function(
        "coth",
        "coth = cosh/sinh; the quotient rule gives −csch².",
        """coth x = cosh x / sinh x. By the quotient rule its rate is
        (sinh x·sinh x − cosh x·cosh x)/sinh²x, and since
        cosh²x − sinh²x = 1 that is −1/sinh²x = −csch²x.""",
        """{target} is coth applied directly to {var}; coth is cosh over sinh,
        and the quotient rule turns that into `-1/sinh({var})^2`, which is
        `-csch({var})^2`.""",
        see_also=("quotient", "csch"),
    ),
)

_INVERSE_HYPERBOLIC: tuple[Lesson, ...] = (
    _function(
        "asinh",
        "arsinh undoes sinh: rate 1/cosh y, and cosh y = √(1 + x²).",
        """y = arsinh x means sinh y = x. Differentiate both sides by x:
        cosh y·y′ = 1, so y′ = 1/cosh y. Since cosh²y − sinh²y = 1 and cosh is
        positive, cosh y = √(1 + x²), and (arsinh x)′ = 1/√(1 + x²), for every
        x.""",
        """{target} is arsinh applied directly to {var}: arsinh undoes sinh, so
        its rate is 1 over the rate of sinh (cosh) at the value it returns,
        written in terms of {var}.""",
        see_also=("sinh",),
    ),
    _function(
        "acosh",
        "arcosh undoes cosh: rate 1/sinh y, and sinh y = √(x² − 1).",
        """y = arcosh x means cosh y = x with y ≥ 0, for x ≥ 1. Differentiate
        both sides by x: sinh y·y′ = 1, so y′ = 1/sinh y. Since
        cosh²y − sinh²y = 1 and sinh y ≥ 0 for y ≥ 0, sinh y = √(x² − 1), and
        (arcosh x)′ = 1/√(x² − 1), for x > 1.""",
        """{target} is arcosh applied directly to {var}: arcosh undoes cosh, so
        its rate is 1 over the rate of cosh (sinh) at the value it returns,
        written in terms of {var}.""",
        see_also=("cosh",),
    ),
    _function(
        "atanh",
        "artanh undoes tanh: rate 1/sech²y, and sech²y = 1 − x².",
        """y = artanh x means tanh y = x, for −1 < x < 1. Differentiate both
        sides by x: sech²y·y′ = 1, so y′ = 1/sech²y. Since
        sech²y = 1 − tanh²y = 1 − x², (artanh x)′ = 1/(1 − x²).""",
        """{target} is artanh applied directly to {var}: artanh undoes tanh, so
        its rate is 1 over the rate of tanh (sech squared, which is `1 - {var}^2`
        there).""",
        see_also=("tanh", "acoth"),
    ),
    _function(
        "acoth",
        "arcoth x = artanh(1/x): the chain rule through 1/x.",
        """arcoth x = artanh(1/x), for |x| > 1. By the chain rule its rate is
        1/(1 − 1/x²) times −1/x², that is −1/(x² − 1) = 1/(1 − x²): the same
        expression as artanh's rate, but on |x| > 1 instead of |x| < 1.""",
        """{target} is arcoth applied directly to {var}: `acoth({var})` is
        `atanh(1/{var})`, so the chain rule through `1/{var}` gives its
        rate.""",
        see_also=("atanh", "chain"),
    ),
    _function(
        "asech",
        "arsech x = arcosh(1/x): the chain rule through 1/x.",
        """arsech x = arcosh(1/x), for 0 < x ≤ 1. By the chain rule its rate is
        1/√(1/x² − 1) times −1/x², that is −1/(x²·√(1/x² − 1)), and since
        x > 0 this is −1/(x·√(1 − x²)), for 0 < x < 1.""",
        """{target} is arsech applied directly to {var}: `asech({var})` is
        `acosh(1/{var})`, so the chain rule through `1/{var}` gives its
        rate.""",
        see_also=("acosh", "chain"),
    ),
    _function(
        "acsch",
        "arcsch x = arsinh(1/x): the chain rule through 1/x.",
        """arcsch x = arsinh(1/x), for x ≠ 0. By the chain rule its rate is
        1/√(1 + 1/x²) times −1/x², that is −1/(x²·√(1 + 1/x²)), and since
        x²·√(1 + 1/x²) = |x|·√(x² + 1), (arcsch x)′ = −1/(|x|·√(1 + x²)).""",
        """{target} is arcsch applied directly to {var}: `acsch({var})` is
        `asinh(1/{var})`, so the chain rule through `1/{var}` gives its
        rate.""",
        see_also=("asinh", "chain"),
    ),
)

_LOGARITHM: tuple[Lesson, ...] = (
    _function(
        "ln",
        "ln undoes e^x, so its slope is the reciprocal: 1/x.",
        """y = ln x means e^y = x: the graph of ln is the graph of e^y with
        input and output swapped. On the curve x = e^y, a small step dy changes
        x by dx = e^y·dy = x·dy, because e^y grows at its own size. Read the
        same little triangle the other way round: dy = dx/x. So
        (ln x)′ = 1/x, for x > 0. (log means ln here; with another base see
        logarithm-base.)""",
        """{target} is ln applied directly to {var}: ln undoes `e^y`, which grows
        at its own size, so ln grows at 1 over its input, `1/{var}`.""",
        LN,
        ("exp", "logarithm-base", "chain"),
    ),
)

_PIECES: tuple[Lesson, ...] = (
    _function(
        "abs",
        "Slope −1 left of 0, +1 right of it; a corner at 0.",
        """|x| equals −x where x < 0 and x where x > 0. Each side is a straight
        line, with slope −1 on the left and +1 on the right, so the rate is
        the sign of x, which can be written x/|x|. At x = 0 the two lines meet
        in a corner: the slope jumps from −1 to +1 and there is no single
        rate, so |x| has no derivative at 0. With the chain rule,
        d/dx |u| = (u/|u|)·u′ wherever u ≠ 0.""",
        """{target} is the absolute value of {var}: it is {var} where {var} is
        positive and minus {var} where it is negative, so its slope is +1 or -1,
        that is `{var}/abs({var})`, with no derivative at the corner
        {var} = 0.""",
        ABS,
        ("sign", "relu"),
    ),
    _function(
        "sign",
        "Flat on each side of 0, so slope 0; a jump at 0.",
        """sign x is −1 for x < 0, 0 at 0 and +1 for x > 0. On each side of 0
        it is constant, so its slope there is 0. At 0 it jumps, so it has no
        derivative there (no tangent line fits a jump). It is the slope of |x|
        away from 0.""",
        """{target} is the sign of {var}: it is constant (-1 or +1) on each side
        of 0, so its rate is 0 there; at the jump, {var} = 0, it has no
        derivative.""",
        SIGN,
        ("abs", "heaviside"),
    ),
    _function(
        "sigmoid",
        "The chain rule's rate factors as σ·(1 − σ), at most 1/4.",
        """σ(x) = 1/(1 + e^(−x)) squeezes any number into the range from 0 to
        1. By the chain rule its rate is e^(−x)/(1 + e^(−x))², which factors as
        [1/(1 + e^(−x))]·[e^(−x)/(1 + e^(−x))] = σ(x)·(1 − σ(x)), because
        1 − σ(x) = e^(−x)/(1 + e^(−x)). The slope is largest, 1/4, at x = 0
        where σ = 1/2, and close to 0 in both tails, where σ is near 0 or near
        1. A saturated sigmoid passes almost no gradient back: one cause of
        vanishing gradients.""",
        """{target} is the sigmoid of {var}, `1/(1 + e^(-{var}))`; the chain rule
        gives a rate that factors neatly as `sigmoid({var})*(1 -
        sigmoid({var}))`.""",
        SIGMOID,
        ("softplus", "chain-n"),
    ),
    _function(
        "softplus",
        "softplus = ln(1 + e^x); the chain rule gives σ(x).",
        """softplus(x) = ln(1 + e^x) is a smooth version of relu: near 0 far to
        the left, near x far to the right. By the chain rule its rate is
        e^x/(1 + e^x), and dividing top and bottom by e^x gives
        1/(1 + e^(−x)) = σ(x). So the slope of softplus is the sigmoid: near 0
        on the left, near 1 on the right, 1/2 at x = 0.""",
        """{target} is softplus of {var}, `ln(1 + e^{var})`; the chain rule gives
        `e^{var}/(1 + e^{var})`, which is exactly `sigmoid({var})`.""",
        SOFTPLUS,
        ("sigmoid", "relu"),
    ),
    _function(
        "relu",
        "Slope 0 left of 0, 1 right of it (the step H); corner at 0.",
        """relu(x) = max(0, x) is 0 for x < 0 and x for x > 0: slope 0 on the
        left and 1 on the right, which is the step function H(x). At 0 the
        two pieces meet in a corner and there is no derivative (software
        usually just picks 0 there). Because its slope is exactly 1 wherever
        it is active, relu passes gradients back without shrinking them, one
        reason deep networks use it.""",
        """{target} is relu of {var}: 0 for negative {var} and {var} itself for
        positive {var}, so its slope is the step `heaviside({var})`, 0 then 1, with
        no
        derivative at the corner {var} = 0.""",
        RELU,
        ("heaviside", "abs", "softplus"),
    ),
    _function(
        "heaviside",
        "0, then 1: flat on each side, so slope 0; a jump at 0.",
        """H(x) is 0 for x < 0 and 1 for x > 0. Each side is flat, so the slope
        is 0 wherever H is defined. At 0 it jumps, so there is no derivative
        there (calcstep leaves H(0) itself undefined). H is the slope of
        relu.""",
        """{target} is the step function of {var}: flat (0, then 1) on each
        side of 0, so its rate is 0; at the jump, {var} = 0, it has no
        derivative.""",
        HEAVISIDE,
        ("relu", "sign"),
    ),
)

LESSONS: dict[str, Lesson] = {
    lesson.id: lesson
    for group in (
        _BASICS, _COMBINATIONS, _POWERS_AND_LOGS, _TRIG, _INVERSE_TRIG,
        _HYPERBOLIC, _INVERSE_HYPERBOLIC, _LOGARITHM, _PIECES,
    )
    for lesson in group
}

# What rules.py reads: the one-line why and the --explain template of each rule.
SUMMARY: dict[str, str] = {rule_id: lesson.summary for rule_id, lesson in LESSONS.items()}
EXPLAIN: dict[str, str] = {rule_id: lesson.explain for rule_id, lesson in LESSONS.items()}
