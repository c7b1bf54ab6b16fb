"""The index follows the rows for good: its triggers (SQLite) or indexes (PostgreSQL) are
there after migrating, and come back after a table rebuild dropped them."""

from django.core.management import call_command
from django.db import connection

from followthrough.customers.models import Customer
from followthrough.search import backend, schema


def test_it_has_every_trigger_or_index_after_migrating(db):
    assert schema.missing(connection) == set()


def test_it_rebuilds_what_a_table_rebuild_dropped(business, maria):
    # What Django's SQLite schema editor does to alter a table: the copy has no triggers.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER {schema.CUSTOMERS.fts}_insert")
        else:
            # The test's transaction holds deferred foreign-key checks, which a CREATE
            # INDEX on the same table refuses to run beside.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"DROP INDEX {schema.pg_index(schema.CUSTOMERS)}")
    assert schema.missing(connection)
    call_command("migrate", verbosity=0)  # post_migrate repairs
    assert schema.missing(connection) == set()
    Customer.objects.create(business=business, name="After Rebuild")
    assert [c.name for c in backend.find_customers(business, "after reb")] == ["After Rebuild"]
    assert backend.find_customers(business, "maria") == [maria]


def test_it_leaves_a_whole_index_alone(business, maria):
    assert schema.repair(connection) is False


def test_it_leaves_the_index_gone_after_migrating_search_to_zero(transactional_db):
    try:
        call_command("migrate", "search", "zero", verbosity=0)
        assert schema.missing(connection) == schema._expected(connection)
    finally:
        call_command("migrate", verbosity=0)
    assert schema.missing(connection) == set()
