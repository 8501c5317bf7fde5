"""``User.reachable``: whether a page can reach someone, by the rule of ``pagerline doctor``
and ``setupWarnings`` (:func:`pagerline.engine.delivery.doctor.reachable`), against this
server's own transports. Every user a request shows is checked in one batch."""

from __future__ import annotations

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from pagerline.engine.delivery import doctor
from pagerline.graphql.core.context import app_state, loaders_of


async def is_reachable(info: Info, user_id: int) -> bool | None:
    loaders = loaders_of(info)
    loader: DataLoader[int, bool | None] | None = loaders.__dict__.get("_reachable")
    if loader is None:
        loader = loaders.__dict__["_reachable"] = DataLoader(load_fn=lambda ids: _check(info, ids))
    return await loader.load(user_id)


async def _check(info: Info, user_ids: list[int]) -> list[bool | None]:
    runtime = getattr(app_state(info), "runtime", None)
    if runtime is not None:
        found = await doctor.reachable(user_ids, runtime.transports)
    else:
        # An app served without its lifespan (tests driving it in-process): built for the check.
        transports, _ = doctor.transports_of(app_state(info).settings)
        try:
            found = await doctor.reachable(user_ids, transports)
        finally:
            await transports.close()
    return [found.get(user_id) for user_id in user_ids]
