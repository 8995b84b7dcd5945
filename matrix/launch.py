"""How a cell's process is started: spawned (a fresh interpreter) or forked from a warm parent.

    launcher = Launcher("fork")                 # one per session (matrix.running.session.run_cells)
    raw = launcher.run(python, [REPORT, SCRIPT, *ARGS], timeout=600, cwd=ROOT, env=env, script=SCRIPT)
    launcher.close()

``spawn`` is ``python -m matrix.running.trace REPORT SCRIPT ARGS`` in a new process, as the matrix always ran
a cell. ``fork`` asks a warm parent (:mod:`matrix.running.warm`, one per interpreter and set of libraries)
that has imported the script's libraries once to fork a child that becomes that same command: its
own process group, stdout and stderr to pipes read here, line by line with arrival times, killed
with its group at the timeout, its exit status or signal reported. What a cell records is the same
either way (the losses bit for bit: tests/test_matrix_launch.py; the reference:
tests/test_reference_bits.py); what changes is the time before the first step. ``fork`` is the
default on Linux; elsewhere, or where a warm parent can't start or import a library, cells are
spawned (the record's ``launch`` says which). :func:`run_process` is the spawn path, also for the
probes and the bench's runs: any command in its own process group, its stdout lines stamped.
"""
from __future__ import annotations

import ast
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from matrix.running import warm

LAUNCHES = ("fork", "spawn")
#: The libraries a warm parent imports ahead, when the script itself imports them (in its order).
PRELOADABLE = ("numpy", "torch", "tensorflow")
#: The shims that import a library when the script calls them (``graph_mode()`` imports tensorflow):
#: a script importing the shim gets that library preloaded too. tests/test_matrix_launch.py checks
#: these against the shims' sources (both shims/ and matrix/as_published/shims/).
SHIM_LIBRARIES = {"shims.tf1": ("tensorflow",), "shims.torch_legacy": ("torch",)}
#: Imported by a library on first use, not at its import (a name ending in "?": preloaded where it
#: exists): torch >= 2.0 imports torch._dynamo (0.85 s with torch 2.15 here) when an optimizer
#: first steps (torch/_compile.py, ``_disable_dynamo``: "lazily import torch._dynamo"). Preloaded for
#: scripts that use torch.optim only, so that no other script runs with it imported.
LAZY_IMPORTS = ((re.compile(r"\boptim\b"), "torch", "torch._dynamo?"),)
#: How long a warm parent may take to start and import (TensorFlow 1 on a busy runner: ~10 s).
READY_TIMEOUT = 300.0


def default_launch() -> str:
    """``fork`` on Linux (where forking a process that imported torch is safe before CUDA is
    initialised), ``spawn`` elsewhere (macOS: fork after importing libraries that start threads is
    unsafe; Windows has no fork)."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


#: At most this many cells at once by default (each holds its own torch: ~0.5 GB of memory).
MAX_DEFAULT_JOBS = 8


def default_jobs() -> int:
    """Cells run at once by default: the CPUs this process may use (each cell computes on one thread:
    see matrix.running.cell.THREAD_VARIABLES), at most :data:`MAX_DEFAULT_JOBS`."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_JOBS))


def preload_of(script: str | os.PathLike) -> Tuple[str, ...]:
    """The libraries of :data:`PRELOADABLE` that ``script``'s module-level code imports, in the order it
    first imports them (``import torch``, ``from torch import nn``, ``import tensorflow.compat.v1``)."""
    try:
        text = Path(script).read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, SyntaxError, ValueError):
        return ()
    found: List[str] = []

    def visit(body: Sequence[ast.stmt]) -> None:
        for node in body:
            names: List[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                for top in (name.split(".")[0], *SHIM_LIBRARIES.get(name, ())):
                    if top in PRELOADABLE and top not in found:
                        found.append(top)
            for field in ("body", "orelse", "finalbody", "handlers"):  # try/if/with at module level
                inner = getattr(node, field, None)
                if isinstance(inner, list) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                      ast.ClassDef)):
                    visit(inner)

    visit(tree.body)
    for pattern, library, module in LAZY_IMPORTS:
        if library in found and pattern.search(text):
            found.append(module)
    return tuple(found)


# ------------------------------------------------------------------------------ reading a process
def collect(stdout, stderr, start: float) -> Tuple[list, list, List[threading.Thread]]:  # noqa: ANN001
    """Reader threads for a process's two binary streams: (stdout lines as (seconds since ``start``,
    text), stderr chunks, the threads). The stderr of a chatty process keeps its head and tail."""
    lines: list = []
    err_chunks: list = []

    def read_stdout() -> None:
        for raw in iter(stdout.readline, b""):
            lines.append((time.monotonic() - start, raw.decode("utf-8", "replace").rstrip("\r\n")))

    def read_stderr() -> None:
        for raw in iter(stderr.readline, b""):
            err_chunks.append(raw.decode("utf-8", "replace"))
            if len(err_chunks) > 4000:
                del err_chunks[200:1200]

    readers = [threading.Thread(target=read_stdout, daemon=True), threading.Thread(target=read_stderr, daemon=True)]
    for reader in readers:
        reader.start()
    return lines, err_chunks, readers


