"""The catalog's code runs: every ``new`` snippet runs on the test suite's torch, and every ``old``
snippet does there what the entry's ``kind`` says (matrix/facts/snippets.py judges each outcome).

And what the matrix recorded agrees with what the catalog cites: for every torch pin in results/,
the probe's outcome is not contradicted by the entry's cited_versions (a pin at or past a cited
``fails`` errors, one below a cited ``warns`` neither warns nor errors, ...).

The snippets run once, all of them, in one fresh interpreter (``python -m matrix.facts.snippets --run``),
each after ``import torch`` and its entry's ``setup`` in a namespace and working directory of its own.
Older pins: ``python -m matrix.facts.snippets --python .nox/<session>/bin/python`` prints the same verdicts
for another interpreter (not a test: CI has no such virtualenvs).
"""
from __future__ import annotations

import json

import pytest

from conftest import ROOT
from matrix.facts import snippets as sn
from matrix.facts.catalog import cited_release
from matrix.facts.catalog import CITED_KEYS, by_id, load_catalog
from matrix.probes import probe_name

pytest.importorskip("torch", reason="torch is not installed in this environment")
Version = pytest.importorskip("packaging.version").Version

CATALOG = load_catalog()
ENTRIES = by_id(CATALOG)
ITEMS = sn.snippets(CATALOG)
IDS = [f"{item['id']}.{item['which']}" for item in ITEMS]


@pytest.fixture(scope="module")
def ran():
    out = sn.run(ITEMS, timeout=600)
    return {f"{r['id']}.{r['which']}": r for r in out["results"]}


def test_every_snippet_is_python_or_says_why_not():
    """A snippet that is not Python (shell commands) says so in ``illustration``; the rest compile,
    setup included, so the docs never show code that cannot run."""
    for change in CATALOG:
        if change.get("illustration"):
            continue
        for key in ("setup", "old", "new"):
            if change.get(key):
                compile(change[key], f"{change['id']}.{key}", "exec")


@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_snippet(ran, item):
    name = f"{item['id']}.{item['which']}"
    status, why = sn.verdict(ENTRIES[item["id"]], item["which"], ran[name])
    if status == "skip":
        pytest.skip(why)
    assert status == "pass", f"{name} ({ENTRIES[item['id']]['kind']}): {why}"


def test_the_judge_catches_a_snippet_that_does_not_do_what_the_kind_says():
    """matrix/facts/snippets.py's verdicts on made-up outcomes: an error that warns, a warning with another
    message, a new form that still warns, a removal that raises its own AttributeError."""
    warn = {"kind": "warning", "symptom": "UserWarning: volatile was removed and now has no effect."}
    err = {"kind": "error", "symptom": "IndexError: invalid index of a 0-dim tensor. Use x"}
    gone = {"kind": "removal", "symptom": "RuntimeError: This function was deprecated since version 1.9."}
    w = [{"category": "UserWarning", "message": "volatile was removed and now has no effect."}]
    assert sn.verdict(warn, "old", {"warnings": w})[0] == "pass"
    assert sn.verdict(warn, "old", {"warnings": [{"category": "UserWarning", "message": "other"}]})[0] == "fail"
    assert sn.verdict(warn, "new", {"warnings": w})[0] == "fail"
    assert sn.verdict(err, "old", {"warnings": w})[0] == "fail"
    index = {"type": "IndexError", "module": "builtins", "message": "invalid index of a 0-dim tensor. Use y"}
    assert sn.verdict(err, "old", {"error": index})[0] == "pass"
    assert sn.verdict(err, "old", {"error": dict(index, type="KeyError")})[0] == "fail"
    assert sn.verdict(err, "old", {"error": dict(index, message="too many indices")})[0] == "fail"
    assert sn.verdict(gone, "old", {"error": {"type": "AttributeError", "module": "builtins",
                                              "message": "module 'torch' has no attribute 'eig'"}})[0] == "pass"
    assert sn.verdict(err, "old", {"skipped": "needs a CUDA device"}) == ("skip", "needs a CUDA device")


