"""The header every signed-in page shares: the search box and the menu button."""


def test_it_has_the_search_box_in_the_header_of_every_page(owner_client):
    text = owner_client.get("/today/").text
    assert 'role="search"' in text and 'hx-get="/search/suggestions/"' in text
    assert 'action="/search/"' in text  # Enter opens the results page, with or without JS


def test_it_has_a_menu_button_that_says_whether_it_is_open(owner_client):
    text = owner_client.get("/today/").text
    assert ('aria-expanded="false" aria-controls="site-menu" data-menu-button>Menu</button>'
            in text)
    assert 'id="site-menu"' in text and 'aria-label="Main"' in text
    assert "followthrough/nav.js" in text


def test_it_keeps_the_header_out_of_the_sign_in_page(client, db):
    text = client.get("/login/").text
    assert 'role="search"' not in text and "data-menu-button" not in text
