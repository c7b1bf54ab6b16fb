"""Throwaway Django settings for the django-tasks side of bench/peers.py: only django-tasks
and its database backend (django-tasks-db), on the SQLite file named by BENCH_PEERS_DB, with
the same PRAGMAs as the project (WAL, synchronous=NORMAL)."""

import os

SECRET_KEY = "bench-only-secret-key-" + "p" * 40  # noqa: S105 - a throwaway bench process
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["django_tasks", "django_tasks_db"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCH_PEERS_DB", "django_tasks.sqlite3"),
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
    }
}
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING_CONFIG = None
