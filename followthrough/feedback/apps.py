from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "followthrough.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    def ready(self):
        from followthrough.customers.signals import customer_referred  # noqa: PLC0415
        from followthrough.feedback.receivers import plan_referral_thanks  # noqa: PLC0415

        customer_referred.connect(plan_referral_thanks, dispatch_uid="feedback.referral_thanks")
