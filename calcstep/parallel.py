"""Batches on several cores: the lines of a batch are answered in chunks by worker
processes forked from this one, and the answers come back in input order.

The command line gives each chunk to `ordered_results`, which returns the
answers chunk by chunk, in the order the chunks were read, while later chunks
are still being worked on.  Input is read as it arrives: a chunk is sent as soon
as it is full or no more input is waiting, so a pipe fed a line at a time is
answered a line at a time, and a file is cut into chunks of `CHUNK_LINES`.  At
most a few chunks per worker are read ahead, so a long batch never sits in
memory whole.

The pool is a few lines of os.fork and pipes rather than concurrent.futures, for
the sake of stopping: an interrupt must stop workers that are in the middle of a
long expression, and a worker killed while sending leaves the executor's
result thread waiting for the rest of the message at exit.  Here each worker
has its own pair of pipes and takes chunks in turn (chunk i goes to worker
i mod N, so its answers arrive in order), and stopping is killing.

Workers are forked before any thread of ours exists, start with everything
this process has loaded, and ignore SIGINT: an interrupt is the parent's to
handle.  Where fork is not available, `available()` is False and the command
line answers the batch in one process.
"""

from __future__ import annotations

import gc
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from typing import TYPE_CHECKING, Any, TypeVar

# queue, threading and json are loaded where workers are started, not here: the
# command line asks this module how many workers a batch takes (most take none),
# and loading them costs every batch some 3.5 ms of start-up
if TYPE_CHECKING:
    import queue
    import threading

T = TypeVar("T")
R = TypeVar("R")

# Lines per chunk: small enough that two workers share a few hundred lines
# evenly, large enough that sending a chunk costs little next to answering it.
CHUNK_LINES = 16
# Lines of a batch read from a file for each worker started when --jobs is not
# given: two workers answer 100 corpus lines some 10% sooner than one process,
# and 50 lines no sooner.
LINES_PER_WORKER = 50
# Workers started unasked at most: a container often sees every core of its host
# (and a worker takes some 20 MiB of its own once it works); -j 0 takes them all.
MAX_AUTO_WORKERS = 8
# How long to wait for more waiting input before sending a part-filled chunk.
_GATHER_SECONDS = 0.002
# Chunks in flight per worker (sent, or answered and not yet written).
_AHEAD_PER_WORKER = 4
_DONE = object()


def available() -> bool:
    """True where worker processes can be forked."""
    return hasattr(os, "fork")


def worker_count(requested: int) -> int:
    """The number of workers for `--jobs N`: N itself, or every usable core for 0."""
    if requested > 0:
        return requested
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - platforms without affinity
        return max(1, os.cpu_count() or 1)


