"""Where and when the measured statements were measured, said once.

Each machine the records name (the CPU, as :func:`matrix.records.observations.cpu_of` says; for a CUDA run
the GPU it ran on) gets a letter. A measured statement on the pages names its torch pin and carries
that letter, a link to the table under "How these were measured", whose row for (letter, pin) gives
the torch build, Python, NumPy and TensorFlow, the date of the run and its commit. Everything in the
table is read from the records; nothing is typed by hand.

Records that did not run (no GPU for a CUDA run) are said in one line per device and reason
(:func:`not_run_lines`), on both pages.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from matrix import ERAS
from matrix.records.observations import cpu_of, short_date, span, version_key
from matrix.pages.text import md_escape, reader_text, sentence

ANCHOR = "measured"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def letter(i: int) -> str:
    return LETTERS[i] if i < len(LETTERS) else f"M{i}"


class Provenance:
    """machine -> letter, and (machine, pin) -> what ran there (builds, versions, dates, commits)."""

    def __init__(self) -> None:
        self.letters: Dict[str, str] = {}
        self.rows: Dict[Tuple[str, str], Dict[str, set]] = {}

    def add(self, machine: str, pin: str, **facts: Optional[str]) -> None:
        self.letters.setdefault(machine, letter(len(self.letters)))
        row = self.rows.setdefault((machine, pin), {})
        for key, value in facts.items():
            if value:
                row.setdefault(key, set()).add(str(value))

    @classmethod
    def of_sessions(cls, sessions: Sequence[Dict[str, Any]]) -> "Provenance":
        """From the records that ran, in their order (era, pin, device)."""
        prov = cls()
        for s in sessions:
            if s.get("status") != "ran":
                continue
            prov.add(cpu_of(s), s.get("torch_pin") or "?", build=s.get("torch_build") or s.get("torch"),
                     python=s.get("python"), numpy=s.get("numpy"), tensorflow=s.get("tensorflow"),
                     date=short_date(s.get("date")), commit=s.get("commit"))
        return prov

    @classmethod
    def of_observations(cls, obs: Iterable[Dict[str, Any]]) -> "Provenance":
        """From check observations alone (what :func:`matrix.records.observations.observation` attaches)."""
        prov = cls()
        for o in obs:
            prov.add(o["_cpu"], o["_pin"], build=o.get("_build") or o.get("_torch"), python=o.get("_python"),
                     numpy=o.get("_numpy"), tensorflow=o.get("_tensorflow"), date=short_date(o.get("_date")))
        return prov

    def letter_of(self, machine: str) -> str:
        if machine not in self.letters:  # a statement about a machine no record names: never silent
            self.letters[machine] = letter(len(self.letters))
        return self.letters[machine]

    def ref(self, machines: Iterable[str]) -> str:
        """'[A](#measured)', or '[A](#measured), [B](#measured)' for statements over several machines."""
        found = sorted({self.letter_of(m) for m in machines}, key=lambda x: (len(x), x))
        return ", ".join(f"[{x}](#{ANCHOR})" for x in found)

    def ref_obs(self, obs: Iterable[Dict[str, Any]]) -> str:
        return self.ref(o["_cpu"] for o in obs)

    def table(self) -> List[str]:
        """One row per machine and torch pin: letter, machine, pin, build, Python, NumPy, TensorFlow,
        date(s), commit(s)."""
        if not self.rows:
            return ["No run is recorded yet."]
        out = ["| | machine | torch pin | torch build | Python | NumPy | TensorFlow | date | commit |",
               "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        order = {m: i for i, m in enumerate(self.letters)}
        for (machine, pin) in sorted(self.rows, key=lambda k: (order[k[0]], version_key(k[1]))):
            row = self.rows[(machine, pin)]

            def cell(key: str, dates: bool = False) -> str:
                # versions in packaging's order; anything else (commits) by its text, so the page is
                # the same whatever order the set gives
                values = sorted(row.get(key) or [], key=(None if dates else lambda v: (version_key(v), v)))
                return md_escape(span(values) if dates else ", ".join(values)) if values else "-"

            out.append(f"| {self.letters[machine]} | {md_escape(machine)} | {pin} | {cell('build')} | "
                       f"{cell('python')} | {cell('numpy')} | {cell('tensorflow')} | {cell('date', True)} | "
                       f"{cell('commit')} |")
        return out


def not_run_lines(sessions: Sequence[Dict[str, Any]]) -> List[str]:
    """Records that ran nothing, one line per device and reason: "CUDA: not run on any pin — no NVIDIA
    GPU on this machine (...)", or the pins (and eras) it concerns where it is not all of them."""
    groups: Dict[Tuple[str, str, str], List[Dict[str, Any]]] = {}
    for s in sessions:
        if s.get("status") == "ran":
            continue
        key = (s.get("device") or "?", s.get("status") or "?", reader_text(s.get("reason") or "no reason recorded"))
        groups.setdefault(key, []).append(s)
    out = []
    for (device, status, reason), group in groups.items():
        mine = {(s.get("era"), s.get("torch_pin")) for s in group}
        every = {(s.get("era"), s.get("torch_pin")) for s in sessions if s.get("device") == device}
        word = "not run" if status == "not_run" else status.replace("_", " ")
        if mine == every:
            where = "on any pin"
        else:
            pins = sorted({p for _, p in mine}, key=version_key)
            eras = sorted({e for e, _ in mine}, key=lambda e: ERAS.index(e) if e in ERAS else 9)
            where = f"on torch {', '.join(pins)} ({', '.join(eras)})"
        out.append(sentence(f"{device.upper()}: {word} {where} — {reason}"))
    return out


#: how a user runs the matrix against a torch they installed themselves (noxfile.py's options)
INSTALLED_COMMAND = "MATRIX_USE_INSTALLED=1 MATRIX_PYTHON=/path/to/python nox -s {eras}"


def unavailable_lines(unavailable: Sequence[Dict[str, Any]], sessions: Sequence[Dict[str, Any]]) -> List[str]:
    """The releases the eras were written for that no registry offers (``[[unavailable_release]]`` in
    matrix/catalog.toml): cited, not measured; the oldest pin that ran instead, from the records; and
    the command that runs the eras against such a torch where a user has one installed."""
    out = []
    for u in unavailable:
        eras = [e for e in ERAS if e in u.get("eras", [])]
        ran = sorted({s.get("torch_pin") for s in sessions if s.get("status") == "ran" and s.get("era") in eras
                      and s.get("torch_pin")}, key=version_key)
        oldest = f"; the oldest pin recorded for them is torch {ran[0]}" if ran and version_key(ran[0])[0] == 0 else ""
        out.append(sentence(
            f"Not in the matrix: torch {u['releases']}, the releases the {' and '.join(eras)} era"
            f"{'s were' if len(eras) > 1 else ' was'} written for — {u['why']} ([source]({u['source']}), "
            f"read {u['checked']}; cited, not measured here){oldest}"))
        out.append("")
        out.append(f"With such a torch installed in a Python 3.7 or newer (the code that runs next to each script "
                   f"needs 3.7+), run the eras against it: `{INSTALLED_COMMAND.format(eras=' '.join(eras))}` "
                   "(the sessions are named `<era>(torch='installed', device=...)`; see noxfile.py).")
        out.append("")
    return out[:-1]
