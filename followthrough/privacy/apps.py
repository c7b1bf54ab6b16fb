from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "followthrough.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self):
        from followthrough.privacy.api import mount

        mount()
