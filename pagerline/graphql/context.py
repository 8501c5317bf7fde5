"""What every resolver gets: the viewer (or None) and fresh DataLoaders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strawberry.types import Info

if TYPE_CHECKING:
    from pagerline.engine.accounts import Viewer
    from pagerline.graphql.loaders import Loaders


def viewer_of(info: Info) -> Viewer | None:
    return info.context.get("viewer")  # type: ignore[no-any-return]


def loaders_of(info: Info) -> Loaders:
    from pagerline.graphql.loaders import Loaders

    loaders = info.context.get("loaders")
    if loaders is None:
        loaders = info.context["loaders"] = Loaders()
    return loaders  # type: ignore[no-any-return]


def app_state(info: Info) -> Any:
    return info.context["request"].app.state
