"""The webhook template language: paths, functions, sections, errors with positions, limits."""

from __future__ import annotations

import pytest

from pagerline.engine.sources import templating
from pagerline.engine.sources.templating import TemplateError, compile_template

PAYLOAD = {
    "title": "Disk Full",
    "host": {"name": "db-1", "ip": "10.0.0.5"},
    "tags": ["env:prod", "team:storage"],
    "labels": {"app.kubernetes.io/name": "postgres", "severity": "critical"},
    "events": [{"id": 1, "msg": "90%"}, {"id": 2, "msg": "95%"}],
    "count": 0,
    "ok": False,
    "meta": {"a": 1, "b": [1, 2]},
}


def render(source: str, payload: object = PAYLOAD) -> str:
    return compile_template(source).render(payload)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ title }}", "Disk Full"),
        ("{{title}} on {{ host.name }}", "Disk Full on db-1"),
        ("{{ tags.1 }}|{{ tags[0] }}|{{ tags[-1] }}", "team:storage|env:prod|team:storage"),
        ('{{ labels["app.kubernetes.io/name"] }}', "postgres"),
        ("{{ events.1.msg }}", "95%"),
        ("[{{ missing }}][{{ host.missing.deeper }}][{{ tags.9 }}]", "[][][]"),
        ("{{ count }} {{ ok }}", "0 false"),
        ("{{ meta }}", '{"a":1,"b":[1,2]}'),
        ("{{ title | lower }}/{{ title | upper }}", "disk full/DISK FULL"),
        ("{{ title | substring(0, 4) }}|{{ title | substring(5) }}|{{ title | substring(-4, 2) }}", "Disk|Full|Fu"),
        ("{{ tags | join }}", "env:prod, team:storage"),
        ('{{ tags | join(" + ") | upper }}', "ENV:PROD + TEAM:STORAGE"),
        ('{{ missing | default("n/a") }}', "n/a"),
        ("{{ missing | default(host.name) }}", "db-1"),
        ('{{ title | default("x") }}', "Disk Full"),
        ("{{ host | json }}", '{"name":"db-1","ip":"10.0.0.5"}'),
        ('{{ "  padded " | trim }}', "padded"),
        ('{{ "{{" }} literal {{ "}}" }}', "{{ literal }}"),
        ("{{ 42 }}", "42"),
        ("plain text, no tags", "plain text, no tags"),
    ],
)
def test_values_and_functions(source: str, expected: str) -> None:
    assert render(source) == expected


def test_each_over_lists_and_objects_with_scopes() -> None:
    assert render("{{#each events}}#{{ id }}={{ msg }} {{/each}}") == "#1=90% #2=95% "
    assert render("{{#each tags}}{{ @index }}:{{ this }};{{/each}}") == "0:env:prod;1:team:storage;"
    # Outer names are visible inside a section; @root reaches the payload.
    assert render("{{#each events}}{{ host.name }}/{{ @root.title | lower }} {{/each}}") == "db-1/disk full db-1/disk full "
    assert render("{{#each labels}}{{ @key }}={{ this }},{{/each}}") == "app.kubernetes.io/name=postgres,severity=critical,"
    assert render("{{#each missing}}never{{/each}}done") == "done"
    assert render("{{#each events}}{{#each tags}}{{ this }}{{/each}}|{{/each}}") == "env:prodteam:storage|env:prodteam:storage|"


def test_if_else_and_eq() -> None:
    source = '{{#if action | eq("resolved")}}RESOLVE{{else}}ALERT{{/if}}'
    assert render(source, {"action": "resolved"}) == "RESOLVE"
    assert render(source, {"action": "triggered"}) == "ALERT"
    assert render("{{#if count}}yes{{else}}no{{/if}}{{#if tags}}+{{/if}}{{#if ok}}!{{/if}}") == "no+"
    assert render("{{#if level | eq(3)}}three{{/if}}", {"level": 3}) == "three"


@pytest.mark.parametrize(
    ("source", "line", "column", "says"),
    [
        ("Hello {{ name", 1, 7, "never closed"),
        ("a\nb {{ title | shout }}", 2, 14, "unknown function 'shout'"),
        ("{{ title | substring }}", 1, 12, "substring takes 1 to 2 argument(s), got 0"),
        ("{{ title | lower(1) }}", 1, 12, "lower takes 0 argument(s)"),
        ("line1\n  {{#each items}}x", 2, 3, "'{{#each}}' is never closed"),
        ("{{#if a}}x{{/each}}", 1, 11, "does not match"),
        ("{{/if}}", 1, 1, "closes nothing"),
        ("{{else}}", 1, 1, "belongs inside one"),
        ("{{#if a}}{{else}}{{else}}{{/if}}", 1, 18, "belongs inside one"),
        ("{{#loop x}}{{/loop}}", 1, 4, "unknown section '#loop'"),
        ("{{ a b }}", 1, 6, "unexpected 'b'"),
        ('{{ "open }}', 1, 1, "never closed"),
        ("{{ }}", 1, 4, "expected a value"),
        ("{{ a.[0] }}", 1, 6, "expected a name"),
        ("{{ @nope }}", 1, 4, "unknown variable '@nope'"),
        ("{{ tags[x] }}", 1, 9, "quoted key or an index"),
        ("{{#each 'text'}}{{/each}}", 1, 1, "#each needs a path"),
    ],
)
def test_invalid_templates_are_refused_with_their_position(source: str, line: int, column: int, says: str) -> None:
    with pytest.raises(TemplateError) as caught:
        compile_template(source)
    assert (caught.value.line, caught.value.column) == (line, column), str(caught.value)
    assert says in caught.value.message
    assert str(caught.value).startswith(f"line {line}, column {column}: ")


def test_limits_bound_template_size_nesting_loops_and_output() -> None:
    with pytest.raises(TemplateError, match="longer than"):
        compile_template("x" * (templating.MAX_TEMPLATE_CHARS + 1))
    nested = "{{#if a}}" * (templating.MAX_DEPTH + 1)
    with pytest.raises(TemplateError, match="nested more than"):
        compile_template(nested)
    # A payload with a huge list renders at most MAX_ITERATIONS items.
    many = {"items": list(range(templating.MAX_ITERATIONS * 3))}
    assert render("{{#each items}}.{{/each}}", many) == "." * templating.MAX_ITERATIONS
    # Nested loops share the iteration budget.
    grid = {"rows": [list(range(100)) for _ in range(100)]}
    assert render("{{#each rows}}{{#each this}}.{{/each}}{{/each}}", grid).count(".") < templating.MAX_ITERATIONS
    # Output is cut at MAX_OUTPUT_CHARS.
    big = {"text": "y" * 50_000}
    out = render("{{ text }}{{ text }}{{ text }}", big)
    assert len(out) == templating.MAX_OUTPUT_CHARS


def test_rendering_reads_data_and_never_runs_it() -> None:
    hostile = {"__class__": "x", "title": "{{ title }}", "code": "__import__('os').system('false')"}
    assert render("{{ title }} {{ code }}", hostile) == "{{ title }} __import__('os').system('false')"
    # No attribute access on Python objects: a path into a string or a number finds nothing.
    assert render("{{ title.upper }}{{ count.real }}{{ title.__class__ }}") == ""
    # Odd payloads (not an object) render what they can.
    assert render("[{{ this }}]", "just text") == "[just text]"
    assert render("[{{ a }}]", ["a", "list"]) == "[]"
