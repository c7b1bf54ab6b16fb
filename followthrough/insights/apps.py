from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "followthrough.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from followthrough.insights import receivers

        receivers.connect()
