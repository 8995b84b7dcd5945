"""shims/upgrade/rules/masks.py where the fixtures do not reach: what the rules must leave alone or only report."""
from __future__ import annotations

from shims.upgrade.engine import upgrade_source


def run(body: str):
    result = upgrade_source("import torch\nx = torch.randn(4)\n" + body)
    return result.new.split("\n", 2)[2], [(f.change_id, f.action) for f in result.findings]


def test_byte_of_a_non_comparison_is_reported_not_rewritten():
    # 0.5 truncates to 0 as a byte but is True as a bool: not the same mask
    new, findings = run("y = x.masked_fill(x.abs().byte(), 0.0)\n")
    assert new == "y = x.masked_fill(x.abs().byte(), 0.0)\n"
    assert findings == [("uint8-mask", "found")]


def test_where_with_one_argument_and_byte_outside_a_mask_are_left_alone():
    body = "idx = torch.where((x > 0).byte())\nn = (x > 0).byte().sum()\n"
    assert run(body) == (body, [])


def test_one_minus_a_comparison_in_a_mask_place_becomes_its_inverse():
    new, findings = run("y = x[1 - (x > 0)]\nz = torch.where(1 - x.gt(0), x, -x)\n")
    assert new == "y = x[~(x > 0)]\nz = torch.where(~x.gt(0), x, -x)\n"
    assert findings == [("comparison-bool-result", "changed")] * 2


def test_one_minus_a_number_or_a_tensor_is_not_a_mask():
    body = "y = 1 - x\nz = (1 - x).sum()\n"
    assert run(body) == (body, [])


def test_a_uint8_attention_mask_is_reported_a_bool_one_is_not():
    body = ("m = torch.nn.MultiheadAttention(4, 1)\nq = torch.randn(3, 1, 4)\n"
            "a = m(q, q, q, attn_mask=torch.ones(3, 3, dtype=torch.uint8))\n"
            "b = m(q, q, q, key_padding_mask=torch.zeros(1, 3, dtype=torch.bool))\n")
    new, findings = run(body)
    assert new == body and findings == [("mha-byte-mask", "found")]
