"""People over GraphQL: the ``User``, ``Team`` and notification rule types, managing users and
teams, signing out and managing tokens.

May import: ``core``."""
