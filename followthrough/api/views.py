"""Settings → API keys: owners create keys (shown once), see when each was last used, and
revoke them. Only a hash of a key is stored."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from followthrough.api.models import ApiKey
from followthrough.tenants import audit
from followthrough.tenants.access import get_scoped_or_404, owner_required
from followthrough.tenants.views import render

SESSION_KEY = "new_api_key"


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, label="What it's for",
                           help_text="For example “Web shop” or “Zapier”.")


@owner_required
def settings_api(request):
    form = ApiKeyForm(request.POST or None)
    status = None
    if request.method == "POST":
        if form.is_valid():
            key, raw = ApiKey.issue(request.business, form.cleaned_data["name"])
            audit.record(request, request.business, "apikey.create", target=key,
                         changes={"name": key.name, "prefix": key.prefix})
            request.session[SESSION_KEY] = raw
            messages.success(request, "Key created. Copy it now: it is shown only once.")
            return redirect("settings_api")
        status = 400
    return render(request, "integrations/api_keys.html", {
        "form": form, "keys": ApiKey.objects.filter(business=request.business),
        "new_key": request.session.pop(SESSION_KEY, ""),
    }, status=status, nav="settings")


@owner_required
@require_POST
def apikey_revoke(request, public_id):
    key = get_scoped_or_404(ApiKey.objects, request.business, public_id=public_id)
    if key.revoked_at is None:
        if ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now()):
            audit.record(request, request.business, "apikey.revoke", target=key,
                         changes={"name": key.name, "prefix": key.prefix})
        messages.success(request, f"“{key.name}” is revoked. Requests with it now get 401.")
    return redirect("settings_api")
