"""Each upstream event classified: a catalog id, in scope but not in the catalog, or out of scope with a reason.

    from matrix.upstream.classify import classify, load_rules
    rows = classify(events, load_rules())   # [(event, rule), ...]; rule["catalog"] / ["in_scope"] / ["out"]

The rules are matrix/upstream/classification.toml's ``[[rule]]`` entries, tried in file order; the
first that matches an event classifies it. A rule matches on any of (all given ones must hold):
``source`` (python / library / api), ``kind`` (a list of event kinds), ``where`` (a regular
expression searched in every module or library the event names: all must match, so a message that a
public module shares with a private one is not thrown out as private), ``where_any`` (the same, one
module is enough: a public module's message is in scope even where a private one repeats it) and
``text`` (searched in the message or name, and in a reworded message's old text). It says exactly one of ``catalog = "<id>"``
(covered by that entry), ``in_scope = "<why>"`` (a 2017-2020 script can meet it; not in the catalog)
or ``out = "<reason>"`` with a reason of :data:`REASONS`. There is no catch-all rule: an event no rule
matches is reported by :func:`unclassified` and fails tests/test_upstream.py.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from matrix.facts import tomlio

RULES_PATH = Path(__file__).resolve().parent / "classification.toml"
#: the out-of-scope reasons, each with what it covers (the coverage page prints this table)
REASONS = {
    "private": "torch._* modules, private names, torch.testing: not an API a script is meant to call",
    "cpp": "the C++ API, libtorch's internals and caffe2: not reachable from a Python script's torch calls",
    "jit": "TorchScript, torch.jit, torch.package, tracing and serialization of scripted code",
    "compile": "torch.fx, torch.compile, dynamo, inductor, torch.export, torch.func internals (2.x machinery)",
    "distributed": "torch.distributed, DDP, RPC, NCCL, elastic, FSDP",
    "quantization": "torch.quantization, torch.ao, nn.quantized, FBGEMM / QNNPACK",
    "onnx": "torch.onnx and ONNX operator texts",
    "mobile": "mobile, lite interpreter, Vulkan, Metal, NNAPI, XNNPACK, CoreML",
    "sparse": "sparse tensors and layouts, nested tensors, masked tensors",
    "backend": "CUDA / ROCm / MPS / XPU / MKLDNN internals, cuDNN, MAGMA, allocators, CUDA graphs, profilers",
    "third-party": "texts of libraries bundled in the wheel (MKL, pybind11, protobuf, fmt, build flags)",
    "not-a-change": "the words name no change of torch's API: operator docs ('are removed from X'), "
                    "hints to remove something, names imported into a module's namespace",
    "later-api": "an API first shipped after 2020 (torch 1.8 or later), which a 2017-2020 script cannot call: "
                 "DataPipes and DataLoader2, CPU autocast, pin_memory_device, symbolic shapes",
    "fragment": "a compiled-library text that is a piece of a message put together at run time "
                "(') is deprecated.'): too little to say what changed",
}
OUTCOMES = ("catalog", "in_scope", "out")


def load_rules(path: Optional[Path] = None) -> List[Dict[str, Any]]:
    """The rules, each with its regular expressions compiled (``_where``, ``_text``) and its index."""
    rules = tomlio.load(path or RULES_PATH).get("rule", [])
    for index, rule in enumerate(rules):
        rule["_index"] = index
        rule["_where"] = re.compile(rule["where"]) if "where" in rule else None
        rule["_where_any"] = re.compile(rule["where_any"]) if "where_any" in rule else None
        rule["_text"] = re.compile(rule["text"], re.I) if "text" in rule else None
    return rules


def rule_problems(rules: List[Dict[str, Any]], catalog_ids: List[str]) -> List[str]:
    """What is wrong with the rules: not exactly one outcome, an unknown reason or catalog id."""
    out = []
    for rule in rules:
        name = f"rule {rule['_index'] + 1} ({rule.get('text') or rule.get('where')})"
        outcomes = [k for k in OUTCOMES if k in rule]
        if len(outcomes) != 1:
            out.append(f"{name}: needs exactly one of {OUTCOMES}, has {outcomes}")
        if "out" in rule and rule["out"] not in REASONS:
            out.append(f"{name}: out = {rule['out']!r} is none of {sorted(REASONS)}")
        if "catalog" in rule and rule["catalog"] not in catalog_ids:
            out.append(f"{name}: catalog = {rule['catalog']!r} is no catalog id")
        if not any(k in rule for k in ("source", "kind", "where", "where_any", "text")):
            out.append(f"{name}: matches everything (say what it is about)")
    return out


def matches(rule: Dict[str, Any], event: Dict[str, Any]) -> bool:
    if "source" in rule and event["source"] != rule["source"]:
        return False
    if "kind" in rule and event["kind"] not in rule["kind"]:
        return False
    if rule["_where"] is not None and not all(rule["_where"].search(w) for w in event["where"]):
        return False
    if rule.get("_where_any") is not None and not any(rule["_where_any"].search(w) for w in event["where"]):
        return False
    if rule["_text"] is not None and not (rule["_text"].search(str(event["text"])) or
                                          rule["_text"].search(str(event.get("old", "")))):
        return False
    return True


def rule_for(event: Dict[str, Any], rules: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    return next((rule for rule in rules if matches(rule, event)), None)


def classify(events: List[Dict[str, Any]], rules: List[Dict[str, Any]]) -> List[Tuple[Dict[str, Any], Optional[Dict[str, Any]]]]:
    """(event, the first rule that matches it, or None) for each event."""
    return [(event, rule_for(event, rules)) for event in events]


def unclassified(events: List[Dict[str, Any]], rules: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [event for event, rule in classify(events, rules) if rule is None]


def outcome(rule: Dict[str, Any]) -> Tuple[str, str]:
    """("catalog", id) / ("in_scope", why) / ("out", reason)."""
    for key in OUTCOMES:
        if key in rule:
            return key, rule[key]
    raise ValueError(f"rule {rule['_index'] + 1} has no outcome")


__all__ = ["OUTCOMES", "REASONS", "RULES_PATH", "classify", "load_rules", "matches", "outcome", "rule_for",
           "rule_problems", "unclassified"]
