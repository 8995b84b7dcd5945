"""Run the catalog's ``old`` and ``new`` snippets, and judge each against the entry's ``kind``.

    python -m matrix.facts.snippets                          # on this interpreter's torch: a line per snippet
    python -m matrix.facts.snippets --python /path/to/python # the same, run by another interpreter (older pins)

tests/test_catalog_snippets.py runs every snippet on the test suite's torch. The snippets run in one
child process (``--run``: JSON in on stdin, JSON out on stdout; Python 3.9+, standard library and
whatever the snippets import), each after ``import torch`` and the entry's ``setup``, in a fresh
namespace and a fresh working directory, with every warning recorded. The parent, which reads the
catalog, judges the outcomes (:func:`verdict`); so the child needs neither tomllib nor this project's
catalog code, and runs on any interpreter a matrix pin uses.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from matrix.facts.catalog import known_texts, split_message as head_and_body

#: what a removed API raises on its own, whatever the symptom names
REMOVAL_TYPES = ("AttributeError", "ImportError", "ModuleNotFoundError")


def snippets(changes: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """One item per ``old`` and ``new`` of every entry: what the child needs to run it."""
    out = []
    for change in changes:
        for which in ("old", "new"):
            out.append({"id": change["id"], "which": which, "code": change[which],
                        "setup": change.get("setup", ""), "illustration": change.get("illustration"),
                        "needs": change.get("needs") or {}, "depends_on": change.get("depends_on")})
    return out


def clean(text: str) -> str:
    """A message as users search for it: no ANSI colours, no "(Triggered internally at ...)" suffix."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return re.sub(r"\s*\(Triggered internally at [^)]*\)\.?", "", text).strip()


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]


def _type_matches(head: Optional[str], error: Dict[str, str]) -> bool:
    return head is not None and head in (error["type"], f"{error['module']}.{error['type']}")


def _starts_a_known_text(change: Dict[str, Any], category: str, message: str) -> bool:
    """``category: message`` starts with the symptom or an also_seen text, or shares the symptom's
    first sentence (the rest of a removal message names the function, e.g. torch.symeig's)."""
    message = clean(message)
    for known in known_texts(change):
        head, body = head_and_body(known)
        if head is None or head.split(".")[-1] != category.split(".")[-1]:
            continue
        if message.startswith(body) or message.startswith(first_sentence(body)):
            return True
    return False


def verdict(change: Dict[str, Any], which: str, result: Dict[str, Any]) -> Tuple[str, str]:
    """("pass" | "fail" | "skip", why) for one snippet's outcome on the torch it ran on, judged by the
    entry's ``kind`` (``old``) or as the form to write instead (``new``: runs, without the old form's
    message)."""
    if result.get("skipped"):
        return "skip", result["skipped"]
    error, warned = result.get("error"), result.get("warnings") or []
    if result.get("setup_error"):
        return "fail", f"the setup raised {result['setup_error']['type']}: {result['setup_error']['message']}"
    symptom_head, _ = head_and_body(change["symptom"])
    if which == "new":
        if error:
            return "fail", f"new raises {error['type']}: {error['message']}"
        old_message = [w for w in warned if _starts_a_known_text(change, w["category"], w["message"])]
        if old_message:
            return "fail", f"new still issues the old form's message: {old_message[0]['message']}"
        return "pass", "runs"
    kind = change["kind"]
    if kind in ("error", "removal"):
        if not error:
            return "fail", f"old runs ({kind} expected): " + (
                f"warns {warned[0]['category']}: {warned[0]['message']}" if warned else "no error")
        typed = _type_matches(symptom_head, error) or (kind == "removal" and error["type"] in REMOVAL_TYPES)
        if not typed:
            return "fail", f"old raises {error['type']}, the symptom says {symptom_head}: {error['message']}"
        category = error["type"] if _type_matches(symptom_head, error) or symptom_head is None else symptom_head
        if kind == "error" and not _starts_a_known_text(change, category, error["message"]):
            return "fail", f"old raises {error['type']} with another message: {error['message']}"
        return "pass", f"raises {error['type']}: {first_sentence(clean(error['message']))}"
    if kind == "warning":
        if error:
            return "fail", f"old raises {error['type']}: {error['message']} (a warning expected)"
        hits = [w for w in warned if _starts_a_known_text(change, w["category"], w["message"])]
        if not hits:
            seen = "; ".join(f"{w['category']}: {w['message']}" for w in warned) or "no warning"
            return "fail", f"old does not issue the symptom's warning ({seen})"
        return "pass", f"warns {hits[0]['category']}: {first_sentence(clean(hits[0]['message']))}"
    # silent: runs (what it computes is the probe's business); environment: runs in the tests' own
    # environment, whose libraries match (the mismatched ones are the matrix's: see the probe)
    if error:
        return "fail", f"old raises {error['type']}: {error['message']} ({kind}: expected to run)"
    return "pass", "runs" + (f" (warns {warned[0]['category']})" if warned else "")


