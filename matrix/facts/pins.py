"""The torch pins: which releases the matrix runs, on which Python, with which NumPy and TensorFlow, and why.

    from matrix.facts.pins import PINS, Pin, pin_of, oldest, newest
    pin_of("2.4.1").python        # "3.11"
    newest().torch                # "2.15.0": the tests' and docs' torch

Data only: no side effect on import, the standard library and :data:`matrix.ERAS` only. noxfile.py
declares its sessions from it (era x pin x device); the bench (:mod:`matrix.bench`), the workflow
(:mod:`matrix.ci.workflow`) and the tests read the same tuple. Change a pin here, then regenerate the
workflow (``python -m matrix.ci.workflow``).
"""
from __future__ import annotations

from typing import NamedTuple, Optional

from matrix import ERAS


class Pin(NamedTuple):
    torch: str  # exact release; the installed one must match (local suffixes like +cu121 aside)
    python: str  # the one Python it is run on here (others are not generated)
    numpy: str  # requirement: "numpy<2" where torch was built against NumPy 1 (torch < 2.3)
    tensorflow: Optional[str]  # TensorFlow for tf_static_graph (CPU build: matrix/running/environment.py; None: not run)
    why: str
    eras: tuple = ERAS  # the eras whose sessions this pin gets


#: The legacy and tensor_autograd eras' own releases (the tutorial of 2017 was run on 0.1-0.3, which no
#: registry offers: PyPI's oldest torch is 1.0.0). The modern tutorial (1.7+) is not run on them.
OLD_ERAS = ("legacy", "tensor_autograd")

PINS = (
    Pin("1.0.1", "3.7", "numpy<1.17", "1.13.1",
        "oldest torch on PyPI (1.0.0's wheels are the same code; 1.0.1 is its bug-fix release), Python 3.7 "
        "(1.0-1.4 have no wheels for 3.8+). The 2017 code as published on its last lenient release: the "
        "non-static autograd Function still runs silently, `loss.data[0]` already fails. TensorFlow 1.13.1: "
        "the oldest TF 1 with Python 3.7 wheels; numpy<1.17, the NumPy of its time (on 1.17 `import "
        "tensorflow` raises a FutureWarning per quantized dtype: 'Passing (type, 1) or '1type' as a synonym "
        "of type is deprecated'), protobuf<3.20 (matrix/running/environment.py)",
        OLD_ERAS),
    Pin("1.4.0", "3.7", "numpy<1.19", "1.15.5",
        "the last release before the non-static autograd Function was removed (1.5): it warns; the "
        "0.4-1.x idioms of the tensor_autograd tutorial on a release of their own time. TensorFlow "
        "1.15.5: the last TF 1 (numpy<1.19, protobuf<3.20)",
        OLD_ERAS),
    Pin("1.8.1", "3.9", "numpy<2", "2.12.*",
        "oldest pin: 1.7.1-1.12.1 have wheels for Python <= 3.9/3.10 only, so it runs on 3.9; old "
        "enough that 0.x idioms (Variable, volatile, size_average) still only warn, new enough for the "
        "modern tutorial (1.7+). TF 2.12: the oldest tensorflow-cpu the matrix pairs (2.8-2.11 also "
        "resolve on 3.9)"),
    Pin("1.13.1", "3.11", "numpy<2", "2.12.*",
        "last 1.x and the first with Python 3.11 wheels; the 1.x behaviour the transitional tutorial "
        "copies were written against"),
    Pin("2.0.1", "3.11", "numpy<2", "2.15.*",
        "2.0: optimizer.zero_grad() defaults to set_to_none=True, torch.compile appears; "
        "TF 2.15: the last TensorFlow whose tf.keras is Keras 2 (2.16 switched to Keras 3)"),
    Pin("2.4.1", "3.11", "numpy", "2.18.*",
        "mid 2.x on NumPy 2 (torch supports NumPy 2 from 2.3; TF from 2.18); torch.load warns "
        "(FutureWarning) that weights_only will default to True"),
    Pin("2.15.0", "3.11", "numpy", "2.21.*",
        "newest release: weights_only=True default (2.6+), current deprecations and removals"),
)
DEVICES = ("cpu", "cuda")


def pin_of(torch: str) -> Pin:
    """The pin of the torch release ``torch`` ("2.4.1"); ValueError naming the pins if there is none."""
    for pin in PINS:
        if pin.torch == torch:
            return pin
    raise ValueError(f"no pin for torch {torch!r} (the pins: {', '.join(pin.torch for pin in PINS)})")


def oldest() -> Pin:
    """The oldest pin (PINS are ordered oldest first)."""
    return PINS[0]


def newest() -> Pin:
    """The newest pin: the torch the tests, the docs and the bench's size sweep run on."""
    return PINS[-1]


__all__ = ["DEVICES", "OLD_ERAS", "PINS", "Pin", "newest", "oldest", "pin_of"]
