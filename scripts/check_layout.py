#!/usr/bin/env python3
"""Check the package's layout: no import circle, no module over MAX_LINES, no private name used across modules.

    scripts/check_layout.py            # prints each problem, exits 1 if there is any
    scripts/check_layout.py --graph    # also prints every module's imports of the package

It reads the source (ast), so it sees every import: at the top of a module and inside functions alike, since a
circle closed by a function-level import is still a circle. A private name is `_name`: imported from another
module of the package, or read as an attribute (`store._train`) when that name is defined only in another module.
Third-party privates (the embedder's internals, pinned in pyproject.toml) are not this check's business.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "search"
IMPORT_NAME = "podquote"  # what search/ installs as (pyproject.toml's package-dir)
MAX_LINES = 350
# Modules that read the USE embedder's own internals on purpose (the version is pinned in pyproject.toml): their
# attribute reads are of a third-party object, whose private names may collide with ours.
THIRD_PARTY_READERS = {"podquote.embedders.use_cache", "podquote.embedders.use_tokenizer_cache"}


def modules(root: Path, package: str | None = None) -> dict[str, Path]:
    """Module name -> file, the names under `package` (default: the folder's own name)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = (package or root.name, *path.relative_to(root).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported(name: str, path: Path, node: ast.AST, known: dict[str, Path]) -> list[tuple[str, str | None]]:
    """(module, imported name or None) for one import statement, relative imports resolved."""
    if isinstance(node, ast.Import):
        return [(alias.name, None) for alias in node.names]
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    if node.level:
        base = base[:len(base) - node.level + 1]
    target = ".".join([*base, node.module] if node.level and node.module else base if node.level else [node.module])
    return [(f"{target}.{a.name}" if f"{target}.{a.name}" in known else target, a.name) for a in node.names]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def defined_privates(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def check(root: Path, package: str | None = None) -> tuple[list[str], dict[str, set[str]]]:
    known = modules(root, package)
    trees = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in known.items()}
    own = {name: defined_privates(tree) for name, tree in trees.items()}
    owners = defaultdict(set)
    for name, privates in own.items():
        for private in privates:
            owners[private].add(name)
    graph: dict[str, set[str]] = {name: set() for name in known}
    problems = []
    for name, tree in trees.items():
        lines = len(known[name].read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            problems.append(f"{known[name]}: {lines} lines (at most {MAX_LINES})")
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target, symbol in imported(name, known[name], node, known):
                    if target in known and target != name:
                        graph[name].add(target)
                        if symbol and symbol.startswith("_") and not symbol.startswith("__"):
                            problems.append(f"{known[name]}:{node.lineno}: imports {symbol} from {target}")
            elif (isinstance(node, ast.Attribute) and node.attr in owners and name not in owners[node.attr]
                  and name not in THIRD_PARTY_READERS
                  and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
                  and not (isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "super")):
                problems.append(f"{known[name]}:{node.lineno}: reads {node.attr}, private to "
                                f"{', '.join(sorted(owners[node.attr]))}")
    for circle in cycles(graph):
        problems.append("import circle: " + " -> ".join(circle))
    return problems, graph


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=PACKAGE, help="the package folder (default: search/)")
    parser.add_argument("--graph", action="store_true", help="print each module's imports of the package")
    args = parser.parse_args(argv)
    problems, graph = check(args.root, IMPORT_NAME if args.root == PACKAGE else None)
    if args.graph:
        for name in sorted(graph):
            print(f"{name}: {', '.join(sorted(graph[name])) or '-'}")
    for problem in problems:
        print(problem)
    print(f"{len(graph)} modules, {sum(map(len, graph.values()))} imports between them, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
