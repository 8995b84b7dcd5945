"""matrix.pages and docs/generate.py: the committed files are what docs/generate.py makes from the
committed catalog, variants and results; the recorded results are complete; the pages say what the
derivations found (status cells, versions, attributions), checked on tests/fixtures/; the command
line works.

The markdown and the figure data (docs/img/manifest.json) are compared without matplotlib. PNG
files: Agg's bytes depend on the matplotlib and FreeType builds, so the PNG bytes are compared only
under the matplotlib version recorded in the manifest (otherwise each figure must exist and be a
PNG without metadata), and only where matplotlib is installed.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT, change, rec
from matrix import divergence, observations, pages
from matrix.catalog import load_catalog, load_unrelated_warnings
from matrix.pages import cells, compat, versions
from matrix.pages import text as markdown  # "text" is a local name in the tests

FIXTURES = ROOT / "tests" / "fixtures" / "results"
RESULTS = ROOT / "results"
CATALOG = load_catalog()
UNRELATED = load_unrelated_warnings()
RERUN = "results/ is stale or incomplete: rerun the matrix (nox) and python docs/generate.py"


# ---------------------------------------------------------------- the committed docs


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """The pages and the manifest from the committed results, without drawing (no matplotlib needed)."""
    out = tmp_path_factory.mktemp("docs")
    pages.generate(RESULTS, out, draw_png=False)
    return out


@pytest.mark.parametrize("name", ["compat-matrix.md", "migration.md", "img/manifest.json"])
def test_committed_docs_are_generated(regenerated, name):
    committed = ROOT / "docs" / name
    assert committed.exists(), f"docs/{name} missing: run python docs/generate.py"
    fresh = (regenerated / name).read_text(encoding="utf-8")
    if name.endswith("manifest.json"):  # the matplotlib version is the drawing machine's
        a, b = json.loads(committed.read_text()), json.loads(fresh)
        assert a["figures"] == b["figures"], "figure data changed: run python docs/generate.py"
        return
    old = committed.read_text(encoding="utf-8")
    if old != fresh:  # our own short diff: pytest's full diff of two pages this long takes minutes
        diff = list(difflib.unified_diff(old.splitlines(), fresh.splitlines(), "committed", "generated", lineterm=""))
        pytest.fail(f"docs/{name} is stale: run python docs/generate.py\n" + "\n".join(diff[:60]))


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("drawn")
    pages.generate(RESULTS, out)
    return out


def test_committed_figures(drawn):
    import matplotlib

    manifest = json.loads((ROOT / "docs" / "img" / "manifest.json").read_text())
    pngs = sorted(p.name for p in (ROOT / "docs" / "img").glob("*.png"))
    assert pngs == sorted(manifest["figures"]), "docs/img has figures the manifest does not list (or lacks some)"
    for name in pngs:
        data = (ROOT / "docs" / "img" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert b"Software" not in data and b"Creation" not in data, f"{name}: non-deterministic metadata"
        if manifest.get("matplotlib") == matplotlib.__version__:
            # digests, not bytes: pytest's diff of two differing PNGs runs difflib over them for many minutes
            fresh = hashlib.sha256((drawn / "img" / name).read_bytes()).hexdigest()
            assert hashlib.sha256(data).hexdigest() == fresh, f"{name} differs: regenerate"


# ---------------------------------------------------------------- the committed results


def ran_sessions(results_dir):
    return [s for s in observations.load_results(results_dir) if s.get("status") == "ran"]


def test_every_catalog_probe_has_a_record_in_every_ran_session():
    missing = []
    for s in ran_sessions(RESULTS):
        ids = {r.get("id") for r in s.get("probes") or []}
        missing += [f"{s['_slug']}: {ch['probe']}" for ch in CATALOG if ch["probe"] not in ids]
    assert not missing, (f"{RERUN}; {len(missing)} probe records missing, e.g. {missing[:5]}"
                         if len(missing) > 5 else f"{RERUN}; sessions without a record of these probes: {missing}")


def test_unexplained_differences_are_listed_in_the_page(regenerated):
    page = (regenerated / "migration.md").read_text()
    for line in divergence.unexplained_divergences(observations.load_results(RESULTS), CATALOG, UNRELATED):
        example_cpu, _, pins = line.partition(": torch ")
        assert example_cpu in page and pins.split(" (")[0] in page, line


# ---------------------------------------------------------------- measured statements

MEASURED = re.compile(r"measured here on torch \S+( to \S+)?( with \w+ \S+( to \S+)?)?, (?P<cpu>.+?), "
                      r"(?P<date>\d{4}-\d{2}-\d{2})( to \d{4}-\d{2}-\d{2})?\)")


def unsupported_measured_lines(pages_dir, sessions):
    """Lines that call something measured without the torch build, a recorded CPU and a date."""
    prose = set()
    for p in (ROOT / "docs" / "prose").glob("*.md"):
        prose |= {ln.strip() for ln in p.read_text().splitlines()}
    cpus = {observations.cpu_of(s) for s in sessions}
    bad = []
    for name in ("compat-matrix.md", "migration.md"):
        for ln in (pages_dir / name).read_text().splitlines():
            if ln.strip() in prose:
                continue
            text = re.sub(r"not measured", "", ln, flags=re.I)
            n = len(re.findall(r"measured", text, flags=re.I))
            tags = [m for m in MEASURED.finditer(text) if any(m["cpu"].startswith(c) for c in cpus)]
            if n != len(tags):
                bad.append(ln[:300])
    return bad


def test_measured_statements_name_torch_cpu_and_date_fixture(tmp_path):
    pages.generate(FIXTURES, tmp_path, draw_png=False)
    assert not unsupported_measured_lines(tmp_path, observations.load_results(FIXTURES))
    assert "measured here on torch 2.15.0+cu132, Intel(R) Xeon(R) Processor (CPU), 2026-01-05" in \
        (tmp_path / "migration.md").read_text()


def test_measured_statements_name_torch_cpu_and_date(regenerated):
    assert not unsupported_measured_lines(regenerated, observations.load_results(RESULTS))


# ---------------------------------------------------------------- versions lines and table cells, on fake records


def test_version_statement_shows_measured_and_cited_side_by_side():
    obs = [rec("works", "1.8.1", torch="1.8.1+cu102"), rec("warns", "2.4.1", torch="2.4.1+cu121"),
           rec("errors", "2.15.0", torch="2.15.0+cu132")]
    text = "\n".join(versions.version_statement(change(warns="2.4.0", fails="2.6.0"), obs))
    assert "- Warns first on torch 2.4.1, not on 1.8.1 (measured here on torch 2.4.1+cu121, CPU A, 2026-01-01)." in text
    assert "- Fails first on torch 2.15.0, not on 1.8.1, 2.4.1 (measured here on torch 2.15.0+cu132, CPU A," in text
    assert "- Warns since 2.4.0: cited, not measured here ([source](https://example.org/notes))." in text
    assert "- Fails since 2.6.0: cited, not measured here" in text
    assert "Runs without a warning or an error on torch 1.8.1 (measured here on torch 1.8.1+cu102, CPU A" in text
    assert "changes results" not in text.lower()  # not a silent change


def test_version_statement_predates_oldest_pin_says_so_and_cites():
    obs = [rec("errors", "1.8.1", torch="1.8.1"), rec("errors", "2.15.0")]
    cited = change(kind="error", warns="0.4.0", fails="1.0.0", verified=["warns"])
    text = "\n".join(versions.version_statement(cited, obs))
    assert "- Fails already on torch 1.8.1, the oldest pin recorded (measured here on torch 1.8.1, CPU A, " \
           "2026-01-01): the change predates the pins of the matrix; see the cited version." in text
    assert "- Fails since 1.0.0: inferred, not stated by the source and not measured here" in text
    assert "- Warns since 0.4.0: cited, not measured here" in text


def test_version_statement_nothing_measured_and_no_source():
    ch = {"id": "c", "kind": "silent", "cited_versions": {"note": "no upstream note found: searched X."}}
    text = "\n".join(versions.version_statement(ch, [rec("not_run", detail="no torch.func here")]))
    assert "- Not measured here: no recorded probe ran (no torch.func here)." in text
    assert "- No release named by a source: no upstream note found: searched X." in text
    assert ".." not in text and ".;" not in text


def test_library_dependent_outcome_names_the_library_version():
    ch = dict(change(kind="removal", fails="TensorFlow 2.0.0"), depends_on="tensorflow")
    obs = [rec("errors", "1.8.1", tensorflow="2.12.1"), rec("errors", "2.15.0", tensorflow="2.21.0")]
    text = "\n".join(versions.version_statement(ch, obs))
    assert "- Fails with TensorFlow 2.12.1, 2.21.0 (measured here on torch 1.8.1 to 2.15.0 with TensorFlow " \
           "2.12.1 to 2.21.0, CPU A, 2026-01-01)." in text
    notes = markdown.Footnotes()
    assert compat.probe_text(ch, obs[0], notes) == "**errors** (?), TensorFlow 2.12.1"


def test_crashed_and_not_run_probes_are_never_works():
    ch = change()
    notes = markdown.Footnotes()
    crashed = rec("crashed", error={"type": "crash", "message": "killed by SIGSEGV: boom"})
    assert compat.probe_text(ch, crashed, notes) == "**crashed** [1]" and notes.reasons == ["killed by SIGSEGV: boom"]
    assert compat.probe_text(ch, rec("not_run", detail="probe tf1_graph: crashed"), notes) == "not run [2]"


def test_clean_message_and_sentence():
    raw = "\x1b[1mbold\x1b[0m deprecated. (Triggered internally at /__w/pytorch/x.cpp:409.)"
    assert observations.clean_message(raw) == "bold deprecated."
    assert markdown.sentence("a note.") == "a note." and markdown.sentence("a note;") == "a note."


# ---------------------------------------------------------------- pages from the fixture results


@pytest.fixture(scope="module")
def sessions():
    return observations.load_results(FIXTURES)


@pytest.fixture(scope="module")
def fixture_pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("fixture-docs")
    pages.generate(FIXTURES, out, draw_png=False)
    return out


def test_not_run_is_never_passed(sessions):
    for s in sessions:
        for c in s["cells"]:
            notes = markdown.Footnotes()
            text = cells.cell_text(c, notes)
            if c["status"] != "passed":
                assert not text.startswith("passed") or c["status"] == "passed_with_warnings"
            if c["status"] == "not_run":
                assert text == "not run [1]" and notes.reasons == [c["reason"]]


def test_fixture_compat_page(fixture_pages):
    compat = (fixture_pages / "compat-matrix.md").read_text()
    ref = re.search(r"\| not run (\[\d+\]) \|", compat)               # a not-run cell, footnoted
    assert ref and f"{ref[1]} no CUDA device on this machine" in compat
    assert "**failed**: RuntimeError" in compat and "**crashed**" in compat
    # one column per (pin, CPU); the other CPU's digest is its own
    assert "(2.15.0+cu132, py 3.11.7, AMD EPYC (CPU), 2026-01-05)" in compat
    assert "(2.4.1+cu121, py 3.11.7, Intel(R) Xeon(R) Processor (CPU), 2026-01-05)" in compat
    assert "works `mm 5a5a5a5a, t_mm a5a5a5a5`" in compat and "works `mm 117bdb16, t_mm c4f4c796`" in compat
    # a crashed probe and a missing one, with the reasons
    assert re.search(r"\*\*crashed\*\* \[\d+\]", compat) and "killed by SIGSEGV: Fatal Python error" in compat
    assert "**probes error**: probe tf1_graph: killed by SIGSEGV" in compat
    assert "matrix.probes exited 0 without records for numpy_abi" in compat
    # TensorFlow's version with the TF1 outcome; unrelated warnings listed, not shown as the change's
    assert "**errors** (AttributeError), TensorFlow 2.12.1" in compat
    assert "unrelated warnings left out (see the list under the table): DeprecationWarning: " \
           "jax.xla_computation is deprecated" in compat
    assert "jax\\.xla_computation" in compat.split("Warnings left out as unrelated")[1]
    # silent changes: values per pin
    assert "**differs** `grad_after_data_write [1.0,3.0], expected_grad [2.0,4.0]`" in compat
    assert "**differs** `[0.0,0.0,1.0]`" in compat


def test_fixture_migration_page(fixture_pages):
    migration = (fixture_pages / "migration.md").read_text()
    assert "fails first on torch 1.13.1" not in migration.lower()       # no blanket removed-linalg claim
    assert re.search(r"\| `torch.symeig` \| `torch.linalg.eigh` \| works \| warns \[\d+\] \| \*\*errors\*\* "
                     r"\[\d+\] \| \*\*errors\*\* \[\d+\] \| 1.13.1 \| 2.4.1 \|", migration)
    assert "RuntimeError: This function was deprecated since version 1.9 and is now removed." in migration
    assert "- Changes results at torch 2.4.1 (vs torch 1.13.1): `module_zero_grad [[0.0,0.0]], " \
           "optimizer_zero_grad [[0.0,0.0]], momentum_step_of_unused_param -0.0899999737739563` -> " \
           "`module_zero_grad None, optimizer_zero_grad None, momentum_step_of_unused_param 0.0` " \
           "(measured here on torch 2.4.1+cu121, Intel(R) Xeon(R) Processor (CPU), 2026-01-05)." in migration
    assert "- Differs from the old behaviour already on torch 1.8.1, the oldest pin recorded" in migration
    assert "| 2.15.0+cu132 | 2026-01-05 | 2800.0 | 64.7580878 | 20 |" in migration
    assert "- torch 2.15.0 vs 2.4.1, from step 20: **unexplained**" in migration
    assert "- torch 2.15.0 vs 1.8.1, from step 12: attributed to [clamp(min=0) backward" in migration
    assert "Measured: Measured:" not in migration and ".;" not in migration
    assert not re.search(r"\w\.\.(\s|$)", migration), "a sentence ending in '..'"


def test_fixture_manifest_and_png_determinism(tmp_path):
    pytest.importorskip("matplotlib")
    pages.generate(FIXTURES, tmp_path)
    manifest = json.loads((tmp_path / "img" / "manifest.json").read_text())
    curves = manifest["figures"]["dynamic_net.png"]["curves"]
    assert "modern: torch 2.4.1 (Intel(R) Xeon(R) Processor (CPU), 2026-01-05)" in curves
    assert "modern: torch 2.15.0: differs from step 20 (Intel(R) Xeon(R) Processor (CPU), 2026-01-05)" in curves
    assert "tensor_autograd: torch 2.15.0 (AMD EPYC (CPU), 2026-01-05)" in curves
    first = {p.name: p.read_bytes() for p in sorted((tmp_path / "img").glob("*"))}
    pages.generate(FIXTURES, tmp_path)
    again = {p.name: p.read_bytes() for p in sorted((tmp_path / "img").glob("*"))}
    digest = lambda files: {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}  # noqa: E731
    assert digest(first) == digest(again)
    for name, data in first.items():
        if name.endswith(".png"):
            assert b"Software" not in data and b"Creation" not in data


def test_markdown_does_not_need_matplotlib(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.split(".")[0] == "matplotlib":
            raise ImportError("no matplotlib here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    written = pages.generate(FIXTURES, tmp_path, draw_png=False)
    assert sorted(written) == ["compat-matrix.md", "manifest.json", "migration.md"]


def _published(pin, status="failed", **kw):
    cell = {"era": "legacy", "example": "autograd", "mode": "as_published", "torch_pin": pin, "status": status,
            "expected": "fail", "change": "zero-dim-index", "device": "cpu", "device_name": "Some CPU (CPU)",
            "date": "2026-11-22T10:00:00Z", "losses": [],
            "error": {"type": "IndexError", "message": "invalid index of a 0-dim tensor. Use `tensor.item()`"},
            "reason": "expected failure (loss.data[0]): IndexError: invalid index of a 0-dim tensor. Use `tensor.item()`"}
    cell.update(kw)
    return cell


def test_as_published_cells_render_under_their_change_and_never_as_curves():
    sessions = [{"_slug": f"legacy-torch{p}-cpu", "era": "legacy", "torch_pin": p, "device": "cpu",
                 "cells": [_published(p)]} for p in ("2.4.1", "1.8.1")]
    change = {"id": "zero-dim-index"}
    lines = cells.published_lines(change, sessions)
    assert lines[2] == ("- `legacy/autograd` fails on torch 1.8.1, 2.4.1 (measured here on torch 1.8.1 to 2.4.1, "
                        "Some CPU (CPU), 2026-11-22): IndexError: invalid index of a 0-dim tensor. Use `tensor.item()`")
    assert MEASURED.search(lines[2])["cpu"] == "Some CPU (CPU)"
    assert cells.published_lines({"id": "size-average"}, sessions) == []
    sessions[0]["cells"].append(dict(_published("2.4.1", status="passed", losses=[[0, 1.0]]), expected="fail"))
    assert divergence.curve_groups(sessions) == {}  # as-published cells are outcomes, not loss curves


def test_as_published_cell_text_marks_expected_unexpected_and_xpass():
    notes, errors = markdown.Footnotes(), markdown.Footnotes("e")
    assert cells.published_text(_published("2.4.1"), notes, errors) == "fails as expected [e1]"
    assert errors.reasons == ["IndexError: invalid index of a 0-dim tensor. Use `tensor.item()`"]
    other = _published("2.4.1", unexpected_error="IndexError", error={"type": "ImportError", "message": "x"})
    assert cells.published_text(other, notes, errors).startswith("**failed, not as expected**")
    assert "(XPASS)" in cells.published_text(_published("2.4.1", status="passed"), notes, errors)
    assert cells.published_text(_published("2.4.1", status="not_run", reason="no GPU"), notes, errors).startswith("not run")


def test_pages_rendered_elsewhere_link_the_repository_from_there(tmp_path):
    """A user's `nox -s report` writes runs/docs/: its links to variants/ go up two folders."""
    pages.generate(FIXTURES, tmp_path, draw_png=False, repo_link="../../")
    page = (tmp_path / "migration.md").read_text()
    assert "](../../variants/" in page and "](../variants/" not in page
    assert pages.relink("[a](../variants/x.py) [b](migration.md#y)") == "[a](../variants/x.py) [b](migration.md#y)"


# ---------------------------------------------------------------- the command line


def test_the_command_line_writes_the_pages(tmp_path, fixture_pages):
    """python docs/generate.py as nox -s docs and -s report run it: exit 0, the written files printed,
    the same pages as matrix.pages.generate."""
    out = tmp_path / "docs"
    run = subprocess.run([sys.executable, "docs/generate.py", "--no-png", "--results", "tests/fixtures/results",
                          "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [str(out / "img" / "manifest.json"), str(out / "compat-matrix.md"),
                                       str(out / "migration.md")]
    for name in ("compat-matrix.md", "migration.md", "img/manifest.json"):
        assert (out / name).read_text() == (fixture_pages / name).read_text(), name
