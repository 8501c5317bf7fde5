"""The GraphQL documents the web app sends, read from its own sources (web/src/**/*.graphql).

Tests and benchmarks that measure "what the web app costs" send exactly these, so they follow
the app when its operations change. Each operation goes out with the fragments it uses, as the
app's generated typed documents carry them (the app has no document cache that would rewrite
them: see web/src/app/shell/live.ts).
"""

from __future__ import annotations

from pathlib import Path

from graphql import DocumentNode, FragmentDefinitionNode, FragmentSpreadNode, OperationDefinitionNode, parse, print_ast, visit
from graphql.language import Visitor

WEB_SOURCES = Path(__file__).resolve().parents[2] / "web" / "src"

# The names the tests and benchmarks have always used, for the operations that carry them now.
ALIASES = {"DASHBOARD": "Dashboard", "ON_CALL": "OnCallNow", "accept": "Accept"}


def _definitions(root: Path) -> tuple[dict[str, OperationDefinitionNode], dict[str, FragmentDefinitionNode]]:
    operations: dict[str, OperationDefinitionNode] = {}
    fragments: dict[str, FragmentDefinitionNode] = {}
    for path in sorted(root.rglob("*.graphql")):
        for definition in parse(path.read_text()).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                operations[definition.name.value] = definition
            elif isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
    return operations, fragments


def _spreads(node: OperationDefinitionNode | FragmentDefinitionNode) -> set[str]:
    found: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            found.add(spread.name.value)

    visit(node, Spreads())
    return found


def web_app_document(name: str, root: Path = WEB_SOURCES) -> str:
    """One operation (``"Dashboard"``, ``"OnCallNow"``, ``"Accept"``, or the old names
    ``"DASHBOARD"``, ``"ON_CALL"``, ``"accept"``) with every fragment it uses; a clear error when
    the app no longer defines it, so the caller is updated rather than silently measuring
    something else."""
    operations, fragments = _definitions(root)
    operation = operations.get(ALIASES.get(name, name))
    if operation is None:
        raise LookupError(f"the web app ({root}) no longer defines the operation {ALIASES.get(name, name)}")
    needed: dict[str, FragmentDefinitionNode] = {}
    waiting = _spreads(operation)
    while waiting:
        fragment = fragments[waiting.pop()]
        needed[fragment.name.value] = fragment
        waiting |= _spreads(fragment) - needed.keys()
    return print_ast(DocumentNode(definitions=(operation, *needed.values())))
