from django.apps import AppConfig


class AgendaConfig(AppConfig):
    name = "followthrough.agenda"
    label = "agenda"
    verbose_name = "Agenda"

    def ready(self):
        from followthrough.agenda import receivers, team  # noqa: F401 - connect their receivers
