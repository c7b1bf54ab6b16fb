"""What many browser tests do first: sign in through the real form."""

from tests.conftest import PASSWORD


def fill_sign_in(page, username: str, password: str = PASSWORD) -> None:
    """On the sign-in page: fill the form, send it, and wait for Today."""
    page.get_by_label("Email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/today/")


def sign_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login/")
    fill_sign_in(page, username, password)


def go_to(page, name: str) -> None:
    """Follow a link of the main menu. On a phone the menu is folded behind its button
    (base.html), so open it first when the button shows."""
    button = page.get_by_role("button", name="Menu")
    if button.is_visible() and button.get_attribute("aria-expanded") != "true":
        button.click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
