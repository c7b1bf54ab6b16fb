"""The project's URLs plus /bench-hello/, the web benchmark's baseline (bench only)."""

from django.http import HttpResponse
from django.urls import path

from followthrough.urls import urlpatterns as project_urlpatterns


def hello(request):
    return HttpResponse("Hello, world!", content_type="text/plain")


urlpatterns = [path("bench-hello/", hello), *project_urlpatterns]
