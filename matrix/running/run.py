"""One nox run of the matrix: its id, the records it wrote, the sessions that failed, the probes it ran.

    run = Run(results.now())                      # noxfile.py, once per nox invocation
    matrix.running.session.run_session(session, ..., run=run)
    run.summarize_at_exit()                       # the end-of-run summary after the last session

nox has no hook after its last session, so the summary is printed at interpreter exit (``atexit``),
registered by the first matrix session that runs. A session skipped (its cells recorded as not run)
is not a failure: :func:`matrix.running.session.not_run` says so with :meth:`Run.skipping` before it skips.
"""
from __future__ import annotations

import atexit
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

from matrix.records import results, summary
from matrix.records.schema import ProbeRecord

#: The probes a session ran, kept for the sessions of the same pin: (records, error, the session's name).
ProbesRun = Tuple[List[ProbeRecord], Optional[str], str]


class Run:
    """The state of one nox invocation, shared by its matrix sessions (one process, one after another)."""

    def __init__(self, run_id: Optional[str] = None) -> None:
        #: The name of this nox invocation (its start time), written into every record it makes;
        #: None outside nox: records without one are told apart by date and machine.
        self.id = run_id
        #: The results files written, in order (their table ends the run).
        self.written: List[Path] = []
        #: (session, why) for each matrix session that failed, recorded or not.
        self.failed_sessions: List[Tuple[str, str]] = []
        #: The sessions that skipped (recorded as not run): an exception out of them is no failure.
        self.skipped: Set[str] = set()
        #: The probes run, by :func:`matrix.running.session.probes_key` (the eras of a pin share them).
        self.probes: Dict[tuple, ProbesRun] = {}
        self._at_exit = False

    def wrote(self, path: Path) -> None:
        self.written.append(path)

    def skipping(self, session_name: str) -> None:
        """The session is about to skip (its record is written): what it raises is not a failure."""
        self.skipped.add(session_name)

    def failed(self, session_name: str, exc: BaseException) -> None:
        """The session raised ``exc``: a failure, unless it was skipping."""
        if session_name not in self.skipped:
            self.failed_sessions.append((session_name, str(exc) or type(exc).__name__))

    def print_summary(self) -> None:
        """What needs attention first, the counts, then the table, across every matrix session this
        run recorded (each session prints its own table too); nothing when nothing was recorded or failed."""
        if not self.written and not self.failed_sessions:
            return
        folders = sorted({str(Path(p).parent) for p in self.written})
        print(f"\nnox: this run ({self.id}) recorded {len(self.written)} matrix session(s) in "
              f"{', '.join(folders) or '-'}")
        records, unreadable = results.read_records(self.written)  # one it wrote, damaged since: named, not lost
        print(summary.report(records, self.failed_sessions, unreadable))

    def summarize_at_exit(self) -> None:
        """Print the summary when the process exits (once, however many sessions ask)."""
        if not self._at_exit:
            self._at_exit = True
            atexit.register(self.print_summary)

    def forget_summary(self) -> None:
        """No summary at exit (bad options: refused before anything was recorded)."""
        atexit.unregister(self.print_summary)


__all__ = ["ProbesRun", "Run"]
