"""Checking a code from the authenticator app, with a ceiling on django-otp's throttle.

django-otp doubles the wait after every wrong code and never stops doubling: 20 wrong
codes lock the device for six days. Anyone who knows the password can type them, so the
real owner could be shut out for days. Here the wait grows the same way but stops at
CODE_WAIT_CAP. A guesser then gets about a hundred tries a day at a one-in-a-million
code (three codes are valid at a time, for clock drift), so guessing one takes years,
while the owner waits at most a quarter of an hour after the last wrong code."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

CODE_WAIT_CAP = timedelta(minutes=15)
NO_WAIT = timedelta(0)


def code_wait(device: TOTPDevice, now=None) -> timedelta:
    """How much longer `device` refuses codes: django-otp's doubling delay, capped."""
    count, last = device.throttling_failure_count, device.throttling_failure_timestamp
    if not count or last is None:
        return NO_WAIT
    doubling = device.get_throttle_factor() * 2 ** min(count - 1, 30)
    delay = min(timedelta(seconds=doubling), CODE_WAIT_CAP)
    return max(NO_WAIT, last + delay - (now or timezone.now()))


def verify(device: TOTPDevice, code: str) -> bool:
    """Whether `code` is good for `device` now. A wrong code counts and restarts the wait;
    a code typed while the device waits is refused and does not count."""
    if code_wait(device):
        return False
    # Our ceiling has passed; django-otp's own check would still wait out the doubling.
    device.throttling_failure_timestamp = None
    return device.verify_token(code)


def match(user, code: str) -> tuple[TOTPDevice | None, timedelta]:
    """(the device that took `code`, NO_WAIT); (None, NO_WAIT) for a wrong code; or
    (None, how long still) while every device of the user is waiting."""
    with transaction.atomic():
        devices = list(TOTPDevice.objects.select_for_update()
                       .filter(user=user, confirmed=True).order_by("pk"))
        waits = [code_wait(device) for device in devices]
        if devices and all(waits):
            return None, min(waits)
        for device, wait in zip(devices, waits, strict=True):
            if not wait and verify(device, code):
                return device, NO_WAIT
    return None, NO_WAIT


def wait_words(wait: timedelta) -> str:
    """A wait for people: "a few seconds", or whole minutes rounded up."""
    seconds = int(wait.total_seconds())
    if seconds < 60:
        return "a few seconds"
    return f"about {-(-seconds // 60)} min"
