"""Running the matrix: a nox session, its cells each in their own process, the run they belong to.

Python 3.7-compatible and standard library only: :mod:`matrix.running.trace` and :mod:`matrix.running.warm`
run inside a cell's interpreter, and importing them imports this file first.
"""
