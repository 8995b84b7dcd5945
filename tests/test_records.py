"""matrix.records.schema: the TypedDicts name every key the recorded files have, and only those."""
from __future__ import annotations

import ast
import json

import pytest

from matrix import ROOT
from matrix.running import cell
from matrix.facts import expected
from matrix.records import results, schema
from matrix.running import session as matrix_session
from matrix.probes import runner
from matrix.running.run import Run

RECORDED = results.record_paths(results.RESULTS_DIR)


def keys(td) -> tuple:
    """(required, optional) keys of a TypedDict."""
    return set(td.__required_keys__), set(td.__optional_keys__)


def check(record: dict, td, where: str) -> None:
    required, optional = keys(td)
    assert required <= set(record), f"{where}: missing {sorted(required - set(record))}"
    unnamed = set(record) - required - optional
    assert not unnamed, f"{where}: keys no TypedDict names: {sorted(unnamed)}"


def check_session(record: dict, where: str) -> None:
    check(record, schema.SessionRecord, where)
    for c in record["cells"]:
        check(c, schema.CellRecord, f"{where} cell {c.get('example')}/{c.get('mode')}")
        for w in c["warnings"]:
            check(w, schema.CellWarning, f"{where} cell warning")
        for w in c.get("import_warnings") or []:
            check(w, schema.CellImportWarning, f"{where} cell import warning")
        if c["error"]:
            check(c["error"], schema.Problem, f"{where} cell error")
    for p in record["probes"]:
        check(p, schema.ProbeRecord, f"{where} probe {p.get('id')}")
        for w in p["warnings"]:
            check(w, schema.ProbeWarning, f"{where} probe warning")
        if p["error"]:
            check(p["error"], schema.Problem, f"{where} probe error")


@pytest.mark.skipif(not RECORDED, reason="no recorded results/")
@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.name)
def test_a_recorded_file_has_only_keys_the_typeddicts_name(path):
    check_session(json.loads(path.read_text(encoding="utf-8")), path.name)


def test_every_key_named_is_recorded_somewhere_or_optional():
    """A required key that no recorded file has would be a key the docs promise and nobody writes."""
    seen = {"session": set(), "cell": set(), "probe": set()}
    for path in RECORDED:
        record = json.loads(path.read_text(encoding="utf-8"))
        seen["session"] |= set(record)
        for c in record["cells"]:
            seen["cell"] |= set(c)
        for p in record["probes"]:
            seen["probe"] |= set(p)
    if not RECORDED:
        pytest.skip("no recorded results/")
    for name, td in (("session", schema.SessionRecord), ("cell", schema.CellRecord), ("probe", schema.ProbeRecord)):
        required, _ = keys(td)
        # the rest are optional: e.g. "run" (records made before runs were named) and "unexpected_error"
        assert required <= seen[name], f"{name}: required but never recorded: {sorted(required - seen[name])}"


def test_the_records_this_code_writes_have_only_named_keys(tmp_path, monkeypatch):
    """A session that did not run (every cell not run) and one that ran (a failed cell, an expected
    failure that failed otherwise, a crashed probe): each key documented."""
    class Session:
        name, posargs, bin = "s", ["--results", str(tmp_path), "--example", "nn", "--example", "optim"], "."

        def log(self, msg):
            pass

        warn = log

        def skip(self, reason):
            pass  # returns: run_session then returns the record it wrote

        def error(self, reason):
            pass

    unrun = matrix_session.run_session(Session(), era="legacy", torch_pin="9.9", python_version="3.9",
                                       numpy="numpy", tensorflow=None, device="cpu", skip_reason="no Python 3.9")
    assert unrun["status"] == "not_run"
    check_session(unrun, "not run")

    def run_cell(python, era, example, **kw):
        return dict(cell.classify({"returncode": 1, "stderr": "boom\n", "lines": []}, None), mode="variant", steps=0,
                    seed=0, losses=[], first_loss=None, last_loss=None, seconds_per_step=None, wall_seconds=0.1,
                    stderr_tail="boom\n")

    crashed = {"id": "p", "outcome": "crashed", "detail": "the probe process died: x", "warnings": [],
               "error": {"type": "crash", "message": "x"}, "value": None}
    monkeypatch.setattr(matrix_session, "interpreter_of", lambda plan: "python")
    info = {"python": "3.11.7", "torch": "2.4.1"}
    monkeypatch.setattr(matrix_session, "ensure_pin", lambda plan, python: (info, None))
    monkeypatch.setattr(matrix_session, "describe_device", lambda plan, python, info: dict(info, device_name="CPU"))
    monkeypatch.setattr(cell, "run_cell", run_cell)
    monkeypatch.setattr(matrix_session, "run_probes", lambda python, timeout=0: ([crashed], "probe p: x"))
    monkeypatch.setattr(expected, "load_expected", lambda: [{"example": "nn", "error": "IndexError", "change": "c",
                                                             "reason": "known"}])
    ran = matrix_session.run_session(Session(), era="modern", torch_pin="installed", python_version=None,
                                     numpy="numpy", tensorflow=None, device="cpu", installed=True,
                                     run=Run("R"))  # noxfile.py makes one per nox run
    assert [c.get("unexpected_error") for c in ran["cells"]] == ["IndexError", None]
    assert ran["cells"][0]["change"] == "c" and ran["run"] == "R"
    check_session(ran, "ran")


def _documented(cls: ast.ClassDef, lines: list) -> dict:
    """key -> whether schema.py explains it: a ``#:`` comment on its line or just above, or its
    class's docstring naming it."""
    doc = ast.get_docstring(cls) or ""
    out = {}
    for node in cls.body:
        if isinstance(node, ast.AnnAssign):
            line = lines[node.lineno - 1]
            above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
            out[node.target.id] = "#:" in line or above.startswith("#:") or node.target.id in doc
    return out


def test_each_key_is_documented_in_schema_py():
    source = (ROOT / "matrix" / "records" / "schema.py").read_text(encoding="utf-8")
    lines = source.splitlines()
    classes = [n for n in ast.parse(source).body if isinstance(n, ast.ClassDef)]
    undocumented = [f"{c.name}.{k}" for c in classes for k, ok in _documented(c, lines).items() if not ok]
    assert undocumented == []


def test_the_main_functions_say_what_they_return():
    assert results.session_record.__annotations__["return"] == "SessionRecord"
    assert results.not_run_cell.__annotations__["return"] == "CellRecord"
    assert matrix_session.run_session.__annotations__["return"] == "SessionRecord"
    assert cell.classify.__annotations__["return"] == "Outcome"
    assert cell.run_cell.__annotations__["return"] == "CellRun"
    assert runner.run_probe.__annotations__["return"] == "ProbeRecord"
