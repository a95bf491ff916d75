"""The command line: the only module that reads argv and stdin, writes stdout and
stderr, and chooses exit statuses.

Exit status: 0 success; 1 `check` found the answer wrong; 2 bad input or usage
(in a batch, after every line has been answered); 130 interrupted.  Errors are
messages on stderr, never tracebacks.

Start-up is kept short: each command imports the engine and the renderer it
needs when it runs, and Rich only when the terminal format is used.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from enum import StrEnum
from itertools import groupby, islice
from typing import TYPE_CHECKING, Annotated, NamedTuple, NoReturn

import typer

from calcstep import __version__
from calcstep.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:  # for annotations only: the engine is imported when a command runs
    from calcstep.engine import DiffReport
    from calcstep.errors import CalcstepError
    from calcstep.render import RenderOptions

# -h is help, as --help is, everywhere: never the expression −h (which is written
# "(-h)", "- h" or after --)
HELP_OPTIONS = ("--help", "-h")  # the first is the one Click's "Try … for help" names
CONTEXT = {"help_option_names": list(HELP_OPTIONS)}

app = typer.Typer(
    name="calcstep",
    context_settings=CONTEXT,
    help="Step-by-step derivatives: every rule named, every step shown.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    """Output formats."""

    rich = "rich"
    plain = "plain"
    json = "json"
    latex = "latex"
    markdown = "markdown"


# The formats of the commands that write fewer: their --help offers only these.
class TextFormat(StrEnum):
    """Output formats of parse, check and grad."""

    rich = "rich"
    plain = "plain"
    json = "json"


class RulesFormat(StrEnum):
    """Output formats of rules."""

    rich = "rich"
    plain = "plain"
    json = "json"
    markdown = "markdown"


LIMITS_PANEL = "Limits"
DEFAULT_SWEEP_LAYERS = 20  # grad --depth-sweep's deepest stack, unless --layers says

WrtOption = Annotated[
    str | None,
    typer.Option("--wrt", "-w", metavar="VAR", help="Variable to differentiate by (default: the only one, else x)."),
]
OrderOption = Annotated[
    int, typer.Option("--order", "-n", min=1, metavar="N", help="Differentiate N times.")
]
_FORMAT_HELP = "Output format (default: rich on a terminal, plain otherwise)."
FormatOption = Annotated[Format | None, typer.Option("--format", "-f", help=_FORMAT_HELP)]
TextFormatOption = Annotated[TextFormat | None, typer.Option("--format", "-f", help=_FORMAT_HELP)]
RulesFormatOption = Annotated[RulesFormat | None, typer.Option("--format", "-f", help=_FORMAT_HELP)]
FunctionsOption = Annotated[
    str | None,
    typer.Option(
        "--functions",
        metavar="NAMES",
        help="More abstract function names, comma-separated (f, g and h are always abstract).",
    ),
]
AsciiOption = Annotated[bool, typer.Option("--ascii", help="Plain ASCII, no Unicode symbols.")]
NoColorOption = Annotated[
    bool, typer.Option("--no-color", help="No colours (also when NO_COLOR is set).")
]
MaxLengthOption = Annotated[
    int | None,
    typer.Option("--max-length", min=1, metavar="CHARS", rich_help_panel=LIMITS_PANEL,
                 help=f"Longest expression accepted (default {DEFAULT_LIMITS.max_length:,})."),
]
MaxDepthOption = Annotated[
    int | None,
    typer.Option("--max-depth", min=1, metavar="LEVELS", rich_help_panel=LIMITS_PANEL,
                 help=f"Deepest nesting accepted (default {DEFAULT_LIMITS.max_depth:,})."),
]
MaxSizeOption = Annotated[
    int | None,
    typer.Option("--max-size", min=1, metavar="NODES", rich_help_panel=LIMITS_PANEL,
                 help=f"Largest expression built, in nodes counting repeats (default {DEFAULT_LIMITS.max_size:,})."),
]
MaxDigitsOption = Annotated[
    int | None,
    typer.Option("--max-digits", min=1, metavar="DIGITS", rich_help_panel=LIMITS_PANEL,
                 help=f"Most digits in a number (default {DEFAULT_LIMITS.max_digits:,})."),
]


def _version(value: bool) -> None:
    if value:
        print(f"calcstep {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Step-by-step derivatives: every rule named, every step shown."""


def _limits(
    max_length: int | None, max_depth: int | None, max_size: int | None, max_digits: int | None
) -> Limits:
    """The limits in force: each option given, else its default."""
    chosen = {
        "max_length": max_length,
        "max_depth": max_depth,
        "max_size": max_size,
        "max_digits": max_digits,
    }
    defaults = {name: getattr(DEFAULT_LIMITS, name) for name in chosen}
    return Limits(**{name: value or defaults[name] for name, value in chosen.items()})


def _function_names(functions: str | None) -> frozenset[str]:
    from calcstep.functions import CONSTANTS, DEFAULT_ABSTRACT, function_spellings

    extra = {name.strip() for name in (functions or "").split(",") if name.strip()}
    known = function_spellings()
    for name in sorted(extra):
        if not name.isidentifier():
            _usage_error(f"'{name}' is not a function name")
        if name in known or name in CONSTANTS:
            # made abstract, sin(x) would be differentiated as sin′(x), quietly
            what = "a constant" if name in CONSTANTS else "a function calcstep knows"
            _usage_error(f"--functions names '{name}', which is {what}",
                         "--functions declares unknown functions, such as u or phi")
    return DEFAULT_ABSTRACT | extra


def _points(at: list[str] | None) -> list[dict[str, str]]:
    """--at x=1,y=2 (repeatable): a point per option, name=value pairs within it."""
    points = []
    for text in at or ():
        point: dict[str, str] = {}
        for pair in _split_top_level(text):
            name, sep, value = pair.partition("=")
            if not sep or not name.strip() or not value.strip():
                from calcstep.parse import thousands_hint  # on this error's path alone

                _usage_error(f"--at takes name=value pairs, not '{pair}'",
                             thousands_hint(text) or "e.g. --at x=2 or --at x=1,y=pi/2")
            if name.strip() in point:
                _usage_error(f"--at gives {name.strip()} twice in one point ('{text}')",
                             "for two points, repeat the option: --at x=1 --at x=2")
            point[name.strip()] = value.strip()
        points.append(point)
    return points


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets, so --at x=f(1,2) would stay whole."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in (part.strip() for part in parts) if p]


def _usage_error(message: str, hint: str | None = None) -> NoReturn:
    _print_error(f"error: {message}" + (f"\nhint: {hint}" if hint else ""))
    raise typer.Exit(2)


def _out_of_room() -> CalcstepError:
    from calcstep.errors import LimitError

    return LimitError(
        "the expression needs more memory than is available",
        hint="lower --max-size to stop such inputs earlier",
    )


