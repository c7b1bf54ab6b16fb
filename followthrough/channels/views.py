"""The demo outbox: the mail this install would have sent, shown as the customer sees it."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from followthrough.channels import mailqueue
from followthrough.channels.models import OutboxMessage
from followthrough.tenants.access import business_required
from followthrough.tenants.views import in_business_zone, render

PAGE_SIZE = 50


def get_outbox_message_or_404(request, public_id):
    """Outbox rows name their business by slug (the email backend only sees headers)."""
    message = OutboxMessage.objects.filter(
        business_slug=request.business.slug, public_id=public_id
    ).first()
    if message is None:
        raise Http404("No message here")
    return message


def outbox_enabled(view):
    def wrapper(request, *args, **kwargs):
        if not settings.OUTBOX_ENABLED:
            raise Http404("The outbox is only on in demo mode")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@business_required
@outbox_enabled
@in_business_zone
@require_http_methods(["GET", "HEAD"])
def outbox_list(request):
    rows = OutboxMessage.objects.filter(business_slug=request.business.slug).order_by(
        "-created_at", "-id"
    ).defer("raw", "html_body", "text_body", "headers")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "channels/outbox_list.html", {"page": page},
                  nav="outbox")


@business_required
@outbox_enabled
@in_business_zone
@require_http_methods(["GET", "HEAD"])
def outbox_message(request, public_id):
    message = get_outbox_message_or_404(request, public_id)
    headers = sorted((message.headers or {}).items())
    context = {"message": message, "headers": headers}
    return render(request, "channels/outbox_message.html", context, nav="outbox")


# The email's own HTML, framed by outbox_message in a sandboxed <iframe src>. Email HTML
# needs inline styles, so this one response gets a CSP of its own: inline styles, data:
# images and https images (the business's logo, as a mail client would load it), nothing
# else (no scripts, no forms), framed only by us.
EMAIL_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; "
             "frame-ancestors 'self'; form-action 'none'; base-uri 'none'; sandbox")


@business_required
@outbox_enabled
@require_http_methods(["GET", "HEAD"])
@xframe_options_sameorigin
def outbox_message_html(request, public_id):
    message = get_outbox_message_or_404(request, public_id)
    response = HttpResponse(message.html_body, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = EMAIL_CSP
    response["Referrer-Policy"] = "no-referrer"
    return response


def send_test(request, subject: str, text: str, html: str = "") -> bool:
    """Queue a test for the signed-in person's own address, saying what happened; the one
    way "Send me a test" works, here and on a playbook step. True when queued."""
    address = (request.user.email or "").strip()
    if not address:
        messages.error(request, "Your account has no email address to send a test to. "
                                "Add one under Account first.")
        return False
    try:
        mailqueue.queue_test(request.business, address, subject, text, html)
    except mailqueue.TooManyTests:
        minutes = mailqueue.TEST_WINDOW.seconds // 60
        messages.error(request, f"That's {mailqueue.TEST_LIMIT} tests in {minutes} minutes. "
                                "Please wait a few minutes before sending another.")
        return False
    messages.success(request, f"Sent a test to {address}. It goes out with the next batch, "
                              f"in a minute or so, with “{mailqueue.TEST_PREFIX.strip()}” "
                              "in its subject.")
    return True


@business_required
@outbox_enabled
@require_POST
def outbox_message_test(request, public_id):
    """Send this message again, to me, as a test: to see it in a real mail client."""
    message = get_outbox_message_or_404(request, public_id)
    send_test(request, message.subject, message.text_body, message.html_body)
    return redirect("outbox_message", message.public_id)
