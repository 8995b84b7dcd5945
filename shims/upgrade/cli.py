"""``python -m shims upgrade [--write | --check] [--target-torch X [--keep-working-on Y]] PATH...``

Rewrites 2017-2018 torch / TensorFlow 1 idioms in the files given (a folder: every ``*.py`` under it)
with the rules of :mod:`shims.upgrade.rules`:

- default: prints a unified diff on stdout (apply it with ``patch -p0``), changes no file;
- ``--write``: replaces each changed file atomically (a temporary file next to it, then
  ``os.replace``: never a half-written file);
- ``--check``: prints nothing on stdout and exits 1 when any file would change.

``--target-torch X`` (e.g. 1.8.1): rewrite only what torch X needs, never into a form X lacks (the
catalog's ``new_since``): such places are reported "not rewritten for torch X: ... needs torch >= V",
old forms that still work on X without a warning are reported as kept. ``--keep-working-on Y``: the
result must also run on torch Y (older or newer). Default: the newest torch, every rule.

The report (what changed, what is left to fix by hand with the docs section to read) goes to stderr.
Exit status: 0 done; 1 (``--check``) something would change; 2 bad input: a syntax error (file, line,
Python's message; nothing output for that file), a path that does not exist, a named file that is
not UTF-8 text, a ``--target-torch`` / ``--keep-working-on`` that is not a version (one line, nothing
done). Files without a torch or tensorflow import are left alone; binary or non-UTF-8 files met while
walking a folder are skipped with a note.
"""
from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

from shims.upgrade import EXIT_BAD_INPUT, EXIT_OK, EXIT_WOULD_CHANGE
from shims.upgrade.engine import BadSource, upgrade_source
from shims.upgrade.target import BadVersion, Target
from shims.upgrade.report import finding_lines, not_checked_note, summary_line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m shims upgrade",
                                description="Rewrite 2017-2018 PyTorch / TensorFlow 1 idioms (matrix/catalog.toml).")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="replace the files (atomically) instead of printing a diff")
    mode.add_argument("--check", action="store_true", help="exit 1 if any file would change; print no diff")
    p.add_argument("--target-torch", metavar="X", help="rewrite only what torch X needs, into forms X has "
                                                       "(default: the newest)")
    p.add_argument("--keep-working-on", metavar="Y", help="the result must also run on torch Y")
    p.add_argument("paths", nargs="+", help="files, or folders (every *.py under them)")
    return p


def iter_files(paths: List[str]) -> Iterator[Tuple[Path, bool]]:
    """(file, named) for each path: a file as given, a folder's ``*.py`` sorted (``named`` False)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for f in sorted(path.rglob("*.py")):
                if f.is_file():
                    yield f, False
        else:
            yield path, True


def read_text(path: Path) -> Tuple[Optional[str], Optional[str]]:
    """(text, None), or (None, why) for a file that is not UTF-8 text (newlines kept as they are)."""
    data = path.read_bytes()
    if b"\x00" in data:
        return None, "binary file (NUL bytes)"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text``: a temporary file in the same folder, flushed, then ``os.replace``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def unified_diff(old: str, new: str, name: str) -> Iterator[str]:
    """``diff -u`` lines, with patch's marker after a last line that has no newline."""
    for line in difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                     fromfile=name, tofile=name):
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    err = sys.stderr
    try:
        Target.of(args.target_torch, args.keep_working_on)
    except BadVersion as exc:
        print(f"python -m shims upgrade: --{exc.option.replace('_', '-')}: {exc.text!r} is not a version "
              "(e.g. 1.8.1)", file=err)
        return EXIT_BAD_INPUT
    status, would_change, looked_at_torch = EXIT_OK, False, False
    for path, named in iter_files(args.paths):
        shown = str(path)
        if not path.exists():
            print(f"{shown}: no such file or folder", file=err)
            status = EXIT_BAD_INPUT
            continue
        text, why = read_text(path)
        if text is None:
            print(f"{shown}: skipped: {why}", file=err)
            if named:
                status = EXIT_BAD_INPUT
            continue
        try:
            result = upgrade_source(text, shown, target_torch=args.target_torch,
                                    keep_working_on=args.keep_working_on)
        except BadSource as exc:
            print(f"{shown}:{exc.line}: syntax error: {exc.message} (is it Python 2? fix or convert it first); "
                  "nothing was changed", file=err)
            status = EXIT_BAD_INPUT
            continue
        if result.skipped:
            print(f"{shown}: left alone: {result.skipped}", file=err)
            continue
        looked_at_torch = True
        for line in finding_lines(shown, result.findings):
            print(line, file=err)
        print(summary_line(shown, result.findings, result.changed), file=err)
        if not result.changed:
            continue
        would_change = True
        if args.write:
            write_atomically(path, result.new)
        elif not args.check:
            sys.stdout.writelines(unified_diff(result.source, result.new, shown))
    if looked_at_torch:
        print(not_checked_note(), file=err)
    if status == EXIT_OK and args.check and would_change:
        return EXIT_WOULD_CHANGE
    return status
