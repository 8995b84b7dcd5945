"""``shims`` with every adapter replaced by the 2017 tutorial's own code (see ../README.md).

Submodules missing here (``shims.flags``) come from the real package, found next in ``__path__``.
"""
import os as _os

__path__.append(_os.path.join(_os.path.dirname(_os.path.dirname(_os.path.dirname(_os.path.dirname(
    _os.path.abspath(__file__))))), "shims"))
