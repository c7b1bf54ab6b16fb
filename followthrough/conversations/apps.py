from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "followthrough.conversations"
    label = "conversations"
    verbose_name = "Conversations"

    def ready(self) -> None:
        from anymail.signals import inbound  # noqa: PLC0415

        from followthrough import events  # noqa: PLC0415
        from followthrough.conversations.email_in import on_inbound  # noqa: PLC0415
        from followthrough.conversations.receivers import remember_sent  # noqa: PLC0415

        events.domain_event.connect(remember_sent, dispatch_uid="conversations.remember_sent")
        inbound.connect(on_inbound, dispatch_uid="conversations.inbound_email")
