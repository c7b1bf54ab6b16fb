from django.apps import AppConfig


class TouchpointsConfig(AppConfig):
    name = "followthrough.touchpoints"
    label = "touchpoints"
    verbose_name = "Touchpoints"

    def ready(self):
        from followthrough.touchpoints import receivers  # noqa: F401 - connects the receivers
