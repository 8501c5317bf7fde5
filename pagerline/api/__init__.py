"""Starlette routes for what is not GraphQL: event intake, callbacks, feeds, health."""
