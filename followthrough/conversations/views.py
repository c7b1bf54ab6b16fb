"""The owner's side of a conversation: replying from the customer's page, the Unmatched
page, where a message from an unknown sender is attached to its customer, and the settings
of the business's own mailbox."""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from followthrough.conversations import mailbox, services
from followthrough.conversations.forms import AttachForm, MailboxForm, ReplyForm
from followthrough.conversations.models import Attachment, Mailbox, Message
from followthrough.customers.views import get_customer_or_404
from followthrough.tenants import audit
from followthrough.tenants.access import business_required, get_scoped_or_404, owner_required
from followthrough.tenants.views import in_business_zone, render

UNMATCHED_PAGE = 100
# Test connection: one try per business in this many seconds.
MAILBOX_TEST_PAUSE_SECONDS = 20


def _inbound(business):
    return Message.objects.filter(business=business, direction=Message.IN)


def _first_error(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(" ".join(texts) for texts in error.message_dict.values())
    return " ".join(error.messages)


@business_required
@require_POST
def customer_reply(request, public_id):
    customer = get_customer_or_404(request, public_id)
    back = reverse("customer_detail", args=[customer.public_id]) + "#conversation"
    form = ReplyForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label or 'Reply'}: {' '.join(errors)}")
        return redirect(back)
    data = form.cleaned_data
    answering = None
    if data["answering"]:
        answering = get_scoped_or_404(_inbound(request.business).filter(customer=customer),
                                      request.business, public_id=data["answering"])
    try:
        services.reply(request.business, customer, data["channel"], data["body"],
                       data["subject"], answering=answering, user=request.user)
    except ValidationError as error:
        messages.error(request, _first_error(error))
        return redirect(back)
    messages.success(request, "Your reply is queued: it goes out with the worker's next "
                              "pass, when their consent and your quiet hours allow.")
    return redirect(back)


@business_required
@in_business_zone
@require_GET
def unmatched(request):
    rows = (_inbound(request.business).filter(customer=None)
            .order_by("-received_at", "-id")[:UNMATCHED_PAGE])
    return render(request, "conversations/unmatched.html", {"rows": rows},
                  nav="customers")


# Shown in the browser when asked; anything else (HTML, SVG, scripts) is only downloaded.
SAFE_TO_SHOW = {"image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain"}


@business_required
@require_GET
def attachment(request, public_id):
    """A file from a customer's email, for members of its business only (others get 404).
    Always a download, with its type pinned, so a file cannot run as a page of this site."""
    found = get_scoped_or_404(Attachment.objects, request.business, public_id=public_id)
    content_type = found.content_type if found.content_type in SAFE_TO_SHOW \
        else "application/octet-stream"
    response = HttpResponse(bytes(found.data), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, found.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


@business_required
@require_POST
def attach(request):
    form = AttachForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say whose message it is: their name, email or phone.")
        return redirect("unmatched")
    message = get_scoped_or_404(_inbound(request.business).filter(customer=None),
                                request.business, public_id=form.cleaned_data["message"])
    try:
        customer = services.find_customer(request.business, form.cleaned_data["customer"])
        services.attach(message, customer)
    except ValidationError as error:
        messages.error(request, _first_error(error))
        return redirect("unmatched")
    messages.success(request, f"The message is now in {customer.name}'s conversation.")
    return redirect("unmatched")


# The business's own mailbox ---------------------------------------------------------------

MAILBOX_FIELDS = ["host", "port", "security", "username", "folder", "enabled"]


@owner_required
def mailbox_settings(request):
    business = request.business
    box = Mailbox.objects.filter(business=business).first()
    form = MailboxForm(instance=box)
    action = request.POST.get("action") if request.method == "POST" else ""
    if action == "test" and box:
        _test_mailbox(request, box)
        return redirect("mailbox_settings")
    if action == "remove" and box:
        with transaction.atomic():
            audit.record(request, business, "mailbox.change", target=box,
                         changes={"mailbox": "removed"}, summary="Stopped reading a mailbox")
            box.delete()
        messages.success(request, "Removed. Replies are no longer read from that mailbox.")
        return redirect("mailbox_settings")
    if action == "save":
        form = MailboxForm(request.POST, instance=box or Mailbox(business=business))
        if form.is_valid():
            _save_mailbox(request, form)
            messages.success(request, "Saved. The worker checks it about once a minute; "
                                      "Test connection tries it now.")
            return redirect("mailbox_settings")
    return render(request, "conversations/mailbox_settings.html", {"form": form, "box": box},
                  status=400 if form.errors else None, nav="settings")


def _test_mailbox(request, box: Mailbox) -> None:
    # The web process dials whatever host the owner typed: pausing between tries keeps
    # the button from being used to sweep the network's ports.
    if not cache.add(f"mailbox-test:{box.business_id}", 1, MAILBOX_TEST_PAUSE_SECONDS):
        messages.error(request, "The connection was tried a moment ago. Wait a few seconds "
                                "before trying again.")
        return
    ok, text = mailbox.test_connection(box)
    (messages.success if ok else messages.error)(request, text)


def _save_mailbox(request, form: MailboxForm) -> None:
    box, new = form.save(commit=False), form.instance.pk is None
    if form.cleaned_data["password"]:
        box.password = form.cleaned_data["password"]
    # Changed settings deserve a fresh try now, not the end of a backoff.
    box.next_poll_at, box.failures = None, 0
    with transaction.atomic():
        if new:
            box.save()
        else:  # the worker's own fields (lease, counts) are left as they are
            box.save(update_fields=[*MAILBOX_FIELDS, "password", "next_poll_at",
                                    "failures", "updated_at"])
        audit.record(request, request.business, "mailbox.change", target=box,
                     changes={"mailbox": "added" if new else "changed", "host": box.host,
                              "password": "changed" if form.cleaned_data["password"] else
                              "kept"},
                     summary="Set up a mailbox for replies" if new else
                     "Changed the mailbox for replies")
