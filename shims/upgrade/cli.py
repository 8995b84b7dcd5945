"""``python -m shims upgrade [--write [--force] | --check] [--format json] [--target-torch X [--keep-working-on Y]] PATH...``

Rewrites 2017-2018 torch / TensorFlow 1 idioms in the files given (a folder: every ``*.py`` and
``*.ipynb`` under it, ``.ipynb_checkpoints`` folders skipped) with the rules of :mod:`shims.upgrade.rules`:

- default: prints a unified diff on stdout (apply it with ``patch -p0``), changes no file;
- ``--write``: replaces each changed file atomically, in its own encoding and mode (a temporary file
  next to it, then ``os.replace``: never a half-written file; :mod:`shims.upgrade.files`). A file that
  cannot be written (its folder not writable, a full disk) is reported ``not written: <why>: <path>``,
  left as it was, and the rest is still done; a write-protected file is left alone (``read-only``)
  unless ``--force``;
- ``--check``: prints nothing on stdout and exits 1 when any file would change.
- ``--format json``: no diff; stdout holds one JSON object instead, ``{"files": [...], "not_checked":
  [change ids]}``, each file ``{"path", "changed", "skipped", "error" (bad input, or ``not written: why``),
  "findings"}`` and each finding
  ``{"line", "change_id", "action" ("changed" or "found": fix by hand), "what", "fix", "docs"}``
  (a notebook's also ``"cell"``, ``"line"`` being the line in that cell). Works with ``--write`` and
  ``--check``; the report below is then not printed, bad input still goes to stderr.

A notebook (``.ipynb``, nbformat 4) is upgraded as one script of its code cells
(:mod:`shims.upgrade.notebook`): IPython's lines (``%matplotlib inline``, ``!pip ...``, ``%%time``)
and the outputs are left as they are, and the JSON keeps its layout. Its diff is the diff of the
JSON file (``patch -p0`` applies it); its report names ``train.ipynb:cell 3:line 2`` (cells counted
from 1, markdown ones included).

``--target-torch X`` (e.g. 1.8.1): rewrite only what torch X needs, never into a form X lacks (the
catalog's ``new_since``): such places are reported "not rewritten for torch X: ... needs torch >= V",
old forms that still work on X without a warning are reported as kept. ``--keep-working-on Y``: the
result must also run on torch Y (older or newer). Default: the newest torch, every rule.

A folder's files are upgraded on every usable CPU at once (``--jobs N``: N processes; the report and
the writes come in the files' order all the same), and where stderr is a terminal a progress line
says how far it is (files, lines, seconds): :mod:`shims.upgrade.parallel`, :mod:`shims.upgrade.progress`.

The report (what changed, what is left to fix by hand with the docs section to read) goes to stderr.
Exit status: 0 done; 1 (``--check``) something would change; 2 bad input: a syntax error (file, line,
Python's message; nothing output for that file), a path that does not exist, a named file that is
not text in its encoding (PEP 263: UTF-8 unless a coding cookie says otherwise) or cannot be read, a
notebook that is not JSON of nbformat 4, a ``--target-torch`` / ``--keep-working-on`` that is not a
version, ``--force`` without ``--write`` (one line, nothing done); 3 (``--write``) a file that should
change was not written (ahead of 2). Files without a torch or tensorflow import are left alone;
binary, undecodable or unreadable files met while walking a folder are skipped with a note.
"""
from __future__ import annotations

import argparse
import codecs
import difflib
import json
import sys
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

from shims.upgrade import EXIT_BAD_INPUT, EXIT_NOT_WRITTEN, EXIT_OK, EXIT_WOULD_CHANGE
from shims.upgrade.engine import Upgraded
from shims.upgrade.files import read_source, write_back
from shims.upgrade.notebook import Notebook, NotebookError, parse_notebook
from shims.upgrade.parallel import upgrade_all, usable_cpus
from shims.upgrade.progress import Progress
from shims.upgrade.report import finding_lines, json_file, not_checked_ids, not_checked_note, summary_line
from shims.upgrade.target import BadVersion, Target


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1 or more)")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m shims upgrade",
                                description="Rewrite 2017-2018 PyTorch / TensorFlow 1 idioms (matrix/catalog.toml).",
                                epilog="exit status: 0 done; 1 --check: something would change; 2 bad input; "
                                       "3 --write: a file was not written (each named with why; the rest done)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="replace the files (atomically) instead of printing a diff")
    mode.add_argument("--check", action="store_true", help="exit 1 if any file would change; print no diff")
    p.add_argument("--force", action="store_true", help="with --write: also write files that are write-protected")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="json: a machine-readable report on stdout instead of the diff")
    p.add_argument("--target-torch", metavar="X", help="rewrite only what torch X needs, into forms X has "
                                                       "(default: the newest)")
    p.add_argument("--keep-working-on", metavar="Y", help="the result must also run on torch Y")
    p.add_argument("--jobs", type=_positive, metavar="N", help="files upgraded at once, each in a process of its "
                                                               "own (default: the usable CPUs)")
    p.add_argument("paths", nargs="+", help="files, or folders (every *.py and *.ipynb under them)")
    return p


