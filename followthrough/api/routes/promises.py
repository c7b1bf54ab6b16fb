from django.core.exceptions import ValidationError
from ninja import Router, Status

from followthrough.agenda import services as agenda_services
from followthrough.agenda.models import Promise
from followthrough.api import errors
from followthrough.api.auth import business_of
from followthrough.api.errors import ApiError, FieldErrors
from followthrough.api.lists import Limit, in_range, keyset_after, local, page_of
from followthrough.api.loaders import load_customer, load_promise, of_customer
from followthrough.api.schemas import (
    BrokenIn,
    Day,
    KeptIn,
    PromiseIn,
    PromiseOut,
    PromisePage,
    PromiseStatus,
    PublicId,
)

router = Router(tags=["promises"])


def promise_out(promise: Promise, business, today) -> dict:
    return {
        "id": promise.public_id,
        "customer": promise.customer.public_id,
        "what": promise.what,
        "due_on": promise.due_on,
        "status": promise.status,
        "is_overdue": promise.status == Promise.OPEN and promise.due_on < today,
        "honest_note": promise.honest_note,
        "make_good": promise.make_good,
        "resolved_at": local(business, promise.resolved_at),
        "created_at": local(business, promise.created_at),
    }


def _promise_answer(business, public_id: str) -> dict:
    return promise_out(load_promise(business, public_id), business,
                       agenda_services.local_today(business))


@router.post("", response={201: PromiseOut}, summary="Create")
def create_promise(request, payload: PromiseIn):
    """Notes a promise you made to a customer: `what` you promised, by `due_on`. It shows
    on Today before the day, and `promise.overdue` fires if the day passes while it is
    open."""
    business = business_of(request)
    customer = load_customer(business, payload.customer, "customer")
    try:
        promise = agenda_services.make_promise(business, customer, None, payload.what,
                                               payload.due_on)
    except ValidationError as exc:
        raise FieldErrors(exc) from None
    return Status(201, _promise_answer(business, promise.public_id))


@router.get("", response=PromisePage, summary="List")
def list_promises(
    request,
    status: PromiseStatus | None = None,
    customer: PublicId | None = None,
    overdue: bool | None = None,
    due_after: Day | None = None,
    due_before: Day | None = None,
    limit: int = Limit,
    after: PublicId | None = None,
):
    """Promises by due date, earliest first. Filter by `status` (open, kept or broken),
    `customer`, `overdue` (open and past its day) and `due_after`/`due_before` (dates,
    inclusive)."""
    business = business_of(request)
    today = agenda_services.local_today(business)
    rows = (Promise.objects.filter(business=business).select_related("customer")
            .order_by("due_on", "id"))
    if status is not None:
        rows = rows.filter(status=status)
    rows = of_customer(rows, business, customer)
    if overdue is True:
        rows = rows.filter(status=Promise.OPEN, due_on__lt=today)
    elif overdue is False:
        rows = rows.exclude(status=Promise.OPEN, due_on__lt=today)
    rows = in_range(rows, "due_on", due_after, due_before, inclusive=True)
    if after is not None:
        rows = keyset_after(rows, load_promise(business, after, "after"), "due_on")
    return page_of(rows, limit, lambda p: promise_out(p, business, today))


@router.get("/{id}", response=PromiseOut, summary="Get")
def get_promise(request, id: str):  # noqa: A002
    return _promise_answer(business_of(request), id)


@router.post("/{id}/kept", response=PromiseOut, summary="Mark kept")
def promise_kept(request, id: str, payload: KeptIn):  # noqa: A002
    """You kept your word. Send an empty object, `{}`. Only an open promise can be settled."""
    business = business_of(request)
    try:
        agenda_services.keep_promise(load_promise(business, id))
    except ValidationError as exc:
        raise FieldErrors(exc) from None
    return _promise_answer(business, id)


@router.post("/{id}/broken", response=PromiseOut, summary="Mark broken")
def promise_broken(request, id: str, payload: BrokenIn):  # noqa: A002
    """The day passed or you could not do it: say what you told the customer (`note`) and,
    if you like, what you offered to make up for it (`make_good`). Only an open promise can
    be settled."""
    business = business_of(request)
    try:
        agenda_services.break_promise(load_promise(business, id), payload.note,
                                      payload.make_good)
    except ValidationError as exc:
        pairs = [("note" if field == "honest_note" else field, message)
                 for field, message in errors.django_errors(exc)]
        raise ApiError(422, *pairs[0]) from None
    return _promise_answer(business, id)
