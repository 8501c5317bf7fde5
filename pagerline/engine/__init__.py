"""All behaviour lives here, once. Adapters (REST, GraphQL, workers, push actions) call these
functions and pass ``now``; nothing in the engine reads the wall clock.

The engine is grouped by domain. Each package says in its ``__init__`` what it owns; a package may
import only the packages below it in this order (``tests/unit/test_import_boundaries.py`` fails on any
other import, lazy ones inside functions included, and on any import cycle):

1. ``core``: what every domain shares: errors, effects after commit, metrics, SQL helpers, the
   input rule, the alert timeline writer.
2. ``notify``: turning "page these people" into outbox rows: planning, wording, notification
   rules, muting, storm protection. It reads people's rows but no people code.
3. ``people``: users, teams, roles, sessions and tokens, devices, phones (a new user gets the
   default notification rules of ``notify``).
4. ``schedules``: the pure schedule math and everything built on it: on-call, on-call changes,
   coverage, reminders, calendar feeds.
5. ``alerts``: alert transitions, escalation (which pages whoever is on call), search, outbound
   alert actions, escalation policies.
6. ``delivery``: sending outbox rows through the transports and what comes back: lock-screen
   action tokens, SMS and voice replies, provider status, the reachability doctor.
7. ``sources``: where events come in: the intake, source policies, event filters, webhook
   templates, support hours, heartbeats, deployments, and their timed jobs.
8. ``chat``: alerts posted to chat channels and kept in step, and what a button pressed or a
   command typed in a channel does.

Above them all, :mod:`pagerline.engine.sweeper` runs every domain's timed work. The engine imports
no adapter (``api``, ``graphql``, ``workers``, ``widgets``, ``cli``, ``chat``)."""


# The domain packages, lowest first: each may import only those before it.
DOMAINS: tuple[str, ...] = ("core", "notify", "people", "schedules", "alerts", "delivery", "sources", "chat")
