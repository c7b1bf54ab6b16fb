"""The team: owners invite people by email, change roles and remove members.

An invitation link is a signed token naming the Invitation row, valid for
INVITATION_MAX_AGE_DAYS; accepting uses it up. A business always keeps an owner."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.core import signing
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from followthrough.channels.mailqueue import queue_mail
from followthrough.tenants import audit
from followthrough.tenants.access import get_scoped_or_404, owner_required
from followthrough.tenants.forms import InviteForm, NewAccountForm, RoleForm
from followthrough.tenants.middleware import SESSION_KEY
from followthrough.tenants.models import Invitation, Membership
from followthrough.tenants.views import render

INVITE_SALT = "followthrough.invitation"


class LastOwner(Exception):
    pass


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(invitation.public_id, salt=INVITE_SALT)


def invitation_from_token(token: str) -> Invitation | None:
    """The open invitation a token names, or None if forged, expired or used."""
    max_age = settings.INVITATION_MAX_AGE_DAYS * 86400
    try:
        public_id = signing.loads(token, salt=INVITE_SALT, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    invitation = (
        Invitation.objects.select_related("business").filter(public_id=public_id).first()
    )
    return invitation if invitation is not None and invitation.is_open else None


def invite(request, business, email: str, role: str) -> Invitation:
    """Record the invitation and queue its email in one transaction; the worker sends it,
    so a mail server that refuses or hangs never fails the team page."""
    with transaction.atomic():
        Invitation.objects.filter(business=business, email__iexact=email,
                                  accepted_at__isnull=True, revoked_at__isnull=True
                                  ).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            business=business, email=email, role=role, invited_by=request.user
        )
        audit.record(request, business, "member.invite", target=invitation,
                     changes={"email": email, "role": role})
        queue_mail(f"Join {business.name} on Followthrough",
                   _invitation_body(request.user, business, invitation), [email],
                   kind="invitation", business=business)
    return invitation


def _invitation_body(user, business, invitation: Invitation) -> str:
    link = settings.SITE_URL + reverse("invitation_accept", args=[invitation_token(invitation)])
    inviter = user.get_full_name() or user.email or user.get_username()
    days = settings.INVITATION_MAX_AGE_DAYS
    return (
        f"Hello,\n\n{inviter} has invited you to join {business.name} on Followthrough, "
        f"where the team keeps track of who to thank, call and check in with.\n\n"
        f"Accept the invitation here:\n{link}\n\n"
        f"The link works for {days} days. If you weren't expecting this, you can ignore it.\n"
    )


def change_role(request, membership: Membership, role: str) -> None:
    with transaction.atomic():
        owners = Membership.objects.select_for_update().filter(
            business=membership.business, role=Membership.OWNER
        )
        if (membership.is_owner and role != Membership.OWNER
                and owners.exclude(pk=membership.pk).count() == 0):
            raise LastOwner
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        audit.record(request, membership.business, "member.role", target=membership,
                     changes={"user": membership.user.get_username(), "role": [old, role]})


def remove_member(request, membership: Membership) -> None:
    with transaction.atomic():
        owners = Membership.objects.select_for_update().filter(
            business=membership.business, role=Membership.OWNER
        )
        if membership.is_owner and owners.exclude(pk=membership.pk).count() == 0:
            raise LastOwner
        audit.record(request, membership.business, "member.remove", target=membership,
                     changes={"user": membership.user.get_username(), "role": membership.role})
        membership.delete()


@owner_required
@require_http_methods(["GET", "HEAD", "POST"])
def members(request):
    business = request.business
    form = InviteForm(request.POST or None, business=business)
    if request.method == "POST" and form.is_valid():
        invite(request, business, form.cleaned_data["email"], form.cleaned_data["role"])
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
        return redirect("members")
    context = {
        "form": form,
        "memberships": Membership.objects.filter(business=business)
        .select_related("user").order_by("-role", "user__email"),
        "invitations": Invitation.objects.filter(
            business=business, accepted_at__isnull=True, revoked_at__isnull=True
        ),
        "roles": Membership.ROLES,
        "max_age_days": settings.INVITATION_MAX_AGE_DAYS,
    }
    return render(request, "tenants/members.html", context, nav="settings",
                  status=400 if form.errors else None)


@owner_required
@require_POST
def member_role(request, public_id):
    membership = get_scoped_or_404(Membership.objects.select_related("user", "business"),
                                   request.business, public_id=public_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner or staff as the role.")
        return redirect("members")
    try:
        change_role(request, membership, form.cleaned_data["role"])
    except LastOwner:
        messages.error(request, "A business needs at least one owner. Make someone else an "
                                "owner first.")
        return redirect("members")
    messages.success(request, f"{membership.user.email or membership.user} is now "
                              f"{membership.get_role_display().lower()}.")
    return redirect("members")


@owner_required
@require_POST
def member_remove(request, public_id):
    membership = get_scoped_or_404(Membership.objects.select_related("user", "business"),
                                   request.business, public_id=public_id)
    try:
        remove_member(request, membership)
    except LastOwner:
        messages.error(request, "You can't remove the last owner. Make someone else an owner "
                                "first.")
        return redirect("members")
    messages.success(request, f"{membership.user.email or membership.user} no longer has "
                              f"access to {request.business.name}.")
    if membership.user_id == request.user.pk:
        return redirect("today")
    return redirect("members")


@owner_required
@require_POST
def invitation_revoke(request, public_id):
    invitation = get_scoped_or_404(Invitation.objects.all(), request.business,
                                   public_id=public_id)
    if invitation.is_open:
        with transaction.atomic():
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
            audit.record(request, request.business, "member.invite_revoke", target=invitation,
                         changes={"email": invitation.email})
        messages.success(request, f"The invitation to {invitation.email} no longer works.")
    return redirect("members")


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request, token):
    """Open to anyone holding the link. An existing account must sign in first; a new
    person chooses a name and password here."""
    invitation = invitation_from_token(token)
    if invitation is None:
        raise Http404("This invitation link is not valid")
    User = get_user_model()  # noqa: N806
    existing = User.objects.filter(email__iexact=invitation.email).first()
    signed_in = request.user.is_authenticated
    if existing is not None and not (signed_in and request.user.pk == existing.pk):
        context = {"invitation": invitation, "wrong_user": signed_in}
        return render(request, "tenants/invitation_sign_in.html", context)
    form = None if existing else NewAccountForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and (form is None or form.is_valid()):
        with transaction.atomic():
            locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
            if not locked.is_open:
                raise Http404("This invitation was already used")
            user = existing
            if user is None:
                user = User.objects.create_user(
                    username=invitation.email, email=invitation.email,
                    password=form.cleaned_data["password1"],
                    first_name=form.cleaned_data["name"][:150],
                )
            Membership.objects.get_or_create(business=invitation.business, user=user,
                                             defaults={"role": invitation.role})
            locked.accepted_at = timezone.now()
            locked.save(update_fields=["accepted_at"])
            audit.record(user, invitation.business, "member.join", target=locked,
                         changes={"user": user.get_username(), "role": invitation.role})
        if existing is None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_KEY] = invitation.business.slug
        messages.success(request, f"Welcome to {invitation.business.name}!")
        return redirect("today")
    return render(request, "tenants/invitation_accept.html",
                  {"invitation": invitation, "form": form, "existing": existing},
                  status=400 if form is not None and form.errors else None)