def _command(name: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`app.command`, with a reader gone (`| head -1`) ending the command quietly
    with status 141, as a process stopped by SIGPIPE reports; Typer's own handling
    exits with 1, which `check` gives a wrong answer."""

    def register(command: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(command)
        def quiet(*args: object, **kwargs: object) -> None:
            try:
                command(*args, **kwargs)
            except BrokenPipeError:
                _quiet_stdout()
                raise typer.Exit(141) from None

        # the list of commands shows the docstring's first paragraph: given as one
        # line, so that the source's line breaks do not break it there
        short = " ".join((command.__doc__ or "").split("\n\n")[0].split())
        return app.command(name, short_help=short, context_settings=CONTEXT)(quiet)

    return register


class _Streams:
    """Whether stdout takes calcstep's symbols (−, ·, ², √, π …); set by `main`."""

    unicode = True


def _ascii(asked: bool) -> bool:
    """--ascii as asked, or forced where stdout cannot write Unicode (a cp1252
    console or file, PYTHONIOENCODING=ascii): the ASCII spelling, not a crash.
    Asked for, it makes stdout ASCII: what no format spells in ASCII (a JSON
    record's `result_pretty`, a name like θ) is written as a JSON escape, \u03b8."""
    if asked and _Streams.unicode:
        with suppress(AttributeError, ValueError):
            sys.stdout.reconfigure(encoding="ascii", errors="calcstep-escape")  # type: ignore[union-attr]
    return asked or not _Streams.unicode


def _prepare_stdout() -> bool:
    """Let stdout write a character its encoding lacks as a JSON escape (\\u00b7)
    instead of failing, which keeps a JSON line valid and text readable; True when
    it takes calcstep's symbols."""
    import codecs

    codecs.register_error("calcstep-escape", _json_escape)
    with suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(errors="calcstep-escape")  # type: ignore[union-attr]
    encoding = getattr(sys.stdout, "encoding", None)
    if encoding is None:
        return True  # a stream of text, not bytes (io.StringIO): it takes any character
    try:
        "−·²³√∛π→≈θ′∂".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    """The characters an encoding lacks, as JSON spells them: \\u00b7, and a
    character beyond U+FFFF as its two UTF-16 halves."""
    assert isinstance(error, UnicodeEncodeError)
    escaped = []
    for char in error.object[error.start : error.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            escaped.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:  # a lone surrogate too: a byte of input that was not UTF-8
            escaped.append(f"\\u{code:04x}")
    return "".join(escaped), error.end


def _print_error(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _resolve_format(chosen: StrEnum | None) -> Format:
    if chosen is not None:
        return Format(chosen.value)  # a TextFormat or RulesFormat as the one Format
    return Format.rich if sys.stdout.isatty() else Format.plain


# The formats the commands other than diff write: the ones their --help offers.
_TEXT_FORMATS = tuple(Format(f.value) for f in TextFormat)
_RULES_FORMATS = tuple(Format(f.value) for f in RulesFormat)


def _format_of(command: str, chosen: StrEnum | None, written: tuple[Format, ...]) -> Format:
    """The format to write, refused with a usage error when `command` does not
    write it (rather than writing another one silently)."""
    resolved = _resolve_format(chosen)
    if resolved not in written:
        _usage_error(
            f"calcstep {command} does not write {resolved.value}",
            "its formats are " + ", ".join(f.value for f in written),
        )
    return resolved


def _color(no_color: bool) -> bool:
    return not no_color and not os.environ.get("NO_COLOR")


def _expressions(expr: str) -> Iterator[str]:
    """The expressions to work on: EXPR itself, or with `-` each line of stdin that
    is not blank or a # comment (a byte-order mark before the first is dropped:
    some editors write one)."""
    if expr != "-":
        yield expr
        return
    for number, line in enumerate(sys.stdin):
        text = line.rstrip("\r\n")
        if number == 0:
            text = text.removeprefix("\ufeff")
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        yield _Line(text, number + 1)


class _Line(str):
    """A line of a batch, which knows its line number in the input (an error on
    stderr names it: blank lines and comments make it differ from the count of
    answers)."""

    number: int

    def __new__(cls, text: str, number: int) -> _Line:
        line = super().__new__(cls, text)
        line.number = number
        return line


@_command()
def diff(
    expr: Annotated[str, typer.Argument(metavar="EXPR", callback=as_typed,
                                        help="The expression, or - to read one per line from stdin.")],
    wrt: WrtOption = None,
    order: OrderOption = 1,
    at: Annotated[
        list[str] | None,
        typer.Option("--at", metavar="NAME=VALUE", help="Also give the derivative's value there (repeatable; x=1,y=2)."),
    ] = None,
    format: FormatOption = None,
    steps: Annotated[bool, typer.Option("--steps/--no-steps", help="Show the derivation, or the result alone.")] = True,
    explain: Annotated[bool, typer.Option("--explain", help="Say why each rule applies.")] = False,
    ascii: AsciiOption = False,
    functions: FunctionsOption = None,
    json_input: Annotated[
        bool,
        typer.Option("--json-input", help='With -, read each line as a JSON job: {"expr": …, "wrt": …, '
                     '"order": …, "at": …}; fields left out take these options\' values.'),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=0, metavar="N", show_default=False,
                     help="With -, answer the batch on N worker processes (0: one per core); "
                          "answers keep the input's order.  Left out: one process, or for a file "
                          "of 100 lines or more one worker per 50 lines, up to one per core and 8."),
    ] = None,
    no_color: NoColorOption = False,
    max_length: MaxLengthOption = None,
    max_depth: MaxDepthOption = None,
    max_size: MaxSizeOption = None,
    max_digits: MaxDigitsOption = None,
) -> None:
    """Differentiate EXPR, showing every rule applied and every simplification."""
    ascii = _ascii(ascii)
    from calcstep.render import RenderOptions

    is_batch = expr == "-"
    if json_input and not is_batch:
        _usage_error("--json-input reads jobs from stdin", "give - as EXPR: calcstep diff --json-input -")
    batch = _Batch(
        wrt=wrt,
        order=order,
        points=tuple(_points(at)),
        names=_function_names(functions),
        limits=_limits(max_length, max_depth, max_size, max_digits),
        json_input=json_input,
        format=_resolve_format(format),
        options=RenderOptions(steps=steps, explain=explain, ascii=ascii),
        color=_color(no_color),
    )
    ahead = _read_ahead() if is_batch else None
    texts = ahead if ahead is not None else _expressions(expr)
    flush = _Flush(held=ahead is not None and not _is_terminal(sys.stdout))
    workers = _parallel_jobs(jobs, batch.format, len(ahead) if ahead is not None else None) if is_batch else 1
    if workers > 1:
        failed = _answer_in_parallel(texts, batch, workers, ahead, flush)
    else:
        emit = _Emitter(batch.format, batch.options, batch.color, flush)
        failed = _answer(_with_progress(ahead, texts), batch, emit, is_batch)
    if failed:
        raise typer.Exit(2)


class _Batch(NamedTuple):
    """What every line of a `diff` run is answered with: the options given."""

    wrt: str | None
    order: int
    points: tuple[dict[str, str], ...]
    names: frozenset[str]
    limits: Limits
    json_input: bool
    format: Format
    options: RenderOptions
    color: bool


def _answer(texts: Iterable[str], batch: _Batch, emit: _Emitter, is_batch: bool) -> bool:
    """Differentiate each text and write its report (or its error, in its place);
    True when any failed."""
    from calcstep.engine import differentiate
    from calcstep.errors import CalcstepError

    # calcstep.jobs (and json with it) is loaded only for --json-input; once here,
    # not per line (an import statement costs half a microsecond even when loaded)
    read_job = _job_reader(batch.wrt, batch.order, batch.points) if batch.json_input else None

    failed = False
    for text in texts:
        job_text = text  # what an error is reported against: the line, or its job's expression
        job_id = None  # a JSON job's own id, written back in its record
        line = getattr(text, "number", None)
        try:
            job_text, job_wrt, job_order, job_at, job_id = (
                read_job(text)
                if read_job is not None
                else (text, batch.wrt, batch.order, batch.points, None)
            )
            report = differentiate(
                job_text, wrt=job_wrt, order=job_order, at=job_at, functions=batch.names, limits=batch.limits,
                steps=batch.options.steps,
            )
        except CalcstepError as error:
            failed = True
            # a job refused for its fields is still written back with its id
            emit.error(job_text, error, is_batch, line, job_id or getattr(error, "job_id", None))
            continue
        except (MemoryError, RecursionError):
            failed = True
            emit.error(text, _out_of_room(), is_batch, line, job_id)
            continue
        emit.report(report, job_id, line)
    return failed


def _parallel_jobs(jobs: int | None, chosen: Format, lines: int | None) -> int:
    """Worker processes for a batch of `lines` lines (None: a pipe): `--jobs` as
    given, or chosen by the batch's length when not given (see
    `parallel.auto_worker_count`); one where they cannot be forked, and for the
    terminal view (Rich draws for the terminal it is on, so one process draws)."""
    if jobs == 1 or chosen is Format.rich:
        return 1
    from calcstep import parallel

    if not parallel.available():
        return 1
    return parallel.auto_worker_count(lines) if jobs is None else parallel.worker_count(jobs)


def _answer_in_parallel(
    texts: Iterable[str], batch: _Batch, workers: int, ahead: list[str] | None, flush: _Flush
) -> bool:
    """`_answer` for a batch, its lines answered a chunk at a time by `workers`
    processes and written here in input order (the progress bar, if any, counts
    the lines written); True when any failed."""
    from functools import partial

    from calcstep import parallel

    failed = False
    # a line travels to its worker as [text, line number]: the pipes carry JSON
    lines = ([str(text), getattr(text, "number", None)] for text in texts)
    answers = parallel.ordered_results(partial(_answer_chunk, batch), parallel.chunked(lines), workers)
    for _, (written, chunk_failed) in _with_progress(ahead, answers, lambda answer: len(answer[0])):
        for out, err in written:  # line by line, stdout then stderr, as one process writes
            _write(out)
            if err:
                sys.stdout.flush()  # what came before the error first, on a terminal or file both have
                sys.stderr.write(err)
                sys.stderr.flush()
            else:
                flush()
        failed = failed or chunk_failed
    return failed


def _answer_chunk(batch: _Batch, chunk: list[list], first: bool) -> tuple[list[tuple[str, str]], bool]:
    """In a worker: `_answer` for a chunk of a batch (each line as [text, its line
    number or None]), what each line writes to stdout and to stderr captured,
    with whether any line failed.  A chunk after the first continues the output
    (a blank line separates it from what came before)."""
    import io

    saved = sys.stdout, sys.stderr
    emit = _Emitter(batch.format, batch.options, batch.color)
    emit.count = 0 if first else 1
    written: list[tuple[str, str]] = []
    failed = False
    try:
        for text, number in chunk:
            out, err = io.StringIO(), io.StringIO()
            sys.stdout, sys.stderr = out, err
            failed = _answer((_Line(text, number) if number is not None else text,), batch, emit, True) or failed
            written.append((out.getvalue(), err.getvalue()))
    finally:
        sys.stdout, sys.stderr = saved
    return written, failed


def _report_depth(report: DiffReport) -> int:
    """The nesting a report's renderers must make room for: its deepest expression
    (the input, each order's result), with room to spare for the steps between."""
    deepest = report.expr.depth
    for derivation in report.derivations:
        if derivation.result.depth > deepest:
            deepest = derivation.result.depth
    return 2 * deepest


def _job_reader(wrt: str | None, order: int, points: tuple) -> Callable[[str], tuple]:
    """What reads a --json-input line: the job it describes, (expression, wrt,
    order, points, id), its fields left out taken from the options given."""
    from calcstep.jobs import Job, read_job

    return functools.partial(read_job, defaults=Job("", wrt, order, points))


class _Flush:
    """Flushes stdout after an answer: at once, or, `held`, when a tenth of a
    second has passed since the last flush.

    Output is held only for a batch read ahead from a file and written to a file
    or a pipe: no one then waits on each answer before sending the next line, and
    a flush per answer costs a write to the pipe each time (3% of a corpus
    batch).  Input arriving line by line (a script feeding a pipe and reading each
    answer) and a terminal get every answer flushed as soon as it is written.
    Whatever goes to stderr flushes stdout first, so a stream holding both keeps
    their order."""

    __slots__ = ("held", "last")

    def __init__(self, held: bool) -> None:
        self.held = held
        self.last = time.monotonic()

    def __call__(self) -> None:
        if self.held:
            now = time.monotonic()
            if now - self.last < FLUSH_HELD_EVERY:
                return
            self.last = now
        sys.stdout.flush()


# How long a held batch's answers may wait in the buffer (seconds).
FLUSH_HELD_EVERY = 0.1


def _is_terminal(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):  # a stream without a file, or closed
        return False


class _Emitter:
    """Writes reports in one format, flushing as `flush` decides (a pipe read line
    by line sees each answer as it comes).

    One method per format writes a report; errors go to stderr with the place
    marked and, in a batch, also take the failed line's place in the output."""

    def __init__(self, chosen: Format, options: RenderOptions, color: bool, flush: _Flush | None = None) -> None:
        self.format = chosen
        self.options = options
        self.color = color
        self.flush = flush or _Flush(held=False)
        self.count = 0
        self._console = None
        # what every report needs, loaded once here, not in each report: an import
        # statement costs half a microsecond even when its module is loaded
        from calcstep.deep import run_deep
        from calcstep.printer import trim_caches

        self._run_deep, self._trim_caches = run_deep, trim_caches
        self._writer = {
            Format.json: self._json_report,
            Format.plain: self._plain_report,
            Format.rich: self._rich_report,
            Format.latex: self._latex_report,
            Format.markdown: self._markdown_report,
        }[chosen]

    def report(self, report: DiffReport, job_id: str | None = None, line: int | None = None) -> None:
        """One expression's report (`job_id`: a JSON job's id, which JSON writes back;
        `line`: its line in a batch read from stdin, which a note on stderr names)."""
        # one deep stack for the whole report, when it needs one: otherwise each
        # deep expression printed would start a thread of its own
        if self.format is Format.json:
            self._run_deep(_report_depth(report), self._json_report, report, job_id, line)
        else:
            self._run_deep(_report_depth(report), self._writer, report)
            if not self.options.steps and self.format in (Format.plain, Format.rich):
                self._notes_aside(report, line)
        self.count += 1
        self._trim_caches()

    def _notes_aside(self, report: DiffReport, line: int | None) -> None:
        """With --no-steps the output is the result alone; how the input was read
        (e^2x as e²·x) is still said, on stderr, after the number of its line in a
        batch read from stdin, as an error is (stderr's notes are otherwise not
        matched to their lines)."""
        from calcstep.render.common import note_text, spelling_for

        spell = spelling_for(self.options.ascii)
        if report.notes:
            sys.stdout.flush()  # the result it is about comes first
        for note in report.notes:
            _print_error((f"line {line}: " if line is not None else "") + f"note: {note_text(note, spell)}")

    def error(
        self, text: str, error: CalcstepError, batch: bool, line: int | None = None, job_id: str | None = None
    ) -> None:
        """An expression that failed: its error in its place in the output, and on
        stderr (in a batch read from stdin, after the number of its line there)."""
        if self.format is Format.json:
            from calcstep.render.json import error_to_dict

            _json_out(error_to_dict(text, error, line, job_id))
        elif batch:
            self._separate()
            print(_error_in_place(self.format, text, error.message, line), flush=True)
        self.count += 1
        _print_error((f"line {line}: " if line is not None else "") + error.render(self.options.ascii))

    def _separate(self) -> None:
        if self.count and (self.options.steps or self.format in (Format.latex, Format.markdown)):
            print()

    def _json_report(self, report: DiffReport, job_id: str | None = None, line: int | None = None) -> None:
        from calcstep.render.json import report_json

        # written a megabyte at a time, so a record of thousands of steps never
        # exists whole.  ASCII pieces are joined and written together; a piece
        # beyond ASCII (the pretty result's −, ², ·: one piece in most records) is
        # written alone.  Joined with it, the whole record would be copied into
        # two bytes a character and encoded to UTF-8 character by character,
        # which cost the corpus batch 10 M instructions (1%), where stdout takes
        # an ASCII text as it is.  A piece of a megabyte or more (a huge result's
        # text) is written alone too: joined with the rest it would be copied
        # twice more.
        # The pieces are taken by runs of ASCII and not, a few hundred at a time
        # (a small record's fifty or so in one go), which keeps this loop off
        # the profile: a loop over each piece here cost 9 M instructions.  On an
        # unbuffered stdout (python -u, PYTHONUNBUFFERED) every write is a system
        # call, dearer than the encoding saved: there a record is one run, joined.
        pieces = report_json(report, self.options, job_id, line)
        runs = ((True, pieces),) if getattr(sys.stdout, "write_through", False) else groupby(pieces, str.isascii)
        pending: list[str] = []
        size = 0
        for joined, run in runs:
            while block := "".join(islice(run, 256)):
                if joined and len(block) < _WRITE_EVERY:
                    pending.append(block)
                    size += len(block)
                    if size >= _WRITE_EVERY:
                        _write("".join(pending))
                        pending, size = [], 0
                    continue
                if pending:
                    _write("".join(pending))
                    pending, size = [], 0
                _write(block)
        pending.append("\n")
        _write("".join(pending))
        self.flush()

    def _plain_report(self, report: DiffReport) -> None:
        from calcstep.render import plain

        self._write_parts(plain.parts(report, self.options))

    def _latex_report(self, report: DiffReport) -> None:
        from calcstep.render import latex

        self._write_parts(latex.parts(report, self.options))

    def _markdown_report(self, report: DiffReport) -> None:
        from calcstep.render import markdown

        self._write_parts(markdown.parts(report, self.options))

    def _write_parts(self, parts: Iterator[str]) -> None:
        """A text report, written piece by piece as its renderer makes it (a
        derivation of thousands of steps is never held whole), after the blank
        line between reports."""
        self._separate()
        for part in parts:
            _write(part)
        _write("\n")
        self.flush()

    def _rich_report(self, report: DiffReport) -> None:
        from calcstep.render import rich as rich_render

        if report.result.size > RICH_UP_TO:
            # Rich lays text out in memory: a result this large is written plainly
            self._plain_report(report)
            return
        console = self._rich_console()
        if self.count and self.options.steps:
            console.print()
        console.print(rich_render.render(report, self.options))
        console.file.flush()

    def _rich_console(self):
        if self._console is None:
            self._console = _console(self.color, stderr=False)
        return self._console



# Results above this many nodes, and graphs above this many, are shown as plain
# text even on a terminal (Rich lays text out in memory, slowly for huge tables).
RICH_UP_TO = 200_000
RICH_NODES_UP_TO = 2_000


# A JSON record is written whenever this many characters of it are waiting.
_WRITE_EVERY = 1 << 20


def _write(text: str, chunk: int = 1 << 20) -> None:
    """Write to stdout a slice at a time, so a huge text is never copied whole into
    an encoded buffer."""
    write = sys.stdout.write
    for start in range(0, len(text), chunk):
        write(text[start : start + chunk])


def _console(color: bool, stderr: bool):
    """A Rich console for the terminal: no colour when asked (or NO_COLOR is set),
    no guessing at highlights in mathematics."""
    from rich.console import Console

    return Console(stderr=stderr, no_color=not color, highlight=False, emoji=False)


def _with_progress(texts: list[str] | None, source: Iterable, lines=lambda item: 1) -> Iterator:
    """The items of `source` (expressions, or chunks of answers holding `lines(item)`
    lines each), with a progress bar on stderr when a long batch runs with stderr
    on a terminal and stdout elsewhere (a bar between results would garble them).
    `texts` is the whole batch when it was read ahead, else None."""
    if texts is None or len(texts) < 20 or not sys.stderr.isatty() or sys.stdout.isatty():
        yield from source
        return
    from rich.progress import Progress

    # the bar must not take over stdout, where the answers go (Rich redirects it by default)
    with Progress(
        console=_console(True, stderr=True), transient=True, redirect_stdout=False
    ) as progress:
        task = progress.add_task("differentiating", total=len(texts))
        for item in source:
            yield item
            progress.advance(task, lines(item))


def _read_ahead() -> list[str] | None:
    """The whole of stdin when it is a regular file (so a progress bar knows the
    total); None for a pipe, which is read line by line as it arrives."""
    import stat

    try:
        regular = stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):
        return None
    return list(_expressions("-")) if regular else None


def _no_stdin(command: str, *texts: str | None) -> None:
    """Refuse `-` as an expression of a command other than diff: it would be read
    as a minus sign with nothing after it, where the user meant stdin, which only
    `diff` reads (one expression a line).  Raises UsageError, which the command
    refuses as it refuses bad input (exit status 2, a record in JSON)."""
    if "-" not in texts:
        return
    from calcstep.errors import UsageError

    raise UsageError(
        f"calcstep {command} reads no expressions from stdin: '-' stands for stdin only in "
        "calcstep diff",
        hint=f'give the expression itself, e.g. calcstep {command} "$(cat FILE)" ..., or run it '
        f'once a line: while IFS= read -r e; do calcstep {command} "$e" ...; done < FILE',
    )


@_command("parse")
def parse_command(
    expr: Annotated[str, typer.Argument(metavar="EXPR", callback=as_typed, help="The expression to read.")],
    tree: Annotated[bool, typer.Option("--tree", help="Also show the expression tree.")] = False,
    format: TextFormatOption = None,
    ascii: AsciiOption = False,
    functions: FunctionsOption = None,
    max_length: MaxLengthOption = None,
    max_depth: MaxDepthOption = None,
    max_size: MaxSizeOption = None,
    max_digits: MaxDigitsOption = None,
) -> None:
    """Show how EXPR is read: its canonical form and any reading that could surprise."""
    ascii = _ascii(ascii)
    from calcstep.errors import CalcstepError
    from calcstep.parse import parse
    from calcstep.render import reading

    chosen = _format_of("parse", format, _TEXT_FORMATS)
    try:
        _no_stdin("parse", expr)
        parsed = parse(expr, functions=_function_names(functions),
                       limits=_limits(max_length, max_depth, max_size, max_digits))
    except CalcstepError as error:
        _refuse(expr, error, chosen, ascii)
    if chosen is Format.json:
        print(reading.to_json(parsed, tree=tree))
    else:
        print(reading.render(parsed, tree=tree, ascii=ascii))


@_command()
def rules(
    name: Annotated[str | None, typer.Argument(metavar="NAME", callback=as_typed, help="A rule to explain.")] = None,
    format: RulesFormatOption = None,
    ascii: AsciiOption = False,
    no_color: NoColorOption = False,
) -> None:
    """List every differentiation rule with its formula, or explain one."""
    ascii = _ascii(ascii)
    from calcstep.render import catalogue

    chosen = _format_of("rules", format, _RULES_FORMATS)
    if name is not None and catalogue.find(name) is None:
        from calcstep.errors import UsageError

        close = catalogue.closest(name)
        hint = f"did you mean {close}?" if close else "run calcstep rules for the list"
        _refuse(name, UsageError(f"no rule called '{name}'", hint=hint), chosen, ascii)
    if chosen is Format.json:
        import json

        print(json.dumps(catalogue.to_dict(name), ensure_ascii=False, indent=2))
    elif chosen is Format.markdown:
        print(catalogue.markdown(name))
    elif chosen is Format.rich:
        _console(_color(no_color), stderr=False).print(catalogue.render_rich(name, ascii=ascii))
    else:
        print(catalogue.render(name, ascii=ascii))


@_command()
def check(
    expr: Annotated[str, typer.Argument(metavar="EXPR", callback=as_typed, help="The function to differentiate.")],
    answer: Annotated[str, typer.Argument(metavar="ANSWER", callback=as_typed, help="The derivative to check.")],
    wrt: WrtOption = None,
    order: OrderOption = 1,
    format: TextFormatOption = None,
    ascii: AsciiOption = False,
    functions: FunctionsOption = None,
    no_color: NoColorOption = False,
    max_length: MaxLengthOption = None,
    max_depth: MaxDepthOption = None,
    max_size: MaxSizeOption = None,
    max_digits: MaxDigitsOption = None,
) -> None:
    """Is ANSWER the derivative of EXPR?  Exit 0 when it is, 1 when it is not (with
    the mistake named where it is a classic one), 2 for bad input."""
    ascii = _ascii(ascii)
    from calcstep.check import check_answer
    from calcstep.errors import CalcstepError
    from calcstep.render import check as check_render

    chosen = _format_of("check", format, _TEXT_FORMATS)
    try:
        _no_stdin("check", expr, answer)
        report = check_answer(
            expr,
            answer,
            wrt=wrt,
            order=order,
            functions=_function_names(functions),
            limits=_limits(max_length, max_depth, max_size, max_digits),
        )
    except CalcstepError as error:
        # the record names both texts, as a report does, and which one failed: the
        # error's place is an offset into that one
        where = error.where.text if error.where is not None else None
        failed = "answer" if where == answer and answer != expr else "expression" if where is not None else None
        _refuse(expr, error, chosen, ascii, {"answer_input": answer, "failed": failed})
    if chosen is Format.json:
        _json_out(check_render.to_dict(report))
    elif chosen is Format.rich:
        _console(_color(no_color), stderr=False).print(check_render.render_rich(report, ascii=ascii))
    else:
        print(check_render.render(report, ascii=ascii))
    raise typer.Exit(0 if report.correct else 1)


@_command()
def grad(
    expr: Annotated[
        str | None,
        typer.Argument(metavar="EXPR", callback=as_typed, help="The expression (a loss, a network output …)."),
    ] = None,
    wrt: Annotated[
        str | None,
        typer.Option("--wrt", "-w", metavar="VARS",
                     help="Variables to give gradients for, comma-separated (default: all)."),
    ] = None,
    at: Annotated[
        list[str] | None,
        typer.Option("--at", metavar="NAME=VALUE", help="The point: every variable's value (x=0.5,w=0.3)."),
    ] = None,
    format: TextFormatOption = None,
    steps: Annotated[
        bool, typer.Option("--steps/--no-steps", help="Also show each symbolic partial derivative's steps.")
    ] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show the steps and say why each rule applies.")] = False,
    ascii: AsciiOption = False,
    functions: FunctionsOption = None,
    no_color: NoColorOption = False,
    depth_sweep: Annotated[
        bool,
        typer.Option("--depth-sweep", help="Compare stacked sigmoid, tanh and relu layers, with and without residual connections."),
    ] = False,
    layers: Annotated[
        int | None,
        typer.Option("--layers", min=1, max=200, metavar="N",
                     help=f"With --depth-sweep: the deepest stack ({DEFAULT_SWEEP_LAYERS})."),
    ] = None,
    max_length: MaxLengthOption = None,
    max_depth: MaxDepthOption = None,
    max_size: MaxSizeOption = None,
    max_digits: MaxDigitsOption = None,
) -> None:
    """Backpropagation as the chain rule: the computation graph of EXPR, its forward
    and backward passes at a point, each node's local rates and gradient, and the
    chain of local rates with vanishing or exploding products flagged."""
    ascii = _ascii(ascii)
    from calcstep.errors import CalcstepError, UsageError
    from calcstep.render import RenderOptions
    from calcstep.render import grad as grad_render

    chosen = _format_of("grad", format, _TEXT_FORMATS)
    point: dict[str, str] = {}
    for each in _points(at):
        twice = sorted(point.keys() & each.keys())
        if twice:
            _usage_error(f"grad takes one point, and --at gives {twice[0]} twice",
                         "give each variable once; --at x=1 --at w=2 is the point x = 1, w = 2")
        point.update(each)
    try:
        if depth_sweep:
            from calcstep.grad import depth_sweep as sweep
            from calcstep.grad import sweep_point

            if expr is not None:
                # grad -fjson --depth-sweep: with no other word for EXPR, -fjson was read as it
                glued = expr[:2] in ("-f", "-w") and len(expr) > 2
                raise UsageError("--depth-sweep takes no expression",
                                 hint=f"for the option, write {expr[:2]} {expr[2:]}" if glued else None)
            x, weight = sweep_point(point)
            result = sweep(layers if layers is not None else DEFAULT_SWEEP_LAYERS, x=x, weight=weight)
            if chosen is Format.json:
                _json_out(grad_render.sweep_to_dict(result))
            elif chosen is Format.rich:
                console = _console(_color(no_color), stderr=False)
                console.print(grad_render.render_sweep_rich(result, ascii=ascii))
            else:
                print(grad_render.render_sweep(result, ascii=ascii))
            return
        if layers is not None:  # not silently ignored: it sizes the sweep only
            raise UsageError("--layers applies only with --depth-sweep",
                             hint="add --depth-sweep for the comparison of stacked layers")
        if expr is None:
            raise UsageError("grad needs an expression", hint="or --depth-sweep for the comparison")
        _no_stdin("grad", expr)
        from calcstep.grad import grad_report

        names = list(dict.fromkeys(name.strip() for name in (wrt or "").split(",") if name.strip())) or None
        steps = steps or explain  # the steps are what is explained: not silently ignored
        report = grad_report(
            expr,
            names,
            point,
            functions=_function_names(functions),
            limits=_limits(max_length, max_depth, max_size, max_digits),
            steps=steps,
        )
        options = RenderOptions(steps=steps, explain=explain, ascii=ascii)
        if chosen is Format.json:
            _json_out(grad_render.report_to_dict(report, options))
        elif chosen is Format.rich and len(report.graph.nodes) <= RICH_NODES_UP_TO:
            _console(_color(no_color), stderr=False).print(grad_render.render_rich(report, options))
        else:
            print(grad_render.render(report, options))
    except CalcstepError as error:
        _refuse(expr or "", error, chosen, ascii)
    except (MemoryError, RecursionError):  # a network too large to hold: said, not a traceback
        _refuse(expr or "", _out_of_room(), chosen, ascii)


def _refuse(
    text: str, error: CalcstepError, chosen: Format, ascii: bool, also: dict[str, str] | None = None
) -> NoReturn:
    """End a command on bad input: the error's JSON record on stdout in the JSON
    format (with `also`'s fields after the input), the message on stderr with the
    place marked, exit status 2."""
    if chosen is Format.json:
        from calcstep.render.json import error_to_dict

        record = error_to_dict(text, error)
        _json_out({"input": record.pop("input"), **(also or {}), **record})
    _print_error(error.render(ascii))
    raise typer.Exit(2)


def _json_out(record: dict) -> None:
    """One JSON line."""
    import json

    _write(json.dumps(record, ensure_ascii=False))
    _write("\n")
    sys.stdout.flush()


# -- argv --------------------------------------------------------------------


def option_words(command) -> tuple[frozenset[str], frozenset[str]]:
    """Every option spelling of a Click command and its subcommands, and those of
    them that take a value, read from the command itself so they cannot drift
    (the help option is Click's own, not among the parameters)."""
    words: set[str] = set(HELP_OPTIONS)
    valued: set[str] = set()
    commands = [command, *getattr(command, "commands", {}).values()]
    for each in commands:
        for param in each.params:
            spellings = [*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())]
            if param.param_type_name != "option":
                continue
            words.update(spellings)
            if not (param.is_flag or param.count):
                valued.update(spellings)
    return frozenset(words), frozenset(valued)


