"""Run one variant as ``__main__`` and write what happened to a JSON report.

    python -m matrix.running.trace REPORT.json variants/<era>/<example>.py --log-every 1 --seed 0 --device cpu

The script runs in this process exactly as ``python SCRIPT ARGS`` would run it (``sys.argv``,
``sys.path[0]`` = the script's folder, ``__name__ == "__main__"``); stdout and stderr pass through
untouched, so the caller still sees the ``step loss`` lines as they are printed. The report holds:

- ``warnings``: every warning the script's own code caused, through a ``warnings.showwarning`` hook
  with the filter action ``"default"`` (each distinct warning once per location, as ``python -W
  default`` shows them);
- ``import_warnings``: the warnings shown while a module was being imported (TensorFlow's or NumPy's
  own at ``import tensorflow``), told apart by the import machinery's frames on the stack; each also
  names ``module``, the outermost module whose import was in progress (``"tensorflow"``), or null.
  They say something about the installed libraries, not about the tutorial's code;
- ``error``: the exception that ended the script (``{"type", "message"}``), or null;
- ``exit_code``: the status this process exits with (a ``SystemExit`` code is passed on);
- ``finished``: whether the script's code returned or raised (false only when something killed the
  process first: a segfault, the caller's timeout; then there is no report at all, since it is
  written when the script is done).

Runs on Python 3.7+ with the standard library only (it runs inside every matrix cell); the report is
written atomically by :mod:`matrix.records.jsonio`.
"""
from __future__ import annotations

import json
import os
import runpy
import sys
import time
import traceback
import warnings

from matrix.records import jsonio

USAGE = "usage: python -m matrix.running.trace REPORT.json SCRIPT [ARGS...]"
#: The file names of the import machinery's frames (``<frozen importlib._bootstrap>`` and
#: ``<frozen importlib._bootstrap_external>``, the same from Python 3.7 to 3.13): one of them on the
#: stack means a module's code is running because something imports it.
IMPORT_FRAMES = "<frozen importlib._bootstrap"


def _exit_code(code: object) -> int:
    """What the interpreter would exit with for ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message") prints it and exits 1
    return 1


def warning_record(message, category, filename, lineno) -> dict:  # noqa: ANN001 - showwarning's arguments
    """A shown warning as the report keeps it (``matrix.records.schema.CellWarning``)."""
    return {
        "category": getattr(category, "__name__", str(category)),
        "message": str(message),
        "filename": str(filename),
        "lineno": lineno,
    }


def importing_module(frame) -> tuple[bool, str | None]:  # noqa: ANN001 - a frame object
    """(whether a module import is in progress at ``frame``, the outermost module being imported).

    Walks out from ``frame``: a module's top-level code (``<module>``) called by the import machinery
    is a module being imported; the outermost one is what the script (or its own code) imported, e.g.
    "tensorflow" for a warning raised deep inside ``import tensorflow``. A C extension importing
    leaves no ``<module>`` frame of its own, hence (True, None) when nothing else names the import.
    """
    importing, module = False, None
    while frame is not None:
        caller = frame.f_back
        if frame.f_code.co_filename.startswith(IMPORT_FRAMES):
            importing = True
        elif frame.f_code.co_name == "<module>" and caller is not None and \
                caller.f_code.co_filename.startswith(IMPORT_FRAMES):
            module = frame.f_globals.get("__name__") or module
        frame = caller
    return importing, module


def main(argv: list[str] | None = None, import_warnings: list | None = None) -> int:
    """Run the script of ``argv`` (REPORT SCRIPT ARGS...) and write its report; returns the exit status.

    ``import_warnings``: those its imports already showed in a warm parent (:mod:`matrix.running.warm`), which
    imported the libraries before forking this process; they start the report's ``import_warnings``.
    """
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    report_path, script, args = argv[0], argv[1], list(argv[2:])
    # its folder made now (`runs/trace.json` in a fresh clone), not found missing after the script ran
    os.makedirs(os.path.dirname(os.path.abspath(report_path)), exist_ok=True)
    record: dict = {
        "script": script,
        "args": args,
        "python": sys.version.split()[0],
        "warnings": [],
        "import_warnings": [dict(seen) for seen in import_warnings or ()],
        "error": None,
        "exit_code": None,
        "finished": False,
        "started": time.time(),
        "ended": None,
    }
    shown = warnings.showwarning

    def showwarning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        seen = warning_record(message, category, filename, lineno)
        importing, module = importing_module(sys._getframe(1))
        if importing:
            seen["module"] = module
            record["import_warnings"].append(seen)
        else:
            record["warnings"].append(seen)
        shown(message, category, filename, lineno, file, line)

    warnings.simplefilter("default")
    warnings.showwarning = showwarning

    sys.argv = [script, *args]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except BaseException as exc:  # the script's failure is the record, not ours
        traceback.print_exc()
        record["error"] = {"type": type(exc).__name__, "message": str(exc)}
        code = 1
    record["finished"] = True
    record["exit_code"] = code
    record["ended"] = time.time()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed stream must not hide the report
            pass
    jsonio.write_atomically(report_path, json.dumps(record, indent=1, default=repr))
    return code


if __name__ == "__main__":
    sys.exit(main())
