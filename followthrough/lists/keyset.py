"""Keyset paging: a page starts after (or ends before) a row, never at an OFFSET, so page
200 costs what page 1 does and a row added meanwhile does not shift the pages.

The cursor in the URL is the public id of the row at the page's edge. The view loads that
row (scoped to the business) with the same annotations and reads its sort value, so no
integer id and no sort value ever appears in a URL, and a cursor cannot be forged to
reach another business's rows. Every order ends with the id, so the order is total."""

from dataclasses import dataclass

from django.db.models import Q

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list
    first: str | None  # public id of the first row shown (the "before" cursor)
    last: str | None  # public id of the last row shown (the "after" cursor)
    has_previous: bool
    has_next: bool


def ordered(queryset, field: str, descending: bool, reverse: bool = False):
    down = descending != reverse
    sign = "-" if down else ""
    return queryset.order_by(f"{sign}{field}", f"{sign}id")


def beyond(queryset, field: str, value, pk: int, descending: bool, reverse: bool = False):
    """Rows strictly past (value, pk) in the order. The extra `field <= value` lets the
    database seek in an index on the field instead of filtering from its start."""
    down = descending != reverse
    op, edge = ("lt", "lte") if down else ("gt", "gte")
    return queryset.filter(Q(**{f"{field}__{edge}": value})
                           & (Q(**{f"{field}__{op}": value}) | Q(**{f"id__{op}": pk})))


def paginate(queryset, field: str, descending: bool, after: str = "", before: str = "",
             size: int = PAGE_SIZE) -> Page:
    """One page of `queryset` (already annotated with `field`) after or before a cursor."""
    anchor_id = after or before
    anchor = (queryset.filter(public_id=anchor_id).values(field, "id").first()
              if anchor_id else None)
    reverse = bool(before) and anchor is not None
    rows = ordered(queryset, field, descending, reverse)
    if anchor is not None:
        rows = beyond(rows, field, anchor[field], anchor["id"], descending, reverse)
    # Two steps: the ids of the page, ordered on the sort value alone, then their full rows.
    # In one step the database works out every other annotation (the next touch, the
    # delta) for every matching row before it sorts them, not for the 50 it keeps.
    ids = list(rows.values_list("id", flat=True)[:size + 1])
    more = len(ids) > size
    ids = ids[:size]
    if reverse:
        ids.reverse()
    found = queryset.in_bulk(ids)
    rows = [found[pk] for pk in ids if pk in found]
    return Page(
        rows=rows,
        first=rows[0].public_id if rows else None,
        last=rows[-1].public_id if rows else None,
        has_previous=(more if reverse else anchor is not None),
        has_next=(True if reverse else more),
    )
