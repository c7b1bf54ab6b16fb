from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _repair(sender, using="default", **kwargs):
    from django.db import connections

    from followthrough.search import schema

    schema.repair(connections[using])


class SearchConfig(AppConfig):
    name = "followthrough.search"
    label = "search"
    verbose_name = "Search"

    def ready(self):
        from followthrough.customers import picker
        from followthrough.search import backend

        post_migrate.connect(_repair, sender=self, dispatch_uid="search-repair")
        # customers may not import search: its picker asks through this hook instead.
        picker.register_finder(backend.find_customers)
