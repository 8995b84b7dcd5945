"""A warm parent: import torch, numpy or TensorFlow once, then fork a fresh child for every cell run.

    python -m matrix.running.warm FD MODULE...      # started by matrix.launch, never by hand

Starting Python and importing torch (and TensorFlow) took about three quarters of each cell's time
(issue 12: 324 s of 180 cells' 404 s wall). This process pays that once per session: it imports the
MODULEs (the third-party libraries a script imports, in its order), then waits on the Unix socket FD
for requests. Each request forks a child that becomes what ``python -m matrix.running.trace REPORT SCRIPT
ARGS`` would have been:

- its own session and process group (``os.setsid``: the caller kills the group at the timeout, as for a
  spawned cell), stdin from /dev/null, stdout and stderr the two pipe ends sent with the request
  (``SCM_RIGHTS``), the request's working folder and environment, ``sys.path`` rebuilt with the
  request's PYTHONPATH (so "as published" cells get matrix/as_published first);
- the warnings machinery as a fresh interpreter has it: the filters as they were before the imports,
  and every module's ``__warningregistry__`` emptied, so a warning shown during the imports is shown
  again by the script (the ``default`` action shows each once per location);
- then :func:`matrix.running.trace.main`, which runs the script and writes the report; the warnings the
  imports showed here are in its ``import_warnings``, as the script's own imports would have shown
  them (one difference: ``module`` names the library imported here, where a spawned cell names the
  outermost module whose import was in progress, e.g. a shim that imports torch; no recorded cell
  has such a warning);
- it exits through the interpreter's normal shutdown (atexit handlers, finalizers), so a crash at
  exit is seen as in a spawned cell.

The child's exit status (or the signal that killed it) is sent back by this process, which reaps it.
A child can't take this process down: it is another process; one that hangs is killed by the caller.
When the caller goes away (EOF on the socket) the children still running are killed and this exits.

Messages are JSON, one per ``SOCK_SEQPACKET`` packet: ``{"ready": ..., "preloaded": [...], "import_warnings":
[...], "error": null}`` once after the imports (``error``: an import failed; the caller then spawns
those cells as before), ``{"id": N, "pid": P}`` when a request's child is forked, and ``{"pid": P,
"returncode": R}`` when it ended (negative: the signal). Runs on Python 3.7+ with the standard library
only (it runs inside every matrix session's interpreter); Linux only (fork with torch loaded).
"""
from __future__ import annotations

import array
import gc
import json
import os
import select
import signal
import socket
import sys
import warnings

from matrix.running import trace

#: Largest message: a request carries the cell's environment (a few KB).
MAX_MESSAGE = 1 << 20
#: How often a parent with running children looks for the ones that ended (seconds).
REAP_INTERVAL = 0.005


def send(sock: socket.socket, message: dict, fds: tuple = ()) -> None:
    data = json.dumps(message).encode("utf-8")
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())] if fds else []
    sock.sendmsg([data], ancillary)


def receive(sock: socket.socket) -> tuple:
    """(message or None at EOF, received file descriptors)."""
    fd_size = array.array("i").itemsize
    data, ancillary, _flags, _addr = sock.recvmsg(MAX_MESSAGE, socket.CMSG_SPACE(2 * fd_size))
    fds = array.array("i")
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fd_size])
    if not data:
        for fd in fds:
            os.close(fd)
        return None, []
    return json.loads(data.decode("utf-8")), list(fds)


