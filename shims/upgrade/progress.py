"""A progress line on stderr while ``shims upgrade`` works through a folder or a big file.

Nothing is printed until the end otherwise, and a big repository takes minutes: the line says how
far it is (files done of all, lines, seconds). It is drawn only where stderr is a terminal, redrawn
at most twice a second by a thread (a big file keeps the main process busy in one call), and
cleared before every report line, so the report reads as it would without it.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Iterator, Optional, TextIO

#: below this many files and lines nothing is drawn: the run is over before a line would help
QUIET_BELOW_FILES, QUIET_BELOW_LINES = 20, 20_000
REDRAW_SECONDS = 0.5


class Progress:
    """``with Progress(total_files) as p: ... p.started(name, lines); p.finished(lines); p.say(text)``."""

    def __init__(self, total_files: int, stream: Optional[TextIO] = None, force: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.drawing = force or bool(getattr(self.stream, "isatty", lambda: False)())
        self.total, self.done, self.lines = total_files, 0, 0
        self.current: Optional[str] = None
        self.current_lines = 0
        self.start = time.monotonic()
        self.shown = False
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread: Optional[threading.Thread] = None

    def __enter__(self) -> "Progress":
        if self.drawing:
            self.thread = threading.Thread(target=self._tick, name="upgrade-progress", daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        with self.lock:
            self._clear()

    def started(self, name: str, lines: int) -> None:
        with self.lock:
            self.current, self.current_lines = name, lines

    def finished(self, lines: int) -> None:
        with self.lock:
            self.done += 1
            self.lines += lines
            self.current = None

    def say(self, text: str) -> None:
        """A report line: printed above the progress line, which is drawn again at the next tick."""
        with self.lock:
            self._clear()
            print(text, file=self.stream)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """The line cleared and not redrawn meanwhile (the diff goes to stdout, maybe the same terminal)."""
        with self.lock:
            self._clear()
            yield

    def line(self) -> str:
        elapsed = time.monotonic() - self.start
        text = f"upgrading: {self.done}/{self.total} files, {self.lines:,} lines, {elapsed:.0f} s"
        if self.current is not None and self.current_lines >= QUIET_BELOW_LINES:
            text += f" (now {self.current}: {self.current_lines:,} lines)"
        return text

    def _worth_showing(self) -> bool:
        big = self.current is not None and self.current_lines >= QUIET_BELOW_LINES
        return self.total >= QUIET_BELOW_FILES or big or self.lines >= QUIET_BELOW_LINES

    def _tick(self) -> None:
        while not self.stop.wait(REDRAW_SECONDS):
            with self.lock:
                if self._worth_showing():
                    self.stream.write("\r" + self.line() + "\033[K")
                    self.stream.flush()
                    self.shown = True

    def _clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False