class _File:
    """One file of the command line, read (:meth:`read`) just before it is upgraded: its text, or what
    keeps it from being upgraded (``error``, reported as ``error_key`` in the JSON report)."""

    def __init__(self, path: Path, named: bool) -> None:
        self.path, self.named, self.shown = path, named, str(path)
        self.text: str = ""
        self.encoding = "utf-8"
        self.notebook: Optional[Notebook] = None
        self.error: Optional[str] = None
        self.error_key, self.error_line = "error", ""

    def read(self, progress: Progress) -> Optional[Tuple[str, str]]:
        """(the script to upgrade, its name), or None: an error, or a notebook in another language."""
        shown = self.shown
        if not self.path.exists():
            self.error = "no such file or folder"
            self.error_line = f"{shown}: no such file or folder"
            return None
        text, why, self.encoding = read_source(self.path)
        if text is None:
            self.error, self.error_key, self.error_line = why, "skipped", f"{shown}: skipped: {why}"
            return None
        self.text = text
        if self.path.suffix == ".ipynb":
            try:
                self.notebook = parse_notebook(text, shown)
            except NotebookError as exc:
                self.error, self.error_line = str(exc), f"{shown}: {exc}; nothing was changed"
                return None
            if self.notebook.language.lower() != "python":
                return None
        source = self.notebook.script()[0] if self.notebook is not None else text
        progress.started(shown, source.count("\n"))
        return source, shown


def _jobs(asked: Optional[int], found: List["_File"]) -> int:
    """Worker processes: ``--jobs``, else the usable CPUs; one for a single file (no pool to start)."""
    return 1 if len(found) < 2 else asked or usable_cpus()


def iter_files(paths: List[str]) -> Iterator[Tuple[Path, bool]]:
    """(file, named) for each path: a file as given, a folder's ``*.py`` and ``*.ipynb`` sorted
    (``named`` False; Jupyter's ``.ipynb_checkpoints`` copies left out)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for f in sorted([*path.rglob("*.py"), *path.rglob("*.ipynb")]):
                if f.is_file() and ".ipynb_checkpoints" not in f.relative_to(path).parts:
                    yield f, False
        else:
            yield path, True


def unified_diff(old: str, new: str, name: str) -> Iterator[str]:
    """``diff -u`` lines, with patch's marker after a last line that has no newline."""
    for line in difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                     fromfile=name, tofile=name):
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def write_diff(lines: Iterator[str], encoding: str) -> None:
    """The diff on stdout in the file's own encoding (a Latin-1 script's diff is Latin-1, as ``diff -u``
    would print it, so that ``patch`` applies it to the file's bytes)."""
    if codecs.lookup(encoding).name == "utf-8" or not hasattr(sys.stdout, "buffer"):
        sys.stdout.writelines(lines)
        return
    sys.stdout.flush()
    sys.stdout.buffer.write("".join(lines).encode(encoding))
    sys.stdout.buffer.flush()


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    err = sys.stderr
    as_json, files = args.format == "json", []
    try:
        Target.of(args.target_torch, args.keep_working_on)
    except BadVersion as exc:
        print(f"python -m shims upgrade: --{exc.option.replace('_', '-')}: {exc.text!r} is not a version "
              "(e.g. 1.8.1)", file=err)
        return EXIT_BAD_INPUT
    if args.force and not args.write:
        print("python -m shims upgrade: --force goes with --write (it lets a write-protected file be written)",
              file=err)
        return EXIT_BAD_INPUT
    status, would_change, looked_at_torch, all_written = EXIT_OK, False, False, True
    options = {"target_torch": args.target_torch, "keep_working_on": args.keep_working_on}
    found = [_File(path, named) for path, named in iter_files(args.paths)]
    with Progress(len(found)) as progress:
        for f, outcome in upgrade_all(found, lambda f: f.read(progress), options, _jobs(args.jobs, found)):
            shown, text, notebook = f.shown, f.text, f.notebook
            if f.error is not None:  # no such file, not text, not a notebook
                progress.finished(0)
                progress.say(f.error_line)
                files.append(json_file(shown, **{f.error_key: f.error}))
                if f.error_key == "error" or f.named:
                    status = EXIT_BAD_INPUT
                continue
            place, relabel = (notebook.place, notebook.relabel) if notebook is not None else (str, str)
            result, bad = outcome if outcome is not None else (
                Upgraded(text, text, skipped=f"a {notebook.language} notebook, not Python"), None)
            progress.finished(text.count("\n"))
            if bad is not None:
                line, message = bad
                progress.say(f"{shown}:{place(line)}: syntax error: {relabel(message)} (is it Python 2? fix or convert "
                             "it first); nothing was changed")
                files.append(json_file(shown, error=f"{place(line)}: syntax error: {relabel(message)}"))
                status = EXIT_BAD_INPUT
                continue
            if result.skipped:
                if not as_json:
                    progress.say(f"{shown}: left alone: {result.skipped}")
                files.append(json_file(shown, skipped=result.skipped))
                continue
            looked_at_torch = True
            new = notebook.with_script(result.new) if notebook is not None else result.new
            changed = new != text
            # written before it is reported: the report claims only what is on disk
            not_written = write_back(f.path, new, f.encoding, force=args.force) if changed and args.write else None
            all_written = all_written and not_written is None
            files.append(json_file(shown, changed and not_written is None, result.findings,
                                   notebook.script()[1] if notebook else None,
                                   error=f"not written: {not_written}" if not_written else None))
            if not as_json:
                for line in finding_lines(shown, result.findings, place, written=not_written is None):
                    progress.say(line)
                progress.say(summary_line(shown, result.findings, changed, not_written=not_written))
            if not changed:
                continue
            would_change = True
            if not args.write and not args.check and not as_json:
                with progress.held():
                    write_diff(unified_diff(text, new, shown), f.encoding)
    if as_json:
        json.dump({"files": files, "not_checked": not_checked_ids()}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif looked_at_torch:
        print(not_checked_note(), file=err)
    if not all_written:
        return EXIT_NOT_WRITTEN
    if status == EXIT_OK and args.check and would_change:
        return EXIT_WOULD_CHANGE
    return status
