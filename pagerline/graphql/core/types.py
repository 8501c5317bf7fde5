"""Types every domain's types build on: the ``Node`` interface and the ``Priority`` enum."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class Priority(Enum):
    HIGH = "HIGH"
    LOW = "LOW"


@strawberry.interface(description="An object node(id:) can fetch again by its globalId.")
class Node:
    id: strawberry.ID

    @strawberry.field(description='"<Type>:<id>", e.g. "Alert:12": what node(id:) takes.')
    def global_id(self) -> strawberry.ID:
        return strawberry.ID(f"{type(self).__name__}:{self.id}")
