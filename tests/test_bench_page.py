"""matrix.pages.performance: docs/performance.md from the bench record (schema 1,
tests/fixtures/bench/performance.json): every number in its tables is one of the record's (or a
named quotient of them), rounded; a row not run gives its reason and no number; the verdicts follow
the goals; the figures are deterministic; docs generation picks the record up where it lies.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from typing import Any, Iterator, List, Set

import pytest

from conftest import ROOT
from matrix import pages
from matrix.pages import performance
from matrix.records.results import record_paths

FIXTURE = ROOT / "tests" / "fixtures" / "bench" / "performance.json"
RESULTS_FIXTURES = ROOT / "tests" / "fixtures" / "results"
#: a number as the page prints one: not part of a version (1.0.1), a word (cu130) or a name
NUMBER = re.compile(r"(?<![\w.+-])\d+(?:\.\d+)?(?![\w.])")


@pytest.fixture()
def record() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def page_of(record: dict) -> str:
    return performance.render_page(record)


def body_rows(page: str) -> List[str]:
    """The table rows of a page, header and separator rows left out."""
    lines = page.splitlines()
    return [line for i, line in enumerate(lines) if line.startswith("|") and not line.startswith("| ---")
            and not (i + 1 < len(lines) and lines[i + 1].startswith("| ---"))]


def leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for v in value.values():
            yield from leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from leaves(v)
    else:
        yield value


def allowed_numbers(record: dict) -> Set[str]:
    """Each number of the record as the page may print it, and the quotients the page names: medians
    of the recorded lists, wall over training, bytes as GB, the count of a list."""
    numbers: List[float] = []
    allowed: Set[str] = set()
    for leaf in leaves(record):
        if isinstance(leaf, bool) or leaf is None:
            continue
        if isinstance(leaf, (int, float)):
            numbers.append(leaf)
            allowed.add(str(leaf))
        else:
            allowed.update(NUMBER.findall(str(leaf)))
    for row in record.get("shim_cost", []):
        for key in ("legacy", "tensor_autograd"):
            if key in row:
                numbers.append(performance.median(row[key]))
                allowed.add(str(len(row[key])))
    for row in record.get("pin_cost", []) + record.get("size_sweep", []):
        if "seconds_per_step" in row:
            allowed.add(str(len(row["seconds_per_step"])))
    for row in record.get("matrix_cost", []):
        numbers.append(row["wall_seconds"] / row["training_seconds"])
    for row in record.get("environment_build", []):
        if row.get("cold_download_bytes") is not None:
            numbers.append(row["cold_download_bytes"] / 1e9)
    for n in numbers:
        allowed.update({performance.sig(n), performance.ratio(n)})
    return allowed


# ------------------------------------------------------------------------------- the numbers


def test_sig_keeps_a_fixed_number_of_significant_digits():
    assert performance.sig(0.00041234) == "0.000412"
    assert performance.sig(460.0) == "460"
    assert performance.sig(40.0) == "40.0"
    assert performance.sig(13.25) == "13.2"
    assert performance.sig(0.812) == "0.812"
    assert performance.ratio(1.0148) == "1.015"
    assert performance.ratio(1.0) == "1.000"
    # one more digit for ratios: just over the goal never prints as the goal
    assert performance.ratio(1.0304) == "1.030" and performance.ratio(1.0349) == "1.035"


def test_every_number_in_the_tables_comes_from_the_record(record):
    page = page_of(record)
    allowed = allowed_numbers(record)
    rows = body_rows(page)
    assert len(rows) > 15
    stray = [(n, row) for row in rows for n in NUMBER.findall(row) if n not in allowed]
    assert not stray, stray


def test_a_number_the_record_does_not_hold_is_caught(record):
    """The check above is not vacuous: a page with a made-up number fails it."""
    page = page_of(record).replace("| 1.015 |", "| 1.016 |")
    stray = [n for row in body_rows(page) for n in NUMBER.findall(row) if n not in allowed_numbers(record)]
    assert stray == ["1.016"]


def test_the_rows_print_the_records_values(record):
    page = page_of(record)
    nn = next(r for r in record["shim_cost"] if r["example"] == "nn")
    assert (f"| `1.0.1` | `nn` | cpu | 5 | {performance.sig(performance.median(nn['legacy']))} | "
            f"{performance.sig(performance.median(nn['tensor_autograd']))} | {performance.ratio(nn['ratio'])} | "
            f"{performance.ratio(nn['ratio_low'])} to {performance.ratio(nn['ratio_high'])} | within the goal |") in page
    assert "| `1.0.1` | `3.7.16` | 4.10 | 13.2 | 0.812 |" in page
    assert "| spawn | 1 | 460 | 100 | 300 | 40.0 | 0 | 4.600 | over the goal | the baseline |" in page
    # the goal is judged on the training time of the cells run one at a time (the first way's)
    assert "| fork | 1 | 180 | 102 | 35.0 | 38.5 | 6.50 | 1.800 | over the goal |" in page


def test_the_header_names_machine_date_commit_and_versions(record):
    page = " ".join(page_of(record).split())
    assert ("Measured on AMD EPYC 7B13, 2 cores, Linux-6.1.0-x86_64-with-glibc2.36, GPU: none, on 2026-11-29 "
            "(2026-11-29T15:00:00Z to 2026-11-29T15:20:00Z) at commit 8e20e53.") in page
    assert "| `1.8.1` | `1.8.1+cu102` | `3.9.18` | `1.21.6` | not installed |" in page_of(record)
    record["machine"]["gpu"] = "NVIDIA H200"
    assert "GPU: NVIDIA H200," in page_of(record)


# ------------------------------------------------------------------------------- not run


def test_rows_not_run_give_the_reason_and_no_number(record):
    rows = [r for r in body_rows(page_of(record)) if "not run" in r]
    assert len(rows) == 5  # shim, pin, cuda, environment; and the environment row whose cold build was not run
    for row in rows:
        outside_code = re.sub(r"`[^`]*`", "", row)
        reason = re.search(r"not run: ([^|]*)", outside_code)
        numbers = NUMBER.findall(outside_code.replace(reason[1], "") if reason else outside_code)
        if reason:
            assert reason[1].strip() in json.dumps(record), row
            assert numbers == [], row
    cold = next(r for r in rows if "`2.15.0` | `3.11.7`" in r)
    assert cold == "| `2.15.0` | `3.11.7` | 3.20 | not run | not run |"
    assert "| cuda | `2.15.0` | not run: no CUDA device: torch.cuda.is_available() is False on this machine |" in \
        page_of(record)


def test_cuda_not_run_is_said_never_a_number(record):
    page = " ".join(page_of(record).split())
    assert ("CUDA: not run here (no CUDA device: torch.cuda.is_available() is False on this machine)") in page
    assert '"GPUs often provide speedups of 50x or greater" (the tutorial (seed 001, line 103))' in page
    assert "CPU s/step over CUDA s/step" not in page


def test_measured_speedups_are_tabled(record):
    record["size_sweep"][-1] = dict(record["size_sweep"][0], device="cuda", median=0.0001, status="measured")
    record["gpu_claim"]["speedups"] = [{"scale": 1, "cpu_over_cuda": 3.52}]
    page = page_of(record)
    assert "| 1 | 3.520 |" in page and "CUDA: not run here" not in page


def test_a_skipped_section_says_not_run_here(record):
    record["matrix_cost"] = []
    record["skipped"] = {"matrix_cost": "--skip-matrix"}
    page = page_of(record)
    matrix = page.split("## The matrix's own cost")[1].split("## ")[0]
    assert "Not run here: --skip-matrix." in matrix
    assert "| launch |" not in matrix and "perf-matrix-cost.png" not in matrix


# ------------------------------------------------------------------------------- verdicts


def test_shim_verdicts_follow_the_goal(record):
    page = page_of(record)
    assert "| `2.15.0` | `autograd` | cpu | 5 |" in page
    shims = page.split("## The shims' cost")[1].split("## ")[0]
    verdicts = {row.split("|")[2].strip(): row.split("|")[-2].strip() for row in body_rows(shims)
                if "not run" not in row}
    assert verdicts == {"`nn`": "within the goal", "`autograd`": "over the goal"}
    assert performance.verdict(performance.SHIM_GOAL, performance.SHIM_GOAL) == "within the goal"
    assert performance.verdict(1.0301, performance.SHIM_GOAL) == "over the goal"


def test_matrix_verdict_and_losses(record):
    fork = record["matrix_cost"][1]
    fork.update(wall_seconds=140.0, training_seconds=90.0, wall_over_baseline_training=1.4)
    assert "| fork | 1 | 140 | 90.0 | 35.0 | 38.5 | 6.50 | 1.400 | within the goal | identical to spawn's, bit for bit |" \
        in page_of(record)
    fork.update(losses_identical=False, losses_differ=[{"session": "legacy(torch='2.15.0', device='cpu')",
                                                        "example": "nn", "mode": "variant"}])
    assert "**differ from spawn's**: legacy(torch='2.15.0', device='cpu') `nn` (variant) |" in page_of(record)


def test_the_per_cell_tables_are_collapsed(record):
    page = page_of(record)
    assert page.count("<details><summary>") == 2
    assert "<details><summary>fork, jobs 1: each cell (seconds per run)</summary>" in page
    assert "| legacy(torch='2.15.0', device='cpu') | `nn` | variant | 2 | 0.150, 0.250 | 0.310, 0.310 |" in page


# ------------------------------------------------------------------------------- the fixture


def test_the_fixture_follows_the_schema(record):
    assert (record["schema"], record["kind"]) == (1, "bench")
    assert {"cpu", "cores", "platform", "gpu", "python"} <= set(record["machine"])
    need = {"shim_cost": {"torch", "example", "device", "legacy", "tensor_autograd", "order", "ratio", "ratio_low",
                          "ratio_high"},
            "pin_cost": {"era", "example", "torch", "device", "seconds_per_step", "median", "newest",
                         "newest_median", "over_newest"},
            "size_sweep": {"device", "torch", "scale", "batch", "hidden", "d_in", "d_out", "seconds_per_step",
                           "median"},
            "environment_build": {"torch", "python", "requirements", "warm_seconds", "cold_seconds",
                                  "cold_download_bytes"}}
    for key, fields in need.items():
        for row in record[key]:
            assert row["status"] in ("measured", "not_run"), row
            assert (fields <= set(row)) if row["status"] == "measured" else row.get("reason"), (key, row)
    for row in record["shim_cost"]:
        if row["status"] == "measured":
            assert row["ratio"] == pytest.approx(performance.median(row["legacy"]) /
                                                 performance.median(row["tensor_autograd"]), abs=1e-4)
    spawn, fork = record["matrix_cost"]
    assert (spawn["launch"], fork["launch"], fork["losses_identical_to"]) == ("spawn", "fork", "spawn")
    assert any(r["status"] == "not_run" for r in record["shim_cost"])
    assert any(r["device"] == "cuda" and r["status"] == "not_run" for r in record["size_sweep"])
    assert any(r["status"] == "measured" and r["cold_seconds"] is None for r in record["environment_build"])


# ------------------------------------------------------------------------------- figures


def test_figures_are_written_and_deterministic(record, tmp_path):
    pytest.importorskip("matplotlib")
    first = performance.render(record, tmp_path / "a", draw_png=True)
    performance.render(record, tmp_path / "b", draw_png=True)
    assert sorted(k for k in first if k.endswith(".png")) == sorted(performance.FIGURES)
    for name in performance.FIGURES:
        a, b = (tmp_path / d / "img" / name for d in "ab")
        data = a.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert b"Software" not in data and b"Creation" not in data, name
        assert hashlib.sha256(data).hexdigest() == hashlib.sha256(b.read_bytes()).hexdigest(), name


def test_figure_data_leaves_out_rows_not_run(record):
    data = performance.figure_data(record)
    assert [p[1] for p in data["perf-shim-cost.png"]["points"]] == ["1.0.1", "2.15.0"]
    assert list(data["perf-size-sweep.png"]["series"]) == ["cpu (torch 2.15.0)"]
    entries = performance.manifest_entries(record)
    assert sorted(entries) == sorted(performance.FIGURES)
    assert all(len(e["data_sha256"]) == 64 for e in entries.values())


# ------------------------------------------------------------------------------- docs generation


def test_generation_renders_the_record_from_results_bench(tmp_path, record):
    results = tmp_path / "results"
    shutil.copytree(RESULTS_FIXTURES, results)
    (results / "bench").mkdir()
    shutil.copy(FIXTURE, results / "bench" / "performance.json")
    assert [p.name for p in record_paths(results)] == [p.name for p in record_paths(RESULTS_FIXTURES)]
    written = pages.generate(results, tmp_path / "docs", draw_png=False)
    assert "performance.md" in written
    page = (tmp_path / "docs" / "performance.md").read_text(encoding="utf-8")
    assert page == performance.wrap_markdown(performance.render_page(record)).rstrip() + "\n"
    manifest = json.loads((tmp_path / "docs" / "img" / "manifest.json").read_text())["figures"]
    assert set(performance.FIGURES) <= set(manifest) and "nn.png" in manifest


def test_generation_without_a_record_says_none_is_recorded(tmp_path):
    written = pages.generate(RESULTS_FIXTURES, tmp_path, draw_png=False)
    page = (tmp_path / "performance.md").read_text(encoding="utf-8")
    assert written["performance.md"] == tmp_path / "performance.md"
    assert "No bench recorded yet." in page and not NUMBER.findall(re.sub(r"`[^`]*`", "", page.split("-->")[1]))
    manifest = json.loads((tmp_path / "img" / "manifest.json").read_text())["figures"]
    assert not set(performance.FIGURES) & set(manifest)


def test_session_records_never_include_the_bench_record(tmp_path):
    (tmp_path / "bench").mkdir()
    shutil.copy(FIXTURE, tmp_path / "bench" / "performance.json")
    assert record_paths(tmp_path) == []


# ------------------------------------------------------------------------------- the command line


def test_the_command_line_writes_the_page_and_merges_the_manifest(tmp_path, record):
    img = tmp_path / "img"
    img.mkdir()
    (img / "manifest.json").write_text(json.dumps({"matplotlib": None, "figures": {"nn.png": {"curves": []}}}))
    run = subprocess.run([sys.executable, "-m", "matrix.pages.performance", str(FIXTURE), "--out", str(tmp_path),
                          "--no-png"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [str(img / "manifest.json"), str(tmp_path / "performance.md")]
    assert (tmp_path / "performance.md").read_text() == performance.wrap_markdown(
        performance.render_page(record)).rstrip() + "\n"
    figures = json.loads((img / "manifest.json").read_text())["figures"]
    assert sorted(figures) == sorted(["nn.png", *performance.FIGURES])


def test_the_command_line_refuses_what_is_no_bench_record(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"schema": 1, "session": "modern(torch='2.4.1', device='cpu')"}))
    run = subprocess.run([sys.executable, "-m", "matrix.pages.performance", str(bad), "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "not a bench record" in run.stderr
    assert not (tmp_path / "performance.md").exists()
