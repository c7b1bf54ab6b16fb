from django.urls import path

from followthrough.api.api import api
from followthrough.api.docs import asset

urlpatterns = [
    path("docs/assets/<str:name>", asset, name="api-v1-asset"),
    path("", api.urls),
]
