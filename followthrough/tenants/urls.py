from django.urls import path

from followthrough.tenants import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("switch/", views.switch_business, name="switch_business"),
    path("settings/", views.business_settings, name="settings"),
]
