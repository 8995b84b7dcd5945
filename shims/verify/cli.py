"""``python -m shims verify [OPTIONS] SCRIPT [ARGS...]``: does the upgraded script still compute
what the original computed?

1. The *old side*: the script as written, on the oldest pin that runs here (``--old``). Where that
   release fails on an idiom the catalog knows (``loss.data[0]``, catalog: zero-dim-index), only that
   idiom is adapted, in memory, and the report says which.
2. The *new side*: the upgraded text (what ``upgrade --write`` would write; nothing is written) on
   the newest pin (``--new``).
3. Each side runs twice: a side whose two runs differ is not reproducible as written (``--seed N``
   seeds random, NumPy and torch before the script starts).
4. What each printed is compared number by number (:mod:`shims.verify.compare`), and with
   ``--files GLOB`` what each wrote.
5. A difference is explained by intervention (:mod:`shims.verify.explain`).

Exit status: 0 the same, or every difference explained by a restored old behaviour; 1 a side failed,
a difference is unexplained or only consistent with an entry (not proven); 2 bad input.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

from matrix.running import environment
from matrix.records import jsonio
from matrix.facts.catalog import load_catalog
from matrix.facts.pins import PINS, Pin, pin_of
from shims.upgrade import EXIT_BAD_INPUT
from shims.upgrade.catalog import match_message
from shims.upgrade.engine import BadSource, upgrade_source
from shims.upgrade.notebook import parse_notebook
from shims.upgrade.run import magics_note
from shims.verify import envs
from shims.verify.compare import ATOL, RTOL, agrees, compare, texts_differ
from shims.verify.explain import CONTROL_RTOL, explain
from shims.verify.runner import Run, run_text

EXIT_SAME, EXIT_NOT_PROVEN = 0, 1
#: how many idioms the old side may adapt, one after another, before it is said to fail
MAX_ADAPTATIONS = 8
GPU_WORDS = ("CUDA", "NVIDIA", "cuda", "GPU")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m shims verify",
        description="Run the script as written on an old torch and upgraded on a new one; compare the numbers "
                    "and explain every difference by the catalog's silent changes.")
    torches = ", ".join(pin.torch for pin in PINS)
    p.add_argument("--old", metavar="TORCH", help=f"the old side's torch (a pin: {torches}; default: the oldest "
                                                  "whose Python is found here)")
    p.add_argument("--new", metavar="TORCH", help=f"the new side's torch (default {PINS[-1].torch}); the upgrade then targets it "
                                                  "(upgrade --target-torch)")
    p.add_argument("--seed", type=int, help="seed random, NumPy and torch with N before the script starts")
    p.add_argument("--files", action="append", default=[], metavar="GLOB",
                   help="also compare the files the script writes that match GLOB (repeatable)")
    p.add_argument("--rtol", type=float, default=RTOL, help=f"relative tolerance (default {RTOL:g})")
    p.add_argument("--atol", type=float, default=ATOL, help=f"absolute tolerance (default {ATOL:g})")
    p.add_argument("--timeout", type=float, default=600, help="seconds per run (default 600)")
    p.add_argument("--json", metavar="FILE", help="write the whole record to FILE")
    p.add_argument("script", help="the script (a .py file, or a .ipynb notebook: its code cells in order)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    return p


class Verify:
    """One verification: the options, what each step found, and the record."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.script = Path(args.script)
        self.record: Dict[str, object] = {"script": str(self.script), "args": args.args, "seed": args.seed,
                                          "rtol": args.rtol, "atol": args.atol, "files": args.files}
        self.started = time.monotonic()

    def say(self, message: str) -> None:
        print(f"verify: {message}", file=sys.stderr, flush=True)

    def run(self, env: envs.Env, text: str, restore: List[str] = (), controls: List[str] = ()) -> Run:
        return run_text(env.python, self.script, text, self.args.args, seed=self.args.seed, restore=restore,
                        controls=controls, old_torch=self.record.get("old_torch"), timeout=self.args.timeout,
                        files=self.args.files)


def _old_candidates(wanted: Optional[str], new_pin: Pin) -> List[Pin]:
    """The old side's pins to try, in order: ``--old`` alone, else each pin older than the new side's
    whose Python is found here, oldest first."""
    if wanted:
        return [pin_of(wanted)]
    from matrix.running.interpreters import find_python

    older = [pin for pin in PINS if pin.torch != new_pin.torch and
             environment.public_version(pin.torch) < environment.public_version(new_pin.torch)]
    found = [pin for pin in older if find_python(pin.python).found]
    return found or older[:1] or [new_pin]


