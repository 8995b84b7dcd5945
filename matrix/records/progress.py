"""A session's record while its cells run: rewritten as each cell finishes, merged by cell under a lock.

    from matrix.records import progress
    done = progress.update(path, record, planned=[("nn", "variant"), ...], keep_unplanned=False, since=start)

A session used to write its record once, at its end, so Ctrl-C or a kill late in a long session kept
none of its finished cells. :mod:`matrix.running.session` now calls :func:`update` each time a cell
finishes, with the status "interrupted" until the last one is in and the record is complete: whatever
stops the session (Ctrl-C, kill -9, a crash) leaves a record of the cells that ran, saying so.

Two sessions may write one file at once (two nox runs into one folder). Each update holds an exclusive
lock on the folder (``flock`` on the folder itself: no lock file is left behind) while it reads the
record there, merges and replaces it, so that no update undoes another's. The merge is by cell
(example, mode): this session's cells replace the same cells there; the other cells there are kept
when they were run on the same torch build, CPU or GPU and commit (:func:`same_setup`: one file never
mixes cells of other code or machines), and only the cells this session plans unless ``keep_unplanned``
(``--example``: the rest of the previous record stays). What was kept or replaced of another run is
returned, for the session to say in its "wrote" line: a writer never loses another's cells silently.

Cells of one key can only be held once: where two runs ran the same cell, the later one's is kept.
"""
from __future__ import annotations

import json
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from matrix import EXAMPLES
from matrix.records import results
from matrix.records.schema import SessionRecord

try:
    import fcntl
except ImportError:  # Windows: no flock; one writer at a time is then the user's to ensure
    fcntl = None  # type: ignore[assignment]

#: A record whose session stopped (or is still running) before every planned cell had a result.
INTERRUPTED = "interrupted"
#: What must match for a record's cells to be kept beside another session's in one file.
SETUP_KEYS = ("session", "torch_pin", "torch", "torch_build", "device_name", "commit")

Key = Tuple[str, str]
_EXAMPLE_ORDER = {example: i for i, example in enumerate(EXAMPLES)}


@dataclass
class Update:
    """What :func:`update` wrote, and what it did to the cells of other runs that were there."""

    record: SessionRecord  #: the record as written (merged)
    #: "run R" (or "an earlier record") -> how many of its cells were kept beside this session's
    kept: Dict[str, int] = field(default_factory=dict)
    #: one line per loss to say: another run's cells replaced (another setup, or the same cells)
    replaced: List[str] = field(default_factory=list)

    def kept_note(self) -> str:
        """`` (kept 3 cell(s) of run R: ...)`` for the "wrote" line: what the record holds besides this
        session's cells ("" when nothing)."""
        kept = [f"{n} cell(s) of {source}" for source, n in self.kept.items()]
        return f" (kept {', '.join(kept)}: same torch build, machine and commit)" if kept else ""


@dataclass
class Progress:
    """The cells a running session has finished, rewritten into its record after each
    (:func:`matrix.running.session.record_cell`)."""

    cells: List[Dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)  #: cells end in several threads (--jobs)
    #: set once the session is interrupted: a cell that ends after that is not recorded (its process
    #: may have been stopped with the session) and no other starts
    stopping: threading.Event = field(default_factory=threading.Event)
    how: Optional[str] = None  #: how the session was interrupted ("by Ctrl-C"), once it was
    info: Optional[Dict[str, Any]] = None  #: the interpreter the cells ran in
    complete: bool = False  #: the session's complete record is written


def key(cell: Mapping[str, Any]) -> Key:
    return str(cell.get("example")), str(cell.get("mode", "variant"))


def label(cell_key: Key) -> str:
    """``nn`` or ``nn (as published)``: a cell as the session's log and the summary name it."""
    example, mode = cell_key
    return example if mode == "variant" else f"{example} ({mode.replace('_', ' ')})"


