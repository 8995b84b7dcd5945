"""``python -m shims verify``: prove an upgrade on the user's own script, by running it.

- :mod:`shims.verify.cli`: the command; the old side, the new side, the verdict.
- :mod:`shims.verify.envs`: one environment per torch pin, reused (as the matrix builds them).
- :mod:`shims.verify.runner` and ``child.py``: one run of a text in a pin's environment.
- :mod:`shims.verify.compare`: the numbers two runs printed, line by line.
- :mod:`shims.verify.explain` and ``restore.py``: a difference explained by restoring the old
  behaviour of a catalog entry on the new side.
"""
