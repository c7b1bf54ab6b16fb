"""Drop the raw touchpoint indexes of 0001 and 0003: touchpoints 0008 declares them on the
model under names of its own (SQLite had lost them already; PostgreSQL still has them)."""

from django.db import migrations

RAW = {
    "insights_tp_business_updated": "business_id, updated_at",
    "insights_tp_business_element_at": "business_id, element, (COALESCE(completed_at, due_at)), "
                                       "status",
    "insights_tp_business_status_due": "business_id, status, due_at, stage",
}


class Migration(migrations.Migration):

    dependencies = [
        ("insights", "0003_more_indexes"),
        ("touchpoints", "0008_insights_indexes_declared"),
    ]

    operations = [
        migrations.RunSQL(
            f"DROP INDEX IF EXISTS {name}",
            f"CREATE INDEX IF NOT EXISTS {name} ON touchpoints_touchpoint ({columns})",
        )
        for name, columns in RAW.items()
    ]
