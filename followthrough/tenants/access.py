"""The one way views load tenant-owned objects: scoped to the request's business.

Anything outside the business is a 404, never a 403, so an outsider learns nothing
about whether an object exists."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render


def get_scoped_or_404(queryset, business, **lookup):
    if business is None:
        raise Http404("No business")
    try:
        return queryset.get(business=business, **lookup)
    except queryset.model.DoesNotExist:
        raise Http404(f"No {queryset.model._meta.verbose_name} here") from None


def business_required(view):
    """Signed in and a member of a business; otherwise to the login page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.business is None:
            return render(request, "tenants/no_business.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def owner_required(view):
    """Owners only; anyone else in the business gets a 404. Marks the view `owner_only`,
    which tests/test_access_matrix.py reads: this decorator is the one list of owner routes."""

    @wraps(view)
    @business_required
    def wrapper(request, *args, **kwargs):
        if not request.membership.is_owner:
            raise Http404("Owners only")
        return view(request, *args, **kwargs)

    wrapper.owner_only = True
    return wrapper
