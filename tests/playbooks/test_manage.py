"""Managing playbooks from the UI: new (blank or a copy), details, deleting and moving steps,
installing the built-ins, and owners only for every change."""

import pytest
from django.test import Client

from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.playbooks.models import Playbook, Step
from followthrough.playbooks.signals import playbook_changed


@pytest.fixture
def playbook(business):
    return install_builtin_playbooks(business)[0]


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def announced():
    """The playbooks playbook_changed was sent for, in order."""
    sent = []

    def receiver(sender, playbook, **kwargs):
        sent.append(playbook)

    playbook_changed.connect(receiver)
    yield sent
    playbook_changed.disconnect(receiver)


def positions(playbook):
    return list(playbook.steps.order_by("position", "id").values_list("name", flat=True))


def test_it_creates_a_blank_playbook(owner_client, business):
    response = owner_client.post("/playbooks/new/", {
        "copy_from": "", "name": "Window cleaning", "slug": "", "description": "Rounds.",
    })
    playbook = Playbook.objects.get(business=business, name="Window cleaning")
    assert response.status_code == 302
    assert response.url == f"/playbooks/{playbook.public_id}/"
    assert playbook.slug == "window-cleaning"
    assert playbook.steps.count() == 0


def test_it_confirms_a_new_playbook_on_its_page(owner_client, business):
    response = owner_client.post("/playbooks/new/", {"name": "Window cleaning"}, follow=True)
    assert "Made “Window cleaning”" in response.text


def test_it_copies_a_playbook_with_all_its_steps(owner_client, business, playbook):
    owner_client.post("/playbooks/new/", {
        "copy_from": playbook.public_id, "name": "Big jobs", "slug": "big-jobs",
    })
    copy = Playbook.objects.get(business=business, slug="big-jobs")
    original_steps = list(playbook.steps.values_list("name", "position", "body", "public_id"))
    copied_steps = list(copy.steps.values_list("name", "position", "body", "public_id"))
    assert [s[:3] for s in copied_steps] == [s[:3] for s in original_steps]
    assert not {s[3] for s in copied_steps} & {s[3] for s in original_steps}


def test_it_keeps_a_copy_independent_of_its_original(owner_client, business, playbook):
    owner_client.post("/playbooks/new/", {"copy_from": playbook.public_id, "name": "Big jobs"})
    copy = Playbook.objects.get(business=business, slug="big-jobs")
    copy.steps.update(name="Changed")
    owner_client.post(f"/playbooks/steps/{copy.steps.first().public_id}/delete/")
    assert copy.steps.count() == playbook.steps.count() - 1
    assert not playbook.steps.filter(name="Changed").exists()


def test_it_prefills_the_new_form_from_the_playbook_to_copy(owner_client, playbook):
    response = owner_client.get(f"/playbooks/new/?from={playbook.public_id}")
    form = response.context["form"]
    assert form.initial["copy_from"] == playbook.public_id
    assert form.initial["name"] == f"{playbook.name} (copy)"


def test_it_refuses_to_copy_another_businesss_playbook(owner_client, other_business):
    theirs = install_builtin_playbooks(other_business)[0]
    response = owner_client.post("/playbooks/new/", {"copy_from": theirs.public_id,
                                                     "name": "Stolen"})
    assert list(response.context["form"].errors) == ["copy_from"]
    assert not Playbook.objects.filter(name="Stolen").exists()


def test_it_shows_a_slug_clash_on_the_slug_field_and_saves_nothing(owner_client, business,
                                                                   playbook):
    count = Playbook.objects.count()
    response = owner_client.post("/playbooks/new/", {"name": "Another", "slug": playbook.slug})
    errors = response.context["form"].errors
    assert list(errors) == ["slug"]
    assert playbook.slug in errors["slug"][0]
    assert "Short name: " in response.text
    assert Playbook.objects.count() == count


def test_it_shows_a_clash_of_the_slug_made_from_the_name(owner_client, playbook):
    response = owner_client.post("/playbooks/new/", {"name": playbook.name, "slug": ""})
    assert "made from the name" in response.context["form"].errors["slug"][0]


def test_it_allows_a_slug_another_business_uses(owner_client, business, other_business):
    install_builtin_playbooks(other_business)
    owner_client.post("/playbooks/new/", {"name": "Service job"})
    assert Playbook.objects.filter(business=business, slug="service-job").exists()


def test_it_needs_a_name(owner_client):
    count = Playbook.objects.count()
    response = owner_client.post("/playbooks/new/", {"name": "", "slug": "x"})
    assert list(response.context["form"].errors) == ["name"]
    assert Playbook.objects.count() == count


def test_it_edits_a_playbooks_details(owner_client, playbook):
    response = owner_client.post(f"/playbooks/{playbook.public_id}/edit/",
                                 {"name": "Plumbing jobs", "description": "Our way."})
    playbook.refresh_from_db()
    assert response.status_code == 302
    assert (playbook.name, playbook.description) == ("Plumbing jobs", "Our way.")


def test_it_keeps_details_unchanged_on_a_bad_edit(owner_client, playbook):
    name, description = playbook.name, playbook.description
    response = owner_client.post(f"/playbooks/{playbook.public_id}/edit/",
                                 {"name": "", "description": "Changed"})
    playbook.refresh_from_db()
    assert list(response.context["form"].errors) == ["name"]
    assert (playbook.name, playbook.description) == (name, description)


def test_it_refuses_get_on_step_delete(owner_client, playbook):
    step = playbook.steps.first()
    response = owner_client.get(f"/playbooks/steps/{step.public_id}/delete/")
    assert response.status_code == 405
    assert Step.objects.filter(pk=step.pk).exists()


