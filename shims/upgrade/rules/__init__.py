"""The upgrade rules, by family, each registered under the catalog id it serves (``@rule("<id>")``).

Each rule is a LibCST transformer over one module. It either *rewrites* the old form into the
entry's ``new`` (comments and formatting around it kept) or, where no rewrite is safe, *reports* each
place it finds the old form (``found``): the report then names the entry's fix and docs section.
A rule rewrites only what it can prove from the text: imported names are resolved (``F`` must be
``torch.nn.functional``), literal arguments only; anything else it reports. The catalog's ``upgrade``
field says which, per entry ("rewrite", "report" or "runtime"); tests/test_upgrade_rules.py holds
the two together.

- :mod:`.base`: :class:`Finding`, :class:`Rule`, the :func:`rule` decorator, helpers
- :mod:`.autograd`: variable-volatile, legacy-autograd-function / function-instance-backward,
  grad-none-zero, retain-variables, optimizer-step-between-backwards
- :mod:`.losses`: size-average, reduction-elementwise-mean, target-size-broadcast
- :mod:`.tensors`: zero-dim-index, legacy-tensor-types, zero-dim-iteration, numpy-ndim-scalar,
  functional-sigmoid-tanh, torch-load-weights-only
- :mod:`.data`: tensordataset-kwargs
- :mod:`.idioms`: scheduler-get-lr, meshgrid-indexing, transpose-non-2d, load-lua, tensor-copy-construct
- :mod:`.tf1`: tf1-graph-on-tf2, tf1-assign-race, tf-contrib, tf1-rnn-keras3

:data:`REGISTRY` maps catalog ids to their rules; :data:`ORDER` is the order the engine applies them
(each rule's ``order``): reports and same-line rewrites first, then the rules that add or remove lines
(the engine maps every finding back to the line of the original text).
"""
from __future__ import annotations

from typing import Tuple, Type

from shims.upgrade.rules import autograd, data, defaults, idioms, losses, tensors, tf1  # noqa: F401 - they register the rules
from shims.upgrade.rules.base import REGISTRY, Finding, Rule, not_rewritten_text, rule

__all__ = ["ORDER", "REGISTRY", "RUNTIME_ONLY", "Finding", "Rule", "not_rewritten_text", "rule"]

_RULES = {cls for classes in REGISTRY.values() for cls in classes}
#: every rule that looks at the text, in the order the engine runs them
ORDER: Tuple[Type[Rule], ...] = tuple(sorted((c for c in _RULES if c.static), key=lambda c: c.order))
#: rules that cannot look at the text (they act when the script runs)
RUNTIME_ONLY: Tuple[Type[Rule], ...] = tuple(sorted((c for c in _RULES if not c.static), key=lambda c: c.change_id))