def auto_worker_count(lines: int | None) -> int:
    """The number of workers when `--jobs` is not given, for a batch of `lines`
    lines (None: not known in advance, as from a pipe): one per LINES_PER_WORKER
    lines, up to one per usable core and MAX_AUTO_WORKERS; one (no workers) for a
    pipe.

    Starting workers costs some 10 ms (forking them, and a thread each way),
    which a short batch does not win back."""
    if lines is None or lines < 2 * LINES_PER_WORKER:
        return 1
    return min(worker_count(0), lines // LINES_PER_WORKER, MAX_AUTO_WORKERS)


def chunked(lines: Iterable[T], size: int = CHUNK_LINES) -> Iterator[list[T]]:
    """`lines` in lists of at most `size`, each sent as soon as it is full or the
    input pauses: a thread reads `lines` (which may block on a pipe) into a
    queue, and a chunk takes what is already waiting."""
    import queue
    import threading

    waiting: queue.Queue = queue.Queue(maxsize=size * 64)

    def read() -> None:
        try:
            for line in lines:
                waiting.put(line)
        except BaseException as error:  # handed to the reading side, raised there
            waiting.put(_Failure(error))
        waiting.put(_DONE)

    threading.Thread(target=read, name="calcstep-read", daemon=True).start()
    finished = False
    while not finished:
        chunk: list[T] = []
        item = waiting.get()
        while True:
            if item is _DONE:
                finished = True
                break
            if isinstance(item, _Failure):
                if chunk:
                    yield chunk
                raise item.error
            chunk.append(item)
            if len(chunk) >= size:
                break
            try:
                item = waiting.get(timeout=_GATHER_SECONDS)
            except queue.Empty:
                break
        if chunk:
            yield chunk


class _Failure:
    """An exception raised while reading input, carried to the other thread."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def ordered_results(
    work: Callable[[T, bool], R], chunks: Iterable[T], workers: int
) -> Iterator[tuple[T, R]]:
    """(chunk, work(chunk, first)) for each chunk, in order, computed by `workers`
    forked processes; `first` is True for the first chunk only.

    Must be called before this process starts any thread of its own: the workers
    are forked first, and only then is `chunks` read (in a thread, so that
    answers are written while input is still awaited).  A worker that dies
    (killed for memory, say) does not lose its chunk: that chunk and every later
    one are answered here instead, as is every chunk when no worker can be
    started (the system refuses a fork).  On any exit (the end, an interrupt, a
    closed pipe) the workers are stopped."""
    import queue
    import threading

    try:
        pool = _Pool(work, workers)
    except OSError:
        for index, chunk in enumerate(chunks):
            yield chunk, work(chunk, index == 0)
        return
    try:
        sent: queue.Queue = queue.Queue()
        room = threading.Semaphore(workers * _AHEAD_PER_WORKER)
        threading.Thread(
            target=pool.send_all, args=(chunks, sent, room), name="calcstep-send", daemon=True
        ).start()
        broken = False
        while True:
            item = sent.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            index, chunk = item
            answer: Any = None
            if not broken:
                answer = pool.receive(index)
                broken = answer is _LOST
            if broken:
                answer = work(chunk, index == 0)
            room.release()
            yield chunk, answer
    finally:
        pool.stop()


_LOST = object()


class _Pool:
    """`workers` forked processes, each with a pipe for chunks and one for answers;
    chunk i goes to worker i mod N."""

    def __init__(self, work: Callable[[Any, bool], Any], workers: int) -> None:
        self.pids: list[int] = []
        self.tasks: list[_End] = []
        self.answers: list[_End] = []
        # a frozen heap is left alone by the workers' collector, so its pages
        # stay shared with this process instead of being copied
        gc.freeze()
        for _ in range(workers):
            task_reader, task_writer = _pipe()
            answer_reader, answer_writer = _pipe()
            try:
                pid = os.fork()
            except OSError:
                for connection in (task_reader, task_writer, answer_reader, answer_writer):
                    connection.close()
                self.stop()  # the workers started so far
                raise
            if pid == 0:  # the worker
                task_writer.close()
                answer_reader.close()
                for connection in self.tasks + self.answers:
                    connection.close()  # the other workers' pipes: theirs alone
                _serve(work, task_reader, answer_writer)
            task_reader.close()
            answer_writer.close()
            self.pids.append(pid)
            self.tasks.append(task_writer)
            self.answers.append(answer_reader)

    def send_all(self, chunks: Iterable[Any], sent: queue.Queue, room: threading.Semaphore) -> None:
        """Send each chunk to its worker as it is read, and say so in `sent` (in
        order); waits while enough chunks are in flight."""
        try:
            for index, chunk in enumerate(chunks):
                room.acquire()
                # a worker that is gone cannot take it: the caller answers it then
                with suppress(OSError):
                    self.tasks[index % len(self.tasks)].send((chunk, index == 0))
                sent.put((index, chunk))
        except BaseException as error:  # handed to the writing side, raised there
            sent.put(_Failure(error))
            return
        sent.put(_DONE)

    def receive(self, index: int) -> Any:
        """The answer to chunk `index`, or _LOST when its worker has died."""
        try:
            return self.answers[index % len(self.answers)].recv()
        except (EOFError, OSError):
            return _LOST

    def stop(self) -> None:
        """Kill the workers (after a normal end they wait for work that will not
        come; after an interrupt they may be in the middle of a long expression)."""
        for pid in self.pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in self.pids:
            with suppress(ChildProcessError):
                os.waitpid(pid, 0)
        for connection in self.tasks + self.answers:
            connection.close()


def _serve(work: Callable[[Any, bool], Any], tasks: _End, answers: _End) -> None:
    """A worker's life: answer chunks until the pipe closes, then exit at once
    (no exit handlers: they are the parent's)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    status = 0
    try:
        while True:
            try:
                chunk, first = tasks.recv()
            except EOFError:
                break
            answers.send(work(chunk, first))
    except BaseException:  # a worker has nobody to tell but its parent, who sees EOF
        status = 1
    finally:
        os._exit(status)


# A message's length, ahead of its JSON text: 8 bytes, big-endian.
_HEADER = 8


class _End:
    """One end of a pipe that carries values as JSON: each message is the length
    of its text, then the text (ASCII: a lone surrogate that stdin's decoding
    let through travels escaped).  So chunks and answers are lists, strings,
    numbers, booleans and None, and a tuple arrives as a list.
    (multiprocessing.connection carries pickles, and importing it costs 11 ms,
    more than forking the workers does.)"""

    def __init__(self, fd: int) -> None:
        import json

        self.fd = fd
        self._dumps, self._loads = json.dumps, json.loads

    def send(self, value: Any) -> None:
        """Write `value`; OSError (BrokenPipeError) when the reader is gone."""
        data = self._dumps(value, separators=(",", ":")).encode("ascii")
        message = memoryview(len(data).to_bytes(_HEADER, "big") + data)
        while message:
            message = message[os.write(self.fd, message):]

    def recv(self) -> Any:
        """The next value written; EOFError when the writer has closed its end
        (or died) before writing a whole message."""
        size = int.from_bytes(self._read(_HEADER), "big")
        return self._loads(self._read(size))

    def _read(self, size: int) -> bytes:
        parts: list[bytes] = []
        while size:
            part = os.read(self.fd, min(size, 1 << 20))
            if not part:
                raise EOFError
            parts.append(part)
            size -= len(part)
        return b"".join(parts)

    def close(self) -> None:
        if self.fd >= 0:
            with suppress(OSError):
                os.close(self.fd)
            self.fd = -1


def _pipe() -> tuple[_End, _End]:
    """A one-way pipe: (the end to read, the end to write)."""
    reader, writer = os.pipe()
    return _End(reader), _End(writer)
