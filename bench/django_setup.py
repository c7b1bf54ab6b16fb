"""Django for a benchmark process: settings from the environment, a fresh SQLite file."""

import os
import tempfile
from pathlib import Path


def setup(db_path) -> None:
    """Point Django at the SQLite file `db_path`, set it up and migrate. Once per process."""
    db_path = Path(db_path).resolve()
    os.environ.setdefault("FOLLOWTHROUGH_VAR_DIR", str(db_path.parent))
    setup_url(f"sqlite:///{db_path}")


def setup_url(url: str) -> None:
    """The same for any DATABASE_URL (a SQLite file or an empty PostgreSQL database)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "b" * 40)
    os.environ.setdefault("FOLLOWTHROUGH_VAR_DIR", tempfile.mkdtemp(prefix="bench-"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "followthrough.settings"

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
