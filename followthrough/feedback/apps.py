from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "followthrough.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    def ready(self):
        from followthrough.customers.signals import customer_referred  # noqa: PLC0415
        from followthrough.feedback.receivers import plan_referral_thanks  # noqa: PLC0415

        customer_referred.connect(plan_referral_thanks, dispatch_uid="feedback.referral_thanks")

        from followthrough.feedback.sentiment import on_review_ask_stopping  # noqa: PLC0415
        from followthrough.touchpoints.signals import review_ask_stopping  # noqa: PLC0415

        review_ask_stopping.connect(on_review_ask_stopping, dispatch_uid="feedback.low_score")
