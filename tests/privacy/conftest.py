"""The API fixtures (keys, a JSON client, an engagement made through the API)."""

from tests.api.conftest import *  # noqa: F403
