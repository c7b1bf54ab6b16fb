"""Your account: two-step sign-in with an authenticator app (TOTP, django-otp).

Enrolment shows a QR code drawn on the server as SVG (segno), then asks for one code to
prove the app has it; only a confirmed device is asked for at sign-in."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from followthrough.tenants import audit, two_factor
from followthrough.tenants.forms import CodeForm
from followthrough.tenants.views import render


def _audit_everywhere(request, action):
    for membership in request.user.memberships.select_related("business"):
        audit.record(request, membership.business, action, target=("user", ""),
                     changes={"user": request.user.get_username()})


def qr_svg(data: str) -> str:
    """An inline SVG of `data` with no style attributes, so the strict CSP allows it."""
    svg = segno.make(data, error="m").svg_inline(scale=4, dark="#1b1f24", light="#ffffff")
    return mark_safe(svg)  # noqa: S308 - segno builds it from our own otpauth:// URL


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account(request):
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    context = {"confirmed": confirmed}
    if confirmed is None:
        device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=request.user, name="Authenticator app",
                                               confirmed=False)
        form = CodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if two_factor.verify(device, form.cleaned_data["code"]):
                with transaction.atomic():
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                    _audit_everywhere(request, "account.2fa_on")
                messages.success(request, "Two-step sign-in is on. From now on you'll be "
                                          "asked for a code from your app after your password.")
                return redirect("account")
            form.add_error("code", "That code didn't match. Check the time on your phone and "
                                   "try the newest code.")
        context.update({
            "form": form,
            "qr": qr_svg(device.config_url),
            "secret": _spaced(device.bin_key),
            "issuer": settings.OTP_TOTP_ISSUER,
        })
    return render(request, "tenants/account.html", context, nav="account",
                  status=400 if context.get("form") is not None and context["form"].errors
                  else None)


@login_required
@require_POST
def two_factor_off(request):
    form = CodeForm(request.POST)
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect("account")
    if not form.is_valid() or not two_factor.verify(device, form.cleaned_data["code"]):
        messages.error(request, "To turn off two-step sign-in, enter a current code from "
                                "your app.")
        return redirect("account")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=request.user).delete()
        _audit_everywhere(request, "account.2fa_off")
    messages.success(request, "Two-step sign-in is off.")
    return redirect("account")


def _spaced(key: bytes) -> str:
    from base64 import b32encode

    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))
