"""Insights' touchpoint indexes, declared on the model.

insights/migrations 0001 and 0003 made them as raw SQL. On SQLite, 0004 and 0005 here rebuild
the table (an AlterField, an AddField), and a rebuild keeps only the indexes Django knows,
so on SQLite they were gone from 0004 on, and the Insights page walked the table. Declared
here they survive any rebuild. The (business, status, due_at) index gains the stage, which
makes it cover the per-stage counts too; insights 0004 drops the raw copies that remain on
PostgreSQL."""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('touchpoints', '0007_keep_one_repeat_occurrence_open'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='touchpoint',
            name='touchpoints_busines_52f326_idx',
        ),
        migrations.AddIndex(
            model_name='touchpoint',
            index=models.Index(fields=['business', 'status', 'due_at', 'stage'], name='touchpoint_business_status_due'),
        ),
        migrations.AddIndex(
            model_name='touchpoint',
            index=models.Index(fields=['business', 'updated_at'], name='touchpoint_business_updated'),
        ),
        migrations.AddIndex(
            model_name='touchpoint',
            index=models.Index(models.F('business'), models.F('element'), django.db.models.functions.comparison.Coalesce('completed_at', 'due_at'), models.F('status'), name='touchpoint_business_element_at'),
        ),
    ]
