"""Owner pages: import, export, webhooks, notifications, inbound sales and SMS status."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from followthrough import events
from followthrough.channels.transports import sms_account
from followthrough.conversations.models import Mailbox
from followthrough.integrations import exports, imports, outbound
from followthrough.integrations.formats import FORMAT_LABELS, targets
from followthrough.integrations.models import ImportJob, InboundSource, WebhookEndpoint
from followthrough.integrations.sms import segment_info
from followthrough.playbooks.models import Playbook
from followthrough.tenants import audit
from followthrough.tenants.access import business_required, get_scoped_or_404, owner_required
from followthrough.tenants.views import render

EVENT_CHOICES = [
    (events.FEEDBACK_RECEIVED, "Feedback received"),
    (events.INCIDENT_OPENED, "Unhappy customer (incident opened)"),
    (events.INCIDENT_RESOLVED, "Incident resolved"),
    (events.TOUCHPOINT_SENT, "Email or text sent"),
    (events.CUSTOMER_SUBSCRIBED, "Customer subscribed"),
    (events.CUSTOMER_UNSUBSCRIBED, "Customer unsubscribed"),
    (events.PROMISE_OVERDUE, "Promise overdue"),
    (events.ENGAGEMENT_CREATED, "New sale or job"),
    (events.INBOUND_RECEIVED, "A customer wrote (a reply by email or text)"),
    (outbound.DIGEST_READY, "Daily digest"),
]


# Import -------------------------------------------------------------------------------------

# Room for the multipart framing and the other fields around the file itself.
UPLOAD_OVERHEAD = 64 * 1024

class UploadForm(forms.Form):
    file = forms.FileField(label="CSV or XLSX file",
                           help_text="Exports from Shopify, Square, QuickBooks, Jobber and "
                                     "HubSpot are recognised; any spreadsheet with a header "
                                     "row works.")
    kind = forms.ChoiceField(label="What's in it", choices=ImportJob.KINDS,
                             initial=ImportJob.CUSTOMERS)


def _playbooks(business):
    return Playbook.objects.filter(business=business, is_active=True).order_by("name")


def _too_large(size: int | None = None) -> str:
    limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
    return (f"The file is larger than {limit} MB. Split it into smaller files and import "
            "them one by one.")


def _refused_upload(message: str) -> UploadForm:
    """The upload form with `message` on its file field, for a body we will not read."""
    form = UploadForm({"kind": ImportJob.CUSTOMERS})
    form.is_valid()
    form.errors["file"] = form.error_class([message])
    return form


@owner_required
def import_upload(request):
    business = request.business
    status = None
    # Refuse an oversized body from its Content-Length, before Django spools it to disk.
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if request.method == "POST" and declared.isdigit() and \
            int(declared) > settings.IMPORT_MAX_BYTES + UPLOAD_OVERHEAD:
        form, status = _refused_upload(_too_large()), 413
    else:
        form = UploadForm(request.POST or None, request.FILES or None)
    if status is None and request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > settings.IMPORT_MAX_BYTES:
                raise imports.ImportFileError(_too_large(), status=413)
            data = upload.read()
            imports.screen(data, upload.name)  # cheap checks only; reading is background
        except imports.ImportFileError as exc:
            form.add_error("file", exc.message)
            status = exc.status
        else:
            job = ImportJob.objects.create(
                business=business, kind=form.cleaned_data["kind"], filename=upload.name[:200],
                data=data, status=ImportJob.READING, created_by=request.user,
                playbook=_playbooks(business).filter(slug="service-job").first()
                or _playbooks(business).first(),
            )
            imports.start_reading(job)
            return redirect("import_detail", public_id=job.public_id)
    elif request.method == "POST" and status is None:
        status = 400
    recent = ImportJob.objects.filter(business=business).defer("data")[:10]
    return render(request, "integrations/import_upload.html",
                  {"form": form, "recent": recent}, status=status, nav="settings")


def _get_job(request, public_id):
    return get_scoped_or_404(ImportJob.objects.select_related("playbook").defer("data"),
                             request.business, public_id=public_id)


@owner_required
def import_detail(request, public_id):
    """The review page, drawn from what the background read stored: viewing it, however
    often, never reads the file again. Changing the mapping checks it again, in the
    background."""
    job = _get_job(request, public_id)
    if job.status == ImportJob.MAPPING and not job.headers:
        with transaction.atomic():  # uploaded before reads were stored: read it now
            imports.start_reading(job)
    if job.status != ImportJob.MAPPING:
        return render(request, "integrations/import_progress_page.html", {"job": job},
                      nav="settings")
    field_targets = targets(job.kind)
    if request.method == "POST":
        chosen = {target: request.POST.get(f"map_{target}", "") for target, _l in field_targets}
        job.mapping = {target: header for target, header in chosen.items()
                       if header and header in job.headers}
        if job.kind == ImportJob.SALES:
            slug = request.POST.get("playbook", "")
            job.playbook = _playbooks(request.business).filter(slug=slug).first()
        with transaction.atomic():
            job.save(update_fields=["mapping", "playbook"])
            imports.start_reading(job)
        return redirect("import_detail", public_id=job.public_id)
    found = job.preview
    rows = [{"target": t, "label": label, "header": job.mapping.get(t, "")}
            for t, label in field_targets]
    return render(request, "integrations/import_detail.html", {
        "job": job, "headers": job.headers, "rows": rows, "valid": found.get("valid", 0),
        "errors": found.get("errors", []), "error_count": found.get("error_count", 0),
        "kept_count": found.get("kept_count", 0), "sample": found.get("sample", []),
        "format_label": FORMAT_LABELS.get(job.detected_format, "Generic spreadsheet"),
        "playbooks": _playbooks(request.business),
    }, nav="settings")


@owner_required
@require_POST
def import_start(request, public_id):
    job = _get_job(request, public_id)
    if job.status == ImportJob.MAPPING:
        with transaction.atomic():
            imports.start(job)
    return redirect("import_detail", public_id=job.public_id)


@owner_required
@require_GET
def import_progress(request, public_id):
    job = _get_job(request, public_id)
    if job.status == ImportJob.MAPPING and request.htmx:
        # The read is done: show the review page in place of the progress bar.
        return HttpResponseClientRedirect(reverse("import_detail", args=[job.public_id]))
    return render(request, "integrations/_import_progress.html", {"job": job})


# Export -------------------------------------------------------------------------------------

@owner_required
@require_GET
def export(request, kind):
    if kind not in exports.EXPORTS:
        raise Http404("No such export")
    audit.record(request, request.business, "export.csv", target=("export", kind))
    return exports.response(request.business, kind)


# Settings -----------------------------------------------------------------------------------

class WebhookForm(forms.Form):
    format = forms.ChoiceField(choices=WebhookEndpoint.FORMATS, initial=WebhookEndpoint.SIGNED,
                               label="Kind")
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https",
                         help_text="For Slack and Mattermost, the incoming-webhook URL.")
    events = forms.MultipleChoiceField(choices=EVENT_CHOICES,
                                       widget=forms.CheckboxSelectMultiple,
                                       label="Send these events")

    def clean_url(self):
        url = self.cleaned_data["url"]
        problem = outbound.url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url


class InboundForm(forms.Form):
    provider = forms.ChoiceField(choices=InboundSource.PROVIDERS, label="From")
    secret = forms.CharField(
        max_length=200, required=False, label="Signing secret",
        help_text="Stripe: the endpoint's signing secret (whsec_…). Shopify: your app's "
                  "client secret. Leave blank for Generic and we make one.")
    playbook = forms.ModelChoiceField(queryset=Playbook.objects.none(), label="Playbook",
                                      to_field_name="slug")

    def __init__(self, business, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["playbook"].queryset = _playbooks(business)

    def clean(self):
        data = super().clean()
        if data.get("provider") in (InboundSource.STRIPE, InboundSource.SHOPIFY) \
                and not data.get("secret"):
            self.add_error("secret", "Paste the signing secret the provider shows you.")
        return data


@owner_required
def settings_page(request):
    business = request.business
    webhook_form = WebhookForm(prefix="hook")
    inbound_form = InboundForm(business, prefix="in")
    status = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "webhook":
            webhook_form = WebhookForm(request.POST, prefix="hook")
            if webhook_form.is_valid():
                data = webhook_form.cleaned_data
                with transaction.atomic():
                    hook = WebhookEndpoint.objects.create(
                        business=business, format=data["format"], url=data["url"],
                        events=data["events"])
                    audit.record(request, business, "webhook.change", target=hook,
                                 changes=_hook_changes(hook, "added"),
                                 summary="Added a webhook")
                if hook.format == WebhookEndpoint.SIGNED:
                    request.session["new_secret"] = hook.secret
                    messages.success(request, "Webhook added. Copy its secret now: it is "
                                     "shown only once.")
                else:
                    messages.success(request, "Notifications will go there from now on.")
                return redirect("settings_integrations")
            status = 400
        elif action == "inbound":
            inbound_form = InboundForm(business, request.POST, prefix="in")
            if inbound_form.is_valid():
                data = inbound_form.cleaned_data
                source = InboundSource(business=business, provider=data["provider"],
                                       playbook=data["playbook"])
                if data["secret"]:
                    source.secret = data["secret"]
                source.save()
                messages.success(request, "Sales webhook ready. Give its address to the "
                                 "provider.")
                return redirect("settings_integrations")
            status = 400
    hooks = WebhookEndpoint.objects.filter(business=business)
    return render(request, "integrations/settings.html", {
        "webhook_form": webhook_form, "inbound_form": inbound_form,
        "webhooks": [h for h in hooks if not h.is_notification],
        "notifications": [h for h in hooks if h.is_notification],
        "inbound": InboundSource.objects.filter(business=business).select_related("playbook"),
        "new_secret": request.session.pop("new_secret", ""),
        "sms_ready": sms_account(business).complete,
        "sms_from": sms_account(business).from_number,
        "email_provider": settings.EMAIL_PROVIDER,
        "exports": exports.EXPORTS, "site_url": settings.SITE_URL,
        "mailbox": Mailbox.objects.filter(business=business).first(),
    }, status=status, nav="settings")


def _hook_changes(hook: WebhookEndpoint, what: str) -> dict:
    # The host only: a webhook URL may carry a secret token in its path.
    return {"webhook": what, "format": hook.format, "host": urlsplit(hook.url).hostname or "",
            "events": ", ".join(hook.events)}


@owner_required
def webhook_detail(request, public_id):
    hook = get_scoped_or_404(WebhookEndpoint.objects, request.business, public_id=public_id)
    deliveries = hook.deliveries.all()[:100]
    return render(request, "integrations/webhook_detail.html",
                  {"hook": hook, "deliveries": deliveries,
                   "event_labels": dict(EVENT_CHOICES)}, nav="settings")


@owner_required
@require_POST
def webhook_delete(request, public_id):
    hook = get_scoped_or_404(WebhookEndpoint.objects, request.business, public_id=public_id)
    with transaction.atomic():
        audit.record(request, request.business, "webhook.change", target=hook,
                     changes=_hook_changes(hook, "removed"), summary="Removed a webhook")
        hook.delete()
    messages.success(request, "Removed. Nothing more goes there.")
    return redirect("settings_integrations")


@owner_required
@require_POST
def inbound_delete(request, public_id):
    source = get_scoped_or_404(InboundSource.objects, request.business, public_id=public_id)
    source.delete()
    messages.success(request, "Removed. That address now answers 404.")
    return redirect("settings_integrations")


@business_required
@require_GET
def sms_segments(request):
    body = request.GET.get("body", "")[:10000]
    return render(request, "integrations/_sms_segments.html",
                  {"info": segment_info(body), "channel": request.GET.get("channel", "sms")})