def _gpu_needed(run: Run) -> bool:
    text = (run.error or {}).get("message", "") + run.stderr[-2000:]
    return any(word in text for word in GPU_WORDS) and ("available" in text or "driver" in text or
                                                        "compiled with CUDA" in text)


#: failures that say a release lacks what the script uses (an API added later), so a newer pin may run it
TOO_OLD = ("AttributeError", "ImportError", "ModuleNotFoundError", "TypeError", "NameError")


def _too_old(run: Run) -> bool:
    return bool(run.error) and run.error["type"] in TOO_OLD and not _gpu_needed(run)


def _reads_stdin(run: Run) -> bool:
    return (run.error or {}).get("type") == "EOFError"


def _failure_line(side: str, torch: str, run: Run) -> str:
    if _gpu_needed(run):
        return (f"the {side} side needs a GPU: there is none here (torch {torch}: {run.failure()}); run verify on a "
                "machine with an NVIDIA GPU, or make the script fall back to the CPU")
    if _reads_stdin(run):
        return (f"the {side} side reads standard input, which verify leaves empty (torch {torch}: {run.failure()}); "
                "pass the input as an argument or a file")
    if run.timed_out:
        return (f"the {side} side was still running after {run.seconds:.0f} s (torch {torch}); killed. Give it a "
                "shorter run through its own arguments, or --timeout")
    known = match_message(*(run.error["type"], run.error["message"])) if run.error else []
    hint = f" [{known[0].id}: {known[0].fix}]" if known else ""
    return f"the {side} side failed on torch {torch}: {run.failure()}{hint}"


def old_side(v: Verify, env: envs.Env, source: str) -> tuple:
    """Run the script as written; adapt only the idioms the old torch fails on. Returns
    (runs, text run, adapted ids)."""
    text, adapted = source, []
    first = v.run(env, text)
    while not first.ok and first.error and len(adapted) < MAX_ADAPTATIONS:
        known = [e for e in match_message(first.error["type"], first.error["message"]) if e.upgrade]
        if not known or known[0].id in adapted:
            break
        upgraded = upgrade_source(text, str(v.script), only={known[0].id})
        if upgraded.new == text:
            break
        v.say(f"torch {env.pin.torch} fails on {known[0].id} as written; adapting only that idiom, in memory")
        text, adapted = upgraded.new, adapted + [known[0].id]
        first = v.run(env, text)
    runs = [first]
    if first.ok:
        runs.append(v.run(env, text))
    return runs, text, adapted


def _file_lines(run: Run) -> Dict[str, str]:
    return {name: item.get("text", f"sha256 {item['sha256']}") for name, item in run.files.items()}


