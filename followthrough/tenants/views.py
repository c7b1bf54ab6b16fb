from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect
from django.shortcuts import render as django_render
from django.utils import timezone
from django.views.decorators.http import require_POST

from followthrough.tenants.access import business_required, owner_required
from followthrough.tenants.forms import BusinessForm
from followthrough.tenants.middleware import SESSION_KEY
from followthrough.tenants.models import Membership


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
        context["other_memberships"] = list(
            Membership.objects.filter(user=request.user)
            .exclude(business=request.business)
            .select_related("business")
            .order_by("business__name")
        )
    return django_render(request, template, context, status=status)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


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
        form = BusinessForm(request.POST, instance=business)
        if form.is_valid():
            form.save()
            messages.success(
                request, "Saved. Your settings apply to everything planned from now on."
            )
            return redirect("settings")
        business.refresh_from_db()
    else:
        form = BusinessForm(instance=business)
    return render(request, "tenants/settings.html", {"form": form}, nav="settings")
