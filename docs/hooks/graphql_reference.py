"""MkDocs hook: the GraphQL schema reference page, made from the checked-in ``schema.graphql``
at every build, so the page cannot drift from the schema the server serves (a test keeps
``schema.graphql`` equal to the code's schema).

The page lists the root operations first (queries, mutations, subscriptions), then every other
type by kind, each field with its arguments, type and description, types linked to their
sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
)

PAGE = "reference/graphql-schema.md"
SCHEMA_FILE = "schema.graphql"
ROOTS = ("Query", "Mutation", "Subscription")
KINDS: tuple[tuple[str, type], ...] = (
    ("Objects", GraphQLObjectType),
    ("Interfaces", GraphQLInterfaceType),
    ("Unions", GraphQLUnionType),
    ("Input objects", GraphQLInputObjectType),
    ("Enums", GraphQLEnumType),
    ("Scalars", GraphQLScalarType),
)


def _anchor(name: str) -> str:
    return name.lower()


def _type_ref(type_: Any) -> str:
    """``[Alert!]!`` with the named type linked to its section (built-in scalars are not)."""
    if isinstance(type_, GraphQLNonNull):
        return _type_ref(type_.of_type) + "!"
    if isinstance(type_, GraphQLList):
        return "[" + _type_ref(type_.of_type) + "]"
    name = type_.name
    if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
        return name
    return f"[{name}](#{_anchor(name)})"


def _text(description: str | None) -> str:
    # Table cells are one line, and a pipe would end the cell.
    return " ".join((description or "").split()).replace("|", "\\|")


def _arguments(args: dict[str, GraphQLArgument]) -> str:
    if not args:
        return ""
    shown = []
    for name, arg in args.items():
        default = "" if arg.default_value is None or repr(arg.default_value) == "Undefined" else f" = {arg.default_value!r}"
        shown.append(f"`{name}`: {_type_ref(arg.type)}{default}")
    return "<br>(" + ", ".join(shown) + ")"


def _fields_table(fields: dict[str, GraphQLField] | dict[str, GraphQLInputField], with_arguments: bool) -> list[str]:
    rows = ["| field | type | description |", "| --- | --- | --- |"]
    for name, field in fields.items():
        arguments = _arguments(field.args) if with_arguments and isinstance(field, GraphQLField) else ""
        deprecated = f" **Deprecated**: {_text(field.deprecation_reason)}" if getattr(field, "deprecation_reason", None) else ""
        rows.append(f"| `{name}`{arguments} | {_type_ref(field.type)} | {_text(field.description)}{deprecated} |")
    return rows


def _section(type_: GraphQLNamedType) -> list[str]:
    lines = [f"### {type_.name}", ""]
    if type_.description:
        lines += [type_.description.strip(), ""]
    if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
        if type_.interfaces:
            lines += ["Implements " + ", ".join(_type_ref(i) for i in type_.interfaces) + ".", ""]
        lines += _fields_table(type_.fields, with_arguments=True)
    elif isinstance(type_, GraphQLInputObjectType):
        lines += _fields_table(type_.fields, with_arguments=False)
    elif isinstance(type_, GraphQLEnumType):
        lines += ["| value | description |", "| --- | --- |"]
        lines += [f"| `{name}` | {_text(value.description)} |" for name, value in type_.values.items()]
    elif isinstance(type_, GraphQLUnionType):
        lines += ["One of " + ", ".join(_type_ref(t) for t in type_.types) + "."]
    return lines + [""]


def render(schema: GraphQLSchema) -> str:
    """The whole reference page as Markdown."""
    lines = [
        "# GraphQL schema",
        "",
        "Every query, mutation, subscription and type of `POST /graphql` (and `wss://…/graphql`), made",
        "from the server's schema when this site is built. How to sign in, errors, limits and date-times:",
        "[GraphQL API](graphql.md).",
        "",
    ]
    named = {name: t for name, t in schema.type_map.items() if not name.startswith("__")}
    lines += ["## Operations", ""]
    for root in ROOTS:
        if root in named:
            lines += _section(named[root])
    builtin = {"String", "Int", "Float", "Boolean", "ID"}
    for title, kind in KINDS:
        members = sorted(n for n, t in named.items() if isinstance(t, kind) and n not in ROOTS and n not in builtin)
        if members:
            lines += [f"## {title}", ""]
            for name in members:
                lines += _section(named[name])
    return "\n".join(lines).rstrip() + "\n"


def render_file(schema_file: Path) -> str:
    return render(build_schema(schema_file.read_text(encoding="utf-8")))


def on_files(files: Any, config: Any) -> Any:
    """Adds the generated page to the site (MkDocs calls this before it checks the navigation)."""
    from mkdocs.structure.files import File

    root = Path(config["config_file_path"]).resolve().parent
    content = render_file(root / SCHEMA_FILE)
    files.append(File.generated(config, PAGE, content=content))
    return files
