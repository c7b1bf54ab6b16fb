from django.apps import AppConfig


def poll_mailboxes(sender, **kwargs):
    """After each worker pass: the businesses' own mailboxes whose turn has come."""
    from followthrough.conversations.mailbox import poll_due  # noqa: PLC0415

    return poll_due()


class ConversationsConfig(AppConfig):
    name = "followthrough.conversations"
    label = "conversations"
    verbose_name = "Conversations"

    def ready(self) -> None:
        from anymail.signals import inbound  # noqa: PLC0415

        from followthrough import events  # noqa: PLC0415
        from followthrough.conversations.email_in import on_inbound  # noqa: PLC0415
        from followthrough.conversations.receivers import remember_sent  # noqa: PLC0415
        from followthrough.touchpoints.worker import pass_finished  # noqa: PLC0415

        events.domain_event.connect(remember_sent, dispatch_uid="conversations.remember_sent")
        pass_finished.connect(poll_mailboxes, dispatch_uid="conversations.poll_mailboxes")
        from followthrough.conversations.services import thread_headers  # noqa: PLC0415
        from followthrough.touchpoints.delivery import thread_lookups  # noqa: PLC0415

        if thread_headers not in thread_lookups:
            thread_lookups.append(thread_headers)
        inbound.connect(on_inbound, dispatch_uid="conversations.inbound_email")
