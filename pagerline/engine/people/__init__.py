"""People: users and their sessions and tokens, roles (who may see and manage what), teams,
devices, phone numbers, and the rules a user's and a team's fields follow.

May import: ``core``, ``notify``."""
