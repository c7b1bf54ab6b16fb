from ninja import Router

from followthrough.api.auth import business_of
from followthrough.api.lists import Limit, keyset_after, page_of
from followthrough.api.loaders import load_playbook
from followthrough.api.schemas import PlaybookOut, PlaybookPage, PublicId
from followthrough.playbooks.models import Playbook

router = Router(tags=["playbooks"])


def playbook_out(playbook: Playbook) -> dict:
    return {
        "id": playbook.public_id, "slug": playbook.slug, "name": playbook.name,
        "description": playbook.description, "is_active": playbook.is_active,
        "steps": [
            {"id": s.public_id, "position": s.position, "name": s.name, "anchor": s.anchor,
             "offset_days": s.offset_days, "offset_hours": s.offset_hours,
             "local_time": s.local_time, "repeat_every_days": s.repeat_every_days,
             "repeat_until": s.repeat_until, "channel": s.channel, "stage": s.stage,
             "element": s.element, "purpose": s.purpose, "subject": s.subject,
             "body": s.body}
            for s in playbook.steps.all()
        ],
    }


@router.get("", response=PlaybookPage, summary="List")
def list_playbooks(request, is_active: bool | None = None, limit: int = Limit,
                   after: PublicId | None = None):
    """Your playbooks with their steps, in the order they were created. Read-only: edit
    them in the app."""
    business = business_of(request)
    rows = Playbook.objects.filter(business=business).prefetch_related("steps").order_by("id")
    if is_active is not None:
        rows = rows.filter(is_active=is_active)
    if after is not None:
        rows = keyset_after(rows, load_playbook(business, after, "after"))
    return page_of(rows, limit, playbook_out)


@router.get("/{id}", response=PlaybookOut, summary="Get")
def get_playbook(request, id: str):  # noqa: A002
    return playbook_out(load_playbook(business_of(request), id))