def preload(modules: list) -> tuple:
    """Import ``modules`` in order under matrix.running.trace's warning hook; (warnings shown, error or None)."""
    shown = []
    original = warnings.showwarning

    def showwarning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        shown.append(trace.warning_record(message, category, filename, lineno))
        original(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = showwarning
        for name in modules:
            before = len(shown)
            optional = name.endswith("?")  # imported by the library on first use, where it exists
            name = name.rstrip("?")
            try:
                __import__(name)
            except ImportError as exc:
                if optional and getattr(exc, "name", None) == name:
                    continue
                return shown, "{}: {}".format(type(exc).__name__, exc)
            except BaseException as exc:  # noqa: BLE001 - the caller spawns these cells instead
                return shown, "{}: {}".format(type(exc).__name__, exc)
            for seen in shown[before:]:
                seen["module"] = name  # the import that showed it (see the module docstring)
    return shown, None


def returncode_of(status: int) -> int:
    """A ``waitpid`` status as subprocess words it: the exit status, or minus the signal."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def serve(sock: socket.socket, modules: list) -> int:
    """Preload, then serve requests until EOF. Returns in the parent (0) and in each forked child
    (the child's exit status, after running its cell): the caller exits with it."""
    filters = list(warnings.filters)
    shown, error = preload(modules)
    # Everything imported so far lives on in every child: moved out of the collector's reach, a
    # child's collections (and its exit) don't write to those objects, so their pages stay shared
    # instead of being copied (gc.freeze's purpose, Python 3.7+).
    gc.collect()
    gc.freeze()
    send(sock, {"ready": True, "preloaded": modules, "import_warnings": shown, "error": error})
    base_path = list(sys.path)
    own_pythonpath = _absolute(os.environ.get("PYTHONPATH", ""))
    children: set = set()
    try:
        while True:
            readable, _, _ = select.select([sock], [], [], REAP_INTERVAL if children else None)
            _reap(sock, children)
            if not readable:
                continue
            request, fds = receive(sock)
            if request is None:
                return 0
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                return _child(sock, request, fds, filters, shown, base_path, own_pythonpath)
            for fd in fds:
                os.close(fd)
            children.add(pid)
            send(sock, {"id": request["id"], "pid": pid})
    finally:
        if os.getpid() == _PARENT[0]:
            for pid in children:  # the caller is gone (EOF) or this failed: leave no cell behind
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


_PARENT = [os.getpid()]


def _reap(sock: socket.socket, children: set) -> None:
    for pid in list(children):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            children.discard(pid)
            send(sock, {"pid": pid, "returncode": returncode_of(status)})


def _absolute(pythonpath: str) -> list:
    return [os.path.abspath(p) for p in pythonpath.split(os.pathsep) if p]


def _child(sock: socket.socket, request: dict, fds: list, filters: list, shown: list, base_path: list,
           own_pythonpath: list) -> int:
    """In the forked child: become the requested cell (see the module docstring), run it, return its
    exit status."""
    sock.close()
    os.setsid()
    stdout_fd, stderr_fd = fds
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(stdout_fd, 1)
    os.dup2(stderr_fd, 2)
    for fd in (devnull, stdout_fd, stderr_fd):
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    # sys.path as the interpreter builds it: [0] (matrix.running.trace replaces it with the script's folder),
    # then PYTHONPATH, then the rest (the standard library, site-packages) without this process's own PYTHONPATH.
    # Duplicates dropped as site.removeduppaths drops them (before [0] is added).
    rest = [p for p in base_path[1:] if p not in own_pythonpath]
    unique: list = []
    seen: set = set()
    for entry in _absolute(request["env"].get("PYTHONPATH", "")) + rest:
        if os.path.normcase(entry) not in seen:
            seen.add(os.path.normcase(entry))
            unique.append(entry)
    sys.path[:] = base_path[:1] + unique
    warnings.filters[:] = filters
    warnings._filters_mutated()  # type: ignore[attr-defined]  # the per-module caches go stale
    for module in list(sys.modules.values()):
        registry = getattr(module, "__warningregistry__", None)
        if isinstance(registry, dict):
            registry.clear()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    code = trace.main(request["argv"], import_warnings=shown)
    _exit(code)
    return code  # not reached


def _exit(code: int) -> None:
    """End the child as ``python SCRIPT`` ends, but for the teardown of the modules it inherited.

    A normal interpreter exit here would write to every object the parent imported (each reference
    count dropped as the modules are torn down), copying the parent's pages one by one: 0.45 s per
    cell with torch 2.15 loaded, against 0.1 s for a fresh interpreter. So, in the order of
    ``Py_FinalizeEx``: wait for the script's non-daemon threads, run the ``atexit`` functions, collect
    the script's garbage (its objects' finalizers: open files flushed, sessions closed), flush
    Python's streams, then the C library's ``exit``: its own ``atexit`` functions and the C++ static
    destructors of torch and TensorFlow still run, so a crash at exit is still seen. What is skipped
    is Python's own deallocation of the libraries' module-level objects.
    """
    import atexit
    import ctypes
    import gc
    import threading
    try:
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()  # type: ignore[attr-defined]
        gc.collect()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed stream must not keep the child alive
                pass
        ctypes.CDLL(None).exit(code)
        os._exit(code)  # not reached


def main(argv: list = None) -> int:  # type: ignore[assignment]
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m matrix.running.warm FD [MODULE...]", file=sys.stderr)
        return 2
    sock = socket.socket(fileno=int(argv[0]))
    _PARENT[0] = os.getpid()
    return serve(sock, list(argv[1:]))


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.exit(code)
