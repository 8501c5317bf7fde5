"""The engine and the GraphQL schema are grouped by domain (see the docstrings of
:mod:`pagerline.engine` and :mod:`pagerline.graphql`): a domain package imports only the packages
below it in ``DOMAINS``, the engine imports no adapter, and no module of either takes part in
an import cycle. Imports are read from the source (every ``import`` statement, including those
inside functions and under ``TYPE_CHECKING``), so a lazy import cannot hide a dependency."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import pagerline
from pagerline import engine, graphql

SOURCE = Path(pagerline.__file__).parent
ADAPTERS = ("pagerline.api", "pagerline.graphql", "pagerline.workers", "pagerline.widgets", "pagerline.cli", "pagerline.app", "pagerline.chat")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. pagerline.engine.alerts.transitions
    target: str  # the module it imports, e.g. pagerline.engine.core.sql
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = SOURCE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(path: Path) -> list[Import]:
    module = module_name(path)
    return imports_in(module, path.read_text(), package=module if path.name == "__init__.py" else module.rpartition(".")[0])


def imports_in(module: str, source: str, package: str) -> list[Import]:
    """Every import in the source, each resolved to the module it loads (``from a import b`` is
    ``a.b`` when ``b`` is a module, else ``a``)."""
    found: list[Import] = []
    for node in ast.walk(ast.parse(source, module)):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.append(Import(module, target if is_module(target) else base, node.lineno))
    return found


def all_imports(root: str) -> list[Import]:
    folder = SOURCE / root
    return [i for path in sorted(folder.rglob("*.py")) for i in imports_of(path)]


def domain_of(root: str, module: str) -> str | None:
    """The domain package a module of ``pagerline.<root>`` belongs to; None for the modules above
    every domain (the sweeper, the schema assembly) and for the root package itself."""
    parts = module.split(".")
    return parts[2] if len(parts) >= 3 and (SOURCE / root / parts[2]).is_dir() else None


def boundary_violations(root: str, domains: tuple[str, ...], imports: list[Import]) -> list[str]:
    """Imports from one domain package into another that is not below it."""
    prefix = f"pagerline.{root}."
    bad: list[str] = []
    for i in imports:
        if not i.target.startswith(prefix):
            continue
        source, target = domain_of(root, i.module), domain_of(root, i.target)
        if source is None or target is None or source == target:
            if source is not None and target is None and i.target != f"pagerline.{root}":
                bad.append(f"{i.module}:{i.line} imports {i.target}, which is above every domain")
            continue
        if domains.index(target) > domains.index(source):
            allowed = ", ".join(domains[: domains.index(source)])
            bad.append(f"{i.module}:{i.line} imports {i.target}: {source} may import " + (f"only {allowed}" if allowed else "no other domain"))
    return bad


def cycles(imports: list[Import], within: str) -> list[list[str]]:
    """Import cycles among the modules under ``within`` (Tarjan's strongly connected components)."""
    graph: dict[str, set[str]] = {}
    for i in imports:
        if i.module.startswith(within) and i.target.startswith(within) and i.target != i.module:
            graph.setdefault(i.module, set()).add(i.target)
            graph.setdefault(i.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize(("root", "domains"), [("engine", engine.DOMAINS), ("graphql", graphql.DOMAINS)])
def test_a_domain_imports_only_the_domains_below_it(root: str, domains: tuple[str, ...]) -> None:
    assert boundary_violations(root, domains, all_imports(root)) == []


@pytest.mark.parametrize(("root", "domains"), [("engine", engine.DOMAINS), ("graphql", graphql.DOMAINS)])
def test_every_package_is_a_listed_domain_that_says_what_it_owns_and_may_import(root: str, domains: tuple[str, ...]) -> None:
    packages = sorted(p.parent.name for p in (SOURCE / root).glob("*/__init__.py"))
    assert packages == sorted(domains)
    for position, name in enumerate(domains):
        doc = ast.get_docstring(ast.parse((SOURCE / root / name / "__init__.py").read_text())) or ""
        below = ", ".join(f"``{d}``" for d in domains[:position])
        assert doc.rstrip().endswith(f"May import: {below}." if below else f"May import: nothing else in {'the engine' if root == 'engine' else '``pagerline.graphql``'}."), name


def test_the_engine_imports_no_adapter() -> None:
    assert [f"{i.module}:{i.line} imports {i.target}" for i in all_imports("engine") if i.target.startswith(ADAPTERS)] == []


@pytest.mark.parametrize("root", ["engine", "graphql"])
def test_no_module_is_in_an_import_cycle(root: str) -> None:
    assert cycles(all_imports(root), f"pagerline.{root}") == []


def test_the_checks_see_lazy_imports_and_cycles() -> None:
    """The helpers themselves: an import inside a function counts, and a two-module cycle is found."""
    source = "def later() -> None:\n    from pagerline.engine.alerts.escalation import tick\n"
    lazy = imports_in("pagerline.engine.core.sql", source, package="pagerline.engine.core")
    assert lazy == [Import("pagerline.engine.core.sql", "pagerline.engine.alerts.escalation", 2)]
    assert boundary_violations("engine", engine.DOMAINS, lazy) == [
        "pagerline.engine.core.sql:2 imports pagerline.engine.alerts.escalation: core may import no other domain",
    ]
    loop = [Import("pagerline.graphql.a", "pagerline.graphql.b", 1), Import("pagerline.graphql.b", "pagerline.graphql.a", 1)]
    assert cycles(loop, "pagerline.graphql") == [["pagerline.graphql.a", "pagerline.graphql.b"]]