def as_typed(text: str | None) -> str | None:
    """An expression argument as the user typed it: without the space that
    `protect_expressions` put before a leading minus sign (" -x^2" is "-x^2")."""
    return text[1:] if text is not None and text.startswith(" -") else text


def glued_values(command) -> dict[str, Callable[[str], bool]]:
    """The command's short options that take a value, each with a test of the
    values it takes (-n: digits; -f: a format's name; -w: names), so that a
    value written against its option (-n2, -fjson, -wy) is read as Click reads
    it.  A group has none: its options are its commands'."""
    tests: dict[str, Callable[[str], bool]] = {}
    for param in command.params:
        if param.param_type_name != "option" or param.is_flag or param.count:
            continue
        for spelling in param.opts:
            if len(spelling) == 2 and spelling[0] == "-" and spelling[1] != "-":
                tests[spelling] = _value_test(param.type)
    return tests


def _value_test(kind: object) -> Callable[[str], bool]:
    """What a value of a Click parameter type looks like (found by the class's
    name, as typer 0.28 vendors Click under a private name)."""
    choices = getattr(kind, "choices", None)
    if choices is not None:
        return frozenset(str(choice) for choice in choices).__contains__
    if any(cls.__name__ == "IntParamType" for cls in type(kind).__mro__):
        return _whole_number
    return _names


