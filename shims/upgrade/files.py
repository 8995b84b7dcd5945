"""The user's files for ``python -m shims upgrade`` and ``run``: read in the encoding they declare, written
back in it, and a write that fails is a reason to report, never a traceback.

- :func:`read_source`: a ``.py`` file is decoded as Python decodes it (PEP 263: a ``# -*- coding: latin-1
  -*-`` cookie in the first two lines, a UTF-8 BOM, else UTF-8), so a Latin-1 script with its cookie is
  upgraded and written back in Latin-1, byte for byte where nothing changed. A notebook is JSON: UTF-8.
- :func:`write_back`: the new text replaces the file atomically (:mod:`matrix.records.jsonio`: a
  temporary file in the same folder, fsynced, then ``os.replace``) with the file's mode bits; on any
  failure (a full disk, a folder the user cannot write) the original is left as it was and no temporary
  file stays behind. A file without write permission is left alone unless ``force`` (``--force``): a
  rename would replace it silently. Either way the caller gets one line that says why, with the
  OSError's message and the path.
"""
from __future__ import annotations

import codecs
import io
import os
import stat
import tokenize
from pathlib import Path
from typing import Optional, Tuple

from matrix.records import jsonio

__all__ = ["READ_ONLY", "read_source", "write_back"]

#: the reason given for a write-protected file left alone
READ_ONLY = "read-only: left alone; --force to write it anyway"


def read_source(path: Path) -> Tuple[Optional[str], Optional[str], str]:
    """``(text, None, encoding)``, or ``(None, why, encoding)`` for a file that is not text in the
    encoding it declares (newlines kept as they are; ``encoding`` is what :func:`write_back` takes)."""
    try:
        data = path.read_bytes()
    except OSError as exc:  # a file this user may not read
        return None, f"cannot be read: {exc.strerror or exc}", "utf-8"
    if b"\x00" in data:
        return None, "binary file (NUL bytes)", "utf-8"
    encoding = "utf-8"
    if path.suffix != ".ipynb":
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            if "invalid or missing" not in exc.msg:  # an unknown coding cookie, or a BOM beside another one
                return None, f"its coding declaration is not one Python reads ({exc.msg})", "utf-8"
            # no cookie and the first lines are not UTF-8: decoding says where
    try:
        return data.decode(encoding), None, encoding
    except UnicodeDecodeError as exc:
        name = "UTF-8" if codecs.lookup(encoding).name == "utf-8" else encoding
        return None, f"not {name} text ({exc.reason} at byte {exc.start})", encoding


def write_protected(path: Path) -> bool:
    """Whether ``path`` carries no write permission for this user: no write bit at all (also for root,
    who may write anything) or, by the system's own check, none for this user."""
    mode = os.stat(path).st_mode
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK)


def write_back(path: Path, text: str, encoding: str = "utf-8", *, force: bool = False) -> Optional[str]:
    """Replace ``path`` with ``text`` in ``encoding`` (:func:`matrix.records.jsonio.write_atomically`:
    mode bits and newlines kept); None when written, else the reason it was not: :data:`READ_ONLY`,
    ``Permission denied: /the/folder``, ``No space left on device: the/file.py``."""
    try:
        text.encode(encoding)
    except UnicodeEncodeError as exc:
        return f"the new text cannot be written in the file's encoding {encoding} ({exc.reason})"
    try:
        if not force and write_protected(path):
            return READ_ONLY
        jsonio.write_atomically(path, text, newline="", keep_mode=True, encoding=encoding)
    except OSError as exc:
        return f"{exc.strerror or exc}: {_where(exc, path)}"
    return None


def _where(exc: OSError, path: Path) -> Path:
    """The path the user knows: the file, or its folder where the temporary file next to it failed
    (the OSError names the temporary file there: nobody has seen that name)."""
    name = exc.filename
    if name is None or exc.filename2 is not None or os.path.abspath(name) == os.path.abspath(path):
        return path
    return path.absolute().parent
