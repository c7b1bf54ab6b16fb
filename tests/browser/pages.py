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
