"""Find a Python interpreter for a pin: only one that runs and reports the wanted version counts.

A name on PATH is not proof of an interpreter. On a machine with pyenv, ``python3.9`` on PATH is a
pyenv shim that exits 127 ("pyenv: python3.9: command not found ... exists in these Python versions:
3.9.18") unless 3.9 is selected; taking it at its word made uv try to download CPython and the
session fail. So every candidate is executed, must print the wanted ``major.minor``, and what is
handed on (to nox, as an absolute path) is the interpreter's own ``sys.executable``, not the shim.

Where candidates come from, in order (the first that runs wins):

1. PATH: every ``python3.9`` on it (not only the first);
2. pyenv's versions folder: ``$PYENV_ROOT/versions/3.9*/bin/python3.9`` (default ``~/.pyenv``),
   newest patch release first; found whether or not that version is selected;
3. uv's managed interpreters: ``$UV_PYTHON_INSTALL_DIR`` (default ``~/.local/share/uv/python``,
   under ``$XDG_DATA_HOME`` when set), ``cpython-3.9.*/bin/python3.9``;
4. the usual system folders (``/usr/bin``, ``/usr/local/bin``, Homebrew's, ``/opt/python``).

Nothing is downloaded or installed. When none runs, :meth:`Search.remedy` says what was tried and
how a user can get one.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, List, Mapping, Optional, Tuple

#: Printed by a candidate: its version and its real executable (a shim resolves to the binary behind it).
_PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.executable)"
SYSTEM_FOLDERS = ("/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", "/usr/local/opt/python@{v}/bin",
                  "/opt/python/{v}*/bin", "/opt/python{v}/bin")


@dataclass(frozen=True)
class Tried:
    """One candidate and what running it gave: ``ok`` with its version, or why it was not taken."""

    path: str
    source: str
    ok: bool
    detail: str


@dataclass
class Search:
    """The outcome of looking for Python ``version``: ``found`` (absolute path) or None, and every try."""

    version: str
    found: Optional[str] = None
    full_version: Optional[str] = None
    tried: List[Tried] = field(default_factory=list)

    def remedy(self, needed_by: str = "") -> str:
        """One paragraph for a not-run reason: what was tried, and how to get this Python."""
        v = self.version
        tried = "; ".join(f"{t.path} ({t.detail})" for t in self.tried if not t.ok) or "nothing on PATH"
        ways = []
        if _pyenv_root().is_dir() or shutil.which("pyenv"):
            ways.append(f"`pyenv install {v}` (it is found under $PYENV_ROOT/versions without being selected)")
        ways.append(f"your OS package (Debian/Ubuntu: `apt install python{v}` where the release has it)")
        ways.append(f"`uv python install {v}` where uv can download")
        why = f" ({needed_by})" if needed_by else ""
        return (f"Python {v} not found{why}. Tried: {tried}. Install it with " + ", or ".join(ways)
                + "; then run the session again.")


def _pyenv_root(env: Optional[Mapping[str, str]] = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _uv_python_dir(env: Mapping[str, str]) -> Path:
    if env.get("UV_PYTHON_INSTALL_DIR"):
        return Path(env["UV_PYTHON_INSTALL_DIR"])
    data = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else Path.home() / ".local" / "share"
    return data / "uv" / "python"


def _patch_key(path: str) -> Tuple:
    """Newest patch release first: ``.../3.9.18/bin`` before ``.../3.9.2/bin``."""
    numbers = re.findall(r"(\d+)\.(\d+)\.(\d+)", path)
    return tuple(-int(n) for n in numbers[-1]) if numbers else (0,)


def candidates(version: str, env: Optional[Mapping[str, str]] = None) -> Iterator[Tuple[str, str]]:
    """``(path, source)`` pairs to try for ``version`` ("3.9"), in the order above, without duplicates."""
    env = os.environ if env is None else env
    seen = set()

    def fresh(path: str) -> bool:
        key = os.path.abspath(path)
        if key in seen or not os.path.isfile(path) or not os.access(path, os.X_OK):
            return False
        seen.add(key)
        return True

    path_dirs = [d for d in env.get("PATH", "").split(os.pathsep) if d]
    for folder in path_dirs:
        path = os.path.join(folder, f"python{version}")
        if fresh(path):
            yield path, "PATH"
    pyenv = _pyenv_root(env) / "versions"
    for path in sorted(glob.glob(str(pyenv / f"{version}*" / "bin" / f"python{version}")), key=_patch_key):
        if fresh(path):
            yield path, "pyenv"
    uv_dir = _uv_python_dir(env)
    for path in sorted(glob.glob(str(uv_dir / f"cpython-{version}.*" / "bin" / f"python{version}")), key=_patch_key):
        if fresh(path):
            yield path, "uv"
    for pattern in SYSTEM_FOLDERS:
        for folder in sorted(glob.glob(pattern.format(v=version)), key=_patch_key):
            path = os.path.join(folder, f"python{version}")
            if fresh(path):
                yield path, "system"


def probe(path: str, version: str, timeout: float = 30) -> Tuple[Optional[str], Optional[str], str]:
    """Run ``path``; returns (full version, real executable, detail): the first two are None unless it
    ran and reported ``version``."""
    try:
        out = subprocess.run([path, "-c", _PROBE], capture_output=True, text=True, timeout=timeout,
                             stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, None, f"no answer in {timeout:g} s"
    except OSError as exc:
        return None, None, f"cannot run: {exc.strerror or exc}"
    if out.returncode != 0:
        last = next((line.strip() for line in out.stderr.strip().splitlines() if line.strip()), "")
        return None, None, f"exit {out.returncode}" + (f": {last[:120]}" if last else "")
    lines = out.stdout.strip().splitlines()
    if len(lines) < 2:
        return None, None, "printed no version"
    full, executable = lines[0].strip(), lines[-1].strip()
    if not (full == version or full.startswith(version + ".")):
        return None, None, f"is Python {full}"
    if not executable or not os.path.isfile(executable):
        executable = os.path.abspath(path)
    return full, executable, f"Python {full}"


def find_python(version: str, env: Optional[Mapping[str, str]] = None) -> Search:
    """The first candidate for ``version`` that runs and reports it (see the module docstring)."""
    search = Search(version)
    for path, source in candidates(version, env):
        full, executable, detail = probe(path, version)
        search.tried.append(Tried(path, source, full is not None, detail))
        if full is not None:
            search.found, search.full_version = executable, full
            break
    return search
