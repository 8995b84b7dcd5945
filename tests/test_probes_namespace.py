"""The probes of torch.has_cuda and its kin, and of a list used as a multidimensional index, on the tests'
torch: outcome, the exact texts, the values (matrix/probes/api.py)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT, message_body, run_probes
from matrix.facts.catalog import load_catalog

Version = pytest.importorskip("packaging.version").Version
torch = pytest.importorskip("torch")
V = Version(torch.__version__)
CATALOG = {c["id"]: c for c in load_catalog()}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return run_probes(tmp_path_factory, ("has-backend-flags", "non-tuple-index"))


def test_has_backend_flags(records):
    rec = records["has_backend_flags"]
    per = rec["value"]
    assert set(per) == {"has_cuda", "has_cudnn", "has_mps", "has_mkldnn"}
    if V >= Version("2.1"):
        assert rec["outcome"] == "warns"
        texts = [w["message"] for w in rec["warnings"]]
        expected = [CATALOG["has-backend-flags"]["symptom"]] + CATALOG["has-backend-flags"]["also_seen"]
        assert texts == [message_body(t) for t in expected]
    for name, r in per.items():
        if r["outcome"] in ("works", "warns"):
            assert r["same"] is True, name  # the deprecated name answers what its replacement does


def test_non_tuple_index(records):
    rec = records["non_tuple_index"]
    if V >= Version("2.8"):
        assert rec["outcome"] == "warns"
        assert [w["message"].split(" (Triggered internally")[0] for w in rec["warnings"]] == \
            [message_body(CATALOG["non-tuple-index"]["symptom"])]
    value = rec["value"]
    if rec["outcome"] in ("works", "warns"):  # the old reading holds: a tuple of per-dimension indices
        assert value["tuple_reading"] is True
        assert value["list_of_lists"] == {"shape": [2], "values": [1, 11]}
        assert value["slice_in_list"] == {"shape": [3], "values": [1, 5, 9]}


def test_the_rewritten_banner_runs_here(tmp_path):
    """The has-backend-flags fixture's output (a fragment for the old-torch test, whose torch has no has_cuda) runs
    here with deprecations as errors, and says what the old names said."""
    out = (ROOT / "tests" / "fixtures" / "upgrade" / "has-backend-flags" / "build_info.out.py").read_text()
    script = tmp_path / "banner.py"
    script.write_text(out)
    proc = subprocess.run([sys.executable, "-W", "error", str(script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("CUDA build: ")
