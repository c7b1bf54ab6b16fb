"""What every list and lookup in the API shares: the page size, keyset pagination, date
ranges, times in the business's zone and loading one object scoped to a business."""

from django.db.models import Q
from ninja import Query

from followthrough.api.errors import NotFound

MAX_PAGE = 200
Limit = Query(50, ge=1, le=MAX_PAGE)


def local(business, value):
    return value.astimezone(business.zone) if value is not None else None


def scoped(model, business, public_id: str, *related):
    """The business's object with this public id, or None. An id no object could have (too
    long, or with a NUL, which PostgreSQL cannot even compare) is simply not found."""
    if not public_id or len(public_id) > 64 or "\x00" in public_id:
        return None
    return (model.objects.select_related(*related)
            .filter(business=business, public_id=public_id).first())


def scoped_loader(model, noun: str, *related):
    """A `load(business, public_id, field="id")` for the model: the business's object, or a
    404 naming `field` ("No customer with this id.")."""

    def load(business, public_id: str, field: str = "id"):
        found = scoped(model, business, public_id, *related)
        if found is None:
            raise NotFound(field, f"No {noun} with this id.")
        return found

    return load


def keyset_after(rows, mark, field: str = "id", descending: bool = False):
    """The rows that come after `mark` in a list ordered by `field` then id (both
    descending when `descending`)."""
    op = "lt" if descending else "gt"
    if field == "id":
        return rows.filter(**{f"id__{op}": mark.id})
    value = getattr(mark, field)
    return rows.filter(Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"id__{op}": mark.id}))


def in_range(rows, field: str, after=None, before=None, inclusive: bool = False):
    """The rows with `field` from `after` (inclusive) up to `before` (exclusive, or
    inclusive when `inclusive`); a bound that is None is left open."""
    if after is not None:
        rows = rows.filter(**{f"{field}__gte": after})
    if before is not None:
        rows = rows.filter(**{f"{field}__{'lte' if inclusive else 'lt'}": before})
    return rows


def cut(rows, limit: int) -> tuple[list, str | None]:
    """One page of rows and the public id to pass as `after` for the next (None at the end)."""
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, (page[-1].public_id if more else None)


def page_of(rows, limit: int, out) -> dict:
    page, following = cut(rows, limit)
    return {"items": [out(row) for row in page], "next": following}
