"""matrix.records.results: atomic writes, not-run records, the summary table."""
from __future__ import annotations

import json
import os
import stat

import pytest

from matrix.records import results, summary


def test_slug_and_session_name():
    assert results.slug("modern", "2.4.1", "cpu") == "modern-torch2.4.1-cpu"
    assert results.session_name("modern", "2.4.1", "cpu") == "modern(torch='2.4.1', device='cpu')"
    assert results.slug("legacy", "installed", "cuda") == "legacy-torchinstalled-cuda"


def test_atomic_write_replaces_the_whole_file(tmp_path):
    path = tmp_path / "r.json"
    results.write_json_atomically(path, {"a": 1})
    results.write_json_atomically(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_atomic_write_leaves_no_partial_file_on_error(tmp_path):
    path = tmp_path / "r.json"
    results.write_json_atomically(path, {"old": True})
    with pytest.raises(TypeError):
        results.write_json_atomically(path, {"new": object()})  # not serializable
    assert json.loads(path.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_atomic_write_cleans_up_when_the_rename_fails(tmp_path, monkeypatch):
    path = tmp_path / "r.json"

    def boom(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(results.os, "replace", boom)
    with pytest.raises(OSError):
        results.write_json_atomically(path, {"a": 1})
    assert list(tmp_path.iterdir()) == []


def _not_run_record(reason="no NVIDIA GPU here"):
    base = {"era": "modern", "torch_pin": "2.4.1", "torch": None, "tensorflow": None, "python": "3.11",
            "device": "cuda", "device_name": None, "seed": 0, "date": "d", "commit": None}
    cells = [results.not_run_cell(base, ex, reason) for ex in ("numpy_warmup", "tensors")]
    return results.session_record(era="modern", torch_pin="2.4.1", device="cuda", info={"python": "3.11"},
                                  cells=cells, status="not_run", reason=reason, probes=[])


def test_not_run_record_has_every_cell_not_run_with_a_reason():
    record = _not_run_record()
    assert record["status"] == "not_run" and record["reason"] == "no NVIDIA GPU here"
    assert record["session"] == "modern(torch='2.4.1', device='cuda')"
    for key in ("schema", "era", "torch_pin", "device", "python", "torch", "numpy", "tensorflow", "device_name",
                "platform", "date", "commit", "status", "reason", "cells", "probes"):
        assert key in record
    for c in record["cells"]:
        assert c["status"] == "not_run" and c["reason"] == "no NVIDIA GPU here"
        assert c["losses"] == [] and c["first_loss"] is None and c["expected"] == "pass"


def test_table_lists_cells_and_groups_reasons(tmp_path):
    record = _not_run_record()
    ran = dict(record, device="cpu", status="ran", reason=None, cells=[
        dict(record["cells"][0], device="cpu", status="passed", reason=None, first_loss=100.0, last_loss=0.5,
             seconds_per_step=0.0012),
        dict(record["cells"][1], device="cpu", status="failed", expected="fail", reason="expected failure (x): E"),
    ])
    text = summary.table([record, ran])
    assert "era" in text.splitlines()[0] and "s/step" in text.splitlines()[0]
    assert "passed" in text and "expected failure" in text and "0.0012" in text and "100" in text
    assert text.count("no NVIDIA GPU here") == 1  # one line for the cells that share a reason
    assert "cells: 1 passed, 1 expected failure, 2 not run" in text
    results.write_json_atomically(tmp_path / "a.json", record)
    assert [r["session"] for r in results.load(tmp_path)] == [record["session"]]
    assert results.main([str(tmp_path)]) == 0


def test_a_record_names_its_run_and_a_users_records_go_under_runs():
    record = results.session_record(era="modern", torch_pin="2.4.1", device="cpu", info={}, cells=[],
                                    status="ran", reason=None, probes=[], run="2026-11-29T10:00:00Z")
    assert record["run"] == "2026-11-29T10:00:00Z"
    assert results.USER_RESULTS_DIR == results.RUNS_DIR / "results" != results.RESULTS_DIR


def test_file_is_json_with_one_line_per_cell_and_readable_permissions(tmp_path):
    record = _not_run_record()
    record["cells"][0]["losses"] = [[t, 1.0 / (t + 1)] for t in range(1000)]
    path = tmp_path / "r.json"
    results.write_json_atomically(path, record)
    text = path.read_text()
    assert json.loads(text) == record
    assert len(text.splitlines()) < 40
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # as open() would make it, not mkstemp's 0600


def test_main_refuses_a_missing_folder_and_says_when_nothing_ran(tmp_path, capsys):
    assert results.main([str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err == f"python -m matrix.records.results: error: no folder {tmp_path / 'missing'}\n"
    assert results.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "nothing run yet" in out and "needs attention" not in out


# A record that cannot be read is a failure everywhere: the summary, the CI gate, the comparison and the
# docs judge a results folder alike, and name the file with what to do.
UNREADABLE = [("truncated", '{\n "schema": 1,\n "session": "modern(torch=', "not valid JSON"),
              ("empty", "{}", "an empty record ({})"),
              ("list", "[]", "a JSON list, not a session record"),
              ("another format", '{"schema": 2}', "record format (schema) 2, but this code reads 1")]


def _folder_with(tmp_path, text):
    folder = tmp_path / "records"
    results.write_json_atomically(folder / "legacy-torch2.4.1-cpu.json", dict(_not_run_record(), device="cpu"))
    bad = folder / "modern-torch2.4.1-cpu.json"
    bad.write_text(text)
    return folder, bad


@pytest.mark.parametrize("name,text,problem", UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_an_unreadable_record_fails_the_summary_and_the_gate_naming_the_file(tmp_path, capsys, name, text, problem):
    folder, bad = _folder_with(tmp_path, text)
    records, unreadable = results.load_all(folder)
    assert [r["device"] for r in records] == ["cpu"] and len(unreadable) == 1
    assert unreadable[0].startswith(f"{bad}: {problem}")
    assert unreadable[0].endswith('rerun its session (nox -s "modern(torch=\'2.4.1\', device=\'cpu\')") '
                                  'or delete the file')
    for argv in ([str(folder)], ["--fail-on-unexpected", str(folder)]):
        assert results.main(argv) == 1
        out, err = capsys.readouterr()
        assert err == ""  # not a line at the top that scrolls away: under "needs attention", at the end
        attention = out.split("\nneeds attention:\n", 1)[1]
        assert attention.startswith(f"  UNREADABLE record {bad}: {problem}")
        assert "needs attention: nothing" not in out
    assert f"--fail-on-unexpected: 1 file(s), session(s) or cell(s)" in out
    with pytest.raises(results.UnreadableRecord, match=str(bad)):
        results.load(folder)


def test_a_folder_of_only_unreadable_records_is_no_empty_folder(tmp_path, capsys):
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "x.json").write_text("{}")
    assert results.main([str(folder)]) == 1
    out = capsys.readouterr().out
    assert "nothing run yet" not in out
    assert f"UNREADABLE record {folder / 'x.json'}: an empty record ({{}}); rerun the session that wrote it" in out


def test_an_unreadable_reference_record_says_to_record_it_again():
    assert results.remedy(results.RESULTS_DIR / "modern-torch2.4.1-cpu.json") == \
        'rerun its session (nox -s "modern(torch=\'2.4.1\', device=\'cpu\')" -- --record) or delete the file'


def test_the_comparison_and_the_docs_refuse_an_unreadable_record_too(tmp_path, capsys):
    from matrix.records import compare, observations

    folder, bad = _folder_with(tmp_path, "{}")
    assert compare.main([str(folder), str(folder), "--out", str(tmp_path / "d.md")]) == 1
    assert f"error: {bad}: an empty record ({{}})" in capsys.readouterr().err
    assert not (tmp_path / "d.md").exists()
    with pytest.raises(SystemExit, match="an empty record"):
        observations.load_results(folder)


# ---------------------------------------------- a record rewritten as cells finish (matrix.records.progress)
def _session(cells, run, **extra):
    info = {"python": "3.11.7", "torch": "2.4.1", "torch_build": "2.4.1+cpu", "device_name": "CPU X"}
    record = results.session_record(era="modern", torch_pin="2.4.1", device="cpu", info=info, status="ran",
                                    reason=None, probes=[], commit="c1", run=run,
                                    cells=[dict(results.not_run_cell({}, e, "r"), status="passed") for e in cells])
    record.update(extra)
    return record


PLANNED = [("nn", "variant"), ("optim", "variant")]


def test_each_update_merges_and_writes_under_an_exclusive_lock_on_the_folder(tmp_path, monkeypatch):
    """Two writers: read, merge and replace happen under one flock, so neither undoes the other's update."""
    import fcntl
    from matrix.records import progress
    path = tmp_path / "modern-torch2.4.1-cpu.json"
    seen = []
    write = results.write_json_atomically

    def checking_write(target, data):
        fd = os.open(tmp_path, os.O_RDONLY)  # another writer's attempt, now
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
        seen.append(target)
        write(target, data)

    monkeypatch.setattr(results, "write_json_atomically", checking_write)
    progress.update(path, _session(["nn"], "A"), planned=PLANNED, keep_unplanned=False, since="2026-01-01T00:00:00Z")
    done = progress.update(path, _session(["optim"], "B"), planned=PLANNED, keep_unplanned=False,
                           since="2026-01-01T00:00:00Z")
    assert seen == [path, path]
    assert [c["example"] for c in json.loads(path.read_text())["cells"]] == ["nn", "optim"]
    assert done.kept == {"run A": 1} and done.replaced == []


def test_another_setups_record_written_meanwhile_is_replaced_with_a_word_an_older_one_silently(tmp_path):
    from matrix.records import progress
    path = tmp_path / "r.json"
    results.write_json_atomically(path, _session(["nn"], "A", commit="other", date="2026-06-01T00:00:00Z"))
    done = progress.update(path, _session(["optim"], "B"), planned=PLANNED, keep_unplanned=False,
                           since="2026-05-01T00:00:00Z")
    assert [c["example"] for c in done.record["cells"]] == ["optim"]
    assert done.replaced == ["replaced the record of run A, written while this session ran on another torch build, "
                             "CPU or commit (1 cell(s))"]
    results.write_json_atomically(path, _session(["nn"], "A", commit="other", date="2026-04-01T00:00:00Z"))
    assert progress.update(path, _session(["optim"], "B"), planned=PLANNED, keep_unplanned=False,
                           since="2026-05-01T00:00:00Z").replaced == []  # a new run replacing an old one
    path.write_text('{"schema": 1, "cel')  # truncated
    assert progress.update(path, _session(["optim"], "B"), planned=PLANNED,
                           keep_unplanned=False).replaced[0].startswith("replaced r.json, which could not be read")


def test_cells_outside_the_plan_are_kept_only_under_example(tmp_path):
    from matrix.records import progress
    path = tmp_path / "r.json"
    results.write_json_atomically(path, _session(["tensors", "nn"], "A"))
    full = progress.merge(json.loads(path.read_text()), _session(["nn", "optim"], "B"), planned=PLANNED,
                          keep_unplanned=False)
    some = progress.merge(json.loads(path.read_text()), _session(["nn"], "B"), planned=[("nn", "variant")],
                          keep_unplanned=True)
    assert [c["example"] for c in full.record["cells"]] == ["nn", "optim"]
    assert [c["example"] for c in some.record["cells"]] == ["tensors", "nn"] and some.kept == {"run A": 1}
