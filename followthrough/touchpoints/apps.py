from django.apps import AppConfig


class TouchpointsConfig(AppConfig):
    name = "followthrough.touchpoints"
    label = "touchpoints"
    verbose_name = "Touchpoints"