def same_setup(previous: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Whether ``previous``'s cells may stay beside ``record``'s in one file: a record that ran (or is
    running), of the same session, torch build, CPU or GPU and commit."""
    return previous.get("status") in ("ran", INTERRUPTED) and all(
        previous.get(name) == record.get(name) for name in SETUP_KEYS)


@contextmanager
def folder_lock(folder: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``folder`` itself (blocking until the other writer is done); the
    kernel releases it when the process dies, so a killed writer never leaves it held."""
    if fcntl is None:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def read(path: str | os.PathLike) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """(the record at ``path`` or None, why it could not be read or None; a missing file is no problem)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        return None, str(exc)
    if not isinstance(data, dict) or data.get("schema") != results.SCHEMA:
        return None, "not a session record of this format"
    return data, None


def merge(previous: Optional[Mapping[str, Any]], record: SessionRecord, *, planned: Sequence[Key],
          keep_unplanned: bool, since: Optional[str] = None) -> Update:
    """``record`` with the cells of ``previous`` it may keep (see the module's docstring), in the order
    of a complete record (variants first, then "as published", each in EXAMPLES order). ``since``: when
    this session started; a ``previous`` of another run written after it was written while this session
    ran (another writer), and what is replaced of it is said."""
    order = set(planned)
    fresh = {key(c): c for c in record.get("cells") or []}
    out = Update(record=dict(record))  # type: ignore[arg-type]
    cells: List[Any] = []
    other_run = previous is not None and previous.get("run") != record.get("run")
    concurrent = bool(other_run and since is not None
                      and str(previous.get("date") or "") >= since)  # type: ignore[union-attr]
    who = f"run {previous.get('run') or previous.get('date')}" if previous else ""
    if previous is not None and same_setup(previous, record):
        replaced = []
        for cell in previous.get("cells") or []:
            if key(cell) in fresh:
                cells.append(fresh.pop(key(cell)))
                if concurrent:
                    replaced.append(label(key(cell)))
            elif key(cell) in order or keep_unplanned:  # each kept cell says which run made it
                cells.append(dict(cell, run=cell.get("run") or previous.get("run")))
                source = who if other_run else "an earlier record"
                out.kept[source] = out.kept.get(source, 0) + 1
        if replaced:
            out.replaced.append(f"replaced {len(replaced)} cell(s) of {who}, written while this session ran, "
                                f"with this run's: {', '.join(replaced)}")
    elif previous is not None and concurrent and previous.get("cells"):
        out.replaced.append(f"replaced the record of {who}, written while this session ran on another "
                            f"torch build, CPU or commit ({len(previous['cells'])} cell(s))")
    cells += list(fresh.values())
    out.record["cells"] = sorted(cells, key=lambda c: (c.get("mode", "variant") != "variant",
                                                       _EXAMPLE_ORDER.get(c.get("example"), len(_EXAMPLE_ORDER))))
    return out


def update(path: str | os.PathLike, record: SessionRecord, *, planned: Sequence[Key], keep_unplanned: bool,
           since: Optional[str] = None) -> Update:
    """Merge ``record`` with the one at ``path`` (:func:`merge`) and replace it atomically, under the
    folder's lock. A record there that cannot be read is replaced, and that is said."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with folder_lock(path.parent):
        previous, unreadable = read(path)
        done = merge(previous, record, planned=planned, keep_unplanned=keep_unplanned, since=since)
        if unreadable:
            done.replaced.append(f"replaced {path.name}, which could not be read ({unreadable})")
        results.write_json_atomically(path, done.record)
    return done


def missing(record: Mapping[str, Any], planned: Sequence[Key]) -> List[Key]:
    """The planned cells that ``record`` has no cell for."""
    have = {key(c) for c in record.get("cells") or []}
    return [k for k in planned if k not in have]


def interrupted_reason(done: int, planned: Sequence[Key], left: Sequence[Key], how: Optional[str] = None) -> str:
    """Why a record is "interrupted": how (Ctrl-C...) if known, how many of this session's cells ran,
    and which have no result (the first few)."""
    head = f"interrupted {how}" if how else "interrupted (Ctrl-C, a kill or a crash), or still running"
    if not left:
        return f"{head}: all {len(planned)} cells ran, the probes did not finish"
    names = ", ".join(label(k) for k in left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
    return f"{head}: {done} of {len(planned)} cells ran; no result from this run for {names}"


__all__ = ["INTERRUPTED", "Progress", "Update", "folder_lock", "interrupted_reason", "key", "label", "merge", "missing",
           "read", "same_setup", "update"]
