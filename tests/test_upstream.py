"""matrix.upstream: the per-release records, the events diffed from them, their classification, and
docs/coverage.md. The events file is a pure function of the records (rebuilt here byte for byte); every
event has exactly one classification (a catalog id, in scope, or an out-of-scope reason)."""
from __future__ import annotations

import json

import pytest

from conftest import ROOT
from matrix.facts.catalog import load_catalog
from matrix.pages import coverage
from matrix.upstream import events as ev
from matrix.upstream import mine
from matrix.upstream.__main__ import main
from matrix.upstream.classify import REASONS, classify, load_rules, outcome, rule_problems, unclassified
from matrix.upstream.releases import RELEASES, key, python_of

RULES = load_rules()
RECORDS = ev.load_records()


def record(version, python=(), library=(), api=None):
    """A release record as extract.py writes it, with the given texts and names."""
    return {"torch": version, "python": "3.11.7", "machine": "x86_64", "unparsed_files": 0,
            "python_messages": [{"kind": "warn", "text": t, "modules": [m]} for m, t in python],
            "library_messages": [{"text": t, "libraries": ["libtorch_cpu"]} for t in library],
            "api": api or {"torch": []}}


# ------------------------------------------------------------------ the committed data


def test_every_release_is_recorded_on_its_python():
    recorded = [r["torch"] for r in RECORDS]
    assert recorded == sorted(recorded, key=key) and set(recorded) <= set(RELEASES)
    assert len(recorded) >= 28, f"records for {len(recorded)} releases only: python -m matrix.upstream mine"
    for r in RECORDS:
        assert r["python"].startswith(python_of(r["torch"]) + "."), (r["torch"], r["python"])
        assert all(isinstance(names, list) for names in r["api"].values()), r["torch"]


def test_the_records_are_written_deterministically(tmp_path):
    for path in sorted(mine.RECORDS.glob("torch-*.json")):
        mine.write_record(json.loads(path.read_text(encoding="utf-8")), tmp_path / path.name)
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), f"{path.name}: not as write_record writes it"


def test_the_events_regenerate_byte_for_byte_from_the_records():
    assert ev.dumps(ev.build_events(RECORDS)) == ev.EVENTS_PATH.read_text(encoding="utf-8"), \
        "results/upstream/events.json is stale: python -m matrix.upstream events"


def test_every_event_has_exactly_one_classification():
    events = ev.load_events()
    missing = unclassified(events, RULES)
    assert not missing, "events no rule in matrix/upstream/classification.toml matches:\n" + "\n".join(
        f"{e['release']} {e['kind']} {e['source']} {e['where']}: {e['text'][:120]}" for e in missing[:20])


def test_the_rules_name_one_outcome_a_known_reason_and_real_catalog_ids():
    assert rule_problems(RULES, [c["id"] for c in load_catalog()]) == []
    header = (ROOT / "matrix" / "upstream" / "classification.toml").read_text(encoding="utf-8").split("[[rule]]")[0]
    assert all(reason in header for reason in REASONS), "the file's header lists every reason"
    assert len(REASONS) <= 14, "a short, fixed list"


def test_rule_problems_names_what_is_wrong():
    bad = [{"_index": 0, "text": "x", "out": "nope"}, {"_index": 1, "text": "x", "catalog": "no-such-id"},
           {"_index": 2, "text": "x", "out": "jit", "in_scope": "y"}, {"_index": 3, "out": "jit"}]
    problems = rule_problems(bad, ["a-b"])
    assert len(problems) == 4 and "'nope' is none of" in problems[0] and "no catalog id" in problems[1]
    assert "exactly one" in problems[2] and "matches everything" in problems[3]


# ------------------------------------------------------------------ the diff


def test_a_message_appears_goes_and_is_reworded():
    before = record("1.0.1", python=[("torch.nn.functional", "nn.functional.sigmoid is deprecated. Use torch.sigmoid"),
                                     ("torch.tensor", "torch.gesv is deprecated in favour of torch.solve"),
                                     ("torch.nn", "keyword argument max_value is deprecated and renamed to max_val")])
    after = record("1.1.0", python=[("torch.tensor", "torch.gels is deprecated in favour of torch.lstsq"),
                                    ("torch.nn", "keyword argument max_value is deprecated and rename to max_val")])
    events = ev.build_events([after, before][::-1])
    kinds = [(e["kind"], e["text"][:20]) for e in events]
    assert ("message-reworded", "keyword argument max") in kinds
    # alike in words, but they name other functions: one goes, the other appears
    assert ("message-goes", "torch.gesv is deprec") in kinds and ("message-appears", "torch.gels is deprec") in kinds
    assert ("message-goes", "nn.functional.sigmoi") in kinds and len(events) == 4
    assert all(e["release"] == "1.1.0" and e["since"] == "1.0.1" for e in events)
    reworded = next(e for e in events if e["kind"] == "message-reworded")
    assert reworded["old"] == "keyword argument max_value is deprecated and renamed to max_val"


def test_a_name_goes_unless_its_module_did_not_import():
    before = record("2.0.1", api={"torch": ["eig", "mm"], "torch.nn": ["Linear"], "torch.optim": ["SGD"]})
    after = record("2.1.2", api={"torch": ["mm", "vmap"], "torch.nn": {"error": "ImportError: x"}, "torch.optim": ["SGD"]})
    events = ev.build_events([before, after])
    assert [(e["kind"], e["where"], e["text"]) for e in events] == [("name-goes", ["torch"], "eig")]


