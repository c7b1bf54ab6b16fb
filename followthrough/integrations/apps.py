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
        from followthrough.touchpoints.worker import pass_finished

        def deliver(sender, **kwargs):
            outbound.deliver_due()

        def run_imports(sender, **kwargs):
            imports.run_due_jobs()

        pass_finished.connect(deliver, dispatch_uid="integrations.deliver_webhooks", weak=False)
        pass_finished.connect(run_imports, dispatch_uid="integrations.run_imports", weak=False)
