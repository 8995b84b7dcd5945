"""matrix.bench.upgrade_cost: a tiny real run of the upgrade section, its record, and the performance
page's section rendered from it (every number on the page is the record's)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

pytest.importorskip("libcst")

from matrix.bench import upgrade_cost  # noqa: E402
from matrix.bench.upgrade_inputs import source  # noqa: E402
from matrix.pages import performance  # noqa: E402
from shims.upgrade.engine import upgrade_source  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "bench" / "performance.json"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "upgrade.json"
    done = subprocess.run([sys.executable, "-m", "matrix.bench.upgrade_cost", "--sizes", "1000", "--big", "4000",
                           "--files", "3", "--rounds", "2", "--out", str(out)], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def test_a_tiny_run_records_each_file_and_the_folder(tiny):
    assert tiny["kind"] == "upgrade_bench" and tiny["schema"] == 1
    assert [(r["idioms"], r["rounds"]) for r in tiny["files"]] == [(True, 2), (False, 2)]
    with_idioms, without = tiny["files"]
    assert with_idioms["findings"] > 0 and with_idioms["changed"] and without["findings"] == 0 and not without["changed"]
    for row in tiny["files"] + [tiny["big"]]:
        assert row["floor"] == pytest.approx(row["parse"] + row["copy"] + row["positions"] + row["codegen"], rel=0.5)
        assert row["ratio"] == pytest.approx(row["upgrade"] / row["floor"])
    assert tiny["big"]["bytes"] >= 4000 and tiny["big"]["rounds"] == 1
    assert tiny["folder"]["files"] == 3 and [c["jobs"] for c in tiny["folder"]["command"]][0] == 1


def test_the_generated_files_have_work_for_every_rewrite_rule_or_none():
    old = upgrade_source(source(3000, old=True))
    assert {f.change_id for f in old.findings} >= {"variable-volatile", "zero-dim-index", "size-average",
                                                   "legacy-tensor-types", "grad-none-zero", "retain-variables",
                                                   "functional-sigmoid-tanh", "functional-upsample",
                                                   "legacy-autograd-function"}
    assert not upgrade_source(source(3000, old=False)).findings


def test_the_page_shows_the_upgrade_record_beside_the_bench_record(tiny, tmp_path):
    shutil.copy(FIXTURE, tmp_path / "performance.json")
    (tmp_path / "upgrade.json").write_text(json.dumps(tiny))
    page = performance.render_page(performance.load(tmp_path / "performance.json"))
    assert "## Upgrading a repository" in page
    assert f"{tiny['files'][0]['ratio']:.2f}" in page and f"A folder of {tiny['folder']['files']:,} files" in page
    without = performance.render_page(performance.load(FIXTURE))
    assert "## Upgrading a repository" not in without


def test_bad_input_is_refused_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "matrix.bench.upgrade_cost", "--rounds", "0"], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--rounds" in done.stderr
    assert upgrade_cost.main(["--out", "/dev/null/upgrade.json", "--sizes", "1000"]) == 2
