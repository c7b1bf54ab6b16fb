"""The API reference page (Swagger UI), served from django-ninja's own bundled assets so it
works without a CDN and without adding ninja to INSTALLED_APPS."""

import html
import json
import mimetypes
from pathlib import Path

import ninja
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from ninja.openapi.docs import DocsBase

ASSETS_DIR = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.svg"})

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="{assets}swagger-ui.css">
  <link rel="icon" href="{assets}favicon.svg" type="image/svg+xml">
</head>
<body>
  <script type="application/json" id="swagger-settings">{settings}</script>
  <div id="swagger-ui"></div>
  <script src="{assets}swagger-ui-bundle.js"></script>
  <script src="{assets}swagger-ui-init.js"></script>
</body>
</html>
"""


class LocalSwagger(DocsBase):
    def render_page(self, request, api, **kwargs) -> HttpResponse:
        settings = {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout",
                    "deepLinking": True}
        assets = reverse("api-v1-asset", kwargs={"name": "x"})[:-1]
        # "</" cannot appear in JSON we produce from a reversed URL, but escape it anyway.
        settings_json = json.dumps(settings).replace("</", "<\\/")
        return HttpResponse(PAGE.format(
            title=html.escape(api.title), assets=html.escape(assets), settings=settings_json,
        ))


@cache_control(max_age=86400, public=True)
def asset(request, name: str):
    if name not in ASSETS:
        raise Http404("No such asset")
    content_type, _ = mimetypes.guess_type(name)
    return FileResponse((ASSETS_DIR / name).open("rb"), content_type=content_type)
