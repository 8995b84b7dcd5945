"""The one atomic file writer: a file is replaced by a complete new one, or not at all.

    from matrix.records import jsonio
    jsonio.write_atomically(path, json.dumps(data, indent=1))

The caller serialises (so that a value that can't be serialised fails before any file is touched) and
keeps its own layout: :mod:`matrix.records.results` one line per cell and per probe, :mod:`matrix.running.trace` and
:mod:`matrix.probes` ``json.dumps(..., indent=1)``. Not only JSON: :mod:`matrix.ci.workflow` writes the
GitHub workflow with it, and ``python -m shims upgrade --write`` (:mod:`shims.upgrade.files`) people's
scripts, keeping their mode bits, line endings and encoding (``keep_mode=True, newline="", encoding=``).

Runs inside every matrix cell (:mod:`matrix.running.trace`, :mod:`matrix.probes`), so: Python 3.7+ and the
standard library only.
"""
from __future__ import annotations

import os
import stat
import tempfile


def write_atomically(path: str | os.PathLike, text: str, *, newline: str | None = None,
                     keep_mode: bool = False, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text`` in one step, so that a reader never sees half a file and a crash
    mid-write leaves the old one.

    ``text`` goes to a temporary file in the same folder (``.tmp-*.json``: a dotfile, which readers of a
    results folder skip), is flushed and fsynced, then renamed over ``path`` (``os.replace``). The file
    gets the mode ``open()`` would give it (0666 less the umask), not mkstemp's 0600; with
    ``keep_mode=True``, the mode bits of the file it replaces, which must exist (a script's executable
    bit survives an upgrade). ``newline`` is ``open()``'s: None translates each newline to the platform's
    line separator, ``""`` writes ``text`` exactly as given (CRLF line endings included); ``encoding``:
    the file's (a script's PEP 263 coding). On any error the temporary file is removed and ``path`` is
    left as it was. The folder must exist.
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            if keep_mode:
                mode = stat.S_IMODE(os.stat(path).st_mode)
            else:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(tmp, mode)  # mkstemp's 0600 would outlive the rename
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
