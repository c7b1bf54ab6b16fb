"""Keyset paging on both lists: 50 a page, every row once, from first page to last."""

import pytest

from tests.lists.conftest import make_bulk, walk_pages

LISTS = ["/jobs/", "/customers/"]


@pytest.mark.parametrize("url", LISTS)
def test_it_pages_fifty_at_a_time_without_repeats(owner_client, business, url):
    make_bulk(business, 120)
    pages = walk_pages(owner_client, url)
    assert [len(p) for p in pages] == [50, 50, 20]
    assert len(set(sum(pages, []))) == 120


@pytest.mark.parametrize(("url", "order"), [("/jobs/", ""), ("/customers/", "sort=last_job")])
def test_it_pages_rows_with_one_sort_value_by_id(owner_client, business, url, order):
    """Every job won on the same day: only the id orders them, and none is lost."""
    make_bulk(business, 75, same_day=True)
    pages = walk_pages(owner_client, url, order)
    assert [len(p) for p in pages] == [50, 25]
    assert len(set(sum(pages, []))) == 75
