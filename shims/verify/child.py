"""Runs inside a pin's environment: one run of a user's script for ``python -m shims verify``.

    python child.py SPEC.json

SPEC holds the text to run (the script as written, adapted or upgraded), the script's path, its
arguments, an optional seed, the controls to apply and the catalog ids whose old behaviour to restore
first, and where to write the result. The script runs as ``python SCRIPT ARGS`` would run it: ``__name__ == "__main__"``, its
``__file__``, ``sys.argv``, its folder first on ``sys.path``. Its stdout passes through untouched
(the parent compares its numbers).

Python 3.7+ and the standard library only: it runs on torch 1.0.1's Python 3.7. The restorers are
loaded from ``restore.py`` beside this file under a private name, so that the script's own imports
never meet a module of ours.
"""
import importlib.util
import json
import os
import sys
import traceback


def _load_restore():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "restore.py")
    spec = importlib.util.spec_from_file_location("_shims_verify_restore", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _seed(seed):
    """What ``--seed N`` promises: random, NumPy and torch seeded before the script starts."""
    import random

    random.seed(seed)
    try:
        import numpy
        numpy.random.seed(seed)
    except ImportError:
        pass
    try:
        import torch
        torch.manual_seed(seed)
    except ImportError:
        pass


def _write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def main(argv):
    with open(argv[0]) as handle:
        spec = json.load(handle)
    result = {"restored": [], "error": None, "exit_code": 0}
    if spec.get("restore") or spec.get("controls"):
        result["restored"] = _load_restore().apply(spec.get("restore", []), spec.get("old_torch"),
                                                   spec.get("controls", []))
    if spec.get("seed") is not None:
        _seed(spec["seed"])
    script = spec["script"]
    code = compile(spec["text"], script, "exec", dont_inherit=True)
    main_globals = {"__name__": "__main__", "__file__": script, "__builtins__": __builtins__,
                    "__package__": None, "__spec__": None, "__loader__": None, "__cached__": None}
    sys.argv = [script] + list(spec["argv"])
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    try:
        exec(code, main_globals)
    except SystemExit as exc:
        code_ = exc.code
        result["exit_code"] = 0 if code_ is None else code_ if isinstance(code_, int) else 1
        if code_ is not None and not isinstance(code_, int):
            print(code_, file=sys.stderr)
    except BaseException as exc:  # noqa: BLE001 - the script's failure is the result
        result["exit_code"] = 1
        result["error"] = {"type": type(exc).__name__, "message": str(exc).strip()}
        traceback.print_exc()
    sys.stdout.flush()
    _write(spec["result"], result)
    return result["exit_code"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
