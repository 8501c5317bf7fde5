"""Reachability over GraphQL: the viewer's devices, phone, muting and update pushes (``me``), and
the admins' setup warnings.

May import: ``core``, ``people``, ``schedules``, ``sources``, ``alerts``."""
