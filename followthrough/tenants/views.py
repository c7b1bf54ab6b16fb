from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, resolve_url
from django.shortcuts import render as django_render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from followthrough.tenants import audit, two_factor
from followthrough.tenants.access import business_required, owner_required
from followthrough.tenants.forms import AuditFilterForm, BusinessForm, CodeForm, SignInForm
from followthrough.tenants.middleware import SESSION_KEY
from followthrough.tenants.models import AuditEntry, Membership


def in_business_zone(view):
    """Forms read and templates show times in the business's zone, not the server's."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        business = getattr(request, "business", None)
        if business is None:
            return view(request, *args, **kwargs)
        with timezone.override(business.zone):
            return view(request, *args, **kwargs)

    return wrapper


def render(request, template, context=None, status=None, nav=""):
    """django.shortcuts.render plus what the header needs."""
    context = dict(context or {})
    context.setdefault("nav", nav)
    if getattr(request, "business", None) is not None and not request.htmx:
        context["other_memberships"] = getattr(request, "other_memberships", [])
    return django_render(request, template, context, status=status)


class LoginView(auth_views.LoginView):
    """Password first; a user with two-step sign-in on then gives a code from their app
    (login_verify) before the session is theirs."""

    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if not user_has_device(user):
            return super().form_valid(form)
        self.request.session[PENDING_USER] = user.pk
        self.request.session[PENDING_BACKEND] = user.backend
        self.request.session[PENDING_NEXT] = self.get_success_url()
        self.request.session[PENDING_TRIES] = 0
        # A password change (or reset) ends a half-finished sign-in made with the old one.
        self.request.session[PENDING_HASH] = user.get_session_auth_hash()
        return redirect("login_verify")


PENDING_USER = "2fa_user"
PENDING_BACKEND = "2fa_backend"
PENDING_NEXT = "2fa_next"
PENDING_TRIES = "2fa_tries"
PENDING_HASH = "2fa_password"
PENDING_KEYS = (PENDING_USER, PENDING_BACKEND, PENDING_NEXT, PENDING_TRIES, PENDING_HASH)
MAX_CODE_TRIES = 5


def user_has_device(user) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _pending_user(request):
    """The user who gave their password in this session, if it is still their password."""
    from django.contrib.auth import get_user_model
    from django.utils.crypto import constant_time_compare

    user_id = request.session.get(PENDING_USER)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not constant_time_compare(request.session.get(PENDING_HASH, ""),
                                                 user.get_session_auth_hash()):
        return None
    return user


def _forget_pending(request):
    for key in PENDING_KEYS:
        request.session.pop(key, None)


def login_verify(request):
    """The second step of signing in: the code from the user's authenticator app."""
    from django.contrib.auth import login
    from django_otp import login as otp_login

    user = _pending_user(request)
    if user is None:
        _forget_pending(request)
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, wait = two_factor.match(user, form.cleaned_data["code"])
        if device is not None:
            backend = request.session.get(PENDING_BACKEND)
            next_url = request.session.get(PENDING_NEXT) or resolve_url("today")
            login(request, user, backend=backend)
            otp_login(request, device)
            _forget_pending(request)
            return redirect(next_url)
        tries = request.session.get(PENDING_TRIES, 0) + 1
        request.session[PENDING_TRIES] = tries
        if tries >= MAX_CODE_TRIES:
            _forget_pending(request)
            messages.error(request, "Too many wrong codes. Please sign in again.")
            return redirect("login")
        if wait:
            form.add_error("code", f"Too many wrong codes for now. Wait "
                                   f"{two_factor.wait_words(wait)}, then enter the newest "
                                   f"code from your app.")
        else:
            form.add_error("code", "That code didn't match. Check your app and try again.")
    return render(request, "registration/login_verify.html", {"form": form})


class LogoutView(auth_views.LogoutView):
    pass


@business_required
@require_POST
def switch_business(request):
    slug = request.POST.get("business", "")
    membership = (
        Membership.objects.filter(user=request.user, business__slug=slug)
        .select_related("business")
        .first()
    )
    if membership is None:
        raise Http404("Not a member")
    request.session[SESSION_KEY] = membership.business.slug
    messages.success(request, f"You're now working in {membership.business.name}.")
    return redirect("today")


@owner_required
@in_business_zone
def business_settings(request):
    business = request.business
    if request.method == "POST":
        before = {name: getattr(business, name) for name in BusinessForm.Meta.fields}
        form = BusinessForm(request.POST, instance=business)
        if form.is_valid():
            with transaction.atomic():
                form.save()
                after = {name: getattr(business, name) for name in BusinessForm.Meta.fields}
                changes = audit.diff(before, after)
                if changes:
                    audit.record(request, business, "settings.update", target=None,
                                 changes=changes)
            messages.success(
                request, "Saved. Your settings apply to everything planned from now on."
            )
            return redirect("settings")
        business.refresh_from_db()
    else:
        form = BusinessForm(instance=business)
    return render(request, "tenants/settings.html", {"form": form}, nav="settings")


AUDIT_PAGE_SIZE = 50


@owner_required
@in_business_zone
@require_http_methods(["GET", "HEAD"])
def audit_log(request):
    business = request.business
    entries = AuditEntry.objects.filter(business=business)
    actions = sorted(set(entries.values_list("action", flat=True)))
    actors = sorted(set(entries.exclude(actor_label="").values_list("actor_label", flat=True)))
    form = AuditFilterForm(
        request.GET or None,
        actions=[(a, audit.LABELS.get(a, a)) for a in actions],
        actors=[(a, a) for a in actors],
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["actor"]:
            entries = entries.filter(actor_label=data["actor"])
        if data["since"]:
            entries = entries.filter(at__date__gte=data["since"])
        if data["until"]:
            entries = entries.filter(at__date__lte=data["until"])
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "tenants/audit_log.html",
                  {"form": form, "page": page, "query": query.urlencode()}, nav="settings")
