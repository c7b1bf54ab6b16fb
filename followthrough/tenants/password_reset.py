"""Password reset: Django's views, with the link built from SITE_URL and the email queued.

Django builds the link from the request's Host header unless told otherwise, so a forged
Host (one of ALLOWED_HOSTS that is not the public address, or any host behind a proxy that
passes it on) would mail the victim a link to someone else's server, token included. The
link here comes from SITE_URL only. The email is queued (channels/mailqueue.py) and sent by
the worker, so a slow or refusing mail server never holds or fails the page."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.template import loader

from followthrough.channels.mailqueue import queue_mail


class QueuedPasswordResetForm(PasswordResetForm):
    def save(self, **kwargs):
        site = urlsplit(settings.SITE_URL)
        kwargs["domain_override"] = site.netloc
        kwargs["use_https"] = site.scheme == "https"
        kwargs["extra_email_context"] = {**(kwargs.get("extra_email_context") or {}),
                                         "site_url": settings.SITE_URL}
        return super().save(**kwargs)

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):
        subject = loader.render_to_string(subject_template_name, context)
        body = loader.render_to_string(email_template_name, context)
        html = (loader.render_to_string(html_email_template_name, context)
                if html_email_template_name else "")
        queue_mail(subject, body, [to_email], kind="password_reset", from_email=from_email,
                   html=html)