def _whole_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _names(text: str) -> bool:
    """One name or several, comma-separated: x, theta, w,b (grad --wrt's list)."""
    return all(part.strip().isidentifier() for part in text.split(","))


def argument_count(command) -> int:
    """How many arguments (expressions, a rule's name) the command takes."""
    return sum(1 for param in command.params if param.param_type_name == "argument")


# What each word of a command line is, for `protect_expressions`.
_AS_IS = "as is"  # an option, an option's value, or --
_POSITIONAL = "positional"  # an argument that needs no protection (x^2, -)
_EXPRESSION = "expression"  # an argument beginning with -: protected
_GLUED = "glued"  # -n2, -wy: an option with its value glued on, or an expression


def protect_expressions(
    argv: list[str],
    words: frozenset[str],
    valued: frozenset[str],
    glued: dict[str, Callable[[str], bool]] | None = None,
    slots: int = 0,
) -> list[str]:
    """Keep expressions that begin with a minus sign from being read as options.

    `calcstep diff "-x^2"` must work as typed, but Click would read "-x^2" as the
    option cluster -x -^ -2, and "-w^2" as -w with the value "^2".  An argument
    that begins with a single '-' and is not exactly an option is an expression:
    it is passed on with a leading space, which Click does not take for an option,
    and which each expression argument takes off again (`as_typed`), so that the
    input is echoed, and its errors placed, as typed.  Words beginning with `--` are always
    options (an unknown one is reported as such); values of options are left
    alone, and so is everything after `--`.

    A short option with its value glued on (-n2, -wy, -fjson: `glued` gives
    the values each takes) is the option, split as -n 2, when the command's
    `slots` arguments are filled by other words; otherwise it is the
    expression, as before (`calcstep diff -wy` differentiates −wy), the first
    such word first, as Click fills arguments in order."""
    kinds = _kinds(argv, words, valued, glued or {})
    free = slots - sum(kind in (_POSITIONAL, _EXPRESSION) for kind in kinds)
    protected: list[str] = []
    for word, kind in zip(argv, kinds, strict=True):
        if kind == _GLUED and free > 0:
            free -= 1
            kind = _EXPRESSION
        if kind == _GLUED:
            protected += [word[:2], word[2:]]
        elif kind == _EXPRESSION:
            protected.append(" " + word)
        else:
            protected.append(word)
    return protected


