"""lakeFS's pagination: ``amount`` (default 100, at most 1000), exclusive ``after``, and a
``pagination`` object whose ``next_offset`` is the last key returned when there is more."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .errors import bad_request

T = TypeVar("T")

DEFAULT_AMOUNT = 100
MAX_AMOUNT = 1000


def amount_of(raw: str | None, page_limit: int) -> int:
    """The page size a request asks for, validated as lakeFS's API spec does (-1..1000)."""
    if raw is None or raw == "":
        amount = DEFAULT_AMOUNT
    else:
        try:
            amount = int(raw)
        except ValueError:
            raise bad_request(
                f'parameter "amount" in query has an error: value {raw}: an invalid integer'
            ) from None
        if amount > MAX_AMOUNT:
            raise bad_request('parameter "amount" in query has an error: number must be at most 1000')
        if amount < -1:
            raise bad_request('parameter "amount" in query has an error: number must be at least -1')
        if amount <= 0:
            amount = DEFAULT_AMOUNT
    # A server may return fewer than asked (page_limit lets tests force many small pages).
    return min(amount, page_limit)


def page(items: Iterable[T], amount: int, key: Callable[[T], str]) -> tuple[list[T], dict[str, Any]]:
    """The first ``amount`` items and lakeFS's pagination object; ``items`` should hold at
    least one more than ``amount`` when there is more (so has_more is exact)."""
    taken = list(itertools.islice(items, amount + 1))
    has_more = len(taken) > amount
    results = taken[:amount]
    return results, {
        "has_more": has_more,
        "next_offset": key(results[-1]) if has_more and results else "",
        "results": len(results),
        "max_per_page": MAX_AMOUNT,
    }


def after_filter(items: Iterable[T], after: str, key: Callable[[T], str]) -> Iterable[T]:
    """Items strictly after ``after`` (for store listings that take no ``after`` themselves)."""
    return (item for item in items if key(item) > after) if after else items
