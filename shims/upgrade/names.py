"""What the names of a module stand for: ``F`` for ``torch.nn.functional``, ``Variable`` for
``torch.autograd.Variable``, ``tf`` for ``tensorflow``; so that a rule matches ``F.sigmoid`` only where
``F`` is torch's, whatever the script called it.
"""
from __future__ import annotations

from typing import Dict, Optional

import libcst as cst


def dotted(node: cst.CSTNode) -> Optional[str]:
    """``"a.b.c"`` for a Name/Attribute chain, None for anything else (a call, a subscript)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


def _module_name(node: cst.CSTNode) -> str:
    return dotted(node) or ""


class Imports(cst.CSTVisitor):
    """Collects ``local name -> qualified name`` from the module's imports (any depth)."""

    def __init__(self) -> None:
        self.aliases: Dict[str, str] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        # an import is a statement: the expressions (most of a module's nodes) hold none
        return not isinstance(node, cst.BaseExpression) and super().on_visit(node)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _module_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = full
            else:  # `import torch.nn.functional` binds `torch`
                head = full.split(".")[0]
                self.aliases.setdefault(head, head)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        module = _module_name(node.module)
        for alias in node.names:
            name = _module_name(alias.name)
            local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) \
                else name
            self.aliases[local] = f"{module}.{name}"


def imports_of(module: cst.Module) -> Dict[str, str]:
    visitor = Imports()
    module.visit(visitor)
    return visitor.aliases


def qualify(node: cst.CSTNode, aliases: Dict[str, str]) -> Optional[str]:
    """The qualified name of a Name/Attribute chain whose head is imported (None otherwise):
    ``F.sigmoid`` -> ``torch.nn.functional.sigmoid`` after ``import torch.nn.functional as F``."""
    text = dotted(node)
    if text is None:
        return None
    head, _, rest = text.partition(".")
    if head not in aliases:
        return None
    return f"{aliases[head]}.{rest}" if rest else aliases[head]


def uses_torch_or_tf(aliases: Dict[str, str]) -> bool:
    """Whether the module imports torch or tensorflow at all (the upgrade leaves other files alone)."""
    return any(v.split(".")[0] in ("torch", "tensorflow") for v in aliases.values())


def local_name_for(aliases: Dict[str, str], qualified: str) -> Optional[str]:
    """A local name bound to exactly ``qualified`` (``"torch"`` -> ``"torch"`` after ``import torch``)."""
    for local, full in aliases.items():
        if full == qualified:
            return local
    return None
