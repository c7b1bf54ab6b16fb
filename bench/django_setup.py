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


def on_database(database: str, name: str, measure):
    """Run `measure()` on a fresh database: an SQLite file, or with database="postgresql" a
    side database on the local server, dropped afterwards."""
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    if database != "postgresql":
        setup(Path(tempfile.mkdtemp(prefix=f"bench-{name}-")) / f"{name}.sqlite3")
        return measure()
    from bench.peers import side_database

    with side_database("postgresql", Path(tempfile.gettempdir()), name) as url:
        setup_url(url)
        try:
            return measure()
        finally:
            from django.db import connections

            connections.close_all()
