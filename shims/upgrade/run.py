"""``python -m shims run SCRIPT [ARGS...]``: an unmodified 2017-2018 script on today's torch and TensorFlow.

The script's text goes through the same rules as ``python -m shims upgrade``, in memory; the result
is compiled under the script's real file name and run as ``runpy.run_path`` would run it:
``__name__ == "__main__"``, the script's ``__file__``, ``sys.argv == [SCRIPT, *ARGS]``, its folder
first on ``sys.path``, the working folder unchanged. The file on disk is not touched.

At the end, on stderr: the idioms it met (rewritten ones with their lines, warnings torch or
TensorFlow issued that the catalog knows, each with how often and where) and the docs section of
each. A failure whose message the catalog knows stops with one paragraph that names the idiom, the
line, the fix and the docs section, instead of a traceback; any other failure shows its traceback.
Exit status: the script's own (``sys.exit``), 0 when it ends, 1 when it fails, 2 for bad input.

A notebook (``.ipynb``) runs as one script of its code cells in order (:mod:`shims.upgrade.notebook`):
IPython's lines (``%matplotlib inline``, ``!pip ...``, a ``%%time`` line, a ``%%bash`` cell) are not
run, and a note on stderr lists them first (a ``%time STATEMENT`` line runs its statement, untimed);
lines are named ``train.ipynb:cell 3:line 2``.
"""
from __future__ import annotations

import builtins
import linecache
import os
import re
import sys
import traceback
import types
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from shims.upgrade import EXIT_BAD_INPUT
from shims.upgrade.catalog import Entry, entries, match_message
from shims.upgrade.engine import BadSource, upgrade_source
from shims.upgrade.files import read_source
from shims.upgrade.notebook import PYTHON_BODY, Notebook, NotebookError, parse_notebook

USAGE = "usage: python -m shims run SCRIPT [ARGS...]"


class Observed:
    """What the running script met: catalog warnings by (entry, file, line)."""

    def __init__(self, script: str, result, place: Callable[[int], str] = str) -> None:
        self.script = os.path.abspath(script)
        self.result = result
        self.place = place  # a line of the script as the report names it (a notebook's: cell 3:line 2)
        self.warnings: Dict[str, Counter] = defaultdict(Counter)

    def where(self, filename: str, lineno: int) -> Tuple[str, object]:
        """The line of the script (as the user wrote it) behind a warning, also one issued inside torch
        (the innermost frame of the script)."""
        if os.path.abspath(filename) == self.script:
            return filename, self.place(self.result.original_line(lineno))
        frame = sys._getframe(1)
        while frame is not None:
            if os.path.abspath(frame.f_code.co_filename) == self.script:
                return frame.f_code.co_filename, self.place(self.result.original_line(frame.f_lineno))
            frame = frame.f_back
        return filename, lineno

    def hook(self, show):
        def showwarning(message, category, filename, lineno, file=None, line=None):
            for entry in match_message(category.__name__, str(message))[:1]:
                self.warnings[entry.id][self.where(filename, lineno)] += 1
            return show(message, category, filename, lineno, file, line)
        return showwarning


def _stop_message(entry: Entry, exc: BaseException, tb, script: str, result,
                  place: Callable[[int], str] = str) -> str:
    where = "?"
    for frame, lineno in traceback.walk_tb(tb):
        if os.path.abspath(frame.f_code.co_filename) == os.path.abspath(script):
            where = f"{script}:{place(result.original_line(lineno))}"  # the line as the user wrote it
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (f"python -m shims run: stopped at {where}: {entry.title} [{entry.id}]\n"
            f"    {type(exc).__name__}: {first}\n"
            f"    fix: {entry.fix}\n"
            f"    read: {entry.docs}")


