"""Indexes for the figures the page still reads live, on tables other apps own (plain SQL,
like 0001): feedback requests and maintenance reminders by the time they happened, new
engagements and updated customers (the rollups' change detection), sales by date and by
customer, referred customers, and touchpoints by status and due time with their stage (which
replaces 0001's index by due time: with status second, it covers the per-stage counts)."""

from django.db import migrations

INDEXES = [
    ("insights_tp_business_element_at", "touchpoints_touchpoint",
     "business_id, element, (COALESCE(completed_at, due_at)), status", ""),
    ("insights_engagement_created", "customers_engagement", "business_id, created_at", ""),
    ("insights_engagement_won", "customers_engagement", "business_id, won_at", ""),
    ("insights_customer_updated", "customers_customer", "business_id, updated_at", ""),
    ("insights_tp_business_status_due", "touchpoints_touchpoint",
     "business_id, status, due_at, stage", ""),
    ("insights_engagement_previous", "customers_engagement", "customer_id, won_at, id", ""),
    ("insights_customer_referred", "customers_customer", "business_id, created_at",
     " WHERE referred_by_id IS NOT NULL"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("insights", "0002_rollups"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns}){where}",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, columns, where in INDEXES
    ] + [
        migrations.RunSQL(
            "DROP INDEX IF EXISTS insights_tp_business_due_stage",
            "CREATE INDEX IF NOT EXISTS insights_tp_business_due_stage ON "
            "touchpoints_touchpoint (business_id, due_at, stage, status)",
        ),
    ]
