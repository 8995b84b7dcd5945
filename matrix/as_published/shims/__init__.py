"""``shims`` with every adapter replaced by the 2017 tutorial's own code (see ../README.md).

``shims.flags`` is the real command line, which flags.py here loads from shims/flags.py.
"""
