"""The Jobs and Customers lists read through indexes, on SQLite and on PostgreSQL, with
the same seed and the same check as tests/test_query_plans.py (EXPLAIN on every
statement; a scan of the touchpoint, customer or engagement table fails)."""

import re

from django.core.cache import cache
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.tenants.models import Membership
from tests.conftest import make_member
from tests.test_query_plans import assert_indexed, seed

JOB_VIEWS = ("", "?status=in_progress", "?status=waiting", "?status=delivered",
             "?status=closed", "?won_from=2026-01-01&won_to=2026-06-30", "?sort=customer",
             "?sort=playbook", "?sort=stage", "?sort=next", "?sort=delta")

CUSTOMER_VIEWS = ("", "?show=unhappy", "?show=at_risk", "?show=no_contact", "?sort=health",
                  "?sort=last_job", "?sort=incident", "?tag=vip", "?q=customer")


class ListPlans(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.business = seed(timezone.now())
        install_builtin_playbooks(cls.business)
        cls.owner = make_member(cls.business, "owner@plans.example", Membership.OWNER)

    def setUp(self):
        cache.clear()
        self.client.force_login(self.owner)

    def captured(self, path):
        with CaptureQueriesContext(connection) as captured:
            response = self.client.get(path)
        assert response.status_code == 200, path
        return captured

    def test_it_draws_the_jobs_list_through_indexes(self):
        for query in JOB_VIEWS:
            with self.subTest(query=query):
                assert_indexed(self.captured("/jobs/" + query))

    def test_it_walks_the_won_index_for_the_usual_order(self):
        """Newest won first, the page everyone opens: read in index order, no sort."""
        captured = self.captured("/jobs/")
        page = next(q["sql"] for q in captured.captured_queries
                    if q["sql"].startswith('SELECT "customers_engagement"."id"'))
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + page)
            else:
                cursor.execute("EXPLAIN " + page)
            plan = " ".join(str(row) for row in cursor.fetchall())
        top = plan.split("SUBQUERY")[0].split("SubPlan")[0]  # the page, not the next touch
        assert "engagement_won" in top, plan
        # Read in the index's order: no sort of the whole business's rows (PostgreSQL may
        # still order the few rows that share one won time by id, an incremental sort).
        assert "TEMP B-TREE FOR ORDER BY" not in top and "->  Sort " not in top, plan

    def test_it_pages_on_through_indexes(self):
        first = self.client.get("/jobs/").text
        link = re.search(r'href="\?([^"]*after=[^"]*)">Next', first).group(1)
        assert_indexed(self.captured("/jobs/?" + link.replace("&amp;", "&")))

    def test_it_draws_the_customers_list_through_indexes(self):
        self.client.get("/customers/?show=at_risk")  # the rollups' first build: not a page
        for query in CUSTOMER_VIEWS:
            with self.subTest(query=query):
                assert_indexed(self.captured("/customers/" + query))
