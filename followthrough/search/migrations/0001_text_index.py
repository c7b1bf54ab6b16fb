"""The text indexes of search: FTS5 tables and their triggers on SQLite, GIN indexes on
PostgreSQL (followthrough/search/schema.py). Nothing on any other database."""

from django.db import migrations

from followthrough.search import schema


def forward(apps, schema_editor):
    schema.install(schema_editor.connection)


def backward(apps, schema_editor):
    schema.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_referral_code_128_bits"),
        ("agenda", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward)]
