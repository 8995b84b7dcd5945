"""The facts: the catalog of changes, the expected failures, the torch pins, the catalog's snippets.

The data files stay at the package's top (matrix/catalog.toml, matrix/expected.toml); the modules here
read them.
"""
