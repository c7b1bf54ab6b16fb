from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "followthrough.channels"
    label = "channels"
    verbose_name = "Channels"
