from django.apps import AppConfig
from django.db.models.signals import post_save


class ChannelsConfig(AppConfig):
    name = "followthrough.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self):
        from followthrough.channels.layout import forget_brands
        from followthrough.tenants.models import Business

        # A saved logo or colour shows in this process's next email at once (other
        # processes within layout.BRAND_TTL).
        post_save.connect(forget_brands, sender=Business, dispatch_uid="channels.brands")
