"""Alert sources as the intake sees them: found by integration key, cached briefly.

The intake looks a source up on every event (1,000+ per second in a storm), so each process
keeps what it found for a few seconds. Rotating a key clears this process's cache at once;
other processes notice within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pagerline.models import AlertSource, IntegrationType, Priority
from pagerline.security import digest, digests_match, new_secret

CACHE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class SourceInfo:
    id: int
    name: str
    integration_type: IntegrationType
    policy_id: int
    default_priority: Priority
    team_id: int | None
    key_hash: str


_cache: dict[str, tuple[float, SourceInfo | None]] = {}


def clear_cache() -> None:
    _cache.clear()


def _info(source: AlertSource) -> SourceInfo:
    return SourceInfo(
        id=source.id,
        name=source.name,
        integration_type=source.integration_type,
        policy_id=source.escalation_policy_id,  # type: ignore[attr-defined]
        default_priority=source.default_priority,
        team_id=source.team_id,  # type: ignore[attr-defined]
        key_hash=source.integration_key_hash,
    )


async def find_source_by_key(integration_key: str) -> SourceInfo | None:
    key_hash = digest(integration_key)
    hit = _cache.get(key_hash)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    source = await AlertSource.get_or_none(integration_key_hash=key_hash)
    info = _info(source) if source is not None and digests_match(source.integration_key_hash, key_hash) else None
    if len(_cache) > 10_000:
        _cache.clear()
    _cache[key_hash] = (now + CACHE_SECONDS, info)
    return info


async def load_source_info(source_id: int) -> SourceInfo | None:
    """The intake's view of a source found by id (heartbeats, jobs), not by its key."""
    source = await AlertSource.get_or_none(id=source_id)
    return _info(source) if source is not None else None


def new_integration_key() -> str:
    return new_secret("il", 24)


async def create_source(
    name: str,
    policy_id: int,
    integration_type: IntegrationType = IntegrationType.API,
    default_priority: Priority = Priority.HIGH,
    team_id: int | None = None,
) -> tuple[AlertSource, str]:
    """Returns the source and its integration key (shown once; only its digest is stored)."""
    key = new_integration_key()
    source = await AlertSource.create(
        name=name,
        integration_type=integration_type,
        integration_key_hash=digest(key),
        integration_key_prefix=key[:8],
        escalation_policy_id=policy_id,
        default_priority=default_priority,
        team_id=team_id,
    )
    return source, key


async def rotate_integration_key(source: AlertSource) -> str:
    key = new_integration_key()
    source.integration_key_hash = digest(key)
    source.integration_key_prefix = key[:8]
    await source.save(update_fields=["integration_key_hash", "integration_key_prefix"])
    clear_cache()
    return key
