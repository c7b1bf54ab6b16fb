"""The audit log: who changed what, for settings, members, playbooks, consent, exports,
erasures and API keys.

    record(request, business, "member.role", target=membership, changes={"role": [a, b]})

`request_or_actor` is a request, a user, or None (then the request being served, if any,
names the actor: AuditContextMiddleware keeps it). `target` is a model instance (its
public_id is logged, never an integer key) or a (type, id) pair. Never put customers'
personal data in `changes`: the log outlives erasure."""

from contextvars import ContextVar

from followthrough.tenants.models import AuditEntry

current_request: ContextVar = ContextVar("followthrough_current_request", default=None)

LABELS = {
    "review_ask.stop": "Stopped a review ask",
    "settings.update": "Changed the business settings",
    "settings.sms": "Changed the text message settings",
    "member.invite": "Invited someone to join",
    "member.invite_revoke": "Withdrew an invitation",
    "member.join": "Joined the business",
    "member.role": "Changed someone's role",
    "member.remove": "Removed someone from the business",
    "account.2fa_on": "Turned on two-step sign-in",
    "account.2fa_off": "Turned off two-step sign-in",
    "playbook.create": "Created a playbook",
    "playbook.update": "Renamed or described a playbook",
    "step.save": "Saved a step",
    "step.delete": "Deleted a step",
    "step.move": "Moved a step",
    "customer.export": "Exported a customer's data",
    "customer.erase": "Erased a customer's personal data",
    "consent.change": "Changed a customer's consent",
    "apikey.create": "Created an API key",
    "apikey.revoke": "Revoked an API key",
    "webhook.change": "Changed a webhook",
    "export.csv": "Exported a CSV file",
    "retention.run": "Cleared old personal text (retention)",
}


def _actor_and_ip(request_or_actor):
    from followthrough.tenants.middleware import client_ip

    request = request_or_actor if hasattr(request_or_actor, "META") else None
    user = None
    if request is None and request_or_actor is not None:
        user = request_or_actor
    if request is None:
        request = current_request.get()
        if user is None and request is not None:
            user = getattr(request, "user", None)
    elif request is not None:
        user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    ip = client_ip(request) if request is not None else None
    key = getattr(request, "auth", None) if request is not None else None
    label = user.get_username() if user is not None else ""
    if not label and getattr(key, "name", ""):
        label = f"API key {key.name}"
    return user, label, (ip if ip and ip != "unknown" else None)


def _target(target):
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        return str(target[0])[:60], str(target[1])[:64]
    return target._meta.model_name[:60], str(getattr(target, "public_id", "") or "")[:64]


def record(request_or_actor, business, action: str, target=None, changes=None,
           summary: str = "") -> AuditEntry:
    user, label, ip = _actor_and_ip(request_or_actor)
    target_type, target_id = _target(target)
    return AuditEntry.objects.create(
        business=business, actor=user,
        actor_label=label[:254],
        action=action[:60], target_type=target_type, target_id=target_id,
        summary=(summary or LABELS.get(action, action))[:300],
        changes=changes or {}, ip=ip,
    )


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields that changed, values as strings."""
    return {
        key: [str(before.get(key)), str(after.get(key))]
        for key in after if before.get(key) != after.get(key)
    }
