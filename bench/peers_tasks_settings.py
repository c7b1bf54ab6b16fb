"""Throwaway Django settings for the django-tasks side of bench/peers.py: only django-tasks
and its database backend (django-tasks-db), on the database named by BENCH_PEERS_DB_URL
(SQLite with the project's PRAGMAs, WAL and synchronous=NORMAL, or PostgreSQL)."""

import os

import dj_database_url

SECRET_KEY = "bench-only-secret-key-" + "p" * 40  # noqa: S105 - a throwaway bench process
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["django_tasks", "django_tasks_db"]
DATABASES = {"default": dj_database_url.parse(os.environ["BENCH_PEERS_DB_URL"])}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING_CONFIG = None
