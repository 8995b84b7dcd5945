"""The `shims` console script (pyproject.toml's [project.scripts]) and the pre-commit hook that calls it
(.pre-commit-hooks.yaml): the entry point resolves to a callable returning the exit status, the hook's
entry is that command with an option the parser has, and every package of the project is installed."""
from __future__ import annotations

import importlib
import shlex

import pytest

from conftest import ROOT

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = pytest.importorskip("tomli")

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_shims_console_script_resolves_to_main():
    target = PYPROJECT["project"]["scripts"]["shims"]
    module, _, attr = target.partition(":")
    main = getattr(importlib.import_module(module), attr)
    assert callable(main)
    assert main(["--help"]) == 0  # an int: the console script's wrapper does sys.exit(main())


def test_every_package_is_installed():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for top in ("shims", "matrix")
             for p in (ROOT / top).rglob("__init__.py") if "as_published" not in p.parts}
    assert found <= listed, f"pyproject.toml [tool.setuptools] packages lacks {sorted(found - listed)}"
    assert "shims.upgrade" in listed


def test_the_pre_commit_hook_calls_the_console_script_with_check():
    yaml = pytest.importorskip("yaml")
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "shims-upgrade"]
    command, subcommand, *options = shlex.split(hook["entry"])
    assert command in PYPROJECT["project"]["scripts"] and subcommand == "upgrade"
    assert options == ["--check"]
    assert hook["language"] == "python" and set(hook["types_or"]) == {"python", "jupyter"}
    # LibCST: what the upgrade group pins
    assert hook["additional_dependencies"] == PYPROJECT["dependency-groups"]["upgrade"]
    pytest.importorskip("libcst")
    from shims.upgrade.cli import _parser

    args = _parser().parse_args([*options, "train.py"])
    assert args.check and not args.write