# ------------------------------------------------------------------------------------- the child
def _reset_torch_defaults(torch) -> None:
    """Undo what a snippet may set for the whole process (set-default-tensor-type's old and new)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # set_default_tensor_type is itself deprecated
        torch.set_default_tensor_type(torch.FloatTensor)
    torch.set_default_dtype(torch.float32)
    if hasattr(torch, "set_default_device"):
        torch.set_default_device(None)


def _skip_reason(item: Dict[str, Any]) -> Optional[str]:
    import importlib.util

    if item.get("illustration"):
        return f"illustration, not run: {item['illustration']}"
    if item.get("depends_on") == "tensorflow" and importlib.util.find_spec("tensorflow") is None:
        return "needs tensorflow, which is not installed here"
    needs = item.get("needs") or {}
    if "cuda" in needs:
        import torch

        if not torch.cuda.is_available():
            return f"needs a CUDA device, none here: {needs['cuda']}"
    return None


def run_one(item: Dict[str, Any]) -> Dict[str, Any]:
    """Run one snippet here: ``import torch``, the setup, then the code, every warning recorded."""
    import contextlib
    import io
    import tempfile
    import traceback
    import warnings

    out: Dict[str, Any] = {"id": item["id"], "which": item["which"], "error": None, "warnings": []}
    reason = _skip_reason(item)
    if reason:
        out["skipped"] = reason
        return out
    namespace: Dict[str, Any] = {"__name__": "__snippet__"}
    here = os.getcwd()
    printed = io.StringIO()
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(printed):
        warnings.simplefilter("always")
        os.chdir(folder)
        try:
            for part, code in (("setup", "import torch\n" + (item.get("setup") or "")), ("code", item["code"])):
                try:
                    exec(compile(code, f"<{item['id']}.{item['which'] if part == 'code' else 'setup'}>", "exec"),
                         namespace)
                except Exception as exc:  # noqa: BLE001 - recorded, judged by the parent
                    record = {"type": type(exc).__name__, "module": type(exc).__module__,
                              "message": clean(str(exc)), "where": traceback.format_exc(limit=-1).strip()[-300:]}
                    out["error" if part == "code" else "setup_error"] = record
                    break
                if part == "setup":
                    del caught[:]  # warnings of the setup are not the snippet's
        finally:
            os.chdir(here)
            torch = sys.modules.get("torch")
            if torch is not None:
                _reset_torch_defaults(torch)
        out["warnings"] = [{"category": w.category.__name__, "message": clean(str(w.message))} for w in caught]
    out["printed"] = printed.getvalue()[-500:]
    return out


def _child(stdin: Any, stdout: Any) -> int:
    items = json.load(stdin)
    results = [run_one(item) for item in items]
    versions = {}
    for name in ("torch", "numpy", "tensorflow"):
        module = sys.modules.get(name)
        versions[name] = getattr(module, "__version__", None) if module else None
    json.dump({"python": sys.version.split()[0], "versions": versions, "results": results}, stdout)
    return 0


def run(items: Sequence[Dict[str, Any]], python: Optional[str] = None, timeout: float = 600) -> Dict[str, Any]:
    """Run ``items`` (from :func:`snippets`) in a child ``python`` (default: this one)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    proc = subprocess.run([python or sys.executable, "-m", "matrix.facts.snippets", "--run"],
                          input=json.dumps(list(items)),
                          capture_output=True, text=True, cwd=root, env=env, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"the snippet runner failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def main(argv: Optional[Sequence[str]] = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m matrix.facts.snippets", description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="the interpreter to run the snippets with (default: this one)")
    parser.add_argument("--only", choices=("old", "new"), help="run only the old or only the new snippets")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)  # the child
    args = parser.parse_args(argv)
    if args.run:
        return _child(sys.stdin, sys.stdout)
    from matrix.facts.catalog import by_id, load_catalog

    changes = load_catalog()
    items = [s for s in snippets(changes) if not args.only or s["which"] == args.only]
    ran = run(items, args.python)
    entries = by_id(changes)
    print(f"python {ran['python']}, " + ", ".join(f"{k} {v}" for k, v in ran["versions"].items() if v))
    failed = 0
    for result in ran["results"]:
        change = entries[result["id"]]
        status, why = verdict(change, result["which"], result)
        failed += status == "fail"
        print(f"{status:4}  {result['id']}.{result['which']} ({change['kind']}): {why}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
