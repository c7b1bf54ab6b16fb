from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "followthrough.tenants"
    label = "tenants"
    verbose_name = "Businesses"
