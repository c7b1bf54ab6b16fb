"""Request and response shapes of the v1 API.

Requests are strict: unknown fields are refused, strings are capped at the lengths of the
model fields they land in, and datetimes must carry an offset (a timezone-naive datetime is
refused rather than guessed at). Responses carry public ids only, never integer keys, and
datetimes in the business's time zone with their offset.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict, StringConstraints

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.text import has_controls
from followthrough.touchpoints.models import Status

EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def _one_line(value: str) -> str:
    # CR/LF in a name or subject would end up in email headers, CSV cells and logs, and
    # PostgreSQL cannot store NUL at all: refuse them here, as a 422 naming the field.
    if has_controls(value):
        raise ValueError("This field is one line: remove line breaks, tabs and other "
                         "control characters.")
    return value


def _prose(value: str) -> str:
    # Multi-line text (notes, an address) keeps its line breaks, but nothing else invisible.
    if has_controls(value, multiline=True):
        raise ValueError("Remove the control characters (such as NUL) from this text.")
    return value


def _in_range(value: dt.datetime) -> dt.datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError("Use a date between the years 1900 and 2199.")
    return value


def Text(max_length: int, min_length: int = 0, multiline: bool = False):  # noqa: N802
    """A string field (it reads as a type): one line unless `multiline`."""
    return Annotated[
        str,
        StringConstraints(max_length=max_length, min_length=min_length),
        AfterValidator(_prose if multiline else _one_line),
    ]


When = Annotated[AwareDatetime, AfterValidator(_in_range)]
PublicId = Text(64, min_length=1)
ExternalId = Text(100, min_length=1)


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------------------- customers


class CustomerIn(Strict):
    """Customer fields. Only the fields you send are written, so an upsert by external_id
    can update one field without clearing the others."""

    external_id: ExternalId | None = None
    name: Text(150) = ""
    email: Text(254) = ""
    phone: Text(32) = ""
    postal_address: Text(500, multiline=True) = ""
    preferred_channel: Literal["email", "sms"] = kinds.EMAIL
    notes: Text(5000, multiline=True) = ""
    defining_moment: Text(1000, multiline=True) = ""
    tags: Text(300) = ""
    referral_code: Text(32) | None = Field(
        None, description="The referral code of the customer who sent this one. It credits "
        "the referrer and plans a thank-you to them. Not stored on this customer.")


class EngagementCustomerIn(CustomerIn):
    """Who the engagement is for: {"id": ...} for a known customer, {"external_id": ...}
    for a known customer by your id for them, or customer fields to create (or, with an
    external_id, update) one."""

    id: PublicId | None = None


class CustomerOut(Schema):
    id: str
    external_id: str | None
    name: str
    email: str
    phone: str
    postal_address: str
    preferred_channel: str
    notes: str
    defining_moment: str
    tags: str
    referral_code: str | None = Field(description="This customer's own code to pass on; "
                                      "null until one is made.")
    referred_by: str | None = Field(description="The id of the customer who referred them.")
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerPage(Schema):
    items: list[CustomerOut]
    next: str | None = Field(
        None, description="Pass as `after` to get the next page; null on the last page."
    )


# --------------------------------------------------------------------------- touchpoints

TouchpointStatus = Literal[
    Status.PLANNED, Status.SENDING, Status.SENT, Status.DONE, Status.SKIPPED, Status.MISSED,
    Status.FAILED, Status.CANCELLED,
]


class TouchpointOut(Schema):
    id: str
    step: str = Field(description="The name of the playbook step this touchpoint carries out.")
    channel: str
    stage: int
    element: str
    purpose: str
    status: str
    due_at: dt.datetime = Field(description="ISO 8601 in the business's time zone, with offset.")
    local_date: dt.date
    local_time: dt.time
    moved_reason: str = Field(description="Why it moved or did not happen, in words.")
    reason_code: str = Field(description="The same as a stable code (for example "
                             "`frequency_cap`, `no_consent`, `outside_window`), or empty.")
    origin: str = Field(description="What made it: `playbook_step`, `maintenance`, `visit`, "
                        "`incident_recovery`, `follow_up`, `news`, `referral` or `manual`.")
    engagement: str | None = Field(description="null for a touch about the customer rather "
                                   "than a job (a reply to someone with no sale yet).")
    customer: str


class TouchpointPage(Schema):
    items: list[TouchpointOut]
    next: str | None = Field(
        None, description="Pass as `after` to get the next page; null on the last page."
    )


# --------------------------------------------------------------------------- engagements

Event = Literal[v.WON, v.STARTED, v.DELIVERED, v.CLOSED, v.CANCELLED]
Money = Annotated[Decimal, Field(max_digits=12, decimal_places=2, ge=0, allow_inf_nan=False)]


class EngagementIn(Strict):
    customer: EngagementCustomerIn
    playbook: Text(60, min_length=1) = Field(description="The slug of one of your playbooks.")
    external_id: ExternalId | None = Field(
        None, description="Your id for it. Sending the same one again returns the existing "
        "engagement (200) instead of creating a second one.",
    )
    kind: Text(60) = ""
    description: Text(300) = ""
    value: Money | None = None
    won_at: When
    started_at: When | None = None
    delivered_at: When | None = None


class EventIn(Strict):
    event: Event
    at: When


class EngagementOut(Schema):
    id: str
    external_id: str | None
    customer: str
    playbook: str | None = Field(description="The playbook's slug.")
    kind: str
    description: str
    value: Decimal | None
    status: str = Field(description="won, started, delivered, closed or cancelled.")
    won_at: dt.datetime
    started_at: dt.datetime | None
    delivered_at: dt.datetime | None
    closed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    created_at: dt.datetime
    touchpoints: list[TouchpointOut]


class EngagementPage(Schema):
    items: list[EngagementOut]
    next: str | None = Field(
        None, description="Pass as `after` to get the next page; null on the last page."
    )


EngagementStatus = Literal[v.WON, v.STARTED, v.DELIVERED, v.CLOSED, v.CANCELLED]


# ----------------------------------------------------------------------------- playbooks


class StepOut(Schema):
    id: str
    position: int
    name: str
    anchor: str = Field(description="The lifecycle event the step is anchored on.")
    offset_days: int
    offset_hours: int
    local_time: dt.time
    repeat_every_days: int | None
    repeat_until: str
    channel: str
    stage: int
    element: str
    purpose: str
    subject: str
    body: str


class PlaybookOut(Schema):
    id: str
    slug: str
    name: str
    description: str
    is_active: bool
    steps: list[StepOut]


class PlaybookPage(Schema):
    items: list[PlaybookOut]
    next: str | None = Field(
        None, description="Pass as `after` to get the next page; null on the last page."
    )


# ------------------------------------------------------------------------------ feedback


class FeedbackOut(Schema):
    id: str
    customer: str
    engagement: str
    touchpoint: str | None = Field(description="The survey touchpoint it answers, if any.")
    nps: int | None = Field(description="0-10: how likely they are to recommend you.")
    csat: int | None = Field(description="1-5: how satisfied they are.")
    went_well: str
    improve: str
    anything_else: str
    quote_as: str = Field(description="'' (do not quote), full, initials or anonymous.")
    testimonial_status: str = Field(description="pending, approved or declined.")
    created_at: dt.datetime
    updated_at: dt.datetime


class FeedbackPage(Schema):
    items: list[FeedbackOut]
    next: str | None = Field(
        None, description="Pass as `after` to get the next page; null on the last page."
    )


# ----------------------------------------------------------------------------- incidents

IncidentReason = Literal["nps", "csat", "complaint"]


class IncidentOut(Schema):
    id: str
    customer: str
    feedback: str | None = Field(description="The survey response that opened it, if any.")
    reason: str = Field(description="nps, csat or complaint.")
    summary: str
    is_open: bool
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution_note: str


class IncidentPage(Schema):
    items: list[IncidentOut]
    next: str | None = Field(
        None, description="Pass as `after` to get the next page; null on the last page."
    )


class ResolveIn(Strict):
    note: Text(2000, min_length=1, multiline=True) = Field(
        description="What you did to put it right.")


# ------------------------------------------------------------------------------ promises

PromiseStatus = Literal["open", "kept", "broken"]
Day = Annotated[dt.date, Field(ge=dt.date(1900, 1, 1), le=dt.date(2199, 12, 31))]


class PromiseIn(Strict):
    customer: PublicId = Field(description="The id of the customer you promised.")
    what: Text(300, min_length=1) = Field(description="What you promised.")
    due_on: Day = Field(description="The date you promised it by (YYYY-MM-DD).")


class KeptIn(Strict):
    pass


class BrokenIn(Strict):
    note: Text(2000, min_length=1, multiline=True) = Field(
        description="What you told the customer.")
    make_good: Text(300) = Field("", description="What you offered to make up for it.")


class PromiseOut(Schema):
    id: str
    customer: str
    what: str
    due_on: dt.date
    status: str = Field(description="open, kept or broken.")
    is_overdue: bool
    honest_note: str
    make_good: str
    resolved_at: dt.datetime | None
    created_at: dt.datetime


class PromisePage(Schema):
    items: list[PromiseOut]
    next: str | None = Field(
        None, description="Pass as `after` to get the next page; null on the last page."
    )


# --------------------------------------------------------------- personal touch outcomes


class OutcomeIn(Strict):
    note: Text(2000, multiline=True) = Field("", description="How it went, in a line.")