def test_the_events_file_is_one_event_per_line_and_sorted():
    events = ev.build_events([record("1.1.0", library=["b is deprecated now"]), record("1.0.1", library=["a is deprecated"])][::-1])
    text = ev.dumps(events)
    assert text.count("\n") == len(events) + 2 and json.loads(text) == events


# ------------------------------------------------------------------ classification


def test_classification_takes_the_first_rule_and_all_modules_must_match():
    rules = [{"_index": 0, "source": "python", "where": None, "text": None, "out": "private"},
             {"_index": 1, "text": "volatile", "catalog": "variable-volatile"}]
    import re
    rules[0]["_where"], rules[0]["_text"] = re.compile(r"^torch\._"), None
    rules[1]["_where"], rules[1]["_text"] = None, re.compile("volatile", re.I)
    shared = {"kind": "message-appears", "source": "python", "where": ["torch._utils", "torch.nn"], "text": "volatile was removed"}
    private = dict(shared, where=["torch._utils"])
    rows = classify([shared, private], rules)
    assert outcome(rows[0][1]) == ("catalog", "variable-volatile") and outcome(rows[1][1]) == ("out", "private")
    assert unclassified([dict(shared, text="something else")], rules) != []


def test_the_catalog_rules_find_the_messages_they_cover():
    def covered(text, source="python", where="torch.nn.functional"):
        rows = classify([{"kind": "message-appears", "source": source, "where": [where], "text": text}], RULES)
        return outcome(rows[0][1])
    assert covered("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.") == \
        ("catalog", "variable-volatile")
    assert covered("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.") == \
        ("catalog", "functional-upsample")
    assert covered("nn.quantized.functional.upsample is deprecated. Use nn.quantized.functional.interpolate",
                   where="torch.nn.quantized.functional")[0] == "out"


# ------------------------------------------------------------------ the page and the command line


def test_the_coverage_page_counts_per_release():
    events = [{"release": "1.1.0", "since": "1.0.1", "kind": "message-appears", "source": "python",
               "where": ["torch.nn.functional"], "text": "nn.functional.sigmoid is deprecated. Use torch.sigmoid instead."},
              {"release": "1.1.0", "since": "1.0.1", "kind": "name-goes", "source": "api", "where": ["torch"],
               "text": "StorageContext"},
              {"release": "1.1.0", "since": "1.0.1", "kind": "message-appears", "source": "python",
               "where": ["torch.onnx.utils"], "text": "export of X is deprecated"}]
    page = coverage.render(events, RULES)
    assert "| 1.1.0 | 1.0.1 | 3 | 2 | 1 | 50% |" in page
    assert "**50%** of the in-scope events" in page and "| onnx |" in page and "StorageContext" in page
    assert "No upstream events" in coverage.render(None, RULES)


def test_the_committed_page_states_the_ratio_the_readme_gives():
    summary = coverage.summarize(ev.load_events(), RULES)
    stated = coverage.ratio(summary["total"]["covered"], summary["total"]["in_scope"])
    assert f"**{stated}**" in (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{stated} of the" in readme, "README states the measured coverage (docs/coverage.md)"


def test_the_command_line_refuses_an_unknown_release(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["mine", "--release", "0.4.1"])
    assert exit_.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_each_release_gets_its_python_and_numpy():
    assert python_of("1.13.1") == "3.7" and python_of("2.0.1") == "3.11"
    assert mine.numpy_of("1.4.0") == "numpy<1.17" and mine.numpy_of("2.2.2") == "numpy<2"
    assert mine.numpy_of("2.3.1") == "numpy"
    assert RELEASES[0] == "1.0.1" and RELEASES[-1] == "2.15.0" and len(set(r.rsplit(".", 1)[0] for r in RELEASES)) == 30


def test_names_called_later_api_did_not_exist_in_1_7():
    """"later-api" claims an API first shipped after 2020: no such name is in torch 1.7.1's record."""
    old = next(r for r in RECORDS if r["torch"] == "1.7.1")["api"]
    later = [e for e, rule in classify(ev.load_events(), RULES)
             if rule and outcome(rule) == ("out", "later-api") and e["source"] == "api"]
    assert later, "no name event is classified later-api: the rule or this test is stale"
    assert not [e["text"] for e in later if e["text"] in old.get(e["where"][0], [])]


def test_the_probe_sweep_records_say_release_python_cpu_and_date():
    records = coverage.load_sweep(mine.RECORDS.parent / "probes")
    if not records:
        pytest.skip("no probe sweep recorded (python -m matrix.upstream sweep)")
    ids = {p["id"] for p in records[-1]["probes"]}
    for r in records:
        assert r["python"].startswith(python_of(r["torch"]) + ".") and r["cpu"] and r["date"], r["torch"]
        assert r["torch_build"].split("+")[0] == r["torch"], r["torch"]
        assert {p["id"] for p in r["probes"]} == ids, f"{r['torch']}: not every probe ran (an import failed?)"
        # the throwaway venv, not torch, would be measured: a missing or noisy setuptools (mine.py pins it)
        assert "pkg_resources" not in json.dumps(r["probes"]), f"{r['torch']}: the venv's setuptools leaks in"


def test_the_sweep_section_gives_each_probe_its_outcomes_in_runs():
    def rec(version, outcome):
        return {"torch": version, "python": "3.7.16", "cpu": "CPU", "date": "2026-12-04",
                "probes": [{"id": "size_average", "outcome": outcome}]}
    lines = coverage.render_sweep([rec("1.0.1", "warns"), rec("1.1.0", "warns"), rec("2.0.1", "errors")])
    assert "| `size_average` | warns 1.0.1-1.1.0 · errors 2.0.1 |" in lines
