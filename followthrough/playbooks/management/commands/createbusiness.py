"""`followthrough createbusiness`: a new business, its owner and the built-in playbooks."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.tenants.models import Business, Membership, validate_timezone


class Command(BaseCommand):
    help = "Create a business with its owner and the built-in playbooks."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="Short name used in URLs.")
        parser.add_argument("--name", required=True)
        parser.add_argument("--timezone", required=True, help="IANA zone, e.g. Europe/London.")
        parser.add_argument("--owner-email", required=True, help="Also the owner's username.")
        parser.add_argument(
            "--owner-password", help="Generated and printed once when left out."
        )

    def handle(self, *args, slug, name, timezone, owner_email, owner_password=None, **options):
        _check(validate_timezone, timezone, "--timezone")
        _check(validate_email, owner_email, "--owner-email")
        if Business.objects.filter(slug=slug).exists():
            raise CommandError(f"--slug: a business with the slug {slug!r} already exists.")
        existing_user = get_user_model().objects.filter(username=owner_email).first()
        if existing_user and owner_password:
            raise CommandError(
                f"--owner-password: {owner_email} already has an account; its password is "
                "left alone, so leave this option out."
            )
        generated = not existing_user and not owner_password
        password = owner_password or secrets.token_urlsafe(12)
        if not existing_user:
            _check(validate_password, password, "--owner-password")
        with transaction.atomic():
            business = Business(slug=slug, name=name, timezone=timezone)
            _check(lambda b: b.full_clean(), business, "business")
            business.save()
            user = existing_user or get_user_model().objects.create_user(
                username=owner_email, email=owner_email, password=password
            )
            Membership.objects.create(business=business, user=user, role=Membership.OWNER)
            playbooks = install_builtin_playbooks(business)
        self._report(business, user, playbooks, password if generated else None, existing_user)

    def _report(self, business, user, playbooks, password, existing_user):
        names = ", ".join(p.name for p in playbooks)
        self.stdout.write(f"Created {business.name} ({business.slug}) with playbooks: {names}.")
        if existing_user:
            self.stdout.write(f"{user.username} (existing account) is its owner.")
        else:
            self.stdout.write(f"Owner: {user.username}")
        if password:
            self.stdout.write(f"Password (shown once, write it down): {password}")


def _check(validator, value, label: str) -> None:
    try:
        validator(value)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            messages = [f"{field}: {m}" for field, ms in exc.message_dict.items() for m in ms]
        else:
            messages = exc.messages
        raise CommandError(f"{label}: {' '.join(messages)}") from None