def _kinds(
    argv: list[str], words: frozenset[str], valued: frozenset[str], glued: dict[str, Callable[[str], bool]]
) -> list[str]:
    """What each word of `argv` is: an option or its value, an argument, an
    argument beginning with '-', or a short option with its value glued on."""
    kinds: list[str] = []
    expecting_value = False
    for index, word in enumerate(argv):
        if word == "--":  # all after it are arguments, passed on as they are
            kinds += [_AS_IS] + [_POSITIONAL] * (len(argv) - index - 1)
            break
        if expecting_value:
            kinds.append(_AS_IS)
            expecting_value = False
        elif word.startswith("--"):
            expecting_value = word.split("=", 1)[0] in valued and "=" not in word
            kinds.append(_AS_IS)
        elif word.startswith("-") and word != "-":
            if word in words:
                expecting_value = word in valued
                kinds.append(_AS_IS)
            elif word[:2] in glued and glued[word[:2]](word[2:]):
                kinds.append(_GLUED)
            else:
                kinds.append(_EXPRESSION)
        else:
            kinds.append(_POSITIONAL)
    return kinds


def _command_for(args: list[str]):
    """The Click command to run, its program name and its arguments.

    Typer builds a Click command for every registered command on every run, which
    costs milliseconds of start-up each; when the first argument names a command,
    only that one is built (`calcstep diff …` runs as the command `calcstep diff`).
    Anything else (`--help`, `--version`, a misspelt command) gets the whole group."""
    if args:
        for info in app.registered_commands:
            name = info.name or info.callback.__name__.replace("_", "-")
            if name == args[0]:
                single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
                single.registered_commands.append(info)
                return typer.main.get_command(single), f"calcstep {name}", args[1:]
    return typer.main.get_command(app), "calcstep", args


