"""Indexes the Insights page reads, on tables other apps own.

They are plain SQL here, in insights' own migration, so the owning apps' models stay
untouched: the cache key reads the newest touchpoint update per business, and the delta
reads engagements by delivery date."""

from django.db import migrations

INDEXES = [
    ("insights_tp_business_updated", "touchpoints_touchpoint", "business_id, updated_at"),
    ("insights_engagement_delivered", "customers_engagement", "business_id, delivered_at"),
    ("insights_tp_business_due_stage", "touchpoints_touchpoint",
     "business_id, due_at, stage, status"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("touchpoints", "0001_initial"),
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, columns in INDEXES
    ]
