"""Piped stdin in the terminal chat: lines as sent, and a signal always stops the wait.

The CI hang this guards against: a SIGINT landing between Python's last signal check and the
blocking read only tripped a flag, and the chat kept waiting for a line. Here the signal is
delivered to another thread, which reproduces that every time: its handler cannot interrupt
the main thread's read, only the wakeup fd tells the waiting main thread."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from types import FrameType

import pytest

from adapters.console import pipe


class Stop(Exception):
    pass


def test_lines_as_sent_across_reads_and_line_ends() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "r") as stream:
        os.write(write_end, "first\r\nsecond\nÄ".encode()[:-1])  # half of the Ä
        os.write(write_end, "Ä".encode()[-1:] + b"\nlast without end")
        os.close(write_end)
        assert list(pipe.lines(stream)) == ["first", "second", "Ä", "last without end"]


def test_a_signal_stops_the_wait_at_once_even_from_another_thread() -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stop

    previous = signal.signal(signal.SIGUSR1, stop)
    read_end, write_end = os.pipe()
    # the way out if the wait were not stopped: a line, then EOF, after 3 s
    def late_line_then_eof() -> None:
        os.write(write_end, b"late\n")
        os.close(write_end)

    rescue = threading.Timer(3, late_line_then_eof)
    kill = threading.Timer(0.2, lambda: signal.pthread_kill(threading.get_ident(),
                                                            signal.SIGUSR1))
    try:
        with os.fdopen(read_end, "r") as stream:
            os.write(write_end, b"one\n")
            rescue.start()
            kill.start()
            start = time.monotonic()
            lines = pipe.lines(stream)
            assert next(lines) == "one"
            with pytest.raises(Stop):
                next(lines)
            assert time.monotonic() - start < 1.5, "the wait went on after the signal"
    finally:
        kill.join()
        rescue.cancel()
        rescue.join()
        with contextlib.suppress(OSError):  # the rescue may have closed it
            os.close(write_end)
        signal.signal(signal.SIGUSR1, previous)
        assert signal.set_wakeup_fd(-1) == -1  # the wakeup fd was given back