def _error_in_place(format: Format, text: str, message: str, line: int | None) -> str:
    """A batch's failed expression in its place in the output: in a document (LaTeX,
    Markdown) with its line and what it was, so that the reader knows which one."""
    if format not in (Format.latex, Format.markdown):
        return f"error: {message}"
    from calcstep.errors import shortened

    where = f"line {line}, " if line is not None else ""
    if format is Format.latex:  # a comment: the document still compiles
        return f"% error in {where}{shortened(text, 60)}: {message}"
    fence = "``" if "`" in text else "`"
    return f"> **Error** in {where}{fence} {shortened(text, 60)} {fence}: {message}"


def _without_a_command() -> str:
    """What `calcstep` alone says: the usage and the commands, each in a line."""
    lines = ["usage: calcstep COMMAND [ARGS]...", "", "commands:"]
    for info in app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")
        lines.append(f"  {name:<7} {_first_sentence(info.short_help or '', 68)}".rstrip())
    lines += ["", "calcstep COMMAND --help gives a command's options; man calcstep, all of them"]
    return "\n".join(lines)


def _first_sentence(text: str, width: int) -> str:
    """The first sentence of `text`, cut at a word with … beyond `width` characters."""
    ends = [found + 1 for found in (text.find(". "), text.find("? ")) if found != -1]
    sentence = text[: min(ends)] if ends else text
    if len(sentence) <= width:
        return sentence
    return sentence[: sentence.rfind(" ", 0, width)].rstrip(",:;") + " …"


