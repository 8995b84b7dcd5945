"""The upgrade rules, by family, each registered under the catalog id it serves (``@rule("<id>")``).

Each rule is a LibCST transformer over one module. It either *rewrites* the old form into the
entry's ``new`` (comments and formatting around it kept) or, where no rewrite is safe, *reports* each
place it finds the old form (``found``): the report then names the entry's fix and docs section.
A rule rewrites only what it can prove from the text: imported names are resolved (``F`` must be
``torch.nn.functional``), literal arguments only; anything else it reports. The catalog's ``upgrade``
field says which, per entry ("rewrite", "report" or "runtime"); tests/test_upgrade_rules.py holds
the two together.

- :mod:`.base`: :class:`Finding`, :class:`Rule`, the :func:`rule` decorator, helpers
- :mod:`.api`: removed-linalg, cuda-amp, set-default-tensor-type (reported)
- :mod:`.autograd`: variable-volatile, legacy-autograd-function / function-instance-backward,
  grad-none-zero, retain-variables, optimizer-step-between-backwards
- :mod:`.losses`: size-average, reduction-elementwise-mean, target-size-broadcast
- :mod:`.tensors`: zero-dim-index, legacy-tensor-types, zero-dim-iteration, numpy-ndim-scalar,
  functional-sigmoid-tanh, torch-load-weights-only, functional-upsample, has-backend-flags, non-tuple-index
- :mod:`.defaults`: softmax-implicit-dim, scalar-first-overloads, scheduler-step-order, scheduler-step-epoch,
  grid-sample-align-corners, bilinear-align-corners
- :mod:`.data`: tensordataset-kwargs
- :mod:`.tensorfns`: fft-functions, named-tensors, cross-default-dim, normal-mean-std-shape,
  zero-dim-transpose, stft-return-complex (all reported)
- :mod:`.masks`: uint8-mask, comparison-bool-result
- :mod:`.execution`: deterministic-api, checkpoint-sequential-input, expanded-inplace-write,
  hub-model-zoo
- :mod:`.arithmetic`: integer-division, torch-range, linspace-default-steps, torch-ger
- :mod:`.idioms`: scheduler-get-lr, meshgrid-indexing, transpose-non-2d, load-lua, tensor-copy-construct
- :mod:`.tf1`: tf1-graph-on-tf2, tf1-assign-race, tf-contrib, tf1-rnn-keras3
- :mod:`.lapack`: lapack-0-4-names, linalg-lu-triangular (both reported)
- :mod:`.training`: module-backward-hook, sampler-data-source, scheduler-verbose,
  weight-norm-parametrization, state-dict-positional
- :mod:`.nn_names`: nn-init-underscore, clip-grad-norm-underscore, hardtanh-min-max-value, nllloss2d,
  nn-container, functional-upsample-bilinear

:data:`REGISTRY` maps catalog ids to their rules; :data:`ORDER` is the order the engine applies them
(each rule's ``order``): reports and same-line rewrites first, then the rules that add or remove lines
(the engine maps every finding back to the line of the original text).
"""
from __future__ import annotations

from typing import Tuple, Type

from shims.upgrade.rules import (  # noqa: F401 - they register the rules
    api, arithmetic, autograd, data, defaults, execution, idioms, lapack, legacy_autograd, legacy_misc,
    losses, masks, nn_names, tensorfns, tensors, tf1, training,
)
from shims.upgrade.rules.base import REGISTRY, Finding, Rule, not_rewritten_text, rule

__all__ = ["ORDER", "REGISTRY", "RUNTIME_ONLY", "Finding", "Rule", "not_rewritten_text", "rule"]

_RULES = {cls for classes in REGISTRY.values() for cls in classes}
#: every rule that looks at the text, in the order the engine runs them
ORDER: Tuple[Type[Rule], ...] = tuple(sorted((c for c in _RULES if c.static), key=lambda c: c.order))
#: rules that cannot look at the text (they act when the script runs)
RUNTIME_ONLY: Tuple[Type[Rule], ...] = tuple(sorted((c for c in _RULES if not c.static), key=lambda c: c.change_id))
