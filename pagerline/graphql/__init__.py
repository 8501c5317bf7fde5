"""The Strawberry GraphQL schema. Resolvers are thin: authorize, call the engine, shape.

Grouped like the engine. A package may import only the packages below it in this order
(``tests/unit/test_import_boundaries.py`` fails on any other import, and on any import cycle):

1. ``core``: context, errors, scalars, arguments, permissions, loaders, the shared ``Node`` and
   ``Priority`` types, input checks, bus reading, outage handling, execution, the ASGI view.
2. ``people``: users, teams, notification rules, tokens.
3. ``schedules``: schedules, on-call, overrides, coverage requests and their subscription.
4. ``sources``: alert sources, escalation policies (the routing of a source), source policies.
5. ``alerts``: the alert type and its parts (responders, notifications, links, images, labels).
6. ``notify``: the viewer's own reachability (``me``) and the admins' setup warnings.
7. ``widget``: the widget feed, widget tokens, on-call change events.
8. ``chat``: the chat channels a team's or a source's alerts are posted to.

Above them all, :mod:`pagerline.graphql.schema` assembles queries, mutations and subscriptions,
and :mod:`pagerline.graphql.node` fetches any node by its global id."""


# The domain packages, lowest first: each may import only those before it.
DOMAINS: tuple[str, ...] = ("core", "people", "schedules", "sources", "alerts", "notify", "widget", "chat")
