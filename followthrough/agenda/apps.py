from django.apps import AppConfig


class AgendaConfig(AppConfig):
    name = "followthrough.agenda"
    label = "agenda"
    verbose_name = "Agenda"

    def ready(self):
        from followthrough.agenda import receivers  # noqa: F401 - connects to worker_tick
