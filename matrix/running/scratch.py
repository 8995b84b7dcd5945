"""The temporary folders of a running session (a cell's report, the probes' output), and the removal of
those a killed session left behind.

    with scratch.folder("matrix-cell-") as tmp:     # matrix/running/cell.py, session.run_probes
        ...
    scratch.sweep()                                  # when a session starts

A ``with`` block removes its folder when it ends, but kill -9 ends the process inside the block and
leaves the folder in the temporary directory. So each folder made here is locked (``flock`` on the
folder itself) by its maker for as long as it is in use, then marked with an empty ``.owner`` file;
the kernel drops the lock when the maker dies. :func:`sweep` removes each marked ``matrix-cell-*`` or
``matrix-probes-*`` folder whose lock it can take: its maker is gone. A folder still in use, by this
process or another, is never touched (an unmarked one may be one being made: left alone).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

try:
    import fcntl
except ImportError:  # Windows: no flock; the folders are only removed by their own block
    fcntl = None  # type: ignore[assignment]

PREFIXES = ("matrix-cell-", "matrix-probes-")
OWNER = ".owner"


@contextmanager
def folder(prefix: str, dir: Optional[str | os.PathLike] = None) -> Iterator[str]:
    """A new folder (``tempfile.mkdtemp``) held by this process until the block ends, then removed."""
    path = tempfile.mkdtemp(prefix=prefix, dir=dir)
    fd = None
    try:
        if fcntl is not None:  # locked before it is marked: a sweep never sees it marked, unlocked and alive
            fd = os.open(path, os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.close(os.open(os.path.join(path, OWNER), os.O_CREAT | os.O_WRONLY, 0o600))
        yield path
    finally:
        if fd is not None:
            os.close(fd)
        shutil.rmtree(path, ignore_errors=True)


def abandoned(path: Path) -> bool:
    """Whether ``path`` is a folder made by :func:`folder` whose maker is gone (its lock is free)."""
    if fcntl is None or path.is_symlink() or not (path / OWNER).is_file():
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # held: in use
    finally:
        os.close(fd)
    return True


def sweep(dir: Optional[str | os.PathLike] = None) -> List[Path]:
    """Remove the folders of :data:`PREFIXES` in ``dir`` (the temporary directory) that a killed session
    left behind (:func:`abandoned`); returns them. Errors (another user's folder) are skipped."""
    removed = []
    try:
        entries = list(Path(dir or tempfile.gettempdir()).iterdir())
    except OSError:
        return removed
    for path in entries:
        if path.name.startswith(PREFIXES) and path.is_dir() and abandoned(path):
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(path)
    return removed
