"""A large business's first rollup build happens in the worker, a chunk per pass; until it
is done the Insights page shows every figure that needs no rollup, with the progress."""

import pytest

from followthrough import vocabulary as v
from followthrough.insights import dashboard, receivers, rollup
from followthrough.insights.models import CustomerRollup, RollupState
from followthrough.touchpoints.worker import PassReport, pass_finished
from tests.insights.factories import customer, engagement, touch

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_chunks(monkeypatch):
    """Builds of two customers a chunk, and inline builds only up to two customers, so a
    business of five is a "large" one."""
    monkeypatch.setattr(rollup, "CHUNK", 2)
    monkeypatch.setattr(dashboard, "INLINE_BUILD", 2)


@pytest.fixture
def five_customers(business):
    people = [customer(business, f"Customer {n}") for n in range(5)]
    touch(engagement(business, people[0], won=20, delivered=10), v.CHECK_IN)
    return people


def idle_pass():
    pass_finished.send(sender=None, report=PassReport())


def test_it_leaves_a_large_first_build_to_the_worker(owner_client, business, small_chunks,
                                                     five_customers):
    page = owner_client.get("/insights/").content.decode()
    assert "0 of 5 customers so far" in page
    assert "Touch-point coverage" in page  # what needs no rollup is shown now
    assert "Relationship health" not in page
    assert not CustomerRollup.objects.exists()


def test_it_builds_a_chunk_per_worker_pass(business, small_chunks, five_customers,
                                           monkeypatch):
    monkeypatch.setattr(receivers, "BUILD_SECONDS", 0)  # one chunk a pass
    idle_pass()
    assert rollup.progress(business) == {"done": 2, "total": 5, "percent": 40}
    assert not CustomerRollup.objects.filter(customer=five_customers[2]).exists()
    idle_pass()
    idle_pass()
    assert rollup.progress(business) is None
    assert CustomerRollup.objects.filter(business=business).count() == 5


def test_it_shows_the_progress_then_reloads_when_built(owner_client, business, small_chunks,
                                                       five_customers):
    headers = {"HX-Request": "true"}
    rollup.build_step(business)
    card = owner_client.get("/insights/building/", headers=headers).content.decode()
    assert "2 of 5 customers so far" in card and 'hx-trigger="every 3s"' in card
    while not rollup.build_step(business):
        pass
    done = owner_client.get("/insights/building/", headers=headers)
    assert done["HX-Refresh"] == "true"
    page = owner_client.get("/insights/").content.decode()
    assert "Relationship health" in page and "so far" not in page


def test_it_reads_changes_made_during_the_build(business, small_chunks, five_customers):
    rollup.build_step(business)  # customers 0 and 1 are built
    late = engagement(business, five_customers[0], won=5, delivered=1)
    touch(late, v.THANK_YOU)
    while not rollup.build_step(business):
        pass
    rollup.refresh(business)
    state = RollupState.objects.get(business=business)
    assert state.built_at is not None
    happened = dict(rollup.EngagementRollup.objects.filter(business=business)
                    .values_list("engagement_id", "happened"))
    assert happened[late.pk] == 1


def test_it_builds_a_small_business_on_its_first_view(owner_client, business):
    customer(business)
    page = owner_client.get("/insights/").content.decode()
    assert "Relationship health" in page
    assert CustomerRollup.objects.filter(business=business).count() == 1
