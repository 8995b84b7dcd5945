"""One run of a script's text in a pin's environment (``child.py`` there), in a folder of its own.

The run gets a fresh working folder that mirrors the user's (a symbolic link to each of its entries),
so relative reads work and what the script writes at the top level stays apart per run; entries that
``--files`` asks about are left out (a folder it names starts empty), so each run writes its own. Any
other subfolder is a link: a script that writes into one writes into the user's folder (the README
says so). Standard input is empty; the
process has its own group, killed at the timeout.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from matrix.running import cell as matrix_cell

CHILD = Path(__file__).with_name("child.py")
#: one compute thread, as the matrix runs its cells: the numbers then don't depend on the core count
THREADS = {name: "1" for name in matrix_cell.THREAD_VARIABLES}


@dataclass
class Run:
    stdout: str
    stderr: str
    exit_code: Optional[int]
    error: Optional[dict]
    timed_out: bool
    seconds: float
    restored: List[dict] = field(default_factory=list)
    files: Dict[str, dict] = field(default_factory=dict)  # name -> {"sha256", "text" (if text)}

    @property
    def ok(self) -> bool:
        return not self.timed_out and self.exit_code == 0

    def failure(self) -> str:
        """One line: how the run ended, when it did not end well."""
        if self.timed_out:
            return "still running at the timeout; killed"
        if self.error:
            return f"{self.error['type']}: {self.error['message'].splitlines()[0] if self.error['message'] else ''}"
        if self.exit_code is not None and self.exit_code < 0:
            return f"killed by {matrix_cell.signal_name(self.exit_code)}"
        last = matrix_cell.last_line(self.stderr)
        return f"exit status {self.exit_code}" + (f": {last}" if last else "")

    def as_dict(self) -> dict:
        return {"exit_code": self.exit_code, "error": self.error, "timed_out": self.timed_out,
                "seconds": round(self.seconds, 3), "restored": self.restored, "stdout": self.stdout,
                "stderr_tail": self.stderr[-3000:], "files": self.files}


def _mirror(cwd: Path, into: Path, globs: Sequence[str]) -> None:
    """Link each entry of ``cwd`` into ``into``, except what ``--files`` names: a glob's first
    component (``out`` of ``out/*.csv``) starts as an empty folder, so each run writes its own."""
    tops = [g.split("/", 1)[0] for g in globs]
    for entry in cwd.iterdir():
        if any(fnmatch.fnmatch(entry.name, top) for top in tops):
            if entry.is_dir():
                (into / entry.name).mkdir()
            continue
        os.symlink(entry, into / entry.name)


def _collect(folder: Path, globs: Sequence[str]) -> Dict[str, dict]:
    found = {}
    for pattern in globs:
        for path in sorted(folder.glob(pattern)):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                item = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                if b"\x00" not in data:
                    try:
                        item["text"] = data.decode("utf-8")
                    except UnicodeDecodeError:
                        pass
                found[str(path.relative_to(folder))] = item
    return found


def run_text(python: str, script: Path, text: str, argv: Sequence[str], *, seed: Optional[int],
             restore: Sequence[str] = (), controls: Sequence[str] = (), old_torch: Optional[str] = None,
             timeout: float = 600,
             cwd: Optional[Path] = None, files: Sequence[str] = ()) -> Run:
    """Run ``text`` as the script ``script`` with ``argv`` in ``python`` (see the module docstring)."""
    cwd = Path(cwd or os.getcwd())
    with tempfile.TemporaryDirectory(prefix="shims-verify-") as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        _mirror(cwd, work, files)
        spec_path, result_path = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec_path.write_text(json.dumps({"script": str(script.resolve()), "text": text, "argv": list(argv),
                                         "seed": seed, "restore": list(restore), "controls": list(controls),
                                         "old_torch": old_torch,
                                         "result": str(result_path)}))
        env = dict(os.environ)
        for name, value in THREADS.items():
            env.setdefault(name, value)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        # torch 2.x's optimizers import the compiler, which makes $TMPDIR/torchinductor_<user>: kept in the run's folder
        env.setdefault("TORCHINDUCTOR_CACHE_DIR", str(Path(tmp) / "torchinductor"))
        raw = matrix_cell.run_process([python, str(CHILD), str(spec_path)], timeout=timeout, cwd=work, env=env)
        result = json.loads(result_path.read_text()) if result_path.exists() else {}
        stdout = "".join(line + "\n" for _, line in raw["lines"])
        return Run(stdout=stdout, stderr=raw["stderr"], exit_code=raw["returncode"],
                   error=result.get("error"), timed_out=raw["timed_out"], seconds=raw["wall_seconds"],
                   restored=result.get("restored", []), files=_collect(work, files))
