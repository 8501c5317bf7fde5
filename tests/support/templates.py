"""Webhook templates as an admin would write them for two real monitoring tools (Datadog and
Sentry), shared by the tests of the template engine and of the API that stores them; the sample
payloads they map are in tests/samples/."""

from __future__ import annotations

DATADOG = {
    "summary": "{{ alert_title }} on {{ hostname }}",
    "details": "{{ body }}\nQuery: {{ alert_query }}\nTags: {{ tags }}",
    "alertKey": "datadog-{{ alert_id }}-{{ hostname }}",
    "priority": '{{#if alert_priority | eq("P1")}}HIGH{{else}}LOW{{/if}}',
    "eventType": '{{#if alert_transition | eq("Recovered")}}RESOLVE{{else}}ALERT{{/if}}',
    "links": [{"href": "{{ link }}", "text": "Datadog event"}, {"href": "{{ snapshot }}", "text": "Snapshot"}],
}

SENTRY = {
    "summary": "[{{ data.event.level | upper }}] {{ data.event.title }}",
    "details": (
        "{{ data.event.culprit }}\nRule: {{ data.triggered_rule }}\nRelease: {{ data.event.release | default(\"unknown\") }}\n"
        "{{#each data.event.tags}}{{ this.0 }}={{ this.1 }}\n{{/each}}"
    ),
    "alertKey": "sentry-{{ data.event.issue_id }}",
    "priority": '{{#if data.event.level | eq("warning")}}LOW{{else}}HIGH{{/if}}',
    "eventType": '{{#if action | eq("resolved")}}RESOLVE{{else}}ALERT{{/if}}',
    "links": [{"href": "{{ data.event.web_url }}", "text": "Sentry issue"}],
}
