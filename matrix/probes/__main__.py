"""``python -m matrix.probes``: see :mod:`matrix.probes`."""
import sys

from matrix.probes import main

sys.exit(main())
