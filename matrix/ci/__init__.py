"""CI: the GitHub Actions workflow, generated from ``nox --list --json`` (:mod:`matrix.ci.workflow`)."""
