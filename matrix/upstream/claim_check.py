"""Three catalog claims that issue 19 found wrong or unsupported, checked on the torch it runs with.

    <venv>/bin/python matrix/upstream/claim_check.py     # prints one line: RESULT {json}

A script run by hand with the Python of a throwaway venv that holds one torch release (standard
library, torch and NumPy only; Python 3.7 syntax), so it is not imported by the project. It records:

- ``optimizer_zero_grad`` / ``module_zero_grad``: the signatures (zero-grad-set-to-none: which
  release first has ``set_to_none``);
- ``from_numpy``: ``torch.from_numpy(np.zeros(3)).numpy()`` works or the error (numpy2-abi);
- ``load_numpy`` / ``load_warnings``: ``torch.load`` of a file holding a NumPy array, and the warnings
  it gives (torch-load-numpy-array: the release that first warns).

The runs of 2026-12-04 are results/upstream/claims.json; each was one ``uv venv`` with its own
``UV_CACHE_DIR``, ``uv pip install torch==X numpy==Y``, this script, then the folder deleted.
"""
import inspect
import json
import os
import platform
import tempfile
import warnings

import torch


def main():
    out = {"torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine()}
    out["optimizer_zero_grad"] = str(inspect.signature(torch.optim.Optimizer.zero_grad))
    out["module_zero_grad"] = str(inspect.signature(torch.nn.Module.zero_grad))
    try:
        import numpy as np
    except ImportError as error:
        out["numpy"] = repr(error)
        return out
    out["numpy"] = np.__version__
    try:
        out["from_numpy"] = "works %r" % (torch.from_numpy(np.zeros(3)).numpy().tolist(),)
    except Exception as error:  # the failure is what is recorded
        out["from_numpy"] = "%s: %s" % (type(error).__name__, error)
    path = os.path.join(tempfile.mkdtemp(), "stats.pt")
    torch.save({"mean": np.arange(3.0)}, path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            torch.load(path)
            out["load_numpy"] = "loaded"
        except Exception as error:
            out["load_numpy"] = "%s: %s" % (type(error).__name__, str(error)[:200])
    out["load_warnings"] = ["%s: %s" % (w.category.__name__, str(w.message)[:160]) for w in caught]
    return out


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(), sort_keys=True))
