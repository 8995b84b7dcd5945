

def test_the_sweep_is_python_37_and_imports_only_the_standard_library_and_torch():
    """sweep.py runs inside every pin's interpreter, torch 1.0.1's Python 3.7 included, as a file."""
    import ast

    tree = ast.parse((ROOT / "matrix" / "bench" / "sweep.py").read_text(encoding="utf-8"), feature_version=(3, 7))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or top == "torch", f"sweep.py imports {name}"
