"""Fragments come from the cache only when every input is the same: a changed field, a
changed related row, another time zone or a render that read the database means a fresh
render. Each use carries the request's own CSRF token."""

import pytest
from django.contrib.auth import get_user_model
from django.middleware.csrf import CSRF_TOKEN_LENGTH, _unmask_cipher_token, get_token
from django.test import RequestFactory, override_settings
from django.utils import timezone
from django.utils.safestring import mark_safe

from followthrough import fragments
from followthrough.customers.models import Customer, Engagement

TEMPLATES = {
    "name.html": "<p>{{ customer.name }} · {{ note }}</p>",
    "job.html": "<p>{{ job.description }} for {{ job.customer.name }}</p>",
    "when.html": "{{ moment|date:'H:i' }}",
    "lazy.html": "{{ customer.notes }}",
    "form.html": "<form>{% csrf_token %}</form><form>{% csrf_token %}</form>",
}
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_small_templates")]


@pytest.fixture
def _small_templates():
    engine = {"BACKEND": "django.template.backends.django.DjangoTemplates",
              "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", TEMPLATES)]}}
    fragments._rendered.entries.clear()
    with override_settings(TEMPLATES=[engine]):
        yield
    fragments._rendered.entries.clear()


@pytest.fixture
def renders(monkeypatch):
    """How many times a template was really rendered."""
    count = []
    real = fragments.render_to_string

    def counting(*args, **kwargs):
        count.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(fragments, "render_to_string", counting)
    return count


@pytest.fixture
def request_():
    return RequestFactory().get("/")


@pytest.fixture
def customer(business):
    return Customer.objects.create(business=business, name="Jamie Rivera", notes="Dog: Pepper")


def test_it_renders_the_same_inputs_once(customer, renders, request_):
    first = fragments.render_fragment("name.html", {"customer": customer, "note": "hi"}, request_)
    again = fragments.render_fragment("name.html", {"customer": customer, "note": "hi"}, request_)
    assert first == again == "<p>Jamie Rivera · hi</p>"
    assert len(renders) == 1


def test_it_renders_again_when_a_loaded_field_changes(customer, renders, request_):
    fragments.render_fragment("name.html", {"customer": customer}, request_)
    customer.name = "Jamie Ortiz"
    assert "Jamie Ortiz" in fragments.render_fragment("name.html", {"customer": customer},
                                                      request_)
    assert len(renders) == 2


def test_it_renders_again_when_a_related_row_changes(customer, renders, request_):
    job = Engagement.objects.select_related("customer").get(pk=Engagement.objects.create(
        business=customer.business, customer=customer, won_at=timezone.now(),
        description="a new boiler").pk)
    fragments.render_fragment("job.html", {"job": job}, request_)
    job.customer.name = "Sam Ortiz"
    assert fragments.render_fragment("job.html", {"job": job}, request_) == (
        "<p>a new boiler for Sam Ortiz</p>")


def test_it_renders_again_in_another_time_zone(renders, request_):
    moment = timezone.now().replace(hour=12, minute=0)
    with timezone.override("UTC"):
        utc = fragments.render_fragment("when.html", {"moment": moment}, request_)
    with timezone.override("Asia/Tokyo"):
        tokyo = fragments.render_fragment("when.html", {"moment": moment}, request_)
    assert (utc, tokyo) == ("12:00", "21:00")


def test_it_does_not_keep_a_render_that_read_the_database(customer, renders, request_):
    partial = Customer.objects.only("name").get(pk=customer.pk)
    fragments.render_fragment("lazy.html", {"customer": partial}, request_)
    Customer.objects.filter(pk=customer.pk).update(notes="Dog: Biscuit")
    partial = Customer.objects.only("name").get(pk=customer.pk)
    assert fragments.render_fragment("lazy.html", {"customer": partial}, request_) == (
        "Dog: Biscuit")


def test_it_tells_safe_text_from_the_same_plain_text(renders, request_):
    plain = fragments.render_fragment("name.html", {"note": "<b>hi</b>"}, request_)
    safe = fragments.render_fragment("name.html", {"note": mark_safe("<b>hi</b>")}, request_)
    assert "&lt;b&gt;" in plain and "<b>hi</b>" in safe


def test_it_escapes_what_a_customer_wrote(customer, request_):
    customer.name = '<script>alert("x")</script>'
    html = fragments.render_fragment("name.html", {"customer": customer}, request_)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_it_gives_each_request_its_own_csrf_token(request_):
    other = RequestFactory().get("/")
    mine = fragments.render_fragment("form.html", {}, request_)
    theirs = fragments.render_fragment("form.html", {}, other)
    secret = _unmask_cipher_token(get_token(request_))
    tokens = [part.split('"')[0] for part in mine.split('value="')[1:]]
    assert len(tokens) == 2 and all(len(t) == CSRF_TOKEN_LENGTH for t in tokens)
    assert {_unmask_cipher_token(t) for t in tokens} == {secret}
    assert _unmask_cipher_token(theirs.split('value="')[1].split('"')[0]) != secret


def test_it_refuses_an_input_it_cannot_see_into(request_):
    with pytest.raises(TypeError, match="object"):
        fragments.render_fragment("name.html", {"note": object()}, request_)


def test_it_forgets_the_oldest_fragment_when_full(monkeypatch, renders, request_):
    monkeypatch.setattr(fragments, "_rendered", fragments._LeastRecentlyUsed(2))
    for note in ("a", "b", "c", "a"):
        fragments.render_fragment("name.html", {"note": note}, request_)
    assert len(renders) == 4


def test_it_takes_a_user_as_an_input(renders, request_):
    user = get_user_model().objects.create_user(username="pat", password="x" * 20)
    fragments.render_fragment("name.html", {"note": "hi", "user": user}, request_)
    user.username = "pat2"
    fragments.render_fragment("name.html", {"note": "hi", "user": user}, request_)
    assert len(renders) == 2


def test_it_walks_rows_that_point_at_each_other(customer, renders, request_):
    job = Engagement(business=customer.business, customer=customer, description="a boiler")
    # A reverse one-to-one (or a prefetch) caches the way back: the walk must still end.
    customer._state.fields_cache["latest_job"] = job
    first = fragments.render_fragment("name.html", {"customer": customer}, request_)
    again = fragments.render_fragment("name.html", {"customer": customer}, request_)
    assert first == again and len(renders) == 1


@pytest.mark.parametrize("template", ["touchpoints/_touch_card.html", "agenda/_checklist.html",
                                      "_site_header.html"])
def test_it_is_used_only_with_templates_that_read_no_clock_and_no_request(template):
    """The templates Today and the layout render as fragments: a clock or the request in
    them would not be among the inputs, and the cached text would go stale."""
    import re
    from pathlib import Path

    import followthrough

    folder, waiting, read = Path(followthrough.__file__).parent / "templates", [template], set()
    while waiting:  # the template and every template it includes
        name = waiting.pop()
        read.add(name)
        source = (folder / name).read_text()
        for tag in ("{% now", "timesince", "timeuntil", "naturaltime", "request."):
            assert tag not in source, (name, tag)
        waiting += [n for n in re.findall(r'{% include "([^"]+)"', source) if n not in read]
