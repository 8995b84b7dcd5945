"""What one installed torch says about its own deprecations and removals, and its public API.

    <venv>/bin/python matrix/upstream/extract.py OUT.json

Run by :mod:`matrix.upstream.mine` with the Python of a throwaway virtualenv that holds one torch
release, so it is a script, not a module of the project: the standard library only, and Python 3.7
syntax (the oldest torch on PyPI, 1.0, has no wheels for newer Pythons). It writes three things:

- ``python``: the texts of ``warnings.warn(...)``-like calls, ``@deprecated(...)`` and ``raise X(...)``
  in torch's own .py files that say deprecated / removed / no longer supported / will be removed,
  read with :mod:`ast` (an f-string's fields become ``{}``), with the modules that hold each;
- ``library``: the same words in the printable strings of torch's own compiled libraries
  (``strings`` on torch/lib/libtorch*, libc10*, libcaffe2*, libshm* and torch/_C*.so; the bundled
  CUDA libraries are not torch's messages);
- ``api``: the public names (no leading ``_``) of the modules of :data:`API_MODULES` and of
  ``torch.Tensor`` after ``import torch``.
"""
import ast
import importlib
import json
import os
import platform
import re
import subprocess
import sys

WORDS = re.compile(r"deprecat|\bremoved\b|\bremoval\b|no longer supported|will be removed", re.I)
API_MODULES = ("torch", "torch.Tensor", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.optim",
               "torch.optim.lr_scheduler", "torch.autograd", "torch.utils.data")
LIBRARY_PREFIXES = ("libtorch", "libc10", "libcaffe2", "libshm", "_C")
#: calls whose first argument is a user-facing warning text
WARN_CALLS = re.compile(r"(^|_)warn(ing)?s?(_once|_deprecated)?$|^deprecated$|^_?deprecat", re.I)


def _text(node):
    """The literal text of a message expression, or None: f-string fields become {}."""
    if isinstance(node, ast.Str):
        return node.s
    if getattr(ast, "Constant", None) and isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for value in node.values:
            piece = _text(value)
            out.append(piece if piece is not None else "{}")
        return "".join(out)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        if left is None and right is None:
            return None
        return (left if left is not None else "{}") + (right if right is not None else "{}")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _text(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _text(node.func.value)
    return None


def _name(func):
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _message_of(call):
    if call.args:
        return _text(call.args[0])
    for keyword in call.keywords:
        if keyword.arg in ("message", "msg"):
            return _text(keyword.value)
    return None


def clean(text):
    return " ".join(text.split())


def python_messages(package_dir, site):
    found = {}  # (kind, text) -> set of modules
    unreadable = 0
    for folder, dirs, files in os.walk(package_dir):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            module = os.path.relpath(path, site)[:-3].replace(os.sep, ".")
            if module.endswith(".__init__"):
                module = module[: -len(".__init__")]
            try:
                with open(path, "rb") as handle:
                    tree = ast.parse(handle.read(), path)
            except (SyntaxError, ValueError):
                unreadable += 1
                continue
            for node in ast.walk(tree):
                kind = text = None
                if isinstance(node, ast.Call) and WARN_CALLS.search(_name(node.func) or ""):
                    kind, text = "warn", _message_of(node)
                elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                    kind, text = "raise:" + _name(node.exc.func), _message_of(node.exc)
                if text and WORDS.search(text):
                    found.setdefault((kind, clean(text)), set()).add(module)
    rows = [{"kind": kind, "text": text, "modules": sorted(modules)} for (kind, text), modules in found.items()]
    return sorted(rows, key=lambda row: (row["text"], row["kind"])), unreadable


def library_messages(package_dir):
    folders = [os.path.join(package_dir, "lib"), package_dir]
    paths = []
    for folder in folders:
        if os.path.isdir(folder):
            paths += [os.path.join(folder, n) for n in sorted(os.listdir(folder))
                      if n.startswith(LIBRARY_PREFIXES) and ".so" in n]
    found = {}
    for path in paths:
        out = subprocess.run(["strings", "-n", "16", path], stdout=subprocess.PIPE, check=True).stdout
        for raw in out.decode("ascii", "replace").splitlines():
            # a message has words; compiler flags ("-Wno-deprecated") and source comments are not one
            if WORDS.search(raw) and raw.count(" ") >= 2 and not raw.lstrip().startswith(("-", "//", "#")):
                found.setdefault(clean(raw), set()).add(os.path.basename(path).split(".so")[0])
    return sorted(({"text": t, "libraries": sorted(libs)} for t, libs in found.items()), key=lambda r: r["text"])


def api():
    import torch  # noqa: F401 (the modules below are read after it)
    out = {}
    for name in API_MODULES:
        try:
            obj = torch.Tensor if name == "torch.Tensor" else importlib.import_module(name)
        except Exception as error:  # a module a release lacks: recorded, not fatal
            out[name] = {"error": "%s: %s" % (type(error).__name__, error)}
            continue
        out[name] = sorted(n for n in dir(obj) if not n.startswith("_"))
    return out, torch.__version__


def main(out_path):
    import warnings
    warnings.simplefilter("ignore")
    surface, version = api()
    import torch
    package_dir = os.path.dirname(torch.__file__)
    site = os.path.dirname(package_dir)
    python, unreadable = python_messages(package_dir, site)
    record = {"torch": version, "python": platform.python_version(), "machine": platform.machine(),
              "python_messages": python, "unparsed_files": unreadable,
              "library_messages": library_messages(package_dir), "api": surface}
    with open(out_path, "w") as handle:
        json.dump(record, handle, sort_keys=True, indent=0, separators=(",", ":"))
        handle.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
