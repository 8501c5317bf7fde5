"""Chat over GraphQL: the chat channels (a Slack channel) a team's or a source's alerts are
posted to, with how their posts fare.

May import: ``core``, ``people``, ``schedules``, ``sources``, ``alerts``, ``notify``, ``widget``."""
