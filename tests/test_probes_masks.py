"""matrix/probes/masks.py on the installed torch: uint8 masks and comparison results (bool since 1.2).

The probes run once, in a fresh interpreter, as a matrix cell runs them (``python -m matrix.probes
--only ...``): some torch warnings are issued once per process.
"""
from __future__ import annotations

import pytest

from conftest import run_probes
from matrix.facts.catalog import load_catalog
from matrix.records.observations import clean_message

torch = pytest.importorskip("torch")
Version = pytest.importorskip("packaging.version").Version

CATALOG = {c["id"]: c for c in load_catalog()}
IDS = [i for i in ("uint8-mask", "comparison-bool-result", "mha-byte-mask") if i in CATALOG]
MODERN = Version(torch.__version__) >= Version("2.1")  # uint8 masked_fill_ fails; comparisons give bool


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return run_probes(tmp_path_factory, IDS)


def texts(change_id: str):
    change = CATALOG[change_id]
    return [change["symptom"]] + change.get("also_seen", [])


@pytest.mark.skipif(not MODERN, reason="the numbers below are torch 2.1+'s")
def test_uint8_mask(records):
    rec = records["uint8_mask"]
    per = rec["value"]
    assert rec["outcome"] == "errors"
    assert f"{rec['error']['type']}: {rec['error']['message']}" == CATALOG["uint8-mask"]["symptom"]
    assert {name: f["outcome"] for name, f in per.items()} == {
        "masked_fill_": "errors", "masked_scatter_": "errors", "masked_select": "errors",
        "index": "warns", "index_put": "errors", "where": "warns"}
    # indexing and where still run, with the uint8 mask's meaning; the bool mask gives the same numbers
    assert per["index"]["value"] == per["index"]["bool_value"] == [1.0, 3.0]
    assert per["where"]["value"] == per["where"]["bool_value"] == [1.0, 0.0, 3.0, 0.0]
    assert per["masked_fill_"]["bool_value"] == [0.0, -2.0, 0.0, -4.0]
    assert per["masked_scatter_"]["bool_value"] == [10.0, -2.0, 20.0, -4.0]
    # every text the probe met is the catalog's, word for word
    seen = [f"{w['category']}: {clean_message(w['message'])}" for w in rec["warnings"]]
    seen += [f"{f['type']}: {f['message']}" for f in per.values() if f["outcome"] == "errors"]
    assert set(seen) <= set(texts("uint8-mask")), set(seen) - set(texts("uint8-mask"))


@pytest.mark.skipif(not MODERN, reason="the numbers below are torch 2.1+'s")
def test_comparison_bool_result(records):
    rec = records["comparison_bool_result"]
    per = rec["value"]
    assert rec["outcome"] == "errors"
    assert f"{rec['error']['type']}: {rec['error']['message']}" == CATALOG["comparison-bool-result"]["symptom"]
    assert {name: f["outcome"] for name, f in per.items()} == {
        "one_minus": "errors", "negate": "errors", "add": "differs", "subtract": "errors", "multiply": "works",
        "sum": "works", **{f"{op}_out_uint8": "works" for op in ("eq", "ge", "gt", "le", "lt", "ne")}}
    assert per["one_minus"]["dtype"] == "torch.bool"
    # uint8 meant 1 - mask = [0, 1, 0, 1], -mask = 255, mask + mask = a count; ~mask gives 1 - mask's numbers
    assert per["one_minus"]["uint8_value"] == per["one_minus"]["invert_value"] == [0, 1, 0, 1]
    assert per["negate"]["uint8_value"] == [255, 0, 255, 0]
    assert per["add"]["value"] == [True, False, True, False] and per["add"]["uint8_value"] == [1, 0, 2, 0]
    assert per["sum"]["value"] == per["sum"]["uint8_value"] == 2
    # a uint8 out= gets the right 0/1 here (torch 1.4.0 gave wrong ones: the probe's records per pin)
    assert per["eq_out_uint8"]["value"] == per["eq_out_uint8"]["expected"] == [1, 0, 0, 0]
    assert per["ne_out_uint8"]["value"] == [0, 1, 1, 1]
    for f in (per["one_minus"], per["negate"], per["subtract"]):
        assert f"{f['type']}: {f['message']}" in texts("comparison-bool-result")
    assert rec["warnings"] == []


@pytest.mark.skipif(not MODERN, reason="the outcomes below are torch 2.1+'s")
def test_mha_byte_mask(records):
    rec = records["mha_byte_mask"]
    per = rec["value"]
    assert rec["outcome"] == "errors"
    assert f"{rec['error']['type']}: {rec['error']['message']}" == CATALOG["mha-byte-mask"]["symptom"]
    assert {name: f["outcome"] for name, f in per.items()} == {
        "attn_mask": "errors", "key_padding_mask": "errors", "mismatched": "warns"}
    assert f"AssertionError: {per['key_padding_mask']['message']}" in texts("mha-byte-mask")
    # the mismatched pair still masks as one float mask does (the same numbers), with the warning as printed
    assert per["mismatched"]["value"] == per["mismatched"]["float_masks"] and len(per["mismatched"]["value"]) == 12
    assert [f"{w['category']}: {w['message']}" for w in rec["warnings"]] == [
        "UserWarning: Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type for both instead."]
    assert "UserWarning: " + per["mismatched"]["warning"] in texts("mha-byte-mask")
