from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "followthrough.integrations"
    label = "integrations"
    verbose_name = "Integrations"
