from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "followthrough.playbooks"
    label = "playbooks"
    verbose_name = "Playbooks"
