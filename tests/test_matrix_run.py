"""matrix/running/run.py: one nox run's state (id, records written, failed sessions, probes) and its summary."""
from __future__ import annotations

from matrix.records import results
from matrix.running import run as matrix_run
from matrix.running.run import Run


def test_the_end_of_a_run_says_what_needs_attention_first(tmp_path, capsys):
    run = Run("R")
    for era in ("legacy", "modern"):
        cells = [results.not_run_cell({"era": era, "device": "cuda"}, "nn", "no GPU (test)")]
        record = results.session_record(era=era, torch_pin="2.4.1", device="cuda", info={}, cells=cells,
                                        status="not_run", reason="no GPU (test)", probes=[], run="R")
        results.write_json_atomically(tmp_path / f"{era}.json", record)
        run.wrote(tmp_path / f"{era}.json")
    run.failed("modern(torch='1.8.1', device='cpu')", RuntimeError("boom"))
    run.print_summary()
    out = capsys.readouterr().out
    assert f"\nnox: this run (R) recorded 2 matrix session(s) in {tmp_path}\n" in out
    assert out.rstrip().endswith("needs attention:\n  FAILED session modern(torch='1.8.1', device='cpu'): boom\n"
                                 "2 session(s); cells: 2 not run")
    assert "legacy" in out and "modern" in out


def test_a_record_of_this_run_that_cannot_be_read_needs_attention(tmp_path, capsys):
    run = Run("R")
    (tmp_path / "modern-torch2.4.1-cpu.json").write_text("{}")  # damaged since it was written
    run.wrote(tmp_path / "modern-torch2.4.1-cpu.json")
    run.print_summary()
    out, err = capsys.readouterr()
    assert err == "" and "needs attention: nothing" not in out
    assert f"needs attention:\n  UNREADABLE record {tmp_path / 'modern-torch2.4.1-cpu.json'}: an empty record ({{}}); " \
           f"rerun its session" in out


def test_nothing_recorded_nothing_printed(capsys):
    Run("R").print_summary()
    assert capsys.readouterr().out == ""


def test_a_skip_is_not_a_failure():
    run = Run()
    run.skipping("legacy(torch='1.8.1', device='cpu')")
    run.failed("legacy(torch='1.8.1', device='cpu')", Exception("Python 3.9 not found"))
    run.failed("modern(torch='2.4.1', device='cpu')", KeyboardInterrupt())
    assert run.failed_sessions == [("modern(torch='2.4.1', device='cpu')", "KeyboardInterrupt")]
    assert run.id is None and run.written == [] and run.probes == {}


def test_the_summary_is_registered_once_and_can_be_forgotten(monkeypatch):
    registered, unregistered = [], []
    monkeypatch.setattr(matrix_run.atexit, "register", registered.append)
    monkeypatch.setattr(matrix_run.atexit, "unregister", unregistered.append)
    run = Run("R")
    run.summarize_at_exit()
    run.summarize_at_exit()
    assert registered == [run.print_summary]
    run.forget_summary()
    assert unregistered == [run.print_summary]
