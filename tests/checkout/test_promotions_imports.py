"""The promotions package's modules import each other one way only: no circles, even through late imports."""

import ast
from pathlib import Path

import oscar_loyalty.checkout.promotions as package

PACKAGE = package.__name__


def imports_within_package(path):
    """The package's modules that ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(f"{PACKAGE}."):
            found.add(node.module.removeprefix(f"{PACKAGE}.").split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(
                alias.name.removeprefix(f"{PACKAGE}.").split(".")[0]
                for alias in node.names
                if alias.name.startswith(f"{PACKAGE}.")
            )
    return found


def circles(graph):
    """Every module from which an import path leads back to itself."""
    looping = set()
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            module = todo.pop()
            if module == start:
                looping.add(start)
                break
            if module not in seen:
                seen.add(module)
                todo.extend(graph.get(module, ()))
    return looping


def test_no_module_of_the_promotions_package_imports_one_that_imports_it_back():
    modules = {path.stem: path for path in Path(package.__file__).parent.glob("*.py") if path.stem != "__init__"}
    graph = {name: imports_within_package(path) & modules.keys() for name, path in modules.items()}

    assert "services" in graph["applicator"]  # the applicator asks the services for the offers ...
    assert circles(graph) == set()  # ... and nothing below leads back to it
