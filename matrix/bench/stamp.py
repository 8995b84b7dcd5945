"""Run a variant under :mod:`matrix.running.trace`, stamping each line it prints with the clock of its own process.

    python -m matrix.bench.stamp STAMPS.json REPORT.json variants/<era>/<example>.py --steps 300 ...

Why: :mod:`matrix.running.cell` stamps a line when the parent reads it from the pipe. On a busy machine the
parent's reader thread waits for a core, reads several lines at once and gives them nearly the same
stamp: a run of 10 ms between its first and last loss line was measured as 0.1 ms (torch 1.8.1, the
modern tensors example, 2 shared cores). Here ``sys.stdout`` is wrapped in the child itself, and each
completed line is stamped with ``time.perf_counter()`` as the script writes it; the text still
reaches stdout unchanged. The stamps ``[[seconds since start, line], ...]`` are written to STAMPS.json
when the script is done (atomically, :mod:`matrix.records.jsonio`), whatever way it ended.

Runs inside a pin's interpreter: Python 3.7+ and the standard library only.
"""
import json
import sys
import time

from matrix.records import jsonio
from matrix.running import trace

USAGE = "usage: python -m matrix.bench.stamp STAMPS.json REPORT.json SCRIPT [ARGS...]"


class StampedStream:
    """A text stream that passes everything to ``stream`` and stamps each line as it is completed."""

    def __init__(self, stream, start):
        self._stream = stream
        self._start = start
        self._partial = ""
        self.lines = []

    def write(self, text):
        now = time.perf_counter() - self._start
        pieces = (self._partial + text).split("\n")
        self._partial = pieces.pop()
        for line in pieces:
            self.lines.append([now, line])
        return self._stream.write(text)

    def __getattr__(self, name):  # flush, fileno, encoding, isatty...: the real stream's
        return getattr(self._stream, name)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3:
        print(USAGE, file=sys.stderr)
        return 2
    stamps_path = argv[0]
    stream = StampedStream(sys.stdout, time.perf_counter())
    sys.stdout = stream
    try:
        return trace.main(argv[1:])
    finally:
        sys.stdout = stream._stream
        lines = stream.lines + ([[time.perf_counter() - stream._start, stream._partial]] if stream._partial else [])
        jsonio.write_atomically(stamps_path, json.dumps(lines))


if __name__ == "__main__":
    sys.exit(main())
