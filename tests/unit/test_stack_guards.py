"""Fails loudly if a private library detail we rely on disappears (see STACK_NOTES.md)."""

from __future__ import annotations


def test_tortoise_executor_cache_is_still_a_dict() -> None:
    from tortoise.backends.base import executor

    assert isinstance(executor.EXECUTOR_CACHE, dict)


def test_dramatiq_event_loop_hook_exists() -> None:
    from dramatiq import asyncio as dramatiq_asyncio

    assert callable(dramatiq_asyncio.set_event_loop_thread)
    assert callable(dramatiq_asyncio.get_event_loop_thread)
