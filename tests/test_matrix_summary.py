"""matrix.records.summary: what needs attention comes first; expected failures and not-run cells are counted
apart from failures; every row names its run."""
from __future__ import annotations

from matrix.records import results, summary


def _cell(example, status, expected="pass", reason=None, **extra):
    cell = results.not_run_cell({"era": "legacy", "device": "cpu"}, example, reason or "x", expected)
    cell.update(status=status, reason=reason, **extra)
    return cell


def _record(cells, *, run="2026-11-29T10:00:00Z", device_name="Intel Xeon (CPU)", status="ran", reason=None,
            pin="2.4.1", device="cpu", era="legacy"):
    record = results.session_record(era=era, torch_pin=pin, device=device, info={"device_name": device_name},
                                    cells=cells, status=status, reason=reason, probes=[], run=run, commit="abc1234")
    record["date"] = run
    return record


def test_outcomes():
    assert summary.outcome(_cell("nn", "passed")) == "passed"
    assert summary.outcome(_cell("nn", "passed_with_warnings")) == "passed with warnings"
    assert summary.outcome(_cell("nn", "failed", "fail")) == "expected failure"
    assert summary.outcome(_cell("nn", "failed", "fail", unexpected_error="IndexError")) == "failed"
    assert summary.outcome(_cell("nn", "passed", "fail")) == "XPASS"
    assert summary.outcome(_cell("nn", "crashed")) == "crashed"
    assert summary.outcome(_cell("nn", "not_run", "fail")) == "not run"
    assert summary.outcome(_cell("nn", "diverged")) == "diverged"
    assert summary.outcome(_cell("nn", "nondeterministic")) == "nondeterministic"
    assert summary.outcome(_cell("nn", "diverged", "fail", unexpected_error="status failed or crashed")) == "diverged"
    assert summary.outcome(_cell("nn", "diverged", "fail")) == "expected failure"  # its entry names the status


def test_diverged_and_nondeterministic_cells_need_attention_and_are_counted_apart():
    record = _record([_cell("nn", "passed"), _cell("optim", "diverged", reason="loss nan at step 2 (first non-finite "
                                                                                "of 5 steps)", first_loss=1.0,
                                                   last_loss=float("nan")),
                      _cell("autograd", "nondeterministic", reason="loss at step 0 differs")])
    lines = summary.attention([record])
    assert lines == ["DIVERGED legacy/optim torch 2.4.1 cpu: loss nan at step 2 (first non-finite of 5 steps)",
                     "NONDETERMINISTIC legacy/autograd torch 2.4.1 cpu: loss at step 0 differs"]
    assert summary.counts_line([record]).endswith("cells: 1 passed, 1 diverged, 1 nondeterministic")
    assert "  nan  " in summary.table([record])  # the last loss as it was


def test_attention_lists_failed_sessions_and_unexpected_cells_first():
    ok = _record([_cell("nn", "passed"), _cell("optim", "failed", "fail", reason="expected failure (x): IndexError")])
    bad = _record([_cell("nn", "failed", reason="RuntimeError: boom")], pin="2.15.0")
    broken = _record([_cell("nn", "not_run", reason="not run: the session failed")], status="failed",
                     reason="installing torch==1.8.1 failed (exit status 1)", pin="1.8.1")
    lines = summary.attention([ok, bad, broken], [("modern(torch='2.0.1', device='cpu')", "Python 3.9 vanished")])
    assert lines[0] == "FAILED session modern(torch='2.0.1', device='cpu'): Python 3.9 vanished"
    assert lines[1] == "FAILED session legacy(torch='1.8.1', device='cpu'): installing torch==1.8.1 failed (exit status 1)"
    assert lines[2] == "FAILED legacy/nn torch 2.15.0 cpu: RuntimeError: boom"
    assert len(lines) == 3  # the expected failure needs no attention
    text = summary.report([ok, bad, broken])
    tail = text.split("\n\nneeds attention:\n", 1)[1].splitlines()  # the last lines a terminal shows
    assert tail[0] == "  FAILED session legacy(torch='1.8.1', device='cpu'): installing torch==1.8.1 failed (exit status 1)"
    assert tail[-1] == "3 session(s), 1 failed; cells: 1 passed, 1 expected failure, 1 failed, 1 not run"
    assert text.count("cells: 1 passed") == 1


def test_nothing_to_look_at_says_so():
    text = summary.report([_record([_cell("nn", "passed")])])
    assert text.splitlines()[-2].startswith("needs attention: nothing")


