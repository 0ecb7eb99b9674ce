"""Lines from piped stdin that a Ctrl-C always interrupts.

Python runs a signal's handler between bytecodes. A SIGINT that lands in the few microseconds
between the last such check and a blocking `read()` only trips a flag: the read goes on
waiting for the next line, and the chat seems to ignore Ctrl-C (seen in CI; here about once in
220 runs). Waiting with `select` on stdin and on the signal wakeup fd closes that gap: the
signal handler writes to the wakeup fd, so `select` returns at once and the pending
KeyboardInterrupt is raised.
"""

from __future__ import annotations

import codecs
import os
import select
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


def lines(stream: TextIO) -> Iterator[str]:
    """Each line of `stream` without its line end. A stream with no file descriptor (a test's
    StringIO), Windows (no select on pipes) or a thread other than the main one (signals go to
    the main thread) is read plainly."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        fd = -1
    if fd < 0 or os.name == "nt" or threading.current_thread() is not threading.main_thread():
        yield from _plain(stream)
        return
    with _wakeup() as wake:
        yield from _selected(fd, wake)


def _plain(stream: TextIO) -> Iterator[str]:
    while line := stream.readline():
        yield line.rstrip("\n").rstrip("\r")


def _selected(fd: int, wake: int) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    while True:
        while "\n" in pending:
            line, pending = pending.split("\n", 1)
            yield line.rstrip("\r")
        ready, _, _ = select.select([fd, wake], [], [])
        if wake in ready:
            _drain(wake)  # a signal: its handler runs as soon as we are back in Python
        if fd not in ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            pending += decoder.decode(b"", final=True)
            if pending:
                yield pending.rstrip("\r")
            return
        pending += decoder.decode(chunk)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


@contextmanager
def _wakeup() -> Iterator[int]:
    """A non-blocking pipe the signal handlers write to while the block runs."""
    read_end, write_end = os.pipe()
    try:
        os.set_blocking(read_end, False)
        os.set_blocking(write_end, False)
        previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        try:
            yield read_end
        finally:
            signal.set_wakeup_fd(previous)
    finally:
        os.close(read_end)
        os.close(write_end)
