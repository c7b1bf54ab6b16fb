from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "followthrough.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from followthrough.integrations import (  # noqa: F401 - receivers
            email_events,
            imports,
            outbound,
            webhook_auth,
        )

        webhook_auth.report()
        _tick_the_import_on_the_checklist()
        from followthrough.touchpoints.worker import pass_finished

        def deliver(sender, **kwargs):
            outbound.deliver_due()

        def run_imports(sender, **kwargs):
            imports.run_due_jobs()

        pass_finished.connect(deliver, dispatch_uid="integrations.deliver_webhooks", weak=False)
        pass_finished.connect(run_imports, dispatch_uid="integrations.run_imports", weak=False)


def _tick_the_import_on_the_checklist() -> None:
    """Today's getting-started item "Import your customers" is done once an import of
    customers or of sales (which bring their customers) has finished."""
    from django.db.models import Exists

    from followthrough.agenda import checklist
    from followthrough.integrations.models import ImportJob

    checklist.provide("customers", lambda business: Exists(
        ImportJob.objects.filter(business=business, status=ImportJob.DONE)))
