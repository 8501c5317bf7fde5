"""A marker for "leave this field as it is" in update functions, where ``None`` is a real value
(for example "no team")."""

from __future__ import annotations

from enum import Enum


class Unset(Enum):
    UNSET = "UNSET"


UNSET = Unset.UNSET
