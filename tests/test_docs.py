"""docs/: the committed files are what docs/generate.py makes from the committed catalog, variants
and results; and the derivations behind them (first version that warns/fails, divergence finder,
status cells) do what the pages say, checked on tests/fixtures/.

PNG files: Agg's bytes depend on the matplotlib and FreeType builds, so docs/img/manifest.json
records a SHA-256 of the data each figure plots and the matplotlib version that drew it. The data
hashes (and the markdown that quotes them) are compared always; the PNG bytes only under the same
matplotlib version; otherwise each figure must exist and be a PNG.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import re

import pytest

from conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "results"
spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    pytest.importorskip("matplotlib")
    gen.generate(ROOT / "results", out)
    return out


@pytest.mark.parametrize("name", ["compat-matrix.md", "migration.md", "img/manifest.json"])
def test_committed_docs_are_generated(regenerated, name):
    committed = (ROOT / "docs" / name)
    assert committed.exists(), f"docs/{name} missing: run python docs/generate.py"
    fresh = (regenerated / name).read_text(encoding="utf-8")
    if name.endswith("manifest.json"):  # the matplotlib version is the drawing machine's
        a, b = json.loads(committed.read_text()), json.loads(fresh)
        assert a["figures"] == b["figures"], "figure data changed: run python docs/generate.py"
        return
    assert committed.read_text(encoding="utf-8") == fresh, f"docs/{name} is stale: run python docs/generate.py"


def test_committed_figures(regenerated):
    import matplotlib

    manifest = json.loads((ROOT / "docs" / "img" / "manifest.json").read_text())
    pngs = sorted(p.name for p in (ROOT / "docs" / "img").glob("*.png"))
    assert pngs == sorted(manifest["figures"]), "docs/img has figures the manifest does not list (or lacks some)"
    for name in pngs:
        data = (ROOT / "docs" / "img" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert b"Software" not in data and b"Creation" not in data, f"{name}: non-deterministic metadata"
        if manifest.get("matplotlib") == matplotlib.__version__:
            assert data == (regenerated / "img" / name).read_bytes(), f"{name} differs: regenerate"


# ---------------------------------------------------------------- derivations, on fake records


def rec(outcome, **kw):
    return dict({"id": "p", "outcome": outcome, "detail": "", "warnings": [], "error": None, "value": None,
                 "_torch": kw.pop("torch", None), "_date": "2026-01-01T00:00:00Z"}, **kw)


def test_first_pin_with_sorts_versions_not_strings():
    by_pin = {"1.13.1": rec("errors"), "1.8.1": rec("works"), "2.4.1": rec("errors"), "1.10.0": rec("warns")}
    assert gen.first_pin_with(by_pin, ["errors"]) == "1.13.1"
    assert gen.first_pin_with(by_pin, ["warns"]) == "1.10.0"
    assert gen.first_pin_with(by_pin, ["differs"]) is None


def test_measured_versions_ignores_not_run():
    by_pin = {"1.8.1": rec("not_run"), "2.4.1": rec("warns"), "2.6.0": rec("errors"), "2.15.0": rec("errors")}
    m = gen.measured_versions(by_pin)
    assert m == {"pins": ["2.4.1", "2.6.0", "2.15.0"], "oldest": "2.4.1", "warns": "2.4.1", "fails": "2.6.0",
                 "differs": None}


def change(**cited):
    return {"cited_versions": dict({"source": "https://example.org/notes", "verified": True}, **cited)}


def test_version_statement_measured_first_appearance():
    by_pin = {"1.8.1": rec("works"), "2.4.1": rec("warns", torch="2.4.1+cu121"),
              "2.15.0": rec("errors", torch="2.15.0+cu132")}
    text = "\n".join(gen.version_statement(change(warns="2.4.0", fails="2.6.0"), by_pin))
    assert "warns first on torch 2.4.1 (torch 2.4.1+cu121, run 2026-01-01; measured here; not on 1.8.1)" in text
    assert "fails first on torch 2.15.0" in text and "not on 1.8.1, 2.4.1" in text
    assert "cited, not measured" not in text
    assert "Runs without a sound on: torch 1.8.1 (measured)" in text


def test_version_statement_predates_oldest_pin_cites():
    by_pin = {"1.8.1": rec("errors", torch="1.8.1"), "2.15.0": rec("errors")}
    text = "\n".join(gen.version_statement(change(warns="0.4.0", fails="1.0.0", verified=False), by_pin))
    assert "fails already on the oldest pin measured: torch 1.8.1" in text
    assert "fails since 1.0.0: cited, not measured here" in text and "(inferred, see note)" in text
    assert "warns since 0.4.0: cited, not measured here" in text


def test_version_statement_nothing_measured():
    text = "\n".join(gen.version_statement(change(fails="TensorFlow 2.0.0"), {"2.4.1": rec("not_run")}))
    assert "fails since TensorFlow 2.0.0: cited, not measured here" in text
    assert "Not measured here" in text


def test_clean_message_strips_build_paths_and_ansi():
    raw = "\x1b[1mbold\x1b[0m deprecated. (Triggered internally at /__w/pytorch/x.cpp:409.)"
    assert gen.clean_message(raw) == "bold deprecated."


# ---------------------------------------------------------------- derivations, on the fixture results


@pytest.fixture(scope="module")
def sessions():
    return gen.load_results(FIXTURES)


def test_divergence_finder_on_fixture(sessions):
    divs = {(d["era"], d["example"]): d for d in gen.find_divergences(sessions)}
    assert set(divs) == {("modern", "dynamic_net"), ("modern", "optim")}
    rows = {r["pin"]: r for r in divs[("modern", "dynamic_net")]["rows"]}
    assert divs[("modern", "dynamic_net")]["reference"] == "2.4.1"
    assert rows["2.4.1"]["first_diff_step"] is None and rows["2.15.0"]["first_diff_step"] == 20
    assert rows["2.15.0"]["max_rel_diff"] > 0
    assert rows["2.15.0"]["first_loss"] == rows["2.4.1"]["first_loss"]


def test_divergence_finder_skips_single_pin_and_failed(sessions):
    for d in gen.find_divergences(sessions):
        assert len(d["rows"]) >= 2
        assert d["era"] != "legacy" or d["example"] != "custom_function"


def test_not_run_is_never_passed(sessions):
    for s in sessions:
        for c in s["cells"]:
            notes = gen.Footnotes()
            text = gen.cell_text(c, notes)
            if c["status"] != "passed":
                assert not text.startswith("passed") or c["status"] == "passed_with_warnings"
            if c["status"] == "not_run":
                assert text == "not run [1]" and notes.reasons == [c["reason"]]


def test_fixture_pages(tmp_path):
    pytest.importorskip("matplotlib")
    gen.generate(FIXTURES, tmp_path)
    compat = (tmp_path / "compat-matrix.md").read_text()
    ref = re.search(r"\| not run (\[\d+\]) \|", compat)               # a not-run cell, footnoted
    assert ref and f"{ref[1]} no CUDA device on this machine" in compat
    assert "**failed**: RuntimeError" in compat and "**crashed**" in compat
    assert "(2.4.1+cu121, py 3.11.7, 2026-01-05)" in compat
    migration = (tmp_path / "migration.md").read_text()
    assert "fails first on torch 1.13.1" in migration                 # removed-linalg, measured
    assert "differs first on torch" not in migration
    assert "changes results first on torch 2.4.1" in migration        # zero_grad, measured
    assert "| 2.15.0+cu132 | 2026-01-05 | 2800.0 | 64.7580878 | 20 |" in migration
    manifest = json.loads((tmp_path / "img" / "manifest.json").read_text())
    assert "modern torch 2.4.1 (dashed; differs from step 20, dotted line)" in manifest["figures"]["dynamic_net.png"]["curves"]
    # deterministic: a second run writes the same bytes
    first = {p.name: p.read_bytes() for p in sorted((tmp_path / "img").glob("*"))}
    gen.generate(FIXTURES, tmp_path)
    assert first == {p.name: p.read_bytes() for p in sorted((tmp_path / "img").glob("*"))}


# ---------------------------------------------------------------- why the recorded curves differ


def test_every_recorded_divergence_is_explained_by_the_catalog():
    from matrix.catalog import load_catalog

    unexplained = gen.unexplained_divergences(gen.load_results(ROOT / "results"), load_catalog())
    assert not unexplained, ("loss curves differ between torch pins and no matrix/catalog.toml entry "
                             f"explains it (find the op; add `explains`/`explains_pins`): {unexplained}")


def test_explains_names_era_example_and_a_pin():
    from matrix.catalog import load_catalog

    for ch in load_catalog():
        if "explains" not in ch:
            continue
        assert ch["kind"] == "silent" and ch.get("explains_pins") and ch.get("evidence"), ch["id"]
        for name in ch["explains"]:
            era, _, example = name.partition("/")
            assert (ROOT / "variants" / era / f"{example}.py").exists(), f"{ch['id']}: {name}"


def test_explain_divergence_on_fixture(sessions):
    divs = {(d["era"], d["example"]): d for d in gen.find_divergences(sessions)}
    d = divs[("modern", "dynamic_net")]
    assert gen.explain_divergence(d, []) == [{"pin": "2.15.0", "previous": "2.4.1", "step": 20, "entries": []}]
    entry = {"id": "x", "explains": ["modern/dynamic_net"], "explains_pins": "2.6.0"}
    too_early = dict(entry, explains_pins="2.4.1")          # already in the reference pin: not this change
    other = dict(entry, explains=["modern/optim"])
    (e,) = gen.explain_divergence(d, [too_early, other, entry])
    assert e["entries"] == [entry]
    assert gen.unexplained_divergences(sessions, [entry]) == ["modern/optim: torch 2.4.1 -> 2.15.0 (step 35)"]


def test_fixture_pages_say_unexplained(tmp_path):
    pytest.importorskip("matplotlib")
    gen.generate(FIXTURES, tmp_path)
    migration = (tmp_path / "migration.md").read_text()
    assert "- torch 2.15.0+cu132 vs" not in migration
    assert "- torch 2.15.0 vs 2.4.1, from step 20: **UNEXPLAINED**" in migration
