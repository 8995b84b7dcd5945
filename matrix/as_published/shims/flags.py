"""``shims.flags``: the real one, shims/flags.py, loaded from its file under this name.

The command line is not an idiom of any era (../README.md), so the as-published run parses the same
flags as the shimmed one. This module puts the real module in its place in ``sys.modules`` (its
``__file__`` is shims/flags.py) and runs it: ``from shims.flags import tutorial_flags`` gets it.
"""
import importlib.util
import os
import sys

#: the project's root: this file is matrix/as_published/shims/flags.py
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
_spec = importlib.util.spec_from_file_location(__name__, os.path.join(_ROOT, "shims", "flags.py"))
_real = importlib.util.module_from_spec(_spec)
sys.modules[__name__] = _real  # what the import statement returns, once this module has run
_spec.loader.exec_module(_real)
