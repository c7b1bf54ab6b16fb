"""The team a touch can be assigned to, remembered per business in the configured cache.

Today asks for it on every visit, and it changes only when someone joins, leaves or renames
themselves, so it is cached and forgotten on exactly those changes. Several web processes
share one cache (CACHE_URL, docs/operations.md), so a change seen by one is seen by all."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from followthrough.tenants.models import Membership

TTL = 24 * 3600  # a safety net only: every change forgets the list at once


@dataclass(frozen=True)
class Member:
    """What the "Who does it" choice shows of a person."""

    pk: int
    username: str
    full_name: str

    def get_full_name(self) -> str:
        return self.full_name


def _key(business_id: int) -> str:
    return f"agenda:team:{business_id}"


def members(business) -> list[Member]:
    """Everyone in the business, by username."""
    found = cache.get(_key(business.pk))
    if found is None:
        found = [Member(m.user.pk, m.user.username, m.user.get_full_name())
                 for m in Membership.objects.filter(business=business).select_related("user")
                 .only("user__username", "user__first_name", "user__last_name")
                 .order_by("user__username")]
        cache.set(_key(business.pk), found, TTL)
    return found


def forget(business_ids) -> None:
    cache.delete_many([_key(pk) for pk in business_ids])


@receiver(post_save, sender=Membership, dispatch_uid="agenda.team.membership_saved")
@receiver(post_delete, sender=Membership, dispatch_uid="agenda.team.membership_deleted")
def _membership_changed(sender, instance, **kwargs):
    forget([instance.business_id])


@receiver(post_save, sender=get_user_model(), dispatch_uid="agenda.team.user_saved")
def _user_changed(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # signing in changes nothing the team list shows
    forget(Membership.objects.filter(user_id=instance.pk).values_list("business_id", flat=True))
