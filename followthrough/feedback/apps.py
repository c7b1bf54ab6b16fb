from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "followthrough.feedback"
    label = "feedback"
    verbose_name = "Feedback"