def argv_hint(message: str, prog: str, args: list[str], valued: frozenset[str], here: list[str]) -> str | None:
    """A hint for the usage errors of a first command line, else None: the
    command left out (`calcstep x^2`), or an expression not quoted, which the
    shell split into words (`calcstep diff x^2 + 1`) or whose * it replaced with
    the names of files (`here`, the directory's listing).  `message` is Click's."""
    words = _unglobbed([as_typed(word) or "" for word in positionals(args, valued)], here)
    if prog == "calcstep" and message.startswith("No such command") and words:
        return _command_left_out(words)
    command = prog.split()[-1]
    if message.startswith("Got unexpected extra argument"):
        after = args[args.index("--") + 1 :] if "--" in args else []
        if any(word.startswith("--") for word in after):  # diff -- -h --no-steps
            return "-- ends the options: put them before it"
        glued = [word for word in words if word[:2] in valued and word[2:].isalnum()]
        if glued:  # -fxml: a value the option does not take, or an expression's end
            quoting = "each expression" if command == "check" else "the whole expression"
            return (f"for the option, write {glued[0][:2]} {glued[0][2:]}; "
                    f"for an expression, put {quoting} in quotes")
        if command == "check":
            return "put each expression in quotes: calcstep check 'x^2 + 1' '2x'"
        if command in ("diff", "parse", "grad"):
            return f"put the whole expression in quotes: {prog} {_quoted(' '.join(words))}"
    option = _lacking_its_value(message)
    if option is not None and not words and command in ("diff", "check", "grad", "parse"):
        # calcstep diff -n: the option, whose value is missing; the expression −n
        # must be told from it
        return f"{option} is an option that takes a value; for the expression {option}, write '({option})', or put it after --"
    return None


