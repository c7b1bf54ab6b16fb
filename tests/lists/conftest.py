import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.touchpoints import services
from followthrough.touchpoints.models import Touchpoint


@pytest.fixture
def playbooks(business):
    return {p.slug: p for p in install_builtin_playbooks(business)}


@pytest.fixture
def make_job(business, playbooks):
    """A sale or job planned by the real service, `days` after or before now."""

    def make(name, playbook="service-job", won_days=-10, started_days=None,
             delivered_days=None, closed_days=None, cancelled_days=None, description="Job",
             customer=None):
        now = timezone.now()

        def at(days):
            return None if days is None else now + dt.timedelta(days=days)

        customer = customer or Customer.objects.create(business=business, name=name)
        job = services.create_engagement(
            business, customer, playbooks[playbook] if playbook else None, kind="Job",
            description=description, won_at=at(won_days), started_at=at(started_days),
            delivered_at=at(delivered_days))
        if closed_days is not None or cancelled_days is not None:
            Engagement.objects.filter(pk=job.pk).update(closed_at=at(closed_days),
                                                        cancelled_at=at(cancelled_days))
            job.refresh_from_db()
        return job

    return make


def mark_happened(job, elements):
    """Seed history: these post-service elements were sent for the job."""
    Touchpoint.objects.filter(engagement=job, element__in=elements).update(status="sent")


def make_bulk(business, n, same_day=False):
    """n jobs of n customers, bulk-made (no plan): for paging and query counts. With
    `same_day` they share one won date, so only the id orders them."""
    now = timezone.now()
    tag = business.slug[:4]
    customers = Customer.objects.bulk_create(
        Customer(business=business, name=f"{tag} {i:03}") for i in range(n))
    return Engagement.objects.bulk_create(
        Engagement(business=business, customer=c, kind="Job",
                   won_at=now - dt.timedelta(days=1 if same_day else i + 1))
        for i, c in enumerate(customers))


def names(response) -> list[str]:
    """The names in the order the rows show them (each row's lead is a bold link)."""
    return re.findall(r"<strong>([^<]*)</strong></a>", response.text)


def walk_pages(client, url: str, first: str = "") -> list[list[str]]:
    """Follow "Next" from the first page (`first`: its query) to the last; the names on
    each page."""
    pages, query = [], f"?{first}" if first else ""
    while True:
        response = client.get(url + query)
        pages.append(names(response))
        found = re.search(r'href="(\?[^"]*after=[^"]*)">Next', response.text)
        if not found:
            return pages
        query = found.group(1).replace("&amp;", "&")


def queries_for_5_then_60(client, url, business) -> tuple[int, int]:
    """How many queries the list's first page takes with 5 rows, then with 60."""
    make_bulk(business, 5)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    make_bulk(business, 55)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    return len(few.captured_queries), len(many.captured_queries)