def test_it_deletes_a_step_and_announces_it(owner_client, playbook, announced,
                                            django_capture_on_commit_callbacks):
    step = playbook.steps.first()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/playbooks/steps/{step.public_id}/delete/")
    assert response.status_code == 302
    assert not Step.objects.filter(pk=step.pk).exists()
    assert announced == [playbook]


def test_it_announces_nothing_before_the_commit(owner_client, playbook, announced,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        owner_client.post(f"/playbooks/steps/{playbook.steps.first().public_id}/delete/")
    assert announced == []
    assert len(callbacks) == 1


def test_it_announces_an_edited_step(owner_client, playbook, announced,
                                     django_capture_on_commit_callbacks):
    step = playbook.steps.filter(channel="call").first()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"/playbooks/steps/{step.public_id}/edit/", {
            "name": "Call", "anchor": "won", "offset_days": "2", "offset_hours": "0",
            "local_time": "10:00", "channel": "call", "stage": "1", "element": "thank_you",
            "purpose": "relationship", "body": "Say thanks.",
        })
    assert [p.pk for p in announced] == [playbook.pk]


def test_it_announces_a_new_step(owner_client, playbook, announced,
                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"/playbooks/{playbook.public_id}/steps/new/", {
            "name": "Card", "anchor": "won", "offset_days": "0", "offset_hours": "0",
            "local_time": "10:00", "channel": "card", "stage": "1", "element": "thank_you",
            "purpose": "relationship", "body": "Write it.",
        })
    assert [p.pk for p in announced] == [playbook.pk]


def test_it_moves_a_step_up(owner_client, playbook, announced,
                            django_capture_on_commit_callbacks):
    before = positions(playbook)
    second = playbook.steps.get(name=before[1])
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/playbooks/steps/{second.public_id}/up/")
    assert response.status_code == 302
    assert response.url.endswith(f"#step-{second.public_id}")
    assert positions(playbook) == [before[1], before[0], *before[2:]]
    assert [p.pk for p in announced] == [playbook.pk]


def test_it_moves_a_step_down(owner_client, playbook):
    before = positions(playbook)
    first = playbook.steps.get(name=before[0])
    owner_client.post(f"/playbooks/steps/{first.public_id}/down/")
    assert positions(playbook) == [before[1], before[0], *before[2:]]


def test_it_leaves_the_first_step_where_it_is_on_move_up(owner_client, playbook):
    before = positions(playbook)
    owner_client.post(f"/playbooks/steps/{playbook.steps.get(name=before[0]).public_id}/up/")
    assert positions(playbook) == before


def test_it_moves_one_place_even_with_equal_positions(owner_client, playbook):
    playbook.steps.update(position=5)
    before = positions(playbook)
    third = playbook.steps.get(name=before[2])
    owner_client.post(f"/playbooks/steps/{third.public_id}/up/")
    assert positions(playbook) == [before[0], before[2], before[1], *before[3:]]


def test_it_refuses_get_on_move(owner_client, playbook):
    before = positions(playbook)
    response = owner_client.get(f"/playbooks/steps/{playbook.steps.last().public_id}/up/")
    assert response.status_code == 405
    assert positions(playbook) == before


def test_it_shows_the_empty_state_with_the_install_button(owner_client, business):
    response = owner_client.get("/playbooks/")
    assert "No playbooks yet." in response.text
    assert 'action="/playbooks/install/"' in response.text
    assert 'href="/playbooks/new/"' in response.text


def test_it_installs_the_builtin_playbooks_from_the_empty_state(owner_client, business):
    response = owner_client.post("/playbooks/install/")
    assert response.status_code == 302
    assert set(business.playbooks.values_list("slug", flat=True)) == {
        "service-job", "product-order"}


def test_it_refuses_get_on_install(owner_client, business):
    assert owner_client.get("/playbooks/install/").status_code == 405
    assert not business.playbooks.exists()


def test_it_lets_staff_view_playbooks(staff_client, playbook):
    assert staff_client.get("/playbooks/").status_code == 200
    response = staff_client.get(f"/playbooks/{playbook.public_id}/")
    assert response.status_code == 200
    assert "/delete/" not in response.text
    assert "+ Add a step" not in response.text


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/playbooks/new/"),
    ("post", "/playbooks/new/"),
    ("post", "/playbooks/install/"),
    ("get", "/playbooks/{playbook}/edit/"),
    ("post", "/playbooks/{playbook}/edit/"),
    ("post", "/playbooks/{playbook}/toggle/"),
    ("get", "/playbooks/{playbook}/steps/new/"),
    ("post", "/playbooks/{playbook}/steps/new/"),
    ("get", "/playbooks/steps/{step}/edit/"),
    ("post", "/playbooks/steps/{step}/edit/"),
    ("post", "/playbooks/steps/{step}/delete/"),
    ("post", "/playbooks/steps/{step}/up/"),
    ("post", "/playbooks/steps/{step}/down/"),
])
def test_it_hides_changing_actions_from_staff(staff_client, playbook, method, path):
    step = playbook.steps.last()
    before = (list(Playbook.objects.values_list("name", "is_active")),
              list(Step.objects.values_list("public_id", "position", "name")))
    url = path.format(playbook=playbook.public_id, step=step.public_id)
    response = getattr(staff_client, method)(url, {"name": "Staff was here"})
    assert response.status_code == 404
    assert (list(Playbook.objects.values_list("name", "is_active")),
            list(Step.objects.values_list("public_id", "position", "name"))) == before
