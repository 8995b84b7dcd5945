"""``python -m matrix.bench``: see :mod:`matrix.bench.run`."""
import sys

from matrix.bench.run import main

sys.exit(main())
