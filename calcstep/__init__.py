"""calcstep: step-by-step derivatives, every rule named and every step shown.

The pipeline runs one way: text ─parse→ Expr ─derive→ Step tree ─simplify→ result
─render→ terminal, plain text, JSON, LaTeX or Markdown.  `calcstep.engine.differentiate`
runs it for one expression; `calcstep.cli` is the command line.
"""

__version__ = "0.1.0"
