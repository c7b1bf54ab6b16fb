from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "followthrough.insights"
    label = "insights"
    verbose_name = "Insights"