def _summary(script: str, findings, observed: Observed) -> List[str]:
    place = observed.place
    lines = []
    changed = [f for f in findings if f.action == "changed"]
    left = [f for f in findings if f.action != "changed"]
    known = entries()
    if changed:
        by_id: Dict[str, List[int]] = defaultdict(list)
        for f in changed:
            by_id[f.change_id].append(f.line)
        for cid, where in by_id.items():
            lines.append(f"  rewritten [{cid}] x{len(where)} at line(s) {', '.join(map(place, sorted(set(where))))}: "
                         f"{known[cid].docs if cid in known else ''}")
    for f in left:
        lines.append(f"  left as written [{f.change_id}] {script}:{place(f.line)}: {f.what} "
                     f"({known[f.change_id].docs if f.change_id in known else ''})")
    for cid, places in observed.warnings.items():
        spots = ", ".join(f"{Path(fn).name}:{ln} x{n}" for (fn, ln), n in places.items())
        lines.append(f"  warned [{cid}] {sum(places.values())} time(s) at {spots}: {known[cid].docs}")
    if not lines:
        return [f"python -m shims run: {script}: no old idiom met"]
    return [f"python -m shims run: idioms met in {script}:"] + lines


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not argv else sys.stdout)
        return EXIT_BAD_INPUT if not argv else 0
    script, script_args = argv[0], argv[1:]
    path = Path(script)
    if not path.is_file():
        print(f"python -m shims run: {script}: no such file", file=sys.stderr)
        return EXIT_BAD_INPUT
    source, why, _ = read_source(path)  # in the encoding the file declares (PEP 263), as python would
    if source is None:
        print(f"python -m shims run: {script}: {why}", file=sys.stderr)
        return EXIT_BAD_INPUT
    notebook: Optional[Notebook] = None
    place: Callable[[int], str] = str
    relabel: Callable[[str], str] = str
    try:
        if path.suffix == ".ipynb":
            notebook = parse_notebook(source, script)
            source, place, relabel = notebook.script()[0], notebook.place, notebook.relabel
        result = upgrade_source(source, script)
    except NotebookError as exc:
        print(f"python -m shims run: {script}: {exc}; not run", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BadSource as exc:
        print(f"python -m shims run: {script}:{place(exc.line)}: syntax error: {relabel(exc.message)}; not run",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if notebook is not None and notebook.magics():
        print(f"python -m shims run: {script}: not run (IPython only): {magics_note(notebook)}", file=sys.stderr)
    if any(f.change_id == "tf1-rnn-keras3" for f in result.findings) and "TF_USE_LEGACY_KERAS" not in os.environ:
        import importlib.util

        if importlib.util.find_spec("tf_keras") is not None:  # catalog: tf1-rnn-keras3 (before TensorFlow loads)
            os.environ["TF_USE_LEGACY_KERAS"] = "1"
    entries()  # read the catalog now: the script's folder replaces sys.path[0] while it runs
    return _execute(script, script_args, result, place)


def magics_note(notebook: Notebook) -> str:
    """``cell 2:line 1 %matplotlib inline; cell 5 %%bash (the whole cell)``: the lines not run."""
    out, whole = [], set()
    for cell, line, text in notebook.magics():
        if cell in whole or not text.strip():
            continue
        cell_magic = re.match(r"%%(\w*)", text)
        if cell_magic and cell_magic.group(1) not in PYTHON_BODY:
            whole.add(cell)
            out.append(f"cell {cell} {text.strip()} (the whole cell)")
        else:
            out.append(f"cell {cell}:line {line} {text.strip()}")
    return "; ".join(out)


def _execute(script: str, script_args: List[str], result, place: Callable[[int], str] = str) -> int:
    filename = os.path.abspath(script)
    code = compile(result.new, filename, "exec", dont_inherit=True)
    # tracebacks show the lines that ran (the rewritten text), not the file's
    linecache.cache[filename] = (len(result.new), None, result.new.splitlines(keepends=True), filename)
    main_module = types.ModuleType("__main__")
    main_module.__dict__.update(__file__=script, __builtins__=builtins, __loader__=None, __package__=None,
                                __spec__=None, __cached__=None)
    observed = Observed(script, result, place)
    saved = (sys.argv, sys.path[0], sys.modules.get("__main__"), warnings.showwarning)
    sys.argv, sys.path[0] = [script, *script_args], os.path.dirname(filename)
    sys.modules["__main__"] = main_module
    warnings.showwarning = observed.hook(warnings.showwarning)
    status = 0
    try:
        exec(code, main_module.__dict__)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except BaseException as exc:  # noqa: BLE001 - the script's failure is what we report
        status = 1
        known = match_message(type(exc).__name__, str(exc))
        sys.stdout.flush()
        if known:
            print(_stop_message(known[0], exc, exc.__traceback__, script, result, place), file=sys.stderr)
        else:
            traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)
            lines = [n for f, n in traceback.walk_tb(exc.__traceback__) if f.f_code.co_filename == filename]
            if lines and place is not str:  # the traceback numbers the lines of the cells joined
                print(f"python -m shims run: line {lines[-1]} of {script} above is "
                      f"{place(result.original_line(lines[-1]))}", file=sys.stderr)
    finally:
        sys.argv, sys.path[0], main, warnings.showwarning = saved
        if main is not None:
            sys.modules["__main__"] = main
    sys.stdout.flush()
    for line in _summary(script, result.findings, observed):
        print(line, file=sys.stderr)
    return status
