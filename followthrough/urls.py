from django.urls import include, path

urlpatterns = [
    path("", include("followthrough.tenants.urls")),
]
