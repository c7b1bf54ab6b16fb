from django.core.management import call_command


def test_it_has_a_migration_for_every_model_change(db):
    # --check exits non-zero (SystemExit) when a model change has no migration yet.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
