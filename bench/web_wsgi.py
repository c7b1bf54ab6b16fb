"""WSGI entry for the web benchmark: the project with bench.web_settings."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.web_settings"
application = get_wsgi_application()