# ----------------------------------------------------------- cited versions vs the recorded probes
def contradictions(change, pin, outcome):
    """Why ``outcome`` of the entry's probe on ``pin`` contradicts the cited versions ([] if it does not).

    At or past a cited ``fails``: the probe errors. At or past a cited ``warns`` (and below ``fails``):
    it warns or errors. Below a cited ``warns`` it does not warn; below the first cited release it does
    not error (a warning before a cited ``fails``, with no ``warns`` cited, is a deprecation period the
    sources did not date). Below a cited ``changed``: it does not differ. A pin where the probe did
    not run tells nothing."""
    if outcome == "not_run":
        return []
    cited = {k: cited_release(change["cited_versions"][k]) for k in CITED_KEYS if change["cited_versions"].get(k)}
    fails, warns, changed = cited.get("fails"), cited.get("warns"), cited.get("changed")
    out = []
    if fails and pin >= fails and outcome != "errors":
        out.append(f"cited: fails since {fails}; recorded on {pin}: {outcome}")
    elif warns and pin >= warns and (not fails or pin < fails) and outcome not in ("warns", "errors"):
        out.append(f"cited: warns since {warns}; recorded on {pin}: {outcome}")
    if outcome == "warns" and warns and pin < warns:
        out.append(f"cited: first warns on {warns}; recorded on {pin}: warns")
    first_error = fails or warns  # where only `fails` is cited, a warning before it contradicts nothing
    if outcome == "errors" and first_error and pin < first_error:
        out.append(f"cited: first warns or fails on {first_error}; recorded on {pin}: errors")
    if changed and pin < changed and outcome == "differs":
        out.append(f"cited: changed in {changed}; recorded on {pin}: differs")
    return out


def recorded_outcomes():
    """(change, the release that decides it, outcome, session file) for every probe record in results/."""
    by_probe = {probe_name(c["id"]): c for c in CATALOG}  # records name their probe
    rows = []
    for path in sorted((ROOT / "results").glob("*.json")):
        session = json.loads(path.read_text())
        if session.get("status") != "ran":
            continue
        for rec in session.get("probes") or []:
            change = by_probe.get(rec.get("id"))
            if change is None:
                continue
            library = change.get("depends_on")
            if library and change["kind"] not in ("error", "removal"):
                continue  # an environment entry's outcome depends on how torch was built against it too
            release = cited_release(session.get(library or "torch") or "")
            if release is not None:
                rows.append((change, release, rec["outcome"], path.name))
    return rows


def test_recorded_probe_outcomes_do_not_contradict_the_cited_versions():
    rows = recorded_outcomes()
    assert rows, "no probe records in results/"
    problems = [f"{change['id']} ({name}): {why}" for change, release, outcome, name in rows
                for why in contradictions(change, release, outcome)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("cited, pin, outcome, contradicted", [
    ({"warns": "0.4.0", "fails": "1.0.0"}, "1.8.1", "errors", False),
    ({"warns": "0.4.0", "fails": "1.0.0"}, "1.8.1", "warns", True),   # "fails since 1.0" and it only warns
    ({"warns": "2.4.0", "fails": "2.6.0"}, "2.4.1", "warns", False),
    ({"warns": "2.4.0", "fails": "2.6.0"}, "2.0.1", "warns", True),   # warns before the cited release
    ({"warns": "2.4.0"}, "2.4.1", "works", True),
    ({"changed": "2.0.0"}, "1.13.1", "differs", True),
    ({"fails": "TensorFlow 2.0.0"}, "2.12.1", "errors", False),
    ({"fails": "1.0.0"}, "2.0.1", "not_run", False),
    ({"fails": "1.5.0"}, "1.4.0", "warns", False),   # a deprecation warning before the cited removal
    ({"fails": "1.5.0"}, "1.4.0", "errors", True),
    ({"warns": "2.4.0"}, "2.0.1", "errors", True),
])
def test_the_contradiction_rules(cited, pin, outcome, contradicted):
    change = {"id": "c", "kind": "error", "cited_versions": dict(cited, source="https://example.org", verified=True)}
    assert bool(contradictions(change, Version(pin), outcome)) == contradicted