def test_every_row_names_its_run_and_runs_are_spelled_out():
    a = _record([_cell("nn", "passed", first_loss=1.0, last_loss=0.5)])
    b = _record([_cell("nn", "passed")], run="2026-11-30T08:00:00Z", device_name="AMD EPYC (CPU)", pin="2.15.0")
    text = summary.table([b, a])
    rows = [line for line in text.splitlines() if line.startswith(("A ", "B "))]
    assert [r.split()[0] for r in rows] == ["A", "B"]
    assert "  A: 2026-11-29T10:00:00Z, commit abc1234, on Intel Xeon (CPU)" in text
    assert "  B: 2026-11-30T08:00:00Z, commit abc1234, on AMD EPYC (CPU)" in text


def test_a_session_whose_every_cell_was_not_run_is_one_row():
    cells = [_cell(ex, "not_run", reason="no NVIDIA GPU") for ex in ("nn", "optim", "tensors")]
    text = summary.table([_record(cells, device="cuda")])
    assert "(all 3 cells)" in text and text.count("no NVIDIA GPU") == 1
    assert "cells: 3 not run" in text


def test_records_without_a_run_name_fall_back_to_their_day():
    record = _record([_cell("nn", "passed")], run=None)
    record["date"] = "2026-11-22T10:00:00Z"
    assert summary.run_of(record) == ("2026-11-22 (day)", "abc1234")


def test_a_long_reason_is_cut_at_a_word_with_an_ellipsis():
    reason = "RuntimeError: " + " ".join(f"word{i:03d}" for i in range(60))  # 434 characters
    text = summary.table([_record([_cell("nn", "failed", reason=reason)])])
    line = next(line for line in text.splitlines() if "RuntimeError" in line)
    kept = line.split(": ", 1)[1]
    assert kept.endswith("…") and len(kept) <= 220
    assert kept[:-1].split()[-1] in reason.split()  # the last word whole: not cut mid-word
    assert summary.clip("a b", 220) == "a b" and summary.clip("abc def ghi", 8) == "abc def…"
    assert summary.clip("abcdefghij", 5) == "abcd…"  # one word longer than the width: cut, still marked


def test_cells_kept_from_an_earlier_run_are_shown_under_that_run():
    """`--example nn` reruns nn and keeps the other cells: they are the earlier run's, not this one's."""
    kept = _cell("optim", "passed", run="2026-11-29T10:00:00Z")
    record = _record([_cell("nn", "passed"), kept], run="2026-11-30T08:00:00Z")
    text = summary.table([record])
    rows = {line.split()[2]: line.split()[0] for line in text.splitlines() if line.startswith(("A ", "B "))}
    assert rows == {"nn": "B", "optim": "A"}
    assert "  A: 2026-11-29T10:00:00Z, commit abc1234, on Intel Xeon (CPU)" in text
    assert "  B: 2026-11-30T08:00:00Z, commit abc1234, on Intel Xeon (CPU)" in text


def test_probes_that_crashed_or_timed_out_need_attention_once_per_pin():
    died = {"id": "probe_x", "outcome": "crashed", "detail": "the probe process died: still running after the "
            "600 s timeout; killed", "warnings": [], "error": {"type": "crash", "message": "x"}, "value": None}
    records = [_record([_cell("nn", "passed")], era=era) for era in ("legacy", "modern")]
    for record in records:
        record["probes"], record["probes_error"] = [died], "probe probe_x: still running after the 600 s timeout"
    other = _record([_cell("nn", "passed")], pin="2.15.0")
    other["probes_error"] = "python -m matrix.probes --list failed (exit 1): ImportError: x"
    lines = summary.attention(records + [other])
    assert lines == ["PROBE CRASHED probe_x torch 2.4.1 cpu (legacy, modern): the probe process died: still running "
                     "after the 600 s timeout; killed",
                     "PROBES FAILED torch 2.15.0 cpu (legacy): python -m matrix.probes --list failed (exit 1): "
                     "ImportError: x"]
    assert "needs attention: nothing" not in summary.report(records)


def test_a_partial_record_says_how_under_the_table():
    record = _record([_cell("nn", "passed")])
    record["partial"] = {"examples": ["nn"], "steps": 50}
    text = summary.table([record, _record([_cell("nn", "passed")], pin="2.15.0")])
    assert "  legacy(torch='2.4.1', device='cpu') (run A): only nn, 50 steps" in text.splitlines()
    assert text.count("only nn") == 1