def _lacking_its_value(message: str) -> str | None:
    """The short option Click's "Option '-n' requires an argument." names, else None."""
    prefix, suffix = "Option '", "' requires an argument"
    if message.startswith(prefix) and suffix in message:
        option = message[len(prefix) : message.index(suffix)]
        return option if len(option) == 2 else None
    return None


def _command_left_out(words: list[str]) -> str | None:
    """The hint for an unknown command that reads as an expression (and is no
    near-miss of a command's name, which Typer suggests itself)."""
    import difflib

    names = [info.name or info.callback.__name__ for info in app.registered_commands]
    if difflib.get_close_matches(words[0], names):  # Typer's own test, so no hint twice
        return None
    text = " ".join(words)
    if _a_word_of_names(words[0]) or not _reads_as_expression(text):
        return None
    return f"to differentiate it, write calcstep diff {_quoted(text)}"


def _reads_as_expression(text: str) -> bool:
    """True when `text` parses as an expression."""
    from calcstep.errors import CalcstepError
    from calcstep.parse import parse

    try:
        parse(text)
    except CalcstepError:
        return False
    return True


def _a_word_of_names(word: str) -> bool:
    """True for a word of letters read as a product of names (hello is
    h·e·l·l·o): a command misspelt, more likely than an expression."""
    from calcstep.errors import CalcstepError
    from calcstep.expr import Const, Mul, Sym
    from calcstep.parse import parse

    if not (word.isalpha() and len(word) > 1):
        return False
    try:
        expr = parse(word).expr
    except CalcstepError:
        return False
    return type(expr) is Mul and all(type(factor) in (Sym, Const) for factor in expr.factors)


def positionals(args: list[str], valued: frozenset[str]) -> list[str]:
    """The words of `args` that are not options or their values."""
    found: list[str] = []
    skip = False
    for index, word in enumerate(args):
        if skip:
            skip = False
        elif word == "--":
            found.extend(args[index + 1 :])
            break
        elif word.startswith("-") and word != "-":
            skip = word in valued  # --wrt x; --wrt=x carries its value
        else:
            found.append(word)
    return found


def _unglobbed(words: list[str], here: list[str]) -> list[str]:
    """`words` with the run the shell made of an unquoted * (every name in the
    directory `here`, sorted) put back as *: 2 * x, not 2 a.txt b.txt x.  The
    run is compared sorted, as the shell's locale may order it otherwise."""
    size = len(here)
    for start in range(len(words) - size + 1 if size else 0):
        if sorted(words[start : start + size]) == here:
            return [*words[:start], "*", *words[start + size :]]
    return words


def _listing() -> list[str]:
    """The names an unquoted * stands for in the current directory: those not
    hidden, sorted."""
    try:
        return sorted(name for name in os.listdir() if not name.startswith("."))
    except OSError:
        return []


def _quoted(text: str) -> str:
    """`text` in the quotes a shell needs: single ones, or double ones around
    a text that holds a single quote (f'(x))."""
    return f'"{text}"' if "'" in text else f"'{text}'"


# Click's base error class, found through Typer's public BadParameter: typer 0.28
# vendors Click under a private name, older releases import the real one.
_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _as_typed_in(error: Exception, args: list[str]) -> None:
    """Click's message with each expression it quotes as typed: '-x^2', not the
    ' -x^2' that `protect_expressions` passed on."""
    message = getattr(error, "message", None)
    if not isinstance(message, str):
        return
    for word in args:
        if word.startswith(" -"):
            message = message.replace(word, word[1:])
    error.message = message  # type: ignore[attr-defined]


def tune_collector() -> None:
    """Set the garbage collector for calcstep's work, as `main` does (and the
    benchmarks, to time what the command line runs).

    Expression trees and derivations hold no reference cycles, so the collector's
    full passes over them find nothing and only cost time (40% of a 100,000-term
    sum's); young objects are still collected, fifty thousand at a time (a corpus
    batch spends 1% of its time collecting them, against 2% at ten thousand), and
    the process is short-lived."""
    gc.set_threshold(50_000, 1_000, 1_000)


def main(argv: list[str] | None = None) -> None:
    """The console entry point: exit status 0, 1 (check: wrong), 2 (bad input or
    usage) or 130 (interrupted); never a traceback for anything a user can type."""
    # calcstep enforces its own digit limit (--max-digits); Python's would turn a
    # long number into a ValueError deep inside printing
    sys.set_int_max_str_digits(0)
    if sys.stdout is None:  # started with stdout closed (>&-)
        _print_error("error: could not write the output: standard output is closed")
        raise SystemExit(2)
    _Streams.unicode = _prepare_stdout()
    tune_collector()
    args = sys.argv[1:] if argv is None else argv
    if not args:  # a usage error, said on stderr (Typer would write its help on stdout)
        _print_error(_without_a_command())
        raise SystemExit(2)
    command, prog, args = _command_for(args)
    words, valued = option_words(command)
    args = protect_expressions(args, words, valued, glued_values(command), argument_count(command))
    try:
        status = command.main(args=args, prog_name=prog, standalone_mode=False)
    except _CLICK_ERROR as error:
        _as_typed_in(error, args)
        error.show()
        hint = argv_hint(getattr(error, "message", ""), prog, args, valued, _listing())
        if hint is not None:
            _print_error(f"hint: {hint}")
        status = error.exit_code
    except (KeyboardInterrupt, typer.Abort):
        with suppress(OSError, ValueError):
            sys.stdout.flush()  # the answers held so far come before the word
        _print_error("interrupted")
        status = 130
    except BrokenPipeError:
        # the reader went away (`| head -1`): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        status = 141
    except OSError as error:  # a full disk, a device gone: said in a line, not a traceback
        _quiet_stdout()
        _print_error(f"error: could not read the input or write the output: {error.strerror or error}")
        status = 2
    raise SystemExit(status if isinstance(status, int) else 0)


def _quiet_stdout() -> None:
    """Point stdout at the null device, so the unwritable output still buffered is
    not tried again (and reported again) at exit."""
    with suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def run() -> NoReturn:
    """The `calcstep` program: `main`, then an immediate exit.  Output is flushed
    first; what is skipped is the interpreter's teardown, which frees every
    expression, step and cached text one object at a time (a tenth of a
    281-expression batch's time) only for the process to end."""
    try:
        main()
        status = 0
    except SystemExit as done:
        status = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError, AttributeError):  # AttributeError: a stream closed from the start
            pass  # a reader gone, a stream closed
        except OSError as error:
            with suppress(OSError):
                os.write(2, f"error: could not write the output: {error.strerror or error}\n".encode())
            status = status or 2
    os._exit(status)
