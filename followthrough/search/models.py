"""Search has no models of its own: its indexes belong to the tables they index and are
made by its migrations (schema.py). This module exists so Django sends search the
post_migrate signal, which only goes to apps with a models module (see apps.py)."""