# ------------------------------------------------------------------------------ the warm parent
class WarmParentError(RuntimeError):
    """The warm parent could not start, import its libraries, or went away."""


class WarmParent:
    """One ``python -m matrix.running.warm`` process and the messages it sends (see that module)."""

    def __init__(self, python: str, modules: Sequence[str], env: Mapping[str, str], cwd: str | os.PathLike) -> None:
        self.modules = tuple(modules)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._log = tempfile.TemporaryFile(prefix="matrix-warm-")
        self._proc = subprocess.Popen([python, "-m", "matrix.running.warm", str(theirs.fileno()), *self.modules],
                                      cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=self._log, pass_fds=(theirs.fileno(),), start_new_session=True)
        theirs.close()
        self._sock = ours
        self._lock = threading.Lock()
        self._pids: Dict[int, int] = {}
        self._ended: Dict[int, int] = {}
        self._events: Dict[Any, threading.Event] = {}
        self._next_id = 0
        self._dead: Optional[str] = None
        self.import_warnings: list = []
        self._sock.settimeout(READY_TIMEOUT)
        try:
            ready, _ = warm.receive(self._sock)
        except OSError as exc:
            self.close()
            raise WarmParentError(f"no answer from the warm parent: {exc}; {self._last_words()}") from None
        if not ready:
            self.close()
            raise WarmParentError(f"the warm parent exited while importing {', '.join(self.modules)}: {self._last_words()}")
        if ready.get("error"):
            self.close()
            raise WarmParentError(f"the warm parent could not import {', '.join(self.modules)}: {ready['error']}")
        self.import_warnings = ready.get("import_warnings") or []
        self._sock.settimeout(None)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _last_words(self) -> str:
        try:
            self._log.seek(0)
            text = self._log.read().decode("utf-8", "replace").strip().splitlines()
            return text[-1] if text else "(nothing on stderr)"
        except (OSError, ValueError):
            return "(stderr unreadable)"

    def _read(self) -> None:
        while True:
            try:
                message, _ = warm.receive(self._sock)
            except OSError:
                message = None
            with self._lock:
                if message is None:
                    self._dead = f"the warm parent went away: {self._last_words()}"
                    for event in self._events.values():
                        event.set()
                    return
                if "id" in message:
                    self._pids[message["id"]] = message["pid"]
                    self._event(("id", message["id"])).set()
                elif "returncode" in message:
                    self._ended[message["pid"]] = message["returncode"]
                    self._event(("pid", message["pid"])).set()

    def _event(self, key: Any) -> threading.Event:
        return self._events.setdefault(key, threading.Event())

    def alive(self) -> bool:
        return self._dead is None and self._proc.poll() is None

    def run(self, argv: Sequence[str], *, timeout: float, cwd: str | os.PathLike, env: Mapping[str, str]) -> dict:
        """Fork a child that runs ``python -m matrix.running.trace *argv``; the same dict as
        :func:`run_process` (``lines``, ``stderr``, ``returncode``, ``timed_out``, ...)."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        start = time.monotonic()
        epoch = time.time()
        with self._lock:
            self._next_id += 1
            request_id = self._next_id
            started = self._event(("id", request_id))
        try:
            warm.send(self._sock, {"id": request_id, "argv": list(argv), "cwd": str(cwd), "env": dict(env)},
                      (out_w, err_w))
        except OSError as exc:
            for fd in (out_r, out_w, err_r, err_w):
                os.close(fd)
            raise WarmParentError(f"the warm parent went away: {exc}") from None
        os.close(out_w)
        os.close(err_w)
        stdout, stderr = os.fdopen(out_r, "rb"), os.fdopen(err_r, "rb")
        lines, err_chunks, readers = collect(stdout, stderr, start)
        started.wait(READY_TIMEOUT)
        pid = self._pids.get(request_id)
        if pid is None:  # the parent went away before forking: nothing ran; the launcher spawns instead
            for reader in readers:
                reader.join(timeout=10)
            stdout.close()
            stderr.close()
            raise WarmParentError(self._dead or "the warm parent forked no child")
        timed_out = False
        returncode: Optional[int] = None
        try:
            ended = self._event(("pid", pid))
            if not ended.wait(max(0.0, timeout - (time.monotonic() - start))):
                timed_out = True
                kill_group(pid)
                ended.wait(60)
            returncode = self._ended.get(pid)
        except BaseException:  # Ctrl-C: the child is in its own session; take it down with us
            kill_group(pid)
            raise
        for reader in readers:
            reader.join(timeout=10)
        stdout.close()
        stderr.close()
        with self._lock:
            self._events.pop(("id", request_id), None)
            self._events.pop(("pid", pid), None)
            self._ended.pop(pid, None)
        stderr_text = "".join(err_chunks)
        if returncode is None and not timed_out:
            stderr_text += f"\n{self._dead or 'the warm parent did not report how the child ended'}\n"
        return dict(lines=lines, stderr=stderr_text, returncode=returncode, timed_out=timed_out, timeout=timeout,
                    wall_seconds=time.monotonic() - start, launch="fork", launched_at=epoch)

    def close(self) -> None:
        try:
            # shutdown, not only close: our reader thread is blocked in recvmsg on this socket, and a
            # close alone would leave the socket open until that call returns, so the parent would
            # never see EOF (close(2): "it is probably unwise to close file descriptors while they may
            # be in use by system calls in other threads").
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()  # EOF: the parent kills any child still running and exits
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_group(self._proc.pid)
            self._proc.wait()
        self._log.close()


def kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads (the cell and whatever it started)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)  # forked but not yet its own group leader
        except ProcessLookupError:
            pass


# ------------------------------------------------------------------------------ a spawned process
class RawRun(dict):
    """What one process did: lines with arrival times, stderr, exit, the trace report, wall time."""


def run_process(cmd: Sequence[str], *, timeout: float, cwd: str | os.PathLike, env: Mapping[str, str]) -> RawRun:
    """Run ``cmd`` in its own process group; stamp each stdout line; kill the group at ``timeout``."""
    start = time.monotonic()
    epoch = time.time()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    assert proc.stdout is not None and proc.stderr is not None
    lines, err_chunks, readers = collect(proc.stdout, proc.stderr, start)
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_and_wait(proc)
    except BaseException:  # Ctrl-C in nox: the child is in its own session, so SIGINT never reached it
        _kill_and_wait(proc)
        raise
    for reader in readers:
        reader.join(timeout=10)
    return RawRun(lines=lines, stderr="".join(err_chunks), returncode=proc.returncode, timed_out=timed_out,
                  timeout=timeout, wall_seconds=time.monotonic() - start, launch="spawn", launched_at=epoch)


def _kill_and_wait(proc: subprocess.Popen) -> None:
    kill_group(proc.pid)
    proc.wait()


# ------------------------------------------------------------------------------ the launcher
class Launcher:
    """Starts a session's cell processes one way (:data:`LAUNCHES`), keeping a warm parent per
    interpreter, library set and environment (their import-time variables: threads, TF's log level)."""

    def __init__(self, launch: str = "spawn") -> None:
        if launch not in LAUNCHES:
            raise ValueError(f"launch must be one of {LAUNCHES}, not {launch!r}")
        self.launch = launch
        self._parents: Dict[tuple, Optional[WarmParent]] = {}
        self._lock = threading.Lock()
        #: why cells were spawned though ``fork`` was asked (one line per warm parent that failed)
        self.fallbacks: List[str] = []
        #: each warm parent started: the libraries it imported and the seconds until it was ready
        self.parents: List[dict] = []

    def run(self, python: str, argv: Sequence[str], *, timeout: float, cwd: str | os.PathLike,
            env: Mapping[str, str], script: str | os.PathLike) -> dict:
        """Run ``python -m matrix.running.trace *argv`` (``argv`` = REPORT SCRIPT ARGS); see :class:`WarmParent`.run."""
        parent = self._parent(python, preload_of(script), env, cwd) if self.launch == "fork" else None
        if parent is not None:
            try:
                return parent.run(argv, timeout=timeout, cwd=cwd, env=env)
            except WarmParentError as exc:
                self.fallbacks.append(str(exc))
        raw = run_process([python, "-m", "matrix.running.trace", *argv], timeout=timeout, cwd=cwd, env=env)
        raw["launch"] = "spawn"
        return raw

    def _parent(self, python: str, modules: Tuple[str, ...], env: Mapping[str, str],
                cwd: str | os.PathLike) -> Optional[WarmParent]:
        # PYTHONPATH is the child's own (matrix.running.warm rebuilds sys.path); every other variable may be
        # read while the libraries import, so a parent serves only cells with the same ones.
        key = (python, modules, tuple(sorted((k, v) for k, v in env.items() if k != "PYTHONPATH")))
        with self._lock:
            parent = self._parents.get(key, False)
            if parent is False or (parent is not None and not parent.alive()):
                begun = time.monotonic()
                try:
                    parent = WarmParent(python, modules, env, cwd)
                    self.parents.append({"modules": list(modules), "seconds": round(time.monotonic() - begun, 3)})
                except WarmParentError as exc:
                    self.fallbacks.append(str(exc))
                    parent = None
                self._parents[key] = parent
            return parent  # type: ignore[return-value]

    def close(self) -> None:
        for parent in self._parents.values():
            if parent is not None:
                parent.close()
        self._parents.clear()

    def __enter__(self) -> "Launcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["LAUNCHES", "Launcher", "RawRun", "WarmParent", "WarmParentError", "collect", "default_launch", "kill_group",
           "preload_of", "run_process"]
