"""The one atomic file writer: a JSON file is replaced by a complete new one, or not at all.

    from matrix import jsonio
    jsonio.write_atomically(path, json.dumps(data, indent=1))

The caller serialises (so that a value that can't be serialised fails before any file is touched) and
keeps its own layout: :mod:`matrix.results` one line per cell and per probe, :mod:`matrix.trace` and
:mod:`matrix.probes` ``json.dumps(..., indent=1)``.

Runs inside every matrix cell (:mod:`matrix.trace`, :mod:`matrix.probes`), so: Python 3.7+ and the
standard library only.
"""
from __future__ import annotations

import os
import tempfile


def write_atomically(path: str | os.PathLike, text: str) -> None:
    """Replace ``path`` with ``text`` in one step, so that a reader never sees half a file and a crash
    mid-write leaves the old one.

    ``text`` goes to a temporary file in the same folder (``.tmp-*.json``: a dotfile, which readers of a
    results folder skip), is flushed and fsynced, then renamed over ``path`` (``os.replace``). The file
    gets the mode ``open()`` would give it (0666 less the umask), not mkstemp's 0600. On any error the
    temporary file is removed and ``path`` is left as it was. The folder must exist.
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would outlive the rename
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
