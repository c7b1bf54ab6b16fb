"""The team list Today offers under "Who does it" is cached per business, and forgotten the
moment someone joins, leaves or renames themselves."""

from followthrough.agenda import team
from followthrough.tenants.models import Membership
from tests.conftest import make_member


def _names(business):
    return [m.username for m in team.members(business)]


def test_it_answers_from_the_cache_after_the_first_time(business, owner,
                                                       django_assert_num_queries):
    team.members(business)
    with django_assert_num_queries(0):
        assert _names(business) == ["owner@riverside.example"]


def test_it_lists_someone_who_joins_at_once(business, owner):
    team.members(business)
    make_member(business, "new@riverside.example", Membership.STAFF)
    assert _names(business) == ["new@riverside.example", "owner@riverside.example"]


def test_it_drops_someone_who_leaves_at_once(business, owner, staff):
    team.members(business)
    Membership.objects.get(user=staff).delete()
    assert _names(business) == ["owner@riverside.example"]


def test_it_shows_a_new_name_at_once(business, owner):
    team.members(business)
    owner.first_name, owner.last_name = "Sam", "Rivers"
    owner.save()
    assert team.members(business)[0].get_full_name() == "Sam Rivers"


def test_it_keeps_each_business_to_itself(business, owner, other_business, outsider):
    team.members(business)
    assert _names(other_business) == ["owner@bright.example"]
