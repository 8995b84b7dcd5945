"""The records and their analysis: their keys, writing and loading them, the summary, the comparison
with the reference, the observations and curve differences the pages are made from.

Python 3.7-compatible and standard library only: :mod:`matrix.records.jsonio` runs inside a cell's
interpreter, and importing it imports this file first.
"""
