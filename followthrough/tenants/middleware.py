from followthrough.tenants.models import Membership

SESSION_KEY = "business_slug"


class BusinessMiddleware:
    """Resolves request.business and request.membership once per request.

    A signed-in user works in one business at a time (agencies switch between them);
    anonymous requests and users without a membership get None."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = _current_membership(request)
        request.business = request.membership.business if request.membership else None
        return self.get_response(request)


def _current_membership(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=user).select_related("business")
    wanted = request.session.get(SESSION_KEY)
    if wanted:
        chosen = memberships.filter(business__slug=wanted).first()
        if chosen:
            return chosen
    return memberships.order_by("business__name").first()
