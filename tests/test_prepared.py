"""Prepared queries give exactly what their queryset gives, bind new values every call, and
refuse an argument they would silently ignore. Runs on SQLite and on PostgreSQL."""

import datetime as dt

import pytest
from django.db.models import Count, Q
from django.test import TestCase
from django.utils import timezone

from followthrough import prepared
from followthrough.agenda.models import Promise
from followthrough.customers.models import Customer, Engagement
from followthrough.prepared import Prepared
from followthrough.tenants.models import Business


def _jobs(business, since, customers):
    return (Engagement.objects.filter(business_id=business, won_at__gte=since)
            .filter(Q(customer_id__in=customers) | Q(description__startswith="urgent"))
            .select_related("customer").only("won_at", "description", "customer__name")
            .order_by("won_at", "id"))


JOBS = Prepared(_jobs, business=int, since=dt.datetime, customers=[int])


class PreparedTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        now = timezone.now()
        cls.now = now
        cls.business = Business.objects.create(slug="prep", name="Prep", timezone="UTC")
        cls.other = Business.objects.create(slug="prep-other", name="Other", timezone="UTC")
        cls.customers = [Customer.objects.create(business=cls.business, name=f"C{n} <b>")
                         for n in range(4)]
        stranger = Customer.objects.create(business=cls.other, name="Stranger")
        for n, customer in enumerate(cls.customers):
            Engagement.objects.create(business=cls.business, customer=customer,
                                      won_at=now - dt.timedelta(days=n),
                                      description="urgent leak" if n == 3 else "a new tap")
        Engagement.objects.create(business=cls.other, customer=stranger, won_at=now,
                                  description="urgent")

    def _both(self, since, customers):
        expected = list(_jobs(self.business.pk, since, customers))
        found = JOBS(business=self.business.pk, since=since, customers=customers)
        return expected, found

    def test_it_finds_the_rows_the_queryset_finds(self):
        expected, found = self._both(self.now - dt.timedelta(days=10),
                                     [self.customers[0].pk, self.customers[1].pk])
        assert [e.pk for e in found] == [e.pk for e in expected]
        assert len(found) == 3

    def test_it_builds_models_with_their_related_rows(self):
        expected, found = self._both(self.now - dt.timedelta(days=10), [self.customers[0].pk])
        with self.assertNumQueries(0):
            names = [(e.won_at, e.description, e.customer.name) for e in found]
        assert names == [(e.won_at, e.description, e.customer.name) for e in expected]

    def test_it_gives_aware_datetimes(self):
        _, found = self._both(self.now - dt.timedelta(days=10), [self.customers[0].pk])
        assert all(timezone.is_aware(e.won_at) for e in found)

    def test_it_binds_new_values_on_every_call(self):
        recent = JOBS(business=self.business.pk, since=self.now - dt.timedelta(hours=1),
                      customers=[self.customers[0].pk])
        other = JOBS(business=self.other.pk, since=self.now - dt.timedelta(days=10),
                     customers=[self.customers[0].pk])
        assert [e.customer_id for e in recent] == [self.customers[0].pk]
        assert [e.description for e in other] == ["urgent"]

    def test_it_compiles_one_shape_per_list_length(self):
        query = Prepared(_jobs, business=int, since=dt.datetime, customers=[int])
        for ids in ([1], [2], [1, 2], [3, 4]):
            query(business=self.business.pk, since=self.now, customers=ids)
        assert len(query._shapes) == 2

    def test_it_leaves_out_an_empty_list_as_the_queryset_does(self):
        expected, found = self._both(self.now - dt.timedelta(days=10), [])
        assert [e.pk for e in found] == [e.pk for e in expected]
        assert [e.description for e in found] == ["urgent leak"]

    def test_it_finds_nothing_when_an_empty_list_must_match(self):
        query = Prepared(lambda customers: Customer.objects.filter(id__in=customers),
                         customers=[int])
        assert query(customers=[]) == []

    def test_it_runs_a_long_list_as_a_plain_queryset(self):
        ids = [c.pk for c in self.customers] + list(range(-200, -200 + prepared.LONGEST_LIST))
        query = Prepared(lambda customers: Customer.objects.filter(id__in=customers),
                         customers=[int])
        assert len(query(customers=ids)) == len(self.customers)
        assert query._shapes == {}

    def test_it_binds_dates(self):
        Promise.objects.create(business=self.business, customer=self.customers[0],
                               what="Send the invoice", due_on=dt.date(2026, 3, 1))
        query = Prepared(lambda until: Promise.objects.filter(due_on__lte=until), until=dt.date)
        assert len(query(until=dt.date(2026, 3, 1))) == 1
        assert query(until=dt.date(2026, 2, 28)) == []

    def test_it_binds_strings_as_data_not_sql(self):
        query = Prepared(lambda name: Customer.objects.filter(name=name), name=str)
        assert [c.pk for c in query(name="C0 <b>")] == [self.customers[0].pk]
        assert query(name="x' OR '1'='1") == []

    def test_it_gives_rows_for_a_values_list_query(self):
        query = Prepared(
            lambda business: Engagement.objects.filter(business_id=business)
            .values("business_id").annotate(jobs=Count("id")).values_list("jobs"),
            business=int)
        assert query(business=self.business.pk) == [(4,)]

    def test_it_refuses_an_argument_the_query_does_not_use(self):
        query = Prepared(lambda business: Customer.objects.all(), business=int)
        with pytest.raises(ValueError, match="business"):
            query(business=self.business.pk)

    def test_it_refuses_an_argument_a_lookup_changes(self):
        # `contains` wraps the value in wildcards: binding the bare value would be wrong.
        query = Prepared(lambda name: Customer.objects.filter(name__contains=name), name=str)
        with pytest.raises(ValueError, match="name"):
            query(name="C0")
