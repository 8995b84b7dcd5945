"""The command line every variant shares: imported by the legacy ones, inlined in the others.

The tutorial's scripts take no arguments; ours take four, so that the matrix can run them short,
seeded and on either device without editing them:

    --steps N       training steps (default: the tutorial's count)
    --seed S        seeds Python's ``random``, NumPy and torch (same seed, same torch: same numbers)
    --device D      ``cpu`` or ``cuda``
    --log-every K   print ``step loss`` every K steps, as ``if t % K == K - 1`` (default: the tutorial's)

``--device cuda`` where there is no CUDA device ends the script before any work with one line on
stderr and exit status 69 (``EX_UNAVAILABLE``), so a caller can tell "this machine can't" from a bad
argument (argparse's usage error, status 2) and from a failure (status 1).

The tensor_autograd and modern variants repeat these few lines inline instead of importing them, so
that each stays a file a person can copy on its own (``tests/test_standalone.py`` runs such copies);
``tests/test_flags.py`` holds both forms to the same behaviour, and the inline copies seed the
generators their script draws from with the same calls as ``_seed_everything``, so the numbers are
the same.
"""
from __future__ import annotations

import argparse
import random
import sys

#: Exit status for "this machine has no such device" (sysexits.h EX_UNAVAILABLE).
EXIT_UNAVAILABLE = 69


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def tutorial_flags(steps: int, log_every: int, backend: str = "torch") -> argparse.Namespace:
    """Parse the shared flags, refuse an unavailable device, and seed every generator in use.

    ``backend`` names what the script computes with, which decides what ``--device cuda`` needs:
    ``torch`` (``torch.cuda.is_available()``), ``numpy`` (never: NumPy runs on the CPU only) or
    ``tensorflow`` (a GPU in ``tf.config.list_physical_devices``). torch is seeded only when the
    script has imported it, so the NumPy warm-up never pays for importing torch.
    """
    main = sys.modules.get("__main__")
    parser = argparse.ArgumentParser(description=(getattr(main, "__doc__", None) or "").strip() or None)
    parser.add_argument("--steps", type=positive_int, default=steps, help=f"training steps (default {steps})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to compute (default cpu)")
    parser.add_argument("--log-every", type=positive_int, default=log_every,
                        help=f"print the loss every K steps (default {log_every})")
    args = parser.parse_args()
    if args.device == "cuda":
        missing = _why_no_cuda(backend)
        if missing:
            parser.exit(EXIT_UNAVAILABLE, f"{parser.prog}: error: --device cuda: {missing}\n")
    _seed_everything(args.seed)
    return args


def _why_no_cuda(backend: str) -> str | None:
    if backend == "numpy":
        return "NumPy has no CUDA device; this example runs on the CPU only"
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return None
        return f"TensorFlow {tf.__version__} sees no GPU (tf.config.list_physical_devices('GPU') is empty)"
    import torch

    if torch.cuda.is_available():
        return None
    return f"torch {torch.__version__} sees no CUDA device (torch.cuda.is_available() is False)"


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    try:
        import numpy as np
    except ImportError:  # a torch-only environment: nothing to seed
        pass
    else:
        np.random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)  # also seeds every CUDA device
