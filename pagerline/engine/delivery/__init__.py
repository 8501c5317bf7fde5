"""Delivery: sending outbox rows through the transports, lock-screen action tokens, answers that
come back through a provider (SMS replies, voice keypresses, delivery status), and the doctor
(who could be paged and cannot be reached).

May import: ``core``, ``notify``, ``people``, ``schedules``, ``alerts``."""
