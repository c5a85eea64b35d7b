"""Option types the commands share: list options that take repeats and comma lists alike."""

from __future__ import annotations

from typing import Optional

ListOption = Optional[list[str]]


def split_list(values: ListOption) -> list[str] | None:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]``; None when the option was not given."""
    if not values:
        return None
    return [item.strip() for value in values for item in value.split(",") if item.strip()]