def main(argv: Optional[List[str]] = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return EXIT_BAD_INPUT if exc.code else 0
    v = Verify(args)
    say = v.say
    if not v.script.is_file():
        print(f"python -m shims verify: {args.script}: no such file", file=sys.stderr)
        return EXIT_BAD_INPUT
    place, relabel = str, str  # a line (and a message) as the report names it: a notebook's by cell
    try:
        source = v.script.read_bytes().decode("utf-8")
        if v.script.suffix == ".ipynb":  # its code cells in order, IPython-only lines made inert
            notebook = parse_notebook(source, str(v.script))
            source, place, relabel = notebook.script()[0], notebook.place, notebook.relabel
            if notebook.magics():
                say(f"{args.script}: not run (IPython only): {magics_note(notebook)}")
        new_pin = pin_of(args.new) if args.new else PINS[-1]
        old_pins = _old_candidates(args.old, new_pin)
        # what `upgrade --target-torch NEW` writes: never a form the new side's torch lacks
        upgraded = upgrade_source(source, str(v.script), target_torch=new_pin.torch if args.new else None)
    except UnicodeDecodeError:
        print(f"python -m shims verify: {args.script}: not UTF-8 text", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BadSource as exc:
        print(f"python -m shims verify: {args.script}:{place(exc.line)}: syntax error: {relabel(exc.message)}; "
              "not run", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as exc:  # no such pin; a notebook that is not nbformat 4 (NotebookError)
        print(f"python -m shims verify: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.rtol < 0 or args.atol < 0 or args.timeout <= 0:
        print("python -m shims verify: --rtol and --atol must be >= 0, --timeout > 0", file=sys.stderr)
        return EXIT_BAD_INPUT
    needs_tf = "tensorflow" in source
    old_pin = old_pins[0]
    v.record.update(old_torch=old_pin.torch, new_torch=new_pin.torch)
    say(f"old side: as written on torch {old_pin.torch} (Python {old_pin.python}); new side: upgraded on torch "
        f"{new_pin.torch} (Python {new_pin.python}); each run twice. An environment not built yet costs "
        f"{envs.FIRST_COST}")
    try:
        new_env = envs.ensure(new_pin, needs_tf, say)
        old_env = envs.ensure(old_pin, needs_tf, say)
    except envs.NoEnvironment as exc:
        return finish(v, f"verdict: not verified: {exc}", 1)
    v.record["environments"] = {"old": old_env.info, "new": new_env.info}
    left = [f for f in upgraded.findings if f.action != "changed"]
    v.record["upgrade"] = {"changed": sorted({f.change_id for f in upgraded.findings if f.action == "changed"}),
                           "left_for_you": [{"line": f.line, "id": f.change_id, "what": f.what} for f in left]}

    old_runs, old_text, adapted = old_side(v, old_env, source)
    tried = []
    for later in old_pins[1:]:  # the oldest pin that runs it: a release too old for the script is skipped
        if old_runs[0].ok or not _too_old(old_runs[0]):
            break
        tried.append(f"torch {old_pin.torch}: {old_runs[0].failure()}")
        say(f"the script fails on torch {old_pin.torch} ({old_runs[0].failure()}); trying torch {later.torch}")
        try:
            old_env = envs.ensure(later, needs_tf, say)
        except envs.NoEnvironment as exc:
            tried.append(f"torch {later.torch}: {exc}")
            continue
        old_pin = later
        v.record["old_torch"] = old_pin.torch
        old_runs, old_text, adapted = old_side(v, old_env, source)
    v.record["old_tried"] = tried
    v.record["old"] = {"adapted": adapted, "runs": [r.as_dict() for r in old_runs]}
    new_runs = [v.run(new_env, upgraded.new)]
    if new_runs[0].ok:
        new_runs.append(v.run(new_env, upgraded.new))
    v.record["new"] = {"runs": [r.as_dict() for r in new_runs]}
    lines = [f"script: {v.script} {' '.join(args.args)}".rstrip(),
             f"old side: torch {old_env.info.get('torch')} on Python {old_env.info.get('python')}, "
             + (f"adapted in memory: {', '.join(adapted)}" if adapted else "as written")
             + (f" (older releases fail: {'; '.join(tried)})" if tried else ""),
             f"new side: torch {new_env.info.get('torch')} on Python {new_env.info.get('python')}, upgraded: "
             + (", ".join(v.record["upgrade"]["changed"]) or "nothing to change")]
    for f in left:
        lines.append(f"  left for you by the upgrade: line {f.line} [{f.change_id}] {f.what}")
    failed = [(side, pin.torch, runs[0]) for side, pin, runs in
              (("old", old_pin, old_runs), ("new", new_pin, new_runs)) if not runs[0].ok]
    if failed:
        lines += [_failure_line(side, torch, run) for side, torch, run in failed]
        return finish(v, "\n".join(lines) + "\nverdict: not verified: " + ("both sides failed" if len(failed) == 2
                      else f"the {failed[0][0]} side failed"), 1)
    unstable = [side for side, runs in (("old", old_runs), ("new", new_runs))
                if texts_differ([r.stdout for r in runs]) or _file_lines(runs[0]) != _file_lines(runs[1])]
    if unstable:
        lines.append(f"not reproducible as written: the {' and '.join(unstable)} side's two runs printed other "
                     f"numbers; where it draws random numbers, seed it: python -m shims verify --seed 0 "
                     f"{args.script} ...")
        known = {c["id"]: c for c in load_catalog()}
        for cid in v.record["upgrade"]["changed"]:
            if known.get(cid, {}).get("kind") == "silent" and "restore_impossible" in known[cid]:
                lines.append(f"  the upgrade changed {cid} here: {known[cid]['restore_impossible']}")
        return finish(v, "\n".join(lines) + "\nverdict: not verified: the runs are not reproducible", 1)
    result = compare(old_runs[0].stdout, new_runs[0].stdout, args.rtol, args.atol)
    v.record["comparison"] = result.as_dict()
    lines.append(f"printed: {result.describe(args.rtol, args.atol)}")
    file_diffs = []
    old_files, new_files = _file_lines(old_runs[0]), _file_lines(new_runs[0])
    for name in sorted(set(old_files) | set(new_files)):
        if name not in old_files or name not in new_files:
            file_diffs.append(name)
            lines.append(f"file {name}: written by the {'old' if name in old_files else 'new'} side only")
            continue
        c = compare(old_files[name], new_files[name], args.rtol, args.atol)
        lines.append(f"file {name}: {c.describe(args.rtol, args.atol)}")
        if not agrees(c):
            file_diffs.append(name)
    if args.files and not old_files and not new_files:
        lines.append(f"files: neither side wrote a file matching {', '.join(args.files)}")
    if result.status == "nothing" and not old_files and not new_files:
        return finish(v, "\n".join(lines) + "\nverdict: not verified: the script prints no numbers (compare what it "
                      "writes with --files GLOB)", 1)
    printed_same = result.status == "nothing" or agrees(result)
    if printed_same and not file_diffs:
        word = ("the same numbers, bit for bit" if result.status in ("identical", "nothing") else
                f"the same numbers within rtol={args.rtol:g}")
        return finish(v, "\n".join(lines) + f"\nverdict: same: {word}", EXIT_SAME)
    if printed_same:
        return finish(v, "\n".join(lines) + "\nverdict: not verified: the files differ (no file is explained by "
                      "intervention yet)", 1)
    why = explain(old_runs[0].stdout, result,
                  lambda ids, controls: v.run(new_env, upgraded.new, ids, controls),
                  lambda controls: v.run(old_env, old_text, [], controls), upgraded.new,
                  old_python=old_env.python, new_python=new_env.python, old_torch=old_pin.torch,
                  new_torch=new_pin.torch, rtol=args.rtol, atol=args.atol, say=say,
                  old_versions=old_env.info, new_versions=new_env.info)
    v.record["explanation"] = why.as_dict()
    for trial in why.trials:
        tol = (CONTROL_RTOL[trial.controls[0]], 0.0) if trial.controls else (args.rtol, args.atol)
        what = trial.failure or trial.comparison.describe(*tol)
        effect = ""
        if trial.comparison and trial.comparison.status == "different":
            same_as_before = (trial.comparison.first_line == result.first_line
                              and trial.comparison.max_relative == result.max_relative)
            effect = " (no effect)" if same_as_before else ""
        how = " + ".join(trial.restored) + " restored" if trial.restored else ""
        if trial.controls:
            how = f"both sides under the {trial.controls[0]} control" + (f", {how}" if how else "")
        lines.append(f"  with {how}: {what}{effect}")
    for cid, evidence in why.ruled_out.items():
        lines.append(f"  not {cid}: {evidence}")
    for cid, evidence in why.consistent_with.items():
        if why.control and cid in why.control_entries:
            lines.append(f"  {cid}: {evidence} (one float32 kernel that rounds differently; not singled out)")
        else:
            lines.append(f"  consistent with {cid}: {evidence}; its old behaviour cannot be restored, so not proven")
    head = f"differs from line {result.first_line}"
    if why.status == "explained" and why.control:
        evidence = [cid for cid in why.control_entries if cid in why.consistent_with]
        restored = f" with {' and '.join(why.explained_by)} restored," if why.explained_by else ""
        named = "".join(f"{cid} and " for cid in why.explained_by)
        verdict = (f"explained: {head}; explained by {named}float32 rounding: under the {why.control} control on both "
                   f"sides,{restored} the numbers agree within rtol={CONTROL_RTOL[why.control]:g} (largest "
                   f"relative difference {why.residual.max_relative:.2g}); the kernel is not singled out"
                   + (f" ({', '.join(evidence)}: its probe differs between the two releases here)" if evidence else ""))
        return finish(v, "\n".join(lines) + f"\nverdict: {verdict}", EXIT_SAME)
    if why.status == "explained":
        ids = " and ".join(why.explained_by)
        verdict = (f"explained: {head}; explained by {ids}: with the torch {old_pin.torch} behaviour restored the "
                   f"numbers {'equal' if why.residual.status == 'identical' else 'are within the tolerance of'} "
                   "the old side's")
        return finish(v, "\n".join(lines) + f"\nverdict: {verdict}", EXIT_SAME)
    if why.partly:
        ids, line = why.partly
        head += (f"; with {' + '.join(ids)} restored the numbers agree up to line {line - 1} "
                 f"(that part explained by {' and '.join(ids)})")
    if why.status == "consistent":
        rest = "the rest is" if why.partly else "it is"
        return finish(v, "\n".join(lines) + f"\nverdict: not proven: {head}; {rest} consistent with "
                      f"{', '.join(why.consistent_with)}, not proven", EXIT_NOT_PROVEN)
    rest = "no catalog entry explains the rest" if why.partly else "no catalog entry explains it"
    return finish(v, "\n".join(lines) + f"\nverdict: unexplained: {head}; {rest}", 1)


def finish(v: Verify, text: str, status: int) -> int:
    """Print the report (the verdict last), write ``--json``, return the exit status."""
    seconds = time.monotonic() - v.started
    print(text)
    v.record.update(verdict=text.splitlines()[-1], exit_status=status, seconds=round(seconds, 1), report=text)
    if v.args.json:
        jsonio.write_atomically(v.args.json, json.dumps(v.record, indent=1, sort_keys=True, default=str) + "\n")
    v.say(f"done in {seconds:.0f} s")
    return status
