"""The project's settings with one change for bench/web.py: the URLconf adds a hello-world
view, the baseline, served by the same server through the same middleware."""

from followthrough.settings import *  # noqa: F403

ROOT_URLCONF = "bench.web_urls"
